"""Customers are asked in their language: the invitation, the form, the pages and the emails after it.

English and German ship; a request names its language (else the business's default), an open link
follows `?lang=` then the browser among the business's languages.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone, translation

from feedback.emails import idea_done_email, invitation_email
from feedback.models import Feedback, FeedbackRequest, Idea
from feedback.services.csv_import import (
    customer_import_confirm,
    customer_import_create,
    customer_import_run,
    parse_customers_csv,
)
from feedback.services.open_links import open_feedback_link
from feedback.services.responses import consent_text
from feedback.services.sending import feedback_requests_send
from reviews.emails import case_acknowledgement_email, case_follow_up_email, case_message_email
from reviews.models import Case, CaseMessage
from tests.businesses.factories import StaffMemberFactory, UserFactory
from tests.businesses.test_business_limits import change_url, logged_in, post_change
from tests.conftest import require_service
from tests.feedback.factories import FeedbackFactory, FeedbackRequestFactory, feedback_token, unsubscribe_token

pytestmark = pytest.mark.django_db
CATALOGUE = Path(settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES" / "django.po"
VISIT = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


@pytest.fixture
def bakery(business):
    business.name = "Corner Bakery"
    business.email = "hello@corner.example"
    business.phone = "+49 30 1234567"
    business.review_url = "https://reviews.example.org/corner-bakery"
    business.save()
    return business


def german_request(business, **fields) -> FeedbackRequest:
    fields = {"customer__name": "Anna Schmidt", "customer__email": "anna@example.de", **fields}
    return FeedbackRequestFactory(business=business, language="de", interaction_at=VISIT, **fields)


def parts(message) -> tuple[str, str]:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return message.body, html


def assert_in_both_parts(fragment: str, message) -> None:
    text, html = parts(message)
    assert fragment in text, f"{fragment!r} is missing from the plain-text part"
    assert fragment in html, f"{fragment!r} is missing from the HTML part"


def form_path(request: FeedbackRequest) -> str:
    return f"/f/{feedback_token(request)}/"


def html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page).group(1)


# --- the invitation ------------------------------------------------------------------------------


def test_a_german_request_is_invited_in_german_with_a_german_date(bakery):
    StaffMemberFactory(business=bakery, name="Jonas Weber")
    request = german_request(bakery, staff=StaffMemberFactory(business=bakery, name="Maya Lindqvist"))
    message = invitation_email(request)
    assert message.subject == "Anna, wie war Ihr Besuch bei Corner Bakery?"
    assert_in_both_parts("Hallo Anna,", message)
    assert_in_both_parts("Vielen Dank, dass Sie sich am 3. Dezember 2026 für Corner Bakery entschieden haben.", message)
    assert_in_both_parts("Maya Lindqvist hat Sie betreut.", message)
    assert_in_both_parts("Wie war Ihre Erfahrung mit Corner Bakery?", message)
    text, html = parts(message)
    assert "5 Sterne — Ausgezeichnet" in html and "5 Sterne (Ausgezeichnet): https://" in text
    assert "1 Stern — Sehr schlecht" in html and "1 Stern (Sehr schlecht): https://" in text
    assert "Hier abmelden:" in text
    assert html_lang(html) == "de"
    assert "How was" not in text + html


def test_the_reminder_is_german_too(bakery):
    message = invitation_email(german_request(bakery), reminder=True)
    assert message.subject == "Eine kurze Erinnerung: Wie war es bei Corner Bakery?"
    assert_in_both_parts("wie Ihr Besuch am 3. Dezember 2026 war", message)


def test_a_request_without_a_language_follows_the_business_default(bakery):
    bakery.default_language = "de"
    bakery.save()
    request = FeedbackRequestFactory(business=bakery, customer__name="Anna Schmidt", interaction_at=VISIT)
    assert request.language == ""
    assert request.customer_language == "de"
    assert invitation_email(request).subject == "Anna, wie war Ihr Besuch bei Corner Bakery?"


def test_an_english_request_stays_english(bakery):
    request = FeedbackRequestFactory(business=bakery, customer__name="Ana Silva", interaction_at=VISIT)
    message = invitation_email(request)
    assert message.subject == "Ana, how was your visit to Corner Bakery?"
    assert_in_both_parts("Thank you for choosing Corner Bakery on 3 December 2026.", message)
    assert html_lang(parts(message)[1]) == "en"
    assert translation.get_language() == settings.LANGUAGE_CODE  # nothing leaks to what runs next


def test_one_batch_writes_each_customer_in_their_own_language(bakery):
    german = german_request(bakery, status=FeedbackRequest.Status.QUEUED)
    english = FeedbackRequestFactory(
        business=bakery, customer__name="Ana Silva", status=FeedbackRequest.Status.QUEUED, interaction_at=VISIT
    )
    assert feedback_requests_send(request_ids=[german.pk, english.pk]) == 2
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects[german.customer.email] == "Anna, wie war Ihr Besuch bei Corner Bakery?"
    assert subjects[english.customer.email] == "Ana, how was your visit to Corner Bakery?"


# --- the form and the pages behind the link --------------------------------------------------------


def test_the_form_at_a_german_link_is_german_and_so_are_its_errors_and_the_thanks(bakery):
    request = german_request(bakery)
    page = Client().get(form_path(request) + "?rating=5")
    body = page.content.decode()
    assert page.status_code == 200
    assert page["Content-Language"] == "de"
    assert html_lang(body) == "de"
    assert "Wie war es?" in body
    assert "Feedback senden" in body
    assert consent_text(bakery) not in body  # the English wording, outside any request
    with translation.override("de"):
        german_consent = consent_text(bakery)
    assert german_consent.startswith("Ich bin einverstanden, dass Corner Bakery")
    assert german_consent in body

    refused = Client().post(form_path(request), {"comment": "Lecker", "display_name_choice": "first_initial"})
    assert refused.status_code == 400
    assert "Bitte prüfen Sie Ihre Antwort" in refused.content.decode()
    assert "Bitte wählen Sie eine Bewertung von 1 bis 5 Sternen." in refused.content.decode()

    sent = Client().post(
        form_path(request),
        {"rating": "5", "comment": "Lecker", "consent_to_publish": "on", "display_name_choice": "first_initial"},
    )
    assert sent.status_code == 302
    thanks = Client().get(sent["Location"]).content.decode()
    assert "Vielen Dank, Anna!" in thanks
    assert "Ihr Feedback ist bei Corner Bakery angekommen." in thanks
    feedback = Feedback.objects.get(request=request)
    assert feedback.consent_text == german_consent  # the exact wording shown
    until = feedback.editable_until
    assert f"Bis zum {until.day}. " in thanks


def test_english_pages_stay_english(bakery):
    request = FeedbackRequestFactory(business=bakery, customer__name="Ana Silva")
    page = Client(HTTP_ACCEPT_LANGUAGE="de").get(form_path(request)).content.decode()
    assert html_lang(page) == "en"
    assert "How was it?" in page


def test_the_language_switch_keeps_the_star_and_the_customer_keeps_the_language_chosen(bakery):
    request = FeedbackRequestFactory(business=bakery, customer__name="Anna Schmidt")
    page = Client().get(form_path(request) + "?rating=4").content.decode()
    assert 'href="?rating=4&amp;lang=de" hreflang="de" lang="de">Deutsch</a>' in page
    german = Client().get(form_path(request) + "?rating=4&lang=de").content.decode()
    assert html_lang(german) == "de"
    assert re.search(r'<input[^>]*value="4"[^>]*checked', german)
    assert 'hreflang="en" lang="en">English</a>' in german

    answered = Client().post(
        form_path(request) + "?rating=4&lang=de", {"rating": "1", "display_name_choice": "first_initial"}
    )
    assert answered.status_code == 302
    request.refresh_from_db()
    assert request.language == "de"  # the acknowledgement and replies follow the language answered in
    thanks = Client().get(answered["Location"]).content.decode()
    assert "Wer sich bei Ihnen meldet:" in thanks


def test_a_business_with_one_language_offers_no_switch_and_ignores_other_languages(bakery):
    bakery.languages = ["en"]
    bakery.save()
    request = FeedbackRequestFactory(business=bakery)
    page = Client().get(form_path(request) + "?lang=de").content.decode()
    assert html_lang(page) == "en"
    assert "language-switch" not in page


@pytest.mark.parametrize("lang", ["xx", "de-DE'><script>", "", "EN", "../de"])
def test_an_unknown_language_in_the_address_is_ignored(bakery, lang):
    request = german_request(bakery)
    page = Client().get(form_path(request), {"lang": lang})
    assert page.status_code == 200
    assert html_lang(page.content.decode()) == "de"
    assert "<script>" not in page.content.decode()


def test_the_open_link_follows_the_browser_then_the_address(bakery):
    link = open_feedback_link(business=bakery)
    path = f"/o/{link.key}/"
    assert html_lang(Client(HTTP_ACCEPT_LANGUAGE="de-AT,de;q=0.9,en;q=0.5").get(path).content.decode()) == "de"
    assert html_lang(Client(HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").get(path).content.decode()) == "en"
    assert html_lang(Client(HTTP_ACCEPT_LANGUAGE="de").get(path + "?lang=en").content.decode()) == "en"
    garbage = Client(HTTP_ACCEPT_LANGUAGE="x" * 600 + ";q=abc,,;;").get(path)
    assert garbage.status_code == 200

    german = Client(HTTP_ACCEPT_LANGUAGE="de", REMOTE_ADDR="203.0.113.9").get(path).content.decode()
    assert "Ihr Name (optional)" in german
    answered = Client(HTTP_ACCEPT_LANGUAGE="de", REMOTE_ADDR="203.0.113.9").post(
        path, {"rating": "5", "name": "Anna", "display_name_choice": "anonymous"}
    )
    assert answered.status_code == 302
    assert FeedbackRequest.objects.get(channel=FeedbackRequest.Channel.OPEN_LINK).language == "de"
    assert "Vielen Dank, Anna!" in Client().get(answered["Location"]).content.decode()


def test_the_open_link_of_an_english_only_business_ignores_a_german_browser(bakery):
    bakery.languages = ["en"]
    bakery.save()
    link = open_feedback_link(business=bakery)
    assert html_lang(Client(HTTP_ACCEPT_LANGUAGE="de").get(f"/o/{link.key}/").content.decode()) == "en"


def test_a_mistyped_link_answers_in_the_browsers_language(bakery):
    page = Client(HTTP_ACCEPT_LANGUAGE="de").get("/f/not-a-token/")
    assert page.status_code == 404
    assert "Seite nicht gefunden" in page.content.decode()
    assert "Page not found" in Client().get("/f/not-a-token/").content.decode()


# --- the emails after the answer ------------------------------------------------------------------


def german_case(bakery) -> Case:
    request = german_request(bakery, status=FeedbackRequest.Status.RESPONDED)
    feedback = FeedbackFactory(request=request, rating=1, comment="Zu lange gewartet.")
    deadline = datetime(2026, 12, 8, 14, 30, tzinfo=UTC)
    return Case.objects.create(
        business=bakery,
        feedback=feedback,
        original_rating=1,
        opened_at=deadline - timedelta(hours=24),
        deadline=deadline,
    )


def test_the_acknowledgement_is_german_with_a_german_deadline(bakery):
    message = case_acknowledgement_email(german_case(bakery))
    assert message.subject == "Corner Bakery: Es tut uns leid – und danke für Ihre Rückmeldung"
    assert_in_both_parts("Es tut uns leid, dass Ihr Besuch nicht Ihren Erwartungen entsprochen hat, Anna.", message)
    assert_in_both_parts("Dienstag, 8. Dezember, 14:30 Uhr", message)
    assert_in_both_parts("Wer sich bei Ihnen meldet:", message)


def test_the_follow_up_and_a_message_from_the_business_are_german(bakery):
    case = german_case(bakery)
    case.resolution = "Wir haben mit dem Team gesprochen."
    follow_up = case_follow_up_email(case)
    assert follow_up.subject == "Anna, haben wir es wiedergutgemacht?"
    assert_in_both_parts("Ihre Bewertung und Ihren Kommentar noch 7 Tage lang ändern", follow_up)
    author = UserFactory(first_name="Lena")
    message = CaseMessage.objects.create(
        case=case, direction=CaseMessage.Direction.TO_CUSTOMER, author=author, author_label="lena", body="Hallo!"
    )
    email = case_message_email(message)
    assert email.subject == "Corner Bakery hat Ihnen zu Ihrem Feedback geschrieben"
    assert_in_both_parts("Lena von Corner Bakery hat Ihnen zu Ihrem Feedback geschrieben:", email)


def test_the_idea_done_email_is_german(bakery):
    request = german_request(bakery, status=FeedbackRequest.Status.RESPONDED)
    feedback = FeedbackFactory(request=request, improvement="Mehr Brezeln")
    idea = Idea.objects.create(feedback=feedback, business=bakery, state=Idea.State.DONE, note="Ab Montag.")
    message = idea_done_email(idea)
    assert message.subject == "Umgesetzt: Ihre Idee für Corner Bakery"
    assert_in_both_parts("Sie haben es vorgeschlagen, wir haben es umgesetzt.", message)


# --- nothing English left ---------------------------------------------------------------------------


def german_renderings(bakery) -> list[str]:
    """Everything a German customer reads on the way from the invitation to the thank-you page and after."""
    bakery.languages = ["en", "de"]
    bakery.save()
    StaffMemberFactory(business=bakery, name="Maya Lindqvist")
    request = german_request(bakery, staff=StaffMemberFactory(business=bakery, name="Jonas Weber"))
    client = Client()
    rendered = []
    for message in (invitation_email(request), invitation_email(request, reminder=True)):
        rendered += [message.subject, *parts(message)]
    rendered.append(client.get(form_path(request) + "?rating=2").content.decode())
    rendered.append(client.post(form_path(request), {"rating": "9", "recommend_score": "42"}).content.decode())
    answered = client.post(
        form_path(request),
        {
            "rating": "1",
            "comment": "Kalt",
            "improvement": "Heizen",
            "consent_to_publish": "on",
            "display_name_choice": "first_initial",
        },
    )
    rendered.append(client.get(answered["Location"]).content.decode())
    case = Case.objects.get(feedback__request=request)
    case.resolution = "Wir heizen jetzt."
    author = UserFactory(first_name="Lena")
    message = CaseMessage.objects.create(
        case=case, direction=CaseMessage.Direction.TO_CUSTOMER, author=author, author_label="lena", body="Hallo!"
    )
    idea = Idea.objects.get(feedback__request=request)
    for email in (
        case_acknowledgement_email(case),
        case_follow_up_email(case),
        case_message_email(message),
        idea_done_email(idea),
    ):
        rendered += [email.subject, *parts(email)]
    rendered.append(client.get(f"/f/{feedback_token(request)}/conversation/").content.decode())
    rendered.append(client.post(f"/f/{feedback_token(request)}/conversation/", {"body": ""}).content.decode())
    Feedback.objects.filter(request=request).update(editable_until=timezone.now() - timedelta(days=1))
    rendered.append(client.get(form_path(request)).content.decode())  # the locked answer
    unsubscribe = f"/u/{unsubscribe_token(request)}/"
    rendered.append(client.get(unsubscribe).content.decode())
    rendered.append(client.post(unsubscribe).content.decode())
    rendered.append(client.get(unsubscribe).content.decode())
    rendered.append(client.post(unsubscribe, {"action": "resubscribe"}).content.decode())
    expired = german_request(bakery, expires_at=timezone.now() - timedelta(days=1), customer__email="b@example.de")
    rendered.append(client.get(form_path(expired)).content.decode())
    link = open_feedback_link(business=bakery)
    rendered.append(Client(HTTP_ACCEPT_LANGUAGE="de").get(f"/o/{link.key}/").content.decode())
    rendered.append(Client(HTTP_ACCEPT_LANGUAGE="de").post(f"/o/{link.key}/", {"website": "x"}).content.decode())
    rendered.append(Client(HTTP_ACCEPT_LANGUAGE="de").get("/f/unknown/").content.decode())
    with translation.override("de"):
        rendered += [render_to_string("429.html", {"minutes": 2}), render_to_string("400.html")]
    return rendered


def english_fragments(msgid: str) -> list[str]:
    """The literal English pieces of a catalogue entry: between its placeholders and HTML tags."""
    pieces = re.split(r"%\(\w+\)[sd]|\{\w+\}|<[^>]+>", msgid)
    return [piece.strip() for piece in pieces if len(piece.strip()) > 12]


def outside_the_admin(catalogue: polib.POFile) -> list[polib.POEntry]:
    """The entries a customer, staff member or visitor may read (not only the admin's templates)."""
    return [
        entry for entry in catalogue if any(not path.startswith("templates/admin/") for path, _ in entry.occurrences)
    ]


def english_left(rendered: str, entries: list[polib.POEntry]) -> list[str]:
    """The English pieces of `entries` that still stand in `rendered` (a German rendering)."""
    return [
        fragment
        for entry in entries
        for msgid in filter(None, (entry.msgid, entry.msgid_plural))
        for fragment in english_fragments(msgid)
        if fragment in rendered
    ]


def translations(entry: polib.POEntry) -> list[str]:
    return list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]


