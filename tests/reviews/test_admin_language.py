"""The moderation queue and the complaint cases in the owner's language (see tests/businesses/test_owner_language.py
for how the language is chosen)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format

from reviews.models import Case
from tests.businesses.factories import StaffMemberFactory
from tests.businesses.test_owner_language import german_owner_client, html_lang
from tests.reviews.factories import ReviewFactory
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
        german_day = date_format(submitted, "d. M Y, H:i")  # "04. Dez 2026, 14:30"
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
