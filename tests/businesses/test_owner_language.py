"""The owner reads the admin and the dashboard in their language: their choice (the switch in the
header, a cookie), else their browser's; English otherwise. Only there: customer pages keep their
own rules and the API its English."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from businesses.models import Membership
from feedback.models import FeedbackRequest
from feedback.services.open_links import open_feedback_link
from reviews.models import Case
from tests.businesses.factories import MembershipFactory, StaffMemberFactory
from tests.feedback.factories import FeedbackFactory, FeedbackRequestFactory, feedback_token
from tests.reviews.factories import ReviewFactory, answer
from tests.reviews.test_admin_cases import open_case

pytestmark = pytest.mark.django_db
CATALOGUE = Path(settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES" / "django.po"
SWITCH = "/i18n/setlang/"
COOKIE = settings.LANGUAGE_COOKIE_NAME


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page).group(1)


def german_owner_client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(owner) -> Client:
    return german_owner_client(owner)


# --- the owner's language --------------------------------------------------------------------------


def test_the_admin_index_follows_a_german_browser(owner_client):
    response = owner_client.get(reverse("admin:index"))
    page = response.content.decode()
    assert response.status_code == 200
    assert html_lang(page) == "de"
    assert response["Content-Language"] == "de"
    assert {"Accept-Language", "Cookie"} <= {part.strip() for part in response["Vary"].split(",")}
    assert "Ihr Unternehmen" in page  # the index title
    assert "Website anzeigen" in page  # Django's own admin translations
    assert "Übersicht" in page and "Besprechungsblatt: die letzte Woche auf einer druckbaren Seite" in page
    assert "Feedback-Anfragen" in page and "Bewertungen" in page and "Fälle" in page  # the models' names


def test_a_changelist_shows_raves_actions_filters_and_columns_in_german(owner_client, business):
    FeedbackRequestFactory(business=business, status=FeedbackRequest.Status.FAILED)
    page = owner_client.get(reverse("admin:feedback_feedbackrequest_changelist")).content.decode()
    assert html_lang(page) == "de"
    assert "Erneut senden (fehlgeschlagene)" in page and "Ausgewählte als CSV exportieren" in page
    assert "Kunden aus CSV importieren" in page
    assert "E-Mail des Kunden" in page and "Fehlgeschlagen" in page  # a column, a status
    assert "Send again" not in page and "Export selected" not in page


def test_a_change_form_shows_labels_fieldsets_and_help_in_german(owner_client, business):
    page = owner_client.get(reverse("admin:businesses_business_change", args=[business.pk])).content.decode()
    assert "Kunden fragen" in page  # a fieldset
    assert "Ruhezeit (Tage)" in page  # a label Django derived from the field's name
    assert "Eine Erinnerung senden, wenn nach so vielen Tagen keine Antwort da ist." in page  # help
    assert "Montag" in page  # a choice
    assert "Sichern" in page  # Django's own button
    assert "Asking customers" not in page and "Quiet period days" not in page


def test_a_form_error_is_german_too(owner_client, business):
    response = owner_client.post(
        reverse("admin:feedback_feedbackrequest_add"),
        {"business": business.pk, "customer_email": "anna@example.de", "team": "Finanzen"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Ein Team gibt es nur bei internen Anfragen" in page
    assert "Feedback-Anfrage hinzufügen" in page


def test_the_switch_sets_the_language_and_it_holds_on_the_next_page(owner):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)
    page = client.get(reverse("admin:index")).content.decode()
    assert html_lang(page) == "en" and "Your business" in page
    assert f'action="{SWITCH}"' in page and 'name="next" value="/admin/"' in page and "csrfmiddlewaretoken" in page

    switched = client.post(SWITCH, {"language": "de", "next": "/admin/reviews/review/?status=all"})
    assert switched.status_code == 302 and switched["Location"] == "/admin/reviews/review/?status=all"
    assert client.cookies[COOKIE].value == "de"
    # Like the session's: no script reads it, never sent cross-site, HTTPS only where the session is.
    assert client.cookies[COOKIE]["httponly"] and client.cookies[COOKIE]["samesite"] == "Lax"
    assert bool(client.cookies[COOKIE]["secure"]) == settings.SESSION_COOKIE_SECURE
    for path in ("/admin/reviews/review/?status=all", reverse("admin:index"), "/admin/dashboard/"):
        assert html_lang(client.get(path).content.decode()) == "de"  # the choice wins over the browser

    client.post(SWITCH, {"language": "en", "next": "/admin/"})
    assert html_lang(client.get(reverse("admin:index")).content.decode()) == "en"


def test_the_switch_needs_the_page_s_csrf_token(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(SWITCH, {"language": "de", "next": "/admin/"}).status_code == 403
    assert COOKIE not in client.cookies


def test_the_login_page_is_german_and_offers_the_switch():
    page = Client(HTTP_ACCEPT_LANGUAGE="de").get(reverse("admin:login")).content.decode()
    assert html_lang(page) == "de"
    assert "Passwort" in page and "Anmelden" in page
    assert 'class="language-switch"' in page and 'value="en" lang="en">English</button>' in page
    assert '<span class="current" lang="de" aria-current="true">Deutsch</span>' in page


def test_english_stays_english(owner, business):
    ReviewFactory(business=business)
    for accept in ("en-GB,en;q=0.9", "fr-FR,fr;q=0.9", ""):  # French is not offered: English
        client = Client(HTTP_ACCEPT_LANGUAGE=accept)
        client.force_login(owner)
        response = client.get(reverse("admin:reviews_review_changelist"))
        page = response.content.decode()
        assert html_lang(page) == "en" and response["Content-Language"] == "en"
        assert "Publish selected reviews" in page and "Awaiting moderation" in page


@pytest.mark.parametrize("cookie", ["fr", "xx", "de-AT' OR 1=1", "a" * 300])
def test_a_cookie_naming_no_offered_language_falls_back_to_the_browser(owner, cookie):
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    client.force_login(owner)
    client.cookies[COOKIE] = cookie
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200 and html_lang(response.content.decode()) == "de"


@pytest.mark.parametrize(
    "data",
    [
        {"language": "xx", "next": "/admin/"},
        {"language": "de" * 500, "next": "/admin/"},
        {"language": "de", "next": "https://evil.example/phish"},
        {"language": "de", "next": "//evil.example/"},
        {"language": ["de", "en"], "next": "javascript:alert(1)"},
        {},
    ],
)
def test_hostile_switches_never_redirect_away_nor_fail(owner, data):
    client = Client()
    client.force_login(owner)
    response = client.post(SWITCH, data)
    assert response.status_code in (204, 302)
    location = response.get("Location", "/")
    assert location.startswith("/") and not location.startswith("//")
    assert client.cookies.get(COOKIE) is None or client.cookies[COOKIE].value in ("de", "en")


def test_a_script_switching_in_a_loop_is_told_to_wait(client):
    answers = [client.post(SWITCH, {"language": "de", "next": "/admin/"}).status_code for _ in range(31)]
    assert answers[:30] == [302] * 30
    assert answers[30] == 429
    refused = client.post(SWITCH, {"language": "de", "next": "/admin/"}, HTTP_ACCEPT_LANGUAGE="de")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Zu viele Sprachwechsel" in refused.content.decode()


# --- every other page keeps its own rules ----------------------------------------------------------


def test_an_admin_cookie_leaves_the_customer_form_and_the_showcase_alone(owner, business):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)
    client.post(SWITCH, {"language": "de", "next": "/admin/"})
    assert client.cookies[COOKIE].value == "de"
    assert html_lang(client.get(reverse("admin:index")).content.decode()) == "de"

    request = FeedbackRequestFactory(business=business)  # an English customer
    form = client.get(f"/f/{feedback_token(request)}/")
    assert form.status_code == 200 and html_lang(form.content.decode()) == "en"
    assert form["Content-Language"] == "en"
    showcase = client.get(reverse("showcase:page", args=[business.slug]))
    assert showcase.status_code == 200 and html_lang(showcase.content.decode()) == "en"
    assert "Customer reviews" in showcase.content.decode() or "reviews" in showcase.content.decode().lower()
    link = open_feedback_link(business=business)
    assert html_lang(client.get(f"/o/{link.key}/").content.decode()) == "en"


def test_the_language_of_an_admin_page_does_not_leak_into_the_next_request(owner, business):
    owner_client = german_owner_client(owner)
    assert html_lang(owner_client.get(reverse("admin:index")).content.decode()) == "de"
    assert translation.get_language() == settings.LANGUAGE_CODE
    request = FeedbackRequestFactory(business=business)
    page = Client().get(f"/f/{feedback_token(request)}/").content.decode()  # same thread, next request
    assert html_lang(page) == "en"


@pytest.mark.parametrize("accept", ["de", "en"])
def test_the_api_answers_as_before_whatever_the_admin_language(api_client, business, accept):
    FeedbackRequestFactory(business=business, status=FeedbackRequest.Status.SUPPRESSED)

    def answers() -> list[tuple[int, object]]:
        listed = api_client.get("/api/v1/feedback-requests/", HTTP_ACCEPT_LANGUAGE=accept)
        refused = api_client.post(
            "/api/v1/feedback-requests/", {"email": "not-an-email"}, format="json", HTTP_ACCEPT_LANGUAGE=accept
        )
        assert "Content-Language" not in listed and "Content-Language" not in refused
        return [(listed.status_code, listed.json()), (refused.status_code, refused.json())]

    before = answers()
    api_client.cookies[COOKIE] = "de"  # the owner's admin choice, sent along by the same browser
    assert answers() == before
    assert [status for status, _ in before] == [200, 400]


def test_a_suppressed_request_s_history_keeps_its_reason_in_english_for_the_api(owner, business):
    from feedback.services.requests import RequestInput, feedback_request_create

    business.customers.create(email="gone@example.de", opted_out_at=timezone.now())
    with translation.override("de"):  # created from a German owner's screen
        created = feedback_request_create(business=business, item=RequestInput(email="gone@example.de"))
    assert created.status == FeedbackRequest.Status.SUPPRESSED
    assert created.events.get().note == "The customer opted out"
    page = german_owner_client(owner).get(reverse("admin:feedback_feedbackrequest_change", args=[created.pk]))
    assert "Der Kunde hat sich abgemeldet" in page.content.decode()  # shown in the owner's language


# --- nothing English left --------------------------------------------------------------------------

# The files of the admin and the dashboard: their catalogue entries are what an owner reads there.
OWNER_FILES = re.compile(
    r"^(businesses|feedback|outbox|reviews)/(admin\w*|models|apps|auth)\.py$"
    r"|^insights/(dashboard\w*|charts)\.py$|^config/urls\.py$|^core/language\.py$"
    r"|^templates/admin/|^templates/insights/(dashboard|meeting_sheet_admin)\.html$"
    # What the services refuse or note there (a refused publish, a CSV row's error, a history note).
    r"|^reviews/services/(moderation|cases|conversation|congratulations|staff_cases)\.py$"
    r"|^feedback/services/(csv_import|history_notes)\.py$"
)


def german_owner_renderings(owner, business) -> list[str]:
    """The admin pages an owner works in, and the dashboard, as a German owner sees them."""
    business.default_language = "de"  # the flyers speak to the business's customers
    business.save()
    staff = StaffMemberFactory(business=business, name="Maya Lindqvist")
    review = ReviewFactory(
        business=business,
        feedback__staff=staff,
        feedback__display_name="Ana S.",
        feedback__comment="Sehr freundlich.",
        flags=["link", "short"],
    )
    case = open_case(business, comment="Die Suppe war kalt.", name="Jonas Weber")
    FeedbackFactory(request__business=business, request__sent_at=timezone.now(), rating=5, improvement="Mehr Brot")
    failed = FeedbackRequestFactory(business=business, status=FeedbackRequest.Status.FAILED)
    link = open_feedback_link(business=business, staff=staff)
    client = german_owner_client(owner)
    gets = [
        reverse("admin:index"),
        reverse("admin:businesses_business_change", args=[business.pk]),
        reverse("admin:businesses_staffmember_changelist"),
        reverse("admin:businesses_staffmember_change", args=[staff.pk]),
        reverse("admin:businesses_customer_changelist"),
        reverse("admin:feedback_feedbackrequest_changelist"),
        reverse("admin:feedback_feedbackrequest_add"),
        reverse("admin:feedback_feedbackrequest_change", args=[failed.pk]),
        reverse("admin:feedback_feedbackrequest_import"),
        reverse("admin:feedback_feedback_changelist"),
        reverse("admin:feedback_idea_changelist"),
        reverse("admin:feedback_openfeedbacklink_changelist"),
        reverse("admin:feedback_openfeedbacklink_change", args=[link.pk]),
        reverse("admin:feedback_openfeedbacklink_table_card", args=[link.pk]),
        reverse("admin:feedback_openfeedbacklink_replace", args=[link.pk]),
        reverse("admin:outbox_outboxemail_changelist"),
        reverse("admin:outbox_webhookdelivery_changelist"),
        reverse("admin:reviews_review_changelist"),
        reverse("admin:reviews_review_changelist") + "?status=all",
        reverse("admin:reviews_review_change", args=[review.pk]),
        reverse("admin:reviews_case_changelist"),
        reverse("admin:reviews_case_change", args=[case.pk]),
        "/admin/dashboard/",
        "/admin/dashboard/?since=1899-12-31",
        reverse("meeting-sheet"),
    ]
    rendered = []
    for path in gets:
        response = client.get(path)
        assert response.status_code in (200, 400), path
        rendered.append(response.content.decode())
    rendered.append(
        client.post(
            reverse("admin:reviews_review_changelist"), {"action": "reject_selected", "_selected_action": [review.pk]}
        ).content.decode()
    )
    rendered.append(
        client.post(
            reverse("admin:businesses_customer_changelist"),
            {"action": "erase_selected", "_selected_action": [case.feedback.customer_id]},
        ).content.decode()
    )
    rendered.append(
        client.post(
            reverse("admin:reviews_case_change", args=[case.pk]), {"status": Case.Status.RESOLVED}, follow=True
        ).content.decode()
    )
    rendered += service_refusals(client, business)
    rendered.append(client.get(reverse("admin:login")).content.decode())
    return rendered


def service_refusals(client: Client, business) -> list[str]:
    """What the services refuse or note, as the admin shows it: a refused publish, a refused CSV file,
    a CSV preview's row errors, a request sent again."""
    withdrawn = answer(business=business)
    answer(business=business, request=withdrawn.request, consent=False)
    failed = FeedbackRequestFactory(business=business, status=FeedbackRequest.Status.FAILED)
    changelist = reverse("admin:feedback_feedbackrequest_changelist")
    client.post(changelist, {"action": "send_again", "_selected_action": [failed.pk]})
    upload = reverse("admin:feedback_feedbackrequest_import")
    rows = "email,name,staff_email,interaction_at,internal,team\nnot-an-email,A,x@y.z,31/03/2025,maybe,\n,B,,,no,T\n"
    preview = client.post(upload, {"file": SimpleUploadedFile("c.csv", rows.encode()), "business": business.pk})
    return [
        client.post(
            reverse("admin:reviews_review_changelist") + "?status=all",
            {"action": "publish_selected", "_selected_action": [withdrawn.review.pk]},
            follow=True,
        ).content.decode(),
        client.post(
            upload, {"file": SimpleUploadedFile("c.csv", b"Ana,a@b.c\n"), "business": business.pk}
        ).content.decode(),
        client.get(preview["Location"]).content.decode(),
        client.get(reverse("admin:feedback_feedbackrequest_change", args=[failed.pk])).content.decode(),
    ]


