"""Ideas that close the loop: each customer idea is followed up in the admin, and "you said, we did" goes once.

`owner` runs `business`; `other_business`'s idea carries the word "Zebediah", so "none of B's ideas
is in the page" is a plain text check.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from feedback.models import BusinessIdeaSettings, Idea
from feedback.services.ideas import idea_state_set
from outbox.models import OutboxEmail
from outbox.services import outbox_emails_send
from tests.feedback.factories import FeedbackRequestFactory, feedback_token

pytestmark = pytest.mark.django_db
IDEA = "Open ten minutes earlier on Saturdays, please."
NOTE = "From March we open at 7:50 on Saturdays."


def answer_through_link(request, improvement: str, client: Client | None = None) -> None:
    response = (client or Client()).post(
        f"/f/{feedback_token(request)}/",
        {"rating": "4", "display_name_choice": "first_initial", "improvement": improvement},
    )
    assert response.status_code == 302


def idea_of(business, improvement: str = IDEA, **customer) -> Idea:
    request = FeedbackRequestFactory(
        business=business, customer__name="Ana Silva", customer__email="ana@example.com", **customer
    )
    answer_through_link(request, improvement)
    return Idea.objects.get(feedback__request=request)


def tell_customers(business, on: bool = True) -> None:
    BusinessIdeaSettings.objects.update_or_create(business=business, defaults={"tell_customers_when_done": on})


def owner_client(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


def mark_in_admin(client: Client, idea: Idea, state: str, note: str = NOTE):
    url = reverse("admin:feedback_idea_change", args=[idea.pk])
    return client.post(url, {"state": state, "note": note})


def deliver() -> list:
    outbox_emails_send(email_ids=list(OutboxEmail.objects.values_list("id", flat=True)))
    return mail.outbox


def test_an_answer_with_an_idea_makes_one_idea_and_an_edit_updates_it_without_a_duplicate(business):
    request = FeedbackRequestFactory(business=business)
    answer_through_link(request, "Softer music")
    idea = Idea.objects.get()
    assert (idea.business, idea.state, idea.feedback.improvement) == (business, Idea.State.NEW, "Softer music")

    answer_through_link(request, "Softer music, and more chairs")

    assert Idea.objects.count() == 1
    assert Idea.objects.get().feedback.improvement == "Softer music, and more chairs"


def test_an_answer_without_an_idea_makes_none_and_emptying_a_new_idea_removes_it(business):
    request = FeedbackRequestFactory(business=business)
    answer_through_link(request, "")
    assert not Idea.objects.exists()
    answer_through_link(request, "Softer music")
    answer_through_link(request, "")
    assert not Idea.objects.exists()


def test_the_owner_sees_only_their_ideas_and_changes_state_and_note(business, other_business, owner):
    mine = idea_of(business)
    idea_of(other_business, "Zebediah wants a bigger car park")
    client = owner_client(owner)

    page = client.get(reverse("admin:feedback_idea_changelist")).content.decode()
    assert IDEA in page and "Ana" in page
    assert "Zebediah" not in page
    theirs = Idea.objects.get(business=other_business)
    assert client.get(reverse("admin:feedback_idea_change", args=[theirs.pk])).status_code == 302  # "does not exist"

    assert mark_in_admin(client, mine, "considering").status_code == 302
    mine.refresh_from_db()
    assert (mine.state, mine.note) == ("considering", NOTE)
    assert mine.state_changed_at is not None
    assert mark_in_admin(client, theirs, "done").status_code == 302
    theirs.refresh_from_db()
    assert theirs.state == "new"


def test_the_list_filters_by_state_and_edits_state_and_note_in_place(business, owner):
    idea = idea_of(business)
    client = owner_client(owner)
    url = reverse("admin:feedback_idea_changelist")
    form = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": str(idea.pk),
        "form-0-state": "not_now",
        "form-0-note": "After the refit.",
        "_save": "Save",
    }
    assert client.post(url, form).status_code == 302
    idea.refresh_from_db()
    assert (idea.state, idea.note) == ("not_now", "After the refit.")
    assert IDEA in client.get(url, {"state__exact": "not_now"}).content.decode()
    assert IDEA not in client.get(url, {"state__exact": "new"}).content.decode()


def test_done_with_the_email_turned_on_tells_the_customer_once_with_their_idea_and_the_note(business, owner):
    tell_customers(business)
    idea = idea_of(business)
    client = owner_client(owner)

    mark_in_admin(client, idea, "done")
    mark_in_admin(client, idea, "considering")
    mark_in_admin(client, idea, "done")
    idea_state_set(idea=idea, state="done", note=NOTE)

    [message] = deliver()
    assert message.to == ["ana@example.com"]
    assert "you said, we did" in message.subject.lower()
    html = message.alternatives[0][0]
    assert IDEA in message.body and NOTE in message.body and "Ana" in message.body
    assert IDEA in html and NOTE in html
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    idea.refresh_from_db()
    assert idea.told_customer_at is not None


def test_done_with_the_email_turned_off_tells_nobody(business, owner):
    tell_customers(business, on=False)
    idea = idea_of(business)
    mark_in_admin(owner_client(owner), idea, "done")
    assert Idea.objects.get().state == "done"
    assert deliver() == []


def test_done_is_never_emailed_when_the_business_never_chose(business, owner):
    mark_in_admin(owner_client(owner), idea_of(business), "done")
    assert deliver() == []


@pytest.mark.parametrize("gone", ["opted_out_at", "bounced_at"])
def test_done_is_never_emailed_to_an_unsubscribed_or_bounced_customer(business, owner, gone):
    tell_customers(business)
    idea = idea_of(business)
    customer = idea.feedback.customer
    setattr(customer, gone, timezone.now())
    customer.save()
    mark_in_admin(owner_client(owner), idea, "done")
    assert deliver() == []
    assert Idea.objects.get().told_customer_at is None


def test_an_owner_turns_the_email_on_in_idea_settings(business, owner):
    client = owner_client(owner)
    response = client.post(
        reverse("admin:feedback_businessideasettings_add"), {"business": business.pk, "tell_customers_when_done": "on"}
    )
    assert response.status_code == 302
    assert BusinessIdeaSettings.objects.get(business=business).tell_customers_when_done
    assert "are emailed once" in client.get(reverse("admin:feedback_idea_changelist")).content.decode()


def test_the_migration_gives_every_existing_answer_with_an_idea_one_idea(business):
    from importlib import import_module

    from django.apps import apps

    from tests.feedback.factories import FeedbackFactory

    with_idea = FeedbackFactory(business=business, improvement="More oat milk")
    FeedbackFactory(business=business, improvement="")
    Idea.objects.all().delete()  # as before the migration: answers, no ideas
    migration = import_module("feedback.migrations.0008_ideas")

    migration.ideas_from_existing_answers(apps, None)
    migration.ideas_from_existing_answers(apps, None)

    [idea] = Idea.objects.all()
    assert (idea.feedback, idea.business, idea.state) == (with_idea, business, Idea.State.NEW)
