"""What the feedback services refuse or note, in the owner's language in the admin.

The CSV import's file errors and row errors, and the notes Raves writes into a request's history,
read in German by a German owner and in English by an English one. A row error is kept with its
problem and values, so the preview speaks the language of whoever reads it; a history note is
stored in English (the API shows it as stored) and translated when the admin shows it.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from feedback.models import CustomerImport, FeedbackRequest
from feedback.services.csv_import import MAX_ROWS, row_error_shown
from feedback.services.open_links import open_feedback_link, open_feedback_submit
from feedback.services.responses import Answer
from tests.businesses.factories import StaffMemberFactory
from tests.feedback.factories import FeedbackRequestFactory
from tests.feedback.test_csv_import import PNG, csv_bytes, form_errors, preview_url, upload

pytestmark = pytest.mark.django_db

# One row per problem a row can have, each with the message an owner reads in German and in English.
BAD_ROWS = [
    ("not-an-email,Bad Email,,,,,", "email", "„not-an-email“ ist keine gültige E-Mail-Adresse."),
    (",No Email,,,,,", "email", "Die E-Mail-Adresse fehlt."),
    ("ben@example.com,Ben,nobody@shop.example,,,,", "staff_email", "Kein Teammitglied von Bäckerei Sonne hat"),
    ("cy@example.com,Cy,gone@shop.example,,,,", "staff_email", "„gone@shop.example“ ist nicht mehr aktiv."),
    ("dee@example.com,Dee,,2999-01-01,,,", "interaction_at", "2999-01-01 liegt in der Zukunft"),
    ("eve@example.com,Eve,,31/03/2025,,,", "interaction_at", "„31/03/2025“ ist kein Datum"),
    (f"fay@example.com,Fay,,,{'r' * 101},,", "reference", "Zu lang: 101 Zeichen, erlaubt sind höchstens 100."),
    ("gus@example.com,Gus,,,,vielleicht,", "internal", "„vielleicht“ ist weder yes noch no"),
    ("hal@example.com,Hal,,,,no,Küche", "team", "Ein Team gibt es nur bei internen Anfragen: Schreiben Sie yes"),
    ("ida@example.com,Ida,,,,,,surprise", "", "Diese Zeile hat mehr Zellen, als die Kopfzeile Spalten hat."),
]
ENGLISH = [
    "is not a valid email address",
    "The email is missing.",
    "No staff member of Bäckerei Sonne has",
    "is no longer active",
    "is in the future",
    "is not a date",
    "Too long: 101 characters, the limit is 100.",
    "is neither yes nor no",
    "A team is only for internal requests",
    "This row has more cells than the header row has columns.",
]
HEADER = "email,name,staff_email,interaction_at,reference,internal,team"


def owner_client_in(owner, language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(owner)
    return client


@pytest.fixture
def bakery(business):
    business.name = "Bäckerei Sonne"
    business.save()
    StaffMemberFactory(business=business, email="gone@shop.example", active=False)
    return business


def row_errors_shown(page: str) -> list[str]:
    return re.findall(r'<tr class="row-error"><td>\d+</td><td>[^<]*</td><td>([^<]*)</td></tr>', page)


def preview_of_bad_rows(client: Client) -> tuple[CustomerImport, str]:
    content = csv_bytes(HEADER, "ok@example.com,Ok,,,,,", *(row for row, _, _ in BAD_ROWS))
    response = upload(client, content)
    assert response.status_code == 302
    customer_import = CustomerImport.objects.get()
    page = client.get(response["Location"])
    assert page.status_code == 200
    return customer_import, page.content.decode()


# --- the CSV import ----------------------------------------------------------------------------------


def test_a_german_owner_reads_every_row_error_in_german(owner, bakery):
    customer_import, page = preview_of_bad_rows(owner_client_in(owner, "de"))
    shown = row_errors_shown(page)
    assert len(shown) == len(BAD_ROWS)
    for (_, column, german), message in zip(BAD_ROWS, shown, strict=True):
        assert german in message, column
    for english in ENGLISH:
        assert english not in page
    # Kept as written then, in English; the preview translates when it shows them.
    assert [error["column"] for error in customer_import.errors] == [column for _, column, _ in BAD_ROWS]
    assert customer_import.errors[0]["message"] == "“not-an-email” is not a valid email address."


def test_an_english_owner_reads_them_in_english_and_a_switch_changes_the_same_preview(owner, bakery):
    client = owner_client_in(owner, "en")
    customer_import, page = preview_of_bad_rows(client)
    shown = " ".join(row_errors_shown(page))
    for english in ENGLISH:
        assert english in shown, english
    assert "Zu lang" not in page and "Die E-Mail-Adresse fehlt." not in page

    client.post("/i18n/setlang/", {"language": "de", "next": "/admin/"})
    german = client.get(preview_url(customer_import)).content.decode()
    assert "Zu lang: 101 Zeichen, erlaubt sind höchstens 100." in german
    assert "Too long" not in german


def test_a_cell_value_in_an_error_is_escaped_and_never_read_as_a_placeholder(owner, bakery):
    client = owner_client_in(owner, "de")
    upload(client, csv_bytes(HEADER, "<b>%(email)s</b>,Mallory,,,,,"))
    page = client.get(preview_url(CustomerImport.objects.get())).content.decode()
    assert "&lt;b&gt;%(email)s&lt;/b&gt;" in page and "<b>%(email)s</b>" not in page
    assert "ist keine gültige E-Mail-Adresse." in page


@pytest.mark.parametrize(
    "kept",
    [
        {"row": 2, "column": "email", "message": "The email is missing."},  # kept before problems had keys
        {"row": 2, "column": "email", "message": "As written.", "problem": "no-such-problem", "params": {}},
        {"row": 2, "column": "reference", "message": "As written.", "problem": "too_long", "params": {"x": 1}},
        {"row": 2, "column": "email", "message": "As written.", "problem": "email_invalid", "params": None},
    ],
)
def test_a_kept_error_that_cannot_be_translated_is_shown_as_written(kept):
    assert row_error_shown(kept) == kept["message"]


GERMAN_FILE_ERRORS = [
    ("customers.xlsx", csv_bytes("name,email", "Ana,ana@example.com"), "Wählen Sie eine .csv-Datei"),
    ("customers.csv", PNG, "Dies ist keine CSV-Textdatei (sie enthält Binärdaten)."),
    ("customers.csv", "name,email\nJosé,j@example.com\n".encode("latin-1"), "Diese Datei ist kein UTF-8-Text."),
    ("customers.csv", b"\n\n", "Diese Datei ist leer. Die erste Zeile muss die Spalten nennen: name, email,"),
    ("customers.csv", csv_bytes("name,email"), "Diese Datei hat eine Kopfzeile, aber keine Kunden."),
    ("customers.csv", csv_bytes("name,e-mail", "Ana,a@example.com"), "Die Kopfzeile hat keine Spalte „email“."),
    ("customers.csv", csv_bytes("Ana,a@example.com"), "Die Kopfzeile hat keine Spalten „name“ und „email“."),
    ("customers.csv", csv_bytes("email,email,name", "a@b.c,a@b.c,A"), "nennt die Spalte „email“ zweimal"),
    # A cell over the csv module's field limit (128 KiB).
    (
        "customers.csv",
        b'name,email\n"' + b"x" * 140_000 + b'",a@example.com\n',
        "Zeile 2 lässt sich nicht als CSV lesen",
    ),
    (
        "customers.csv",
        csv_bytes("name,email", *(f"C{n},c{n}@example.com" for n in range(MAX_ROWS + 1))),
        "Diese Datei hat mehr als 10.000 Zeilen.",  # German digit grouping
    ),
]


@pytest.mark.parametrize(("name", "content", "german"), GERMAN_FILE_ERRORS)
def test_a_refused_file_is_explained_in_german(owner, business, name, content, german):
    response = upload(owner_client_in(owner, "de"), content, name=name)
    assert response.status_code == 200
    assert german in form_errors(response)
    assert not CustomerImport.objects.exists()


def test_a_refused_file_stays_english_for_an_english_owner(owner, business):
    response = upload(owner_client_in(owner, "en"), csv_bytes("Ana,a@example.com"))
    assert form_errors(response) == (
        "The header row has no “name” and “email” column. The first row must name the columns (in any order): "
        "name, email, external_id, staff_email, interaction_at, reference, internal, team, language; "
        "only name and email are required."
    )


# --- the notes in a request's history ------------------------------------------------------------


def history_notes(page: str) -> list[str]:
    return re.findall(r'<td class="field-note_shown">\s*<p>([^<]*)</p>', page)


def test_history_notes_raves_wrote_are_german_in_the_admin_and_english_in_the_api(owner, business, api_client):
    feedback = open_feedback_submit(link=open_feedback_link(business=business), answer=Answer(rating=5))
    failed = FeedbackRequestFactory(business=business, status=FeedbackRequest.Status.FAILED)
    german = owner_client_in(owner, "de")
    german.post(
        reverse("admin:feedback_feedbackrequest_changelist"), {"action": "send_again", "_selected_action": [failed.pk]}
    )
    change = "admin:feedback_feedbackrequest_change"
    assert "Über einen offenen Feedback-Link" in history_notes(
        german.get(reverse(change, args=[feedback.request_id])).content.decode()
    )
    assert "Nach dem Fehlschlag erneut aus dem Admin-Bereich gesendet." in history_notes(
        german.get(reverse(change, args=[failed.pk])).content.decode()
    )
    english = owner_client_in(owner, "en").get(reverse(change, args=[failed.pk])).content.decode()
    assert "Sent again from the admin after failing." in history_notes(english)
    # Stored, and shown by the API, as written: in English.
    assert failed.events.filter(note="Sent again from the admin after failing.").exists()
    assert feedback.request.events.filter(note="Open link").exists()
    shown = api_client.get(f"/api/v1/feedback-requests/{failed.pk}/", HTTP_ACCEPT_LANGUAGE="de")
    assert shown.status_code == 200
    assert "Sent again from the admin after failing." in [step["note"] for step in shown.json()["history"]]


def test_a_note_from_outside_the_fixed_set_is_shown_as_written(owner, business):
    request = FeedbackRequestFactory(business=business, status=FeedbackRequest.Status.FAILED)
    request.events.create(status=FeedbackRequest.Status.FAILED, note="550 5.1.1 <anna@example.de>: Open link")
    page = owner_client_in(owner, "de").get(reverse("admin:feedback_feedbackrequest_change", args=[request.pk]))
    assert "550 5.1.1 &lt;anna@example.de&gt;: Open link" in history_notes(page.content.decode())
