import pytest

pytestmark = pytest.mark.django_db


def test_a_probe_by_ip_over_plain_http_reaches_the_health_check(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["raves.example.com"]
    response = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_other_pages_keep_host_validation_and_the_https_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["raves.example.com"]
    assert client.get("/admin/login/", HTTP_HOST="10.1.2.3:8000").status_code == 400
    assert client.get("/admin/login/", HTTP_HOST="raves.example.com").status_code == 301