def english_fragments(msgid: str) -> list[str]:
    """The literal English pieces of a catalogue entry: between its placeholders and HTML tags."""
    pieces = re.split(r"%\(\w+\)[sd]|\{\w+\}|<[^>]+>", msgid)
    return [piece.strip() for piece in pieces if len(piece.strip()) > 12]


def test_a_german_owner_meets_no_english_sentence_from_the_catalogue(owner, business):
    rendered = "\n".join(german_owner_renderings(owner, business))
    catalogue = polib.pofile(str(CATALOGUE))
    owner_entries = [entry for entry in catalogue if any(OWNER_FILES.search(path) for path, _ in entry.occurrences)]
    assert len(owner_entries) > 400
    left = sorted(
        {
            fragment
            for entry in owner_entries
            for msgid in filter(None, (entry.msgid, entry.msgid_plural))
            for fragment in english_fragments(msgid.replace("%%", "%"))
            if fragment in rendered
        }
    )
    assert left == []
    # The renderings really are the German ones.
    for german in (
        "Ihr Unternehmen",
        "Kunden fragen",
        "Offene Feedback-Links: QR-Codes für Laufkundschaft und Telefonkunden",
        "Sagen Sie uns, wie Maya es gemacht hat",
        "Die Worte des Kunden (wie geschrieben; nie bearbeitet)",
        "Grund laut Inhaltsregeln",
        "Schreiben Sie, wie die Beschwerde gelöst wurde, bevor Sie den Fall lösen.",
        "Kennzahlen",
        "Wählen Sie ein Datum zwischen",
        "Besprechungsblatt",
        "Diese Kunden, jede an sie gesendete Feedback-Anfrage",
        "Der Kunde hat seine Einwilligung zurückgezogen; diese Bewertung kann nicht veröffentlicht werden.",
        "Die Kopfzeile hat keine Spalten „name“ und „email“.",
        "„not-an-email“ ist keine gültige E-Mail-Adresse.",
        "„maybe“ ist weder yes noch no",
        "Die E-Mail-Adresse fehlt.",
        "Nach dem Fehlschlag erneut aus dem Admin-Bereich gesendet.",
    ):
        assert german in rendered, german


def test_the_owner_catalogue_check_would_catch_an_english_sentence(owner, business):
    """The check above is not vacuous: an English owner sees the very fragments it looks for."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)
    page = client.get(reverse("admin:businesses_business_change", args=[business.pk])).content.decode()
    catalogue = polib.pofile(str(CATALOGUE))
    found = {
        fragment
        for entry in catalogue
        if any(OWNER_FILES.search(path) for path, _ in entry.occurrences)
        for fragment in english_fragments(entry.msgid)
        if fragment in page
    }
    assert "Send one reminder after this many days without an answer." in found


def test_a_manager_reads_the_admin_in_their_own_language_too(business):
    manager = MembershipFactory(business=business, role=Membership.Role.MANAGER).user
    page = german_owner_client(manager).get(reverse("admin:reviews_case_changelist")).content.decode()
    assert html_lang(page) == "de" and "Fälle" in page
