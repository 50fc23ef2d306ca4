"""Creating many through the API: one serializer checks every item of a list, so nothing may carry over."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.businesses.factories import StaffMemberFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/feedback-requests/"


def post(client: APIClient, body):
    return client.post(URL, body, format="json")


def test_an_item_s_values_do_not_carry_over_to_the_next_item(api_client, business):
    staff = StaffMemberFactory(business=business, email="maya@example.com")
    full = {
        "customer": {"name": "Ana Silva", "email": "ana@example.com", "external_id": "C-1"},
        "staff_email": "maya@example.com",
        "interaction_at": "2025-03-01T14:30:00Z",
        "reference": "booking-1",
        "internal": True,
    }
    response = post(api_client, [full, {"customer": {"email": "bo@example.com"}}])

    assert response.status_code == 201
    ana, bo = response.json()
    assert (ana["staff"]["id"], ana["reference"], ana["internal"]) == (staff.pk, "booking-1", True)
    assert bo["customer"] == {"name": "", "email": "bo@example.com", "external_id": ""}
    assert (bo["staff"], bo["reference"], bo["internal"]) == (None, "", False)
    assert bo["interaction_at"] != "2025-03-01T14:30:00Z"


def test_an_item_s_errors_do_not_carry_over_to_the_next_item(api_client):
    response = post(
        api_client,
        [
            {"customer": {"email": "broken"}, "staff_email": "nobody@example.com", "internal": "maybe"},
            {"customer": {"email": "bo@example.com"}},
            {"customer": {"email": "cy@example.com"}, "internal": "maybe"},
        ],
    )

    assert response.status_code == 201
    broken, bo, cy = response.json()
    assert broken == {
        "index": 0,
        "errors": {
            "customer": {"email": ["Enter a valid email address."]},
            "staff_email": ["No active staff member of this business has this email."],
            "internal": ["Must be a valid boolean."],
        },
    }
    assert bo["customer"]["email"] == "bo@example.com"
    assert cy == {"index": 2, "errors": {"internal": ["Must be a valid boolean."]}}


def test_a_null_item_in_a_list_is_named_as_no_data(api_client):
    response = post(api_client, [{"customer": {"email": "ana@example.com"}}, None])

    assert response.status_code == 201
    assert response.json()[1] == {"index": 1, "errors": {"non_field_errors": ["No data provided"]}}
