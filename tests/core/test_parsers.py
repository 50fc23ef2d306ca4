import json

import pytest

pytestmark = pytest.mark.django_db


def test_a_body_over_the_upload_limit_answers_413_not_500(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    body = json.dumps([{"customer": {"email": f"c{n}@example.com", "name": "x" * 200}} for n in range(6000)])
    response = api_client.post("/api/v1/feedback-requests/", body, content_type="application/json")
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
