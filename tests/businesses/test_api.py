"""The API base: key authentication, the business and staff endpoints, errors, schema and docs."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from businesses.models import BusinessAPIKey, StaffMember
from core.api_exceptions import exception_handler
from core.links import absolute_reverse
from tests.businesses.factories import StaffMemberFactory, api_key_for

pytestmark = pytest.mark.django_db


def client_with(authorization: str | None = None) -> APIClient:
    client = APIClient()
    if authorization is not None:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    return client


def post_staff(client: APIClient, payload) -> object:
    return client.post("/api/v1/staff/", payload, format="json")


# --- authentication ------------------------------------------------------------------------------


def test_a_call_without_a_key_answers_401_saying_how_to_send_one():
    response = client_with().get("/api/v1/business/")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Send your API key as “Authorization: Api-Key <key>”."}
    assert response["WWW-Authenticate"] == "Api-Key"


@pytest.mark.parametrize(
    "authorization",
    ["Api-Key not-a-key", "Api-Key abcdefgh.0123456789abcdef0123456789abcdef", "Api-Key ", "Bearer x"],
)
def test_a_call_with_a_wrong_key_answers_401(business, authorization):
    api_key_for(business)

    response = client_with(authorization).get("/api/v1/business/")

    assert response.status_code == 401
    assert "detail" in response.json()


def test_a_key_with_a_known_prefix_but_a_wrong_secret_answers_401(business):
    prefix = api_key_for(business).split(".")[0]

    response = client_with(f"Api-Key {prefix}.wrong-secret").get("/api/v1/business/")

    assert response.status_code == 401
    assert response.json() == {"detail": "This API key is not valid or has been revoked."}


def test_a_revoked_key_answers_401(business):
    key = api_key_for(business)
    BusinessAPIKey.objects.update(revoked=True)

    response = client_with(f"Api-Key {key}").get("/api/v1/staff/")

    assert response.status_code == 401
    assert response.json() == {"detail": "This API key is not valid or has been revoked."}


def test_an_expired_key_answers_401(business):
    key = api_key_for(business)
    BusinessAPIKey.objects.update(expiry_date=timezone.now() - timedelta(minutes=1))

    response = client_with(f"Api-Key {key}").get("/api/v1/business/")

    assert response.status_code == 401
    assert response.json() == {"detail": "This API key has expired."}


def test_a_key_that_has_not_expired_yet_works(business):
    key = api_key_for(business)
    BusinessAPIKey.objects.update(expiry_date=timezone.now() + timedelta(days=1))

    assert client_with(f"Api-Key {key}").get("/api/v1/business/").status_code == 200


def test_the_keyword_is_not_case_sensitive(business):
    assert client_with(f"api-key {api_key_for(business)}").get("/api/v1/business/").status_code == 200


# --- the business --------------------------------------------------------------------------------


def test_the_business_endpoint_shows_the_keys_business(api_client, business, other_business):
    response = api_client.get("/api/v1/business/")

    assert response.status_code == 200
    body = response.json()
    assert body["slug"] == business.slug
    assert body["name"] == business.name
    assert body["showcase_url"] == f"https://raves.test/b/{business.slug}/"
    assert body["widget_url"] == f"https://raves.test/b/{business.slug}/widget.js"


def test_the_business_links_are_built_on_site_url_not_on_the_callers_host(api_client, business):
    response = api_client.get("/api/v1/business/", HTTP_HOST="localhost")

    assert response.json()["showcase_url"].startswith("https://raves.test/")
    assert response.json()["widget_url"].startswith("https://raves.test/")


def test_each_key_sees_its_own_business(business, other_business):
    response = client_with(f"Api-Key {api_key_for(other_business)}").get("/api/v1/business/")

    assert response.json()["slug"] == other_business.slug


def test_the_business_cannot_be_changed_through_the_api(api_client, business):
    response = api_client.patch("/api/v1/business/", {"name": "Renamed"}, format="json")

    assert response.status_code == 405
    business.refresh_from_db()
    assert business.name != "Renamed"


# --- listing staff -------------------------------------------------------------------------------


def test_the_staff_list_shows_only_the_keys_businesss_staff(api_client, business, other_business):
    mine = StaffMemberFactory(business=business, name="Alice")
    StaffMemberFactory(business=other_business, name="Theirs")

    response = api_client.get("/api/v1/staff/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 1
    assert [member["id"] for member in body["results"]] == [mine.pk]
    assert body["results"][0] == {
        "id": mine.pk,
        "name": "Alice",
        "email": mine.email,
        "wants_digest": True,
        "active": True,
        "language": "en",
        "created_at": body["results"][0]["created_at"],
        "open_feedback_url": absolute_reverse("feedback:open", key=mine.open_feedback_links.get().key),
    }


def test_the_staff_list_is_paginated(api_client, business):
    StaffMemberFactory.create_batch(3, business=business)

    first = api_client.get("/api/v1/staff/", {"page_size": 2}).json()
    second = api_client.get(first["next"]).json()

    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert first["previous"] is None
    assert len(second["results"]) == 1
    assert second["next"] is None
    assert {m["id"] for m in first["results"] + second["results"]} == set(business.staff.values_list("id", flat=True))


def test_a_page_past_the_end_answers_404(api_client):
    assert api_client.get("/api/v1/staff/", {"page": 9}).status_code == 404


def test_the_staff_list_filters_by_active(api_client, business):
    StaffMemberFactory(business=business, name="Here")
    StaffMemberFactory(business=business, name="Gone", active=False)

    response = api_client.get("/api/v1/staff/", {"active": "false"})

    assert [member["name"] for member in response.json()["results"]] == ["Gone"]


# --- adding staff --------------------------------------------------------------------------------


def test_adding_a_staff_member_answers_201_and_wants_the_digest_by_default(api_client, business):
    response = post_staff(api_client, {"name": "Maya", "email": "maya@example.com"})

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Maya"
    assert body["wants_digest"] is True
    assert body["active"] is True
    member = StaffMember.objects.get(pk=body["id"])
    assert member.business == business
    assert member.wants_digest is True


def test_a_staff_member_may_opt_out_of_the_digest_when_added(api_client):
    response = post_staff(api_client, {"name": "Tom", "email": "tom@example.com", "wants_digest": False})

    assert response.status_code == 201
    assert StaffMember.objects.get(pk=response.json()["id"]).wants_digest is False


def test_a_staff_member_cannot_be_planted_in_another_business(api_client, business, other_business):
    payload = {"name": "Planted", "email": "planted@example.com", "business": other_business.pk}

    response = post_staff(api_client, payload)

    assert response.status_code == 201
    assert StaffMember.objects.get(name="Planted").business == business


def test_an_invalid_email_answers_400_naming_the_field(api_client):
    response = post_staff(api_client, {"name": "Maya", "email": "not-an-email"})

    assert response.status_code == 400
    assert response.json() == {"email": ["Enter a valid email address."]}


def test_a_missing_name_answers_400_naming_the_field(api_client):
    response = post_staff(api_client, {"email": "maya@example.com"})

    assert response.status_code == 400
    assert response.json() == {"name": ["This field is required."]}


def test_a_duplicate_email_in_any_letter_case_answers_400_naming_the_field(api_client, business):
    StaffMemberFactory(business=business, email="maya@example.com")

    response = post_staff(api_client, {"name": "Maya Again", "email": "MAYA@Example.COM"})

    assert response.status_code == 400
    assert response.json() == {"email": ["This business already has a staff member with this email."]}
    assert business.staff.count() == 1


def test_the_same_email_may_work_for_another_business(api_client, business, other_business):
    StaffMemberFactory(business=other_business, email="maya@example.com")

    assert post_staff(api_client, {"name": "Maya", "email": "maya@example.com"}).status_code == 201


# --- a staff member's language -------------------------------------------------------------------


def test_a_staff_member_may_be_added_with_a_language_and_it_is_shown(api_client, business):
    response = post_staff(api_client, {"name": "Lena", "email": "lena@example.de", "language": "de"})

    assert response.status_code == 201, response.json()
    assert response.json()["language"] == "de"
    member = StaffMember.objects.get(pk=response.json()["id"])
    assert member.language == "de"
    assert api_client.get(f"/api/v1/staff/{member.pk}/").json()["language"] == "de"


@pytest.mark.parametrize("payload", [{}, {"language": ""}])
def test_without_a_language_a_staff_member_follows_the_business_default(api_client, business, payload):
    response = post_staff(api_client, {"name": "Maya", "email": "maya@example.com", **payload})

    assert response.status_code == 201
    assert response.json()["language"] == "en"  # the language in effect, not a blank
    member = StaffMember.objects.get(pk=response.json()["id"])
    assert member.language == ""
    business.default_language = "de"
    business.save()
    assert api_client.get(f"/api/v1/staff/{member.pk}/").json()["language"] == "de"
    assert api_client.get("/api/v1/staff/").json()["results"][0]["language"] == "de"


@pytest.mark.parametrize("language", ["fr", "DE", "de-DE", "x" * 300, "\x00", 7, True, ["de"], {"de": 1}, None])
def test_a_language_the_install_does_not_offer_answers_400_naming_the_field(api_client, language):
    response = post_staff(api_client, {"name": "Maya", "email": "maya@example.com", "language": language})

    assert response.status_code == 400
    assert list(response.json()) == ["language"]
    if isinstance(language, str) and language.isprintable():
        assert response.json() == {"language": ["Choose one of: en, de."]}
    assert not StaffMember.objects.exists()


def test_a_language_the_business_does_not_offer_answers_400_listing_the_ones_it_does(api_client, business):
    business.languages = ["en"]
    business.save()

    response = post_staff(api_client, {"name": "Lena", "email": "lena@example.de", "language": "de"})

    assert response.status_code == 400
    assert response.json() == {"language": ["Choose one of: en."]}
    assert not StaffMember.objects.exists()


def test_the_staff_list_reads_each_language_without_a_query_per_member(
    api_client, business, django_assert_max_num_queries
):
    StaffMemberFactory(business=business, language="de")
    with django_assert_max_num_queries(10) as one:
        api_client.get("/api/v1/staff/")
    StaffMemberFactory.create_batch(5, business=business)
    with django_assert_max_num_queries(len(one.captured_queries)):
        listed = api_client.get("/api/v1/staff/").json()["results"]
    assert sorted(member["language"] for member in listed) == ["de", "en", "en", "en", "en", "en"]


@pytest.mark.parametrize("body", ['{"name": ', "not json", "[]", '"text"', "null"])
def test_a_body_that_is_not_a_json_object_answers_400_not_500(api_client, body):
    response = api_client.post("/api/v1/staff/", body, content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()


def test_a_form_encoded_body_answers_415(api_client):
    response = api_client.post("/api/v1/staff/", {"name": "Maya", "email": "maya@example.com"})

    assert response.status_code == 415


# --- one staff member ----------------------------------------------------------------------------


def test_a_staff_member_of_the_keys_business_is_shown(api_client, business):
    member = StaffMemberFactory(business=business)

    response = api_client.get(f"/api/v1/staff/{member.pk}/")

    assert response.status_code == 200
    assert response.json()["email"] == member.email


def test_another_businesss_staff_member_answers_404(api_client, other_business):
    theirs = StaffMemberFactory(business=other_business, name="Theirs")

    response = api_client.get(f"/api/v1/staff/{theirs.pk}/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No StaffMember matches the given query."}


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_staff_cannot_be_changed_or_removed_through_the_api(api_client, business, other_business, method):
    for member in (StaffMemberFactory(business=business, name="Mine"), StaffMemberFactory(business=other_business)):
        response = getattr(api_client, method)(f"/api/v1/staff/{member.pk}/", {"name": "Changed"}, format="json")

        assert response.status_code == 405
    assert StaffMember.objects.count() == 2
    assert not StaffMember.objects.filter(name="Changed").exists()


@pytest.mark.parametrize("staff_id", ["999999", "abc"])
def test_an_unknown_staff_member_answers_404(api_client, staff_id):
    assert api_client.get(f"/api/v1/staff/{staff_id}/").status_code == 404


# --- errors raised by services -------------------------------------------------------------------


def test_a_model_validation_error_becomes_a_400_naming_each_field():
    error = ValidationError({"email": ["Taken."], NON_FIELD_ERRORS: ["Not allowed."]})

    response = exception_handler(error, {})

    assert response.status_code == 400
    assert response.data == {"email": ["Taken."], "non_field_errors": ["Not allowed."]}


def test_a_model_validation_error_without_fields_becomes_a_400_for_the_whole_input():
    response = exception_handler(ValidationError("Not allowed."), {})

    assert response.status_code == 400
    assert response.data == {"non_field_errors": ["Not allowed."]}


# --- schema and docs -----------------------------------------------------------------------------


def test_the_schema_is_openapi_3_and_lists_the_endpoints():
    response = client_with().get("/api/schema/")

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/business/", "/api/v1/staff/", "/api/v1/staff/{id}/"} <= set(schema["paths"])
    assert "ApiKeyAuth" in schema["components"]["securitySchemes"]


def test_the_schema_is_also_served_as_json():
    response = client_with().get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")
    assert "/api/v1/staff/" in response.json()["paths"]


def test_the_schema_documents_the_staff_filters_and_integer_ids():
    schema = client_with().get("/api/schema/", {"format": "json"}).json()

    list_parameters = {p["name"] for p in schema["paths"]["/api/v1/staff/"]["get"]["parameters"]}
    (id_parameter,) = schema["paths"]["/api/v1/staff/{id}/"]["get"]["parameters"]
    assert {"active", "wants_digest", "page", "page_size"} <= list_parameters
    assert id_parameter["schema"]["type"] == "integer"


def test_the_docs_page_loads_everything_from_this_site():
    client = client_with()
    page = client.get("/api/docs/")
    script = client.get("/api/docs/", {"script": ""})

    assert page.status_code == 200
    assert script.status_code == 200
    html = page.content.decode()
    for text in (html, script.content.decode()):
        assert not re.search(r"https?://", text)
        assert "cdn" not in text
        assert "jsdelivr" not in text
    assets = re.findall(r'(?:src|href)="(/static/[^"?]+)"', html)
    assert assets
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset
