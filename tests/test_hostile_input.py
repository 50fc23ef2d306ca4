"""A hostile-input corpus through every API endpoint and the customer's form: no 5xx, and a
refused request stores nothing.

The corpus: huge strings (1 MB), NUL bytes, right-to-left overrides, mixed scripts, lone
surrogates, JSON nested 10,000 levels deep, a 10 MB body, the wrong content types and bytes
that are not UTF-8. Run it on PostgreSQL too (DATABASE_URL=postgres://...): PostgreSQL refuses
NUL bytes in text, where SQLite stores them.
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from businesses.models import Customer, StaffMember
from feedback.models import CustomerImport, Feedback, FeedbackRequest
from feedback.tasks import create_customer_import
from reviews.models import Case, CaseNote, Review
from tests.businesses.factories import StaffMemberFactory
from tests.feedback.factories import FeedbackRequestFactory, feedback_token
from tests.reviews.factories import CaseFactory, ReviewFactory

pytestmark = pytest.mark.django_db

HOSTILE_STRINGS = {
    "one megabyte": "a" * 1_000_000,
    "NUL byte": "before\x00after",
    "right-to-left override": "invoice\u202egnp.exe",
    "mixed scripts": "pаypal Ρaypal ペイパル",  # Cyrillic а, Greek Ρ
    "zero-width and controls": "a\u200b\u200d\ufeff\x07\x1b[31mb",
    "lone surrogate": "\ud800",
    "emoji and combining marks": "👍🏽 Z̷̛͉a̸l̶g̵o",
}
NESTED = ("[" * 10_000 + "]" * 10_000).encode()
TEN_MEGABYTES = json.dumps({"name": "x" * 10_000_000, "email": "big@example.com"}).encode()
RAW_BODIES = {
    "nested 10,000 levels": (NESTED, "application/json"),
    "ten megabytes": (TEN_MEGABYTES, "application/json"),
    "invalid UTF-8": (b'{"name": "\xff\xfe\xc3\x28", "email": "x@example.com"}', "application/json"),
    "truncated JSON": (b'{"name": ', "application/json"),
    "plain text": (b"name=Zed", "text/plain"),
    "form encoded": (b"name=Zed&email=zed%40example.com", "application/x-www-form-urlencoded"),
    "XML": (b"<staff><name>Zed</name></staff>", "application/xml"),
    "broken multipart": (b"--x\r\nContent-Disposition: form-data\r\n\r\n", "multipart/form-data; boundary=x"),
    "JSON null": (b"null", "application/json"),
    "JSON number": (b"42", "application/json"),
    "empty": (b"", "application/json"),
}


def stored() -> dict:
    """Every row an API call or the form could write."""
    models = (StaffMember, Customer, FeedbackRequest, Feedback, Review, Case, CaseNote)
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in models}


@pytest.fixture
def world(business):
    """One of each record, so that PATCH has something to aim at."""
    StaffMemberFactory(business=business, email="maya@example.com")
    return {"review": ReviewFactory(business=business), "case": CaseFactory(business=business)}


def body_targets(world) -> list[tuple[str, str, callable]]:
    """(method, path, body for one hostile string) of every endpoint that reads a body."""
    return [
        ("post", "/api/v1/staff/", lambda text: {"name": text, "email": "new@example.com"}),
        ("post", "/api/v1/staff/", lambda text: {"name": "Zed", "email": f"z{text}@example.com"}),
        (
            "post",
            "/api/v1/feedback-requests/",
            lambda text: {"customer": {"name": text, "email": "c@example.com", "external_id": text}, "reference": text},
        ),
        (
            "post",
            "/api/v1/feedback-requests/",
            lambda text: [{"customer": {"email": f"c{text}@example.com"}, "staff_email": f"m{text}@example.com"}],
        ),
        (
            "post",
            "/api/v1/feedback-requests/",
            lambda text: {"customer": {"email": "c@example.com"}, "staff_email": text},
        ),
        ("patch", f"/api/v1/reviews/{world['review'].pk}/", lambda text: {"reply": text}),
        ("patch", f"/api/v1/cases/{world['case'].pk}/", lambda text: {"note": text, "resolution": text}),
    ]


QUERY_PATHS = [
    "/api/v1/business/",
    "/api/v1/staff/",
    "/api/v1/feedback-requests/",
    "/api/v1/reviews/",
    "/api/v1/cases/",
    "/api/v1/metrics/",
    "/api/v1/public/{slug}/reviews/",
    "/api/v1/public/{slug}/summary/",
]
QUERY_PARAMETERS = ["page", "page_size", "status", "reference", "email", "internal", "created_after", "active", "since"]


def as_bytes(text: str) -> bytes:
    """The bytes a client would send: a lone surrogate becomes the invalid UTF-8 a careless encoder writes."""
    return text.encode("utf-8", "surrogatepass")


def assert_no_server_error_and_nothing_stored_if_refused(response, before: dict) -> None:
    assert response.status_code < 500, response.content[:500]
    if response.status_code >= 400:
        assert stored() == before, "a refused request changed the database"


@pytest.mark.parametrize("label", list(HOSTILE_STRINGS))
def test_hostile_strings_in_every_api_body(api_client, world, label):
    for method, path, body in body_targets(world):
        before = stored()
        payload = json.dumps(body(HOSTILE_STRINGS[label])).encode()

        response = api_client.generic(method.upper(), path, payload, content_type="application/json")

        assert_no_server_error_and_nothing_stored_if_refused(response, before)
        if label in {"NUL byte", "lone surrogate", "one megabyte"}:
            assert response.status_code in (400, 413), (path, response.content[:300])


@pytest.mark.parametrize("label", list(RAW_BODIES))
def test_hostile_bodies_on_every_api_endpoint_that_reads_one(api_client, world, label):
    raw, content_type = RAW_BODIES[label]
    for method, path, _ in body_targets(world):
        before = stored()

        response = api_client.generic(method.upper(), path, raw, content_type=content_type)

        assert_no_server_error_and_nothing_stored_if_refused(response, before)
        if (label, method) != ("empty", "patch"):  # an empty PATCH changes nothing, and may say so with 200
            assert 400 <= response.status_code < 500, (label, path, response.status_code)
        else:
            assert stored() == before


@pytest.mark.parametrize("label", list(HOSTILE_STRINGS))
def test_hostile_strings_in_every_query_parameter(api_client, business, world, label):
    text = (
        HOSTILE_STRINGS[label] if label != "one megabyte" else "a" * 4000
    )  # longer is refused by the server's URL limit
    for path in QUERY_PATHS:
        before = stored()

        query = urlencode(dict.fromkeys(QUERY_PARAMETERS, as_bytes(text)))

        response = api_client.get(f"{path.format(slug=business.slug)}?{query}")

        assert_no_server_error_and_nothing_stored_if_refused(response, before)


@pytest.mark.parametrize("label", list(HOSTILE_STRINGS))
def test_hostile_strings_in_a_url_path(api_client, label):
    text = HOSTILE_STRINGS[label][:2000]
    for path in ("/api/v1/public/{}/summary/", "/api/v1/reviews/{}/", "/f/{}/", "/u/{}/"):
        response = api_client.get(path.format(quote(as_bytes(text), safe="")))

        assert response.status_code < 500


@pytest.mark.parametrize("label", list(HOSTILE_STRINGS))
def test_hostile_strings_in_the_customer_form(business, label):
    request = FeedbackRequestFactory(business=business)
    text = HOSTILE_STRINGS[label]
    fields = {"rating": "4", "comment": text, "improvement": text, "display_name_choice": text, "staff": text}
    body = urlencode({name: as_bytes(value) for name, value in fields.items()})
    before = stored()

    response = Client().post(f"/f/{feedback_token(request)}/", body, content_type="application/x-www-form-urlencoded")

    assert_no_server_error_and_nothing_stored_if_refused(response, before)
    assert response.status_code == 400


@pytest.mark.parametrize("label", list(RAW_BODIES))
def test_hostile_bodies_in_the_customer_form(business, label):
    request = FeedbackRequestFactory(business=business)
    raw, content_type = RAW_BODIES[label]
    before = stored()

    response = Client().generic("POST", f"/f/{feedback_token(request)}/", raw, content_type=content_type)

    assert_no_server_error_and_nothing_stored_if_refused(response, before)
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize("label", list(HOSTILE_STRINGS))
def test_a_hostile_comment_in_an_otherwise_valid_answer_is_stored_as_sent_or_refused(business, label):
    request = FeedbackRequestFactory(business=business)
    text = HOSTILE_STRINGS[label]
    body = urlencode({"rating": "4", "display_name_choice": "anonymous", "comment": as_bytes(text)})
    before = stored()

    response = Client().post(f"/f/{feedback_token(request)}/", body, content_type="application/x-www-form-urlencoded")

    assert_no_server_error_and_nothing_stored_if_refused(response, before)
    if label in {"NUL byte", "one megabyte"}:
        assert response.status_code == 400
    elif label == "lone surrogate":
        # A form body is decoded leniently: bytes that are not UTF-8 become U+FFFD, never a crash.
        assert response.status_code == 302
        assert "\ufffd" in Feedback.objects.get(request=request).comment
    else:
        assert response.status_code == 302
        assert Feedback.objects.get(request=request).comment == text


CSV_FIELDS = {label: text for label, text in HOSTILE_STRINGS.items() if label != "one megabyte"}


@pytest.mark.parametrize("label", list(CSV_FIELDS))
def test_hostile_strings_in_an_admin_csv_upload_and_its_confirmation(owner, business, label):
    client = Client()
    client.force_login(owner)
    text = as_bytes(CSV_FIELDS[label]).replace(b",", b" ").replace(b'"', b" ")
    content = b"email,name,external_id,reference\nana@example.com," + b",".join([text] * 3) + b"\n"
    upload = SimpleUploadedFile("customers.csv", content, "text/csv")

    uploaded = client.post(reverse("admin:feedback_feedbackrequest_import"), {"file": upload})

    assert uploaded.status_code < 500
    customer_import = CustomerImport.objects.first()
    if customer_import is None:  # refused whole, with a message
        assert not FeedbackRequest.objects.exists()
        return
    preview = reverse("admin:feedback_feedbackrequest_import_preview", args=[customer_import.pk])
    assert client.get(preview).status_code == 200
    confirmed = client.post(preview, {"confirm": "1"})
    assert confirmed.status_code < 500
    create_customer_import(customer_import.pk)  # the worker creates the rows: no crash there either
    if customer_import.invalid_row_count:
        assert not FeedbackRequest.objects.exists()
    if label == "NUL byte":  # PostgreSQL cannot store it: the row must be refused in the preview
        assert customer_import.invalid_row_count == 1, customer_import.errors


HOSTILE_HEADERS = {
    "Authorization": [
        "Api-Key " + "a" * 100_000,
        "Api-Key abc\x00.def",
        "Api-Key ÿþ.\x7f",
        "Api-Key",
        "Api-Key a.b.c",
        "Bearer x",
        "Api-Key \u202eyek",
    ],
    "Accept": ["application/xml", "*/*;q=abc", "\x00", "text/html"],
    "Content-Type": ["application/json; charset=latin-9000", "application/json; boundary=\x00"],
}


@pytest.mark.parametrize(
    "header, value", [(name, value) for name, values in HOSTILE_HEADERS.items() for value in values]
)
def test_hostile_headers_on_the_api(business, header, value):
    client = Client()
    meta = {f"HTTP_{header.upper()}" if header != "Content-Type" else "CONTENT_TYPE": value}
    before = stored()

    read = client.get("/api/v1/business/", **meta)
    body = b'{"name": "Zed", "email": "zed@example.com"}'
    written = client.generic("POST", "/api/v1/staff/", body, **{"content_type": "application/json", **meta})

    assert read.status_code < 500
    assert written.status_code < 500
    assert stored() == before  # no valid key was ever sent


@pytest.mark.parametrize("label", list(HOSTILE_STRINGS))
def test_hostile_strings_in_the_dashboard_period(owner, label):
    client = Client()
    client.force_login(owner)
    query = urlencode(dict.fromkeys(["business", "since", "until"], as_bytes(HOSTILE_STRINGS[label][:4000])))

    for path in ("/admin/dashboard/", "/admin/dashboard/feedback.csv"):
        assert client.get(f"{path}?{query}").status_code < 500