def german_not_rendered(rendered: str, entries: list[polib.POEntry]) -> list[str]:
    """The msgids of `entries` none of whose German pieces stands in `rendered`: written, never shown."""
    return [
        entry.msgid
        for entry in entries
        if (german := [fragment for msgstr in translations(entry) for fragment in english_fragments(msgstr)])
        and not any(fragment in rendered for fragment in german)
    ]


def test_a_german_customer_meets_no_english_sentence_from_the_catalogue(bakery):
    rendered = "\n".join(german_renderings(bakery))
    catalogue = polib.pofile(str(CATALOGUE))
    customer_entries = outside_the_admin(catalogue)
    assert len(customer_entries) > 100
    left = english_left(rendered, customer_entries)
    assert left == []
    # The renderings really are the German ones.
    for german in (
        "Wie war es?",
        "Vielen Dank, Anna!",
        "Ihr Gespräch mit Corner Bakery",
        "Sie sind abgemeldet",
        "Dieser Link ist abgelaufen",
        "Seite nicht gefunden",
        "Zu viele Versuche",
    ):
        assert german in rendered


def test_the_catalogue_has_no_fuzzy_or_empty_translation():
    catalogue = polib.pofile(str(CATALOGUE))
    assert not catalogue.metadata_is_fuzzy
    assert catalogue.metadata["Language"] == "de"
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []
    assert [entry.msgid for entry in catalogue.untranslated_entries()] == []
    assert [entry.msgid for entry in catalogue if entry.obsolete] == []
    for entry in catalogue.translated_entries():
        # The placeholders of the English survive in the German.
        for msgstr in [entry.msgstr] if not entry.msgid_plural else entry.msgstr_plural.values():
            assert set(re.findall(r"%\(\w+\)[sd]|\{\w+\}", msgstr)) == set(
                re.findall(r"%\(\w+\)[sd]|\{\w+\}", entry.msgid)
            ), entry.msgid


