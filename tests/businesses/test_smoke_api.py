import pytest

pytestmark = pytest.mark.django_db


def test_the_business_endpoint_shows_the_keys_business(api_client, business):
    response = api_client.get("/api/v1/business/")
    assert response.status_code == 200
    assert response.json()["slug"] == business.slug
    assert response.json()["showcase_url"] == f"https://raves.test/b/{business.slug}/"
