"""Importing customers from a CSV file in the admin: upload, preview (nothing created), confirm.

The owner (`owner`) runs `business`; `other_business` belongs to someone else.
"""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from businesses.models import Customer
from core.csv_safe import safe_cell
from feedback.models import CustomerImport, FeedbackRequest
from feedback.services.csv_import import MAX_FILE_BYTES, MAX_KEPT_ERRORS, customer_import_confirm
from feedback.tasks import create_customer_import
from tests.businesses.factories import CustomerFactory, MembershipFactory, StaffMemberFactory, UserFactory
from tests.feedback.factories import FeedbackRequestFactory

pytestmark = pytest.mark.django_db
Status = FeedbackRequest.Status
UPLOAD_URL = reverse("admin:feedback_feedbackrequest_import")
CHANGELIST_URL = reverse("admin:feedback_feedbackrequest_changelist")
# A real PNG: signature, IHDR of a 1×1 image, IDAT, IEND.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def csv_bytes(*rows: str) -> bytes:
    return ("\n".join(rows) + "\n").encode()


def upload(client: Client, content: bytes, name: str = "customers.csv", **data):
    return client.post(UPLOAD_URL, {"file": SimpleUploadedFile(name, content, "text/csv"), **data})


def preview_url(customer_import: CustomerImport) -> str:
    return reverse("admin:feedback_feedbackrequest_import_preview", args=[customer_import.pk])


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def worker_runs(customer_import: CustomerImport) -> None:
    """What the worker does with a confirmed import: its task, run until the import is finished."""
    for _ in range(100):
        create_customer_import(customer_import.pk)
        customer_import.refresh_from_db()
        if customer_import.finished_at:
            return
    pytest.fail("The import never finished.")


def confirm(client: Client, customer_import: CustomerImport):
    """Confirm in the admin, let the worker create the requests; the page that shows the result."""
    response = client.post(preview_url(customer_import), {"confirm": "1"})
    assert response.status_code == 302
    worker_runs(customer_import)
    return client.get(response["Location"])


def form_errors(response) -> str:
    return " ".join(" ".join(errors) for errors in response.context["form"].errors.values())


@pytest.fixture
def client(owner) -> Client:
    return logged_in(owner)


# --- upload and preview ------------------------------------------------------------------------


def test_the_changelist_links_to_the_import(client):
    page = client.get(CHANGELIST_URL)
    assert page.status_code == 200
    assert "Import customers from CSV" in page.content.decode()
    assert UPLOAD_URL in page.content.decode()


def test_the_preview_shows_each_row_error_and_creates_nothing(client, business):
    StaffMemberFactory(business=business, email="maya@shop.example")
    StaffMemberFactory(business=business, email="gone@shop.example", active=False)
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    content = csv_bytes(
        "Email,Name,Staff_Email,Interaction_At,Reference,External_Id",
        "ana@example.com,Ana Silva,maya@shop.example,2025-03-31 14:30,order-1,crm-1",
        "not-an-email,Bad Email,,,,",
        "ben@example.com,Ben,nobody@shop.example,,,",
        "cy@example.com,Cy,gone@shop.example,,,",
        f"dee@example.com,Dee,,{tomorrow},,",
        "eve@example.com,Eve,,31/03/2025,,",
        f"fay@example.com,Fay,,,{'r' * 101},",
    )
    response = upload(client, content)
    assert response.status_code == 302
    customer_import = CustomerImport.objects.get()
    assert response["Location"] == preview_url(customer_import)

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    errors = {(error["row"], error["column"]) for error in customer_import.errors}
    assert errors == {
        (3, "email"),
        (4, "staff_email"),
        (5, "staff_email"),
        (6, "interaction_at"),
        (7, "interaction_at"),
        (8, "reference"),
    }
    for fragment in (
        "is not a valid email address",
        "No staff member of",
        "is no longer active",
        "is in the future",
        "is not a date",
        "the limit is 100",
        "Create 1 request",
    ):
        assert fragment in html
    assert html.count('class="row-error"') == 6
    assert (customer_import.row_count, customer_import.invalid_row_count, len(customer_import.rows)) == (7, 6, 1)
    assert not FeedbackRequest.objects.exists()
    assert not Customer.objects.exists()