MAKEMESSAGES = ["makemessages", "-l", "de", "--add-location", "file", "-i", "tests", "-i", "benchmarks"]
MAKEMESSAGES += ["-i", "static", "-i", ".venv", "--settings=config.settings.test"]
NOT_SOURCE = shutil.ignore_patterns(
    ".venv",
    ".git",
    "test-artifacts",
    "var",
    "staticfiles",
    "__pycache__",
    ".hypothesis",
    ".import_linter_cache",
    "*.mo",
)


def test_makemessages_finds_every_string_translated_and_nothing_left_over(tmp_path):
    """The committed catalogue is the one `makemessages` makes from today's code: no string a
    reader meets is missing from it, none is fuzzy or empty, and none is left from removed code."""
    require_service(bool(shutil.which("xgettext") and shutil.which("msgmerge")), "GNU gettext (xgettext, msgmerge)")
    source = tmp_path / "raves"
    shutil.copytree(settings.BASE_DIR, source, ignore=NOT_SOURCE)
    subprocess.run([sys.executable, "manage.py", *MAKEMESSAGES], cwd=source, check=True, capture_output=True)

    catalogue = polib.pofile(str(source / "locale" / "de" / "LC_MESSAGES" / "django.po"))
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []
    assert [entry.msgid for entry in catalogue.untranslated_entries()] == []
    assert [entry.msgid for entry in catalogue if entry.obsolete] == []
    assert {entry.msgid for entry in catalogue} == {entry.msgid for entry in polib.pofile(str(CATALOGUE))}


