"""Internal requests name the team they served: the API, the admin's form, the CSV import and the exports."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from feedback.models import CustomerImport, FeedbackRequest
from feedback.services.csv_import import parse_customers_csv
from feedback.services.requests import RequestInput, feedback_request_create
from feedback.tasks import create_customer_import
from tests.feedback.factories import FeedbackFactory, FeedbackRequestFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/feedback-requests/"
ONLY_INTERNAL = "team is only for internal requests"


def item(**fields) -> dict:
    return {"customer": {"name": "Ana Silva", "email": "ana@example.com"}, **fields}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def exported_rows(response) -> list[dict]:
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


# --- The API -------------------------------------------------------------------------------------


def test_an_internal_request_names_its_team_trimmed(api_client):
    response = api_client.post(URL, item(internal=True, team="  Finance  "), format="json")
    assert response.status_code == 201
    assert response.json()["team"] == "Finance"
    assert FeedbackRequest.objects.get().team == "Finance"


def test_the_team_is_in_the_request_output_and_empty_by_default(api_client):
    created = api_client.post(URL, item(), format="json").json()
    assert created["team"] == ""
    shown = api_client.get(f"{URL}{created['id']}/").json()
    assert shown["team"] == ""


def test_a_team_without_internal_is_refused(api_client):
    for body in (item(team="Finance"), item(internal=False, team="Finance")):
        response = api_client.post(URL, body, format="json")
        assert response.status_code == 400
        assert response.json()["team"] == [ONLY_INTERNAL]
    assert not FeedbackRequest.objects.exists()


@pytest.mark.parametrize(
    ("team", "message"),
    [
        ("F" * 101, "no more than 100 characters"),
        (42, "Not a valid string"),
        (["Finance"], "Not a valid string"),
        ({"name": "Finance"}, "Not a valid string"),
        (True, "Not a valid string"),
    ],
)
def test_a_team_that_is_not_a_short_string_is_refused(api_client, team, message):
    response = api_client.post(URL, item(internal=True, team=team), format="json")
    assert response.status_code == 400
    assert message in response.json()["team"][0]


def test_a_team_of_100_characters_is_kept(api_client):
    response = api_client.post(URL, item(internal=True, team="F" * 100), format="json")
    assert response.status_code == 201


def test_in_a_list_only_the_item_with_a_stray_team_is_refused(api_client):
    body = [item(internal=True, team="Finance"), {**item(team="IT"), "customer": {"email": "bo@example.com"}}]
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    first, second = response.json()
    assert first["team"] == "Finance"
    assert second == {"index": 1, "errors": {"team": [ONLY_INTERNAL]}}


def test_the_service_refuses_a_team_on_an_external_request():
    with pytest.raises(ValueError, match=ONLY_INTERNAL):
        RequestInput(email="ana@example.com", team="Finance")


# --- The admin's "new request" form --------------------------------------------------------------


def add_form(**overrides) -> dict:
    data = {
        "customer_name": "Ana Silva",
        "customer_email": "ana@example.com",
        "external_id": "",
        "staff": "",
        "interaction_at_0": "",
        "interaction_at_1": "",
        "reference": "",
        "team": "",
    }
    return {**data, **overrides}


ADD_URL = reverse("admin:feedback_feedbackrequest_add")


def test_the_admin_form_creates_an_internal_request_with_its_team(owner, business):
    response = logged_in(owner).post(ADD_URL, add_form(internal="on", team=" Facilities "))
    assert response.status_code == 302
    request = FeedbackRequest.objects.get()
    assert (request.internal, request.team, request.business) == (True, "Facilities", business)


def test_the_admin_form_refuses_a_team_without_internal(owner):
    response = logged_in(owner).post(ADD_URL, add_form(team="Facilities"))
    assert response.status_code == 200
    assert "A team is only for internal requests" in response.content.decode()
    assert not FeedbackRequest.objects.exists()


def test_the_admin_form_refuses_a_team_of_101_characters(owner):
    response = logged_in(owner).post(ADD_URL, add_form(internal="on", team="F" * 101))
    assert response.status_code == 200
    assert "at most 100 characters" in response.content.decode()
    assert not FeedbackRequest.objects.exists()


def test_the_admin_form_names_the_customers_language(owner):
    response = logged_in(owner).post(ADD_URL, add_form(language="de"))

    assert response.status_code == 302
    assert FeedbackRequest.objects.get().language == "de"


def test_the_admin_form_refuses_a_language_the_business_does_not_offer(owner, business):
    business.languages = ["en"]
    business.save()

    response = logged_in(owner).post(ADD_URL, add_form(language="de"))

    assert response.status_code == 200
    assert "offers en: choose one of them or leave it empty" in response.content.decode()
    assert not FeedbackRequest.objects.exists()


@pytest.mark.parametrize("language", ["xx", "de-AT", "<script>", "\x00"])
def test_the_admin_form_refuses_a_language_the_install_does_not_know(owner, language):
    response = logged_in(owner).post(ADD_URL, add_form(language=language))

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not FeedbackRequest.objects.exists()


# --- The CSV import ------------------------------------------------------------------------------


def parsed(business, *lines: str):
    return parse_customers_csv(business=business, text="\n".join(lines) + "\n")


def test_the_csv_reads_internal_and_team(business):
    result = parsed(
        business,
        "name,email,internal,team",
        "Ana,ana@example.com,yes,Finance",
        "Bo,bo@example.com,,",
        "Cy,cy@example.com,TRUE,",
        "Dee,dee@example.com,no,",
    )
    assert not result.errors
    assert [(row["internal"], row["team"]) for row in result.rows] == [
        (True, "Finance"),
        (False, ""),
        (True, ""),
        (False, ""),
    ]


def test_csv_rows_with_a_bad_team_are_named_row_by_row(business):
    result = parsed(
        business,
        "name,email,internal,team",
        "Ana,ana@example.com,,Finance",
        "Bo,bo@example.com,no,IT",
        f"Cy,cy@example.com,yes,{'F' * 101}",
        "Dee,dee@example.com,maybe,",
        "Eve,eve@example.com,yes,Legal",
    )
    errors = {(error.row, error.column): error.message for error in result.errors}
    assert set(errors) == {(2, "team"), (3, "team"), (4, "team"), (5, "internal")}
    assert "only for internal requests" in errors[(2, "team")]
    assert "the limit is 100" in errors[(4, "team")]
    assert "neither yes nor no" in errors[(5, "internal")]
    assert [row["email"] for row in result.rows] == ["eve@example.com"]


def test_an_imported_internal_row_creates_an_internal_request_with_its_team(owner, business):
    client = logged_in(owner)
    content = b"name,email,internal,team\nAna,ana@example.com,yes,Finance\nBo,bo@example.com,,\n"
    upload = client.post(
        reverse("admin:feedback_feedbackrequest_import"),
        {"file": SimpleUploadedFile("people.csv", content, "text/csv")},
    )
    assert upload.status_code == 302
    customer_import = CustomerImport.objects.get()
    assert "Finance" in client.get(upload["Location"]).content.decode()
    client.post(upload["Location"], {"confirm": "1"})
    create_customer_import(customer_import.pk)
    assert dict(FeedbackRequest.objects.values_list("customer__email", "team")) == {
        "ana@example.com": "Finance",
        "bo@example.com": "",
    }
    assert FeedbackRequest.objects.get(team="Finance").internal


def test_rows_checked_before_the_team_columns_existed_still_import(business):
    customer_import = CustomerImport.objects.create(
        business=business,
        rows=[
            {
                "row": 2,
                "name": "Ana",
                "email": "ana@example.com",
                "external_id": "",
                "reference": "",
                "staff_id": None,
                "interaction_at": None,
            }
        ],
        row_count=1,
    )
    CustomerImport.objects.filter(pk=customer_import.pk).update(confirmed_at=customer_import.created_at)
    create_customer_import(customer_import.pk)
    request = FeedbackRequest.objects.get()
    assert (request.internal, request.team) == (False, "")


# --- The exports ---------------------------------------------------------------------------------


def test_the_request_and_answer_exports_carry_the_team(owner, business):
    request = feedback_request_create(
        business=business, item=RequestInput(email="ana@example.com", internal=True, team="Finance")
    )
    FeedbackFactory(request=request, rating=4)
    client = logged_in(owner)
    requests = client.post(
        reverse("admin:feedback_feedbackrequest_changelist"),
        {"action": "export_csv", ACTION_CHECKBOX_NAME: [request.pk]},
    )
    assert [(row["internal"], row["team"]) for row in exported_rows(requests)] == [("True", "Finance")]
    answers = client.post(
        reverse("admin:feedback_feedback_changelist"),
        {"action": "export_csv", ACTION_CHECKBOX_NAME: [request.feedback.pk]},
    )
    assert [row["team"] for row in exported_rows(answers)] == ["Finance"]


def test_the_dashboard_export_carries_the_team(owner, business):
    FeedbackFactory(request=FeedbackRequestFactory(business=business, internal=True, team="IT"), rating=5)
    response = logged_in(owner).get("/admin/dashboard/feedback.csv")
    assert [row["team"] for row in exported_rows(response)] == ["IT"]