def test_confirming_creates_the_valid_rows_through_the_service(client, business):
    maya = StaffMemberFactory(business=business, email="Maya@Shop.example")
    content = csv_bytes(
        "name,email,external_id,staff_email,interaction_at,reference",
        "Ana Silva,ana@example.com,crm-1,maya@shop.example,2025-03-31 14:30,order-1",
        "Ben Okafor,ben@example.com,,,2025-03-30,",
        "Broken,not-an-email,,,,",
    )
    upload(client, content)
    customer_import = CustomerImport.objects.get()

    response = confirm(client, customer_import)

    assert response.status_code == 200
    assert "2 feedback requests created." in response.content.decode()
    ana = FeedbackRequest.objects.get(customer__email="ana@example.com")
    assert (ana.business, ana.staff, ana.reference, ana.status) == (business, maya, "order-1", Status.QUEUED)
    assert ana.customer.external_id == "crm-1"
    assert ana.interaction_at == datetime(2025, 3, 31, 14, 30, tzinfo=UTC)  # the business's zone is UTC
    assert ana.events.get().status == Status.QUEUED
    ben = FeedbackRequest.objects.get(customer__email="ben@example.com")
    assert ben.interaction_at == datetime(2025, 3, 30, tzinfo=UTC)
    assert FeedbackRequest.objects.count() == 2
    customer_import.refresh_from_db()
    assert customer_import.finished_at is not None
    assert customer_import.rows == []  # the customers' data is not kept in a forgotten upload


def test_a_naive_time_is_read_in_the_business_time_zone(client, business):
    business.timezone = "Europe/Paris"
    business.save()
    upload(client, csv_bytes("name,email,interaction_at", "Ana,ana@example.com,2025-01-15 10:00"))
    confirm(client, CustomerImport.objects.get())
    assert FeedbackRequest.objects.get().interaction_at == datetime(2025, 1, 15, 9, 0, tzinfo=UTC)


def test_confirming_twice_creates_once(client, business):
    upload(client, csv_bytes("name,email", "Ana,ana@example.com", "Ben,ben@example.com"))
    customer_import = CustomerImport.objects.get()
    confirm(client, customer_import)
    again = client.post(preview_url(customer_import), {"confirm": "1"})
    assert again.status_code == 302
    worker_runs(customer_import)
    assert FeedbackRequest.objects.count() == 2
    assert message_texts(again)[-1] == "This import was already confirmed; nothing more was created."


def test_the_confirmation_is_claimed_once(client):
    upload(client, csv_bytes("name,email", "Ana,ana@example.com"))
    first, second = CustomerImport.objects.get(), CustomerImport.objects.get()  # two clicks, two tabs
    assert customer_import_confirm(customer_import=first) is True
    assert customer_import_confirm(customer_import=second) is False
    worker_runs(first)
    assert FeedbackRequest.objects.count() == 1


def test_cancelling_creates_nothing_and_forgets_the_rows(client):
    upload(client, csv_bytes("name,email", "Ana,ana@example.com"))
    response = client.post(preview_url(CustomerImport.objects.get()), {"cancel": "1"})
    assert response.status_code == 302
    assert not CustomerImport.objects.exists()
    assert not FeedbackRequest.objects.exists()


def test_leaving_the_preview_without_confirming_creates_nothing(client):
    upload(client, csv_bytes("name,email", "Ana,ana@example.com"))
    client.get(preview_url(CustomerImport.objects.get()))
    client.get(CHANGELIST_URL)
    assert not FeedbackRequest.objects.exists()