# --- the business's languages ------------------------------------------------------------------------


def test_the_default_language_must_be_among_the_languages_offered(bakery):
    bakery.languages, bakery.default_language = ["en"], "de"
    with pytest.raises(ValidationError) as refused:
        bakery.full_clean()
    assert "default_language" in refused.value.message_dict
    bakery.languages = ["en", "fr"]
    with pytest.raises(ValidationError) as refused:
        bakery.full_clean()
    assert refused.value.message_dict["languages"] == ["Choose among the languages of this install: en, de."]
    bakery.languages, bakery.default_language = ["de"], "de"
    bakery.full_clean()
    bakery.languages = []
    bakery.full_clean()
    assert bakery.offered_languages() == ["en", "de"]


def test_an_owner_chooses_the_languages_in_the_admin_and_a_default_outside_them_is_refused(owner, bakery):
    client = logged_in(owner)
    page = client.get(change_url(bakery)).content.decode()
    assert 'name="languages" value="de"' in page

    refused = post_change(client, bakery, languages=["en"], default_language="de")
    assert refused.status_code == 200
    assert "default_language" in refused.context["adminform"].form.errors

    saved = post_change(client, bakery, languages=["de"], default_language="de")
    assert saved.status_code == 302, saved.context["adminform"].form.errors
    bakery.refresh_from_db()
    assert (bakery.languages, bakery.default_language) == (["de"], "de")
    assert FeedbackRequestFactory(business=bakery).customer_language == "de"

    refused = post_change(client, bakery, languages=["fr"])
    assert "languages" in refused.context["adminform"].form.errors


