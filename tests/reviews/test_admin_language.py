"""The moderation queue and the complaint cases in the owner's language (see tests/businesses/test_owner_language.py
for how the language is chosen)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format

from reviews.models import Case, Review
from reviews.services.cases import case_update
from reviews.services.conversation import case_message_send
from tests.businesses.factories import StaffMemberFactory
from tests.businesses.test_owner_language import german_owner_client, html_lang
from tests.reviews.factories import ReviewFactory, answer
from tests.reviews.test_admin_cases import open_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(owner):
    return german_owner_client(owner)


@pytest.fixture
def pending(business):
    return ReviewFactory(
        business=business,
        feedback__rating=4,
        feedback__staff=StaffMemberFactory(business=business, name="Maya Lindqvist"),
        feedback__display_name="Ana S.",
        feedback__comment="Maya hat den Kessel in einer Stunde repariert.",
        flags=["contact"],
    )


def test_the_moderation_queue_and_its_actions_are_german(owner_client, pending):
    page = owner_client.get(reverse("admin:reviews_review_changelist")).content.decode()
    assert html_lang(page) == "de"
    assert "Ausgewählte Bewertungen veröffentlichen" in page
    assert "Enthält eine E-Mail-Adresse oder Telefonnummer" in page  # a content flag
    assert "Wartet auf Moderation" in page  # the status filter and column
    assert "4 von 5" in page  # the stars' title
    published = owner_client.post(
        reverse("admin:reviews_review_changelist"),
        {"action": "publish_selected", "_selected_action": [pending.pk]},
        follow=True,
    )
    assert "1 Bewertung veröffentlicht." in published.content.decode()


def test_the_case_list_speaks_german_with_a_german_date(owner_client, business):
    case = open_case(business)
    Case.objects.filter(pk=case.pk).update(deadline=timezone.now() - timedelta(hours=1))
    page = owner_client.get(reverse("admin:reviews_case_changelist")).content.decode()
    assert '<span class="case-overdue">Überfällig</span>' in page
    change = owner_client.get(reverse("admin:reviews_case_change", args=[case.pk])).content.decode()
    assert "Gespräch mit dem Kunden" in change and "Noch keine Nachrichten." in change
    submitted = timezone.localtime(case.feedback.submitted_at)
    with translation.override("de"):
        german_day = date_format(submitted, "d. N Y, H:i")  # "04. Dez. 2026, 14:30"
    assert f"<strong>1★</strong> am {german_day}" in change
    assert submitted.strftime("%d %b %Y") not in change


def test_rejecting_asks_for_the_reason_in_german(owner_client, pending):
    page = owner_client.post(
        reverse("admin:reviews_review_changelist"), {"action": "reject_selected", "_selected_action": [pending.pk]}
    ).content.decode()
    assert "1 Bewertung ablehnen?" in page and "Grund laut Inhaltsregeln" in page
    assert 'value="1 Bewertung ablehnen"' in page
    assert "Beleidigend, belästigend oder obszön" in page  # a reason of the content policy
    refused = owner_client.post(
        reverse("admin:reviews_review_changelist"),
        {"action": "reject_selected", "_selected_action": [pending.pk], "post": "yes"},
    ).content.decode()
    assert "Wählen Sie einen Grund aus den Inhaltsregeln" in refused


# --- refusals from the services, in the owner's language ----------------------------------------------

WITHDRAWN = {
    "de": "Der Kunde hat seine Einwilligung zurückgezogen; diese Bewertung kann nicht veröffentlicht werden.",
    "en": "The customer withdrew their consent; this review cannot be published.",
}


def owner_client_in(owner, language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(owner)
    return client


def withdrawn_review(business) -> Review:
    """A review whose customer took their consent back: it may not be published."""
    feedback = answer(business=business)
    answer(business=business, request=feedback.request, consent=False)
    return Review.objects.get(feedback=feedback)


@pytest.mark.parametrize(("language", "other"), [("de", "en"), ("en", "de")])
def test_a_refused_publish_is_explained_in_the_owner_s_language(owner, business, language, other):
    client, review = owner_client_in(owner, language), withdrawn_review(business)
    bulk = client.post(
        reverse("admin:reviews_review_changelist") + "?status=all",
        {"action": "publish_selected", "_selected_action": [review.pk]},
        follow=True,
    ).content.decode()
    assert WITHDRAWN[language] in bulk and WITHDRAWN[other] not in bulk
    form = {"status": Review.Status.PUBLISHED, "rejection_reason": "", "reply": ""}
    form.update({"log-TOTAL_FORMS": "0", "log-INITIAL_FORMS": "0"})
    change = client.post(reverse("admin:reviews_review_change", args=[review.pk]), form)
    assert change.status_code == 200
    assert change.context["adminform"].form.errors["status"] == [WITHDRAWN[language]]
    review.refresh_from_db()
    assert review.status == Review.Status.REJECTED


def test_an_internal_review_s_refusal_is_german(owner_client, business):
    review = ReviewFactory(business=business, feedback__internal=True)
    refused = owner_client.post(
        reverse("admin:reviews_review_changelist") + "?status=all",
        {"action": "publish_selected", "_selected_action": [review.pk]},
        follow=True,
    ).content.decode()
    assert "Feedback von internen Kunden wird nie veröffentlicht." in refused
    assert "0 Bewertungen veröffentlicht." in refused


def test_an_empty_congratulation_is_refused_in_german(owner_client, pending):
    response = owner_client.post(
        reverse("admin:reviews_review_congratulate", args=[pending.pk]), {"congratulation_note": "  "}, follow=True
    )
    page = response.content.decode()
    assert "Schreiben Sie ein paar Worte zur Gratulation: Die Notiz darf nicht leer sein." in page
    assert "the note can't be empty" not in page
    assert not pending.congratulations.exists()


def test_the_case_rules_speak_the_active_language(owner, business):
    """The admin runs the services in the owner's language; their refusals follow it."""
    case = open_case(business)
    causes = ", ".join(slug for slug, _ in business.case_cause_choices())
    with translation.override("de"), pytest.raises(ValidationError) as no_cause:
        case_update(case=case, actor=owner, status=Case.Status.RESOLVED, resolution="Neu gebacken.")
    assert no_cause.value.message_dict == {
        "cause": [
            "Nennen Sie die Ursache der Beschwerde, bevor Sie den Fall lösen. "
            f"Wählen Sie eine der Möglichkeiten: {causes}."
        ]
    }
    with translation.override("de"), pytest.raises(ValidationError) as unknown:
        case_update(case=case, actor=owner, cause="<b>Wetter</b>")
    assert unknown.value.message_dict["cause"][0].startswith(
        "„<b>Wetter</b>“ ist keine der Ursachen dieses Unternehmens."
    )
    with translation.override("de"), pytest.raises(ValidationError) as empty:
        case_message_send(case=case, author=owner, body="   ")
    assert empty.value.message_dict == {"body": ["Schreiben Sie die Nachricht (sie darf nicht leer sein)."]}
    with translation.override("en"), pytest.raises(ValidationError) as english:
        case_update(case=case, actor=owner, status=Case.Status.RESOLVED, resolution="Baked again.")
    assert english.value.message_dict == {
        "cause": [f"Say what caused the complaint before resolving the case. Choose one of: {causes}."]
    }
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN and not case.messages.exists()


# --- the API keeps its English ---------------------------------------------------------------------------


def test_the_api_refuses_in_english_without_accept_language(api_client, owner, business):
    review = withdrawn_review(business)
    german_owner_client(owner).get(reverse("admin:index"))  # a German admin page just served
    refused = api_client.patch(f"/api/v1/reviews/{review.pk}/", {"status": "published"}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"status": [WITHDRAWN["en"]]}
    case = open_case(business)
    causes = ", ".join(slug for slug, _ in business.case_cause_choices())
    unresolved = api_client.patch(
        f"/api/v1/cases/{case.pk}/", {"status": "resolved", "resolution": "Refunded."}, format="json"
    )
    assert unresolved.status_code == 400
    assert unresolved.json() == {
        "cause": [f"Say what caused the complaint before resolving the case. Choose one of: {causes}."]
    }