def test_the_counts_report_suppressed_and_already_used_references(client, business):
    CustomerFactory(business=business, email="out@example.com", opted_out_at=timezone.now())
    FeedbackRequestFactory(business=business, reference="order-1")
    content = csv_bytes(
        "name,email,reference",
        "Ana,ana@example.com,order-1",  # reference already used: returns the existing request
        "Ana,ana@example.com,order-2",
        "Ana again,ana@example.com,order-3",  # same email in the file: the quiet period decides
        "Opted Out,out@example.com,order-4",
        "Dup,dup@example.com,order-2",  # a reference repeated inside the file
    )
    upload(client, content)
    response = confirm(client, CustomerImport.objects.get())
    assert (
        "3 feedback requests created; 2 of them kept but not sent (opted out, bounced or asked recently); "
        "2 rows had a reference already used and created nothing."
    ) in response.content.decode()
    statuses = dict(FeedbackRequest.objects.filter(business=business).values_list("reference", "suppression_reason"))
    assert statuses == {"order-1": "", "order-2": "", "order-3": "quiet_period", "order-4": "opted_out"}


def test_ten_thousand_rows_import(client, business):
    rows = [f"Customer {n},customer{n}@example.com,crm-{n},,2025-01-01,ref-{n}" for n in range(10_000)]
    content = csv_bytes("name,email,external_id,staff_email,interaction_at,reference", *rows)
    started = time.monotonic()
    response = upload(client, content)
    assert response.status_code == 302
    customer_import = CustomerImport.objects.get()
    assert (customer_import.row_count, len(customer_import.rows)) == (10_000, 10_000)
    assert "Create 10000 requests" in client.get(response["Location"]).content.decode()

    response = client.post(preview_url(customer_import), {"confirm": "1"})
    assert not FeedbackRequest.objects.exists()  # the web request only handed it to the worker
    worker_runs(customer_import)

    assert "10000 feedback requests created." in client.get(response["Location"]).content.decode()
    assert FeedbackRequest.objects.filter(business=business, status=Status.QUEUED).count() == 10_000
    assert Customer.objects.filter(business=business).count() == 10_000
    assert time.monotonic() - started < 120


def test_the_error_list_is_capped_but_the_counts_stay_exact(client):
    rows = [f"Bad {n},bad-{n}" for n in range(MAX_KEPT_ERRORS + 50)]
    upload(client, csv_bytes("name,email", *rows))
    customer_import = CustomerImport.objects.get()
    assert customer_import.invalid_row_count == MAX_KEPT_ERRORS + 50
    assert len(customer_import.errors) == MAX_KEPT_ERRORS
    html = client.get(preview_url(customer_import)).content.decode()
    assert f"Only the first {MAX_KEPT_ERRORS} errors are listed" in html
    assert "No row can be imported" in html


# --- files refused as a whole ------------------------------------------------------------------