def test_a_malformed_post_is_answered_in_the_browsers_language(bakery):
    request = german_request(bakery)
    too_many_fields = {f"field{number}": "x" for number in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    refused = Client(HTTP_ACCEPT_LANGUAGE="de").post(form_path(request), too_many_fields)
    assert refused.status_code == 400
    assert "Mit der Anfrage stimmte etwas nicht" in refused.content.decode()
    assert not Feedback.objects.exists()


def test_a_german_link_used_too_often_says_so_in_german(bakery, settings):
    settings.TOKEN_LINK_LIMIT = "1/min"
    request = german_request(bakery)
    client = Client()
    assert client.get(form_path(request)).status_code == 200
    paused = client.get(form_path(request))
    assert paused.status_code == 429
    assert "Zu viele Versuche" in paused.content.decode()
    assert re.search(r"Bitte warten Sie \d+ Minuten? und öffnen Sie", paused.content.decode())


# --- the API and the CSV import ------------------------------------------------------------------


def test_the_api_takes_a_language_and_shows_the_one_in_effect(api_client, bakery):
    german = api_client.post(
        "/api/v1/feedback-requests/",
        {"customer": {"name": "Anna Schmidt", "email": "anna@example.de"}, "language": "de"},
        format="json",
    )
    assert german.status_code == 201, german.json()
    assert german.json()["language"] == "de"
    assert FeedbackRequest.objects.get(pk=german.json()["id"]).language == "de"
    english = api_client.post("/api/v1/feedback-requests/", {"customer": {"email": "ana@example.com"}}, format="json")
    assert english.json()["language"] == "en"  # the business's default
    assert FeedbackRequest.objects.get(pk=english.json()["id"]).language == ""
    listed = {row["id"]: row["language"] for row in api_client.get("/api/v1/feedback-requests/").json()["results"]}
    assert listed == {german.json()["id"]: "de", english.json()["id"]: "en"}
    assert api_client.get(f"/api/v1/feedback-requests/{german.json()['id']}/").json()["language"] == "de"


@pytest.mark.parametrize("language", ["fr", "DE", "de-DE", "x" * 300, "\x00", 7, ["de"], None])
def test_the_api_refuses_a_language_the_install_does_not_offer_naming_the_field(api_client, bakery, language):
    refused = api_client.post(
        "/api/v1/feedback-requests/", {"customer": {"email": "anna@example.de"}, "language": language}, format="json"
    )
    assert refused.status_code == 400
    assert list(refused.json()) == ["language"]
    if isinstance(language, str) and language.isprintable():
        assert refused.json() == {"language": ["Choose one of: en, de."]}
    assert not FeedbackRequest.objects.exists()


def test_the_api_refuses_a_language_the_business_does_not_offer(api_client, bakery):
    bakery.languages = ["en"]
    bakery.save()
    refused = api_client.post(
        "/api/v1/feedback-requests/", {"customer": {"email": "anna@example.de"}, "language": "de"}, format="json"
    )
    assert refused.status_code == 400
    assert refused.json() == {"language": ["Choose one of: en."]}
    in_a_list = api_client.post(
        "/api/v1/feedback-requests/",
        [{"customer": {"email": "anna@example.de"}, "language": "de"}, {"customer": {"email": "ana@example.com"}}],
        format="json",
    )
    assert in_a_list.status_code == 201
    assert in_a_list.json()[0] == {"index": 0, "errors": {"language": ["Choose one of: en."]}}
    assert in_a_list.json()[1]["language"] == "en"


def test_the_csv_import_takes_a_language_column_and_names_a_bad_one_by_row(bakery):
    bakery.languages = ["en", "de"]
    bakery.save()
    text = "name,email,language\nAnna Schmidt,anna@example.de,de\nAna Silva,ana@example.com,\nLuc,luc@example.fr,fr\n"
    parsed = parse_customers_csv(business=bakery, text=text)
    assert [(error.row, error.column) for error in parsed.errors] == [(4, "language")]
    assert (
        parsed.errors[0].message
        == "“fr” is not a language Corner Bakery offers: write one of en, de, or leave it empty."
    )
    customer_import = customer_import_create(business=bakery, user=UserFactory(), filename="c.csv", parsed=parsed)
    assert customer_import_confirm(customer_import=customer_import)
    customer_import_run(import_id=customer_import.pk)
    languages = dict(FeedbackRequest.objects.values_list("customer__email", "language"))
    assert languages == {"anna@example.de": "de", "ana@example.com": ""}
    assert FeedbackRequest.objects.get(customer__email="anna@example.de").customer_language == "de"