def test_a_file_over_five_megabytes_is_refused(client):
    content = b"name,email\n" + b"Ana,ana@example.com\n" * (MAX_FILE_BYTES // 20 + 1)
    assert len(content) > MAX_FILE_BYTES
    response = upload(client, content)
    assert response.status_code == 200
    assert "the limit is 5 MB" in form_errors(response)
    assert not CustomerImport.objects.exists()


def test_a_png_renamed_csv_is_refused(client):
    response = upload(client, PNG, name="customers.csv")
    assert response.status_code == 200
    assert "This is not a CSV text file" in form_errors(response)
    assert "This is not a CSV text file" in response.content.decode()
    assert not CustomerImport.objects.exists()


def test_a_file_that_is_not_a_csv_by_name_is_refused(client):
    response = upload(client, csv_bytes("name,email", "Ana,ana@example.com"), name="customers.xlsx")
    assert "Choose a .csv file" in form_errors(response)


def test_a_file_not_in_utf8_is_refused(client):
    response = upload(client, "name,email\nJosé,jose@example.com\n".encode("latin-1"))
    assert "not UTF-8 text" in form_errors(response)
    assert not CustomerImport.objects.exists()


def test_utf8_with_a_byte_order_mark_is_read(client):
    upload(client, "name,email\nJosé,jose@example.com\n".encode("utf-8-sig"))
    assert CustomerImport.objects.get().rows[0]["name"] == "José"


def test_a_header_without_the_email_column_is_refused_naming_it(client):
    response = upload(client, csv_bytes("name,e-mail address", "Ana,ana@example.com"))
    assert response.status_code == 200
    assert "The header row has no “email” column" in form_errors(response)
    assert not CustomerImport.objects.exists()


def test_a_file_without_a_header_row_names_the_missing_columns(client):
    response = upload(client, csv_bytes("Ana,ana@example.com"))
    assert "no “name” and “email” column" in form_errors(response)


def test_unknown_columns_are_ignored_and_named_in_the_preview(client):
    upload(client, csv_bytes("Name;Email;Phone", "Ana;ana@example.com;+44 20"))  # a ";" spreadsheet
    customer_import = CustomerImport.objects.get()
    assert customer_import.rows[0]["email"] == "ana@example.com"
    assert "were ignored: Phone" in client.get(preview_url(customer_import)).content.decode()


def test_a_row_with_more_cells_than_the_header_is_an_error(client):
    upload(client, csv_bytes("name,email", "Ana,ana@example.com,surprise"))
    assert CustomerImport.objects.get().errors[0]["message"].startswith("This row has more cells")


# --- scoping -----------------------------------------------------------------------------------


def test_another_business_import_is_not_found(client, other_business):
    theirs = CustomerImport.objects.create(
        business=other_business,
        rows=[
            {
                "row": 2,
                "name": "Zed",
                "email": "zed@example.com",
                "external_id": "",
                "staff_id": None,
                "interaction_at": None,
                "reference": "",
            }
        ],
        row_count=1,
    )
    assert client.get(preview_url(theirs)).status_code == 404
    assert client.post(preview_url(theirs), {"confirm": "1"}).status_code == 404
    assert client.post(preview_url(theirs), {"cancel": "1"}).status_code == 404
    assert not FeedbackRequest.objects.exists()
    assert CustomerImport.objects.filter(pk=theirs.pk).exists()


def test_staff_of_another_business_is_not_accepted(client, other_business):
    StaffMemberFactory(business=other_business, email="theirs@shop.example")
    upload(client, csv_bytes("name,email,staff_email", "Ana,ana@example.com,theirs@shop.example"))
    assert CustomerImport.objects.get().errors[0]["column"] == "staff_email"


def test_an_owner_of_two_businesses_chooses_one_of_theirs(owner, business, other_business):
    second = MembershipFactory(user=owner).business
    client = logged_in(owner)
    page = client.get(UPLOAD_URL)
    choices = {str(choice) for choice in page.context["form"].fields["business"].queryset}
    assert choices == {business.name, second.name}

    refused = upload(client, csv_bytes("name,email", "Ana,ana@example.com"), business=other_business.pk)
    assert "business" in refused.context["form"].errors
    assert not CustomerImport.objects.exists()

    upload(client, csv_bytes("name,email", "Ana,ana@example.com"), business=second.pk)
    confirm(client, CustomerImport.objects.get())
    assert FeedbackRequest.objects.get().business == second


def test_a_user_who_runs_no_business_cannot_import(other_business):
    client = logged_in(UserFactory())
    assert client.get(UPLOAD_URL).status_code == 403


# --- formula injection -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Ana = friendly", "Ana = friendly"),
        ("", ""),
        (None, ""),
        (5, 5),
        (True, True),
    ],
)
def test_safe_cell_neutralises_formulas_only(value, expected):
    assert safe_cell(value) == expected


def test_a_formula_imported_is_stored_as_written_and_exported_harmless(client, business):
    formula = '=HYPERLINK("http://evil.example","Click")'
    content = io.StringIO()
    csv.writer(content).writerows([["name", "email"], [formula, "ana@example.com"]])
    upload(client, content.getvalue().encode())
    confirm(client, CustomerImport.objects.get())
    request = FeedbackRequest.objects.get()
    assert request.customer.name == formula  # the owner's data is not altered

    export = client.post(CHANGELIST_URL, {"action": "export_csv", ACTION_CHECKBOX_NAME: [request.pk]})
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert rows[1][0] == "'" + formula
