"""Customers' ideas for improvement: kept in step with their answers, followed up, and closed ("you said, we did")."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from businesses.models import Business
from feedback.emails import idea_done_email
from feedback.models import BusinessIdeaSettings, Feedback, Idea
from outbox.services import outbox_email_queue

State = Idea.State


def idea_sync(*, feedback: Feedback) -> Idea | None:
    """Keep the answer's one Idea in step with its `improvement` (call after the answer is saved).

    An answer with an idea gets one Idea; an edit that empties the idea removes it while it is still
    new (one the business already worked on is kept, with the words it was given).
    """
    if feedback.improvement:
        idea, _ = Idea.objects.get_or_create(feedback=feedback, defaults={"business_id": feedback.business_id})
        return idea
    Idea.objects.filter(feedback=feedback, state=State.NEW).delete()
    return None


def business_idea_settings(*, business: Business) -> BusinessIdeaSettings:
    """The business's idea settings (defaults until it changes them)."""
    return BusinessIdeaSettings.objects.filter(business=business).first() or BusinessIdeaSettings(business=business)


def business_idea_settings_set(*, business: Business, tell_customers_when_done: bool) -> BusinessIdeaSettings:
    """Turn the "you said, we did" email on or off for a business."""
    settings, _ = BusinessIdeaSettings.objects.update_or_create(
        business=business, defaults={"tell_customers_when_done": tell_customers_when_done}
    )
    return settings


@transaction.atomic
def idea_state_set(*, idea: Idea, state: str, note: str, actor=None) -> Idea:
    """Set an idea's state and note; on its first move to done, tell the customer if the business wants it.

    The idea row is locked, so two clicks on "done" queue one email: `told_customer_at` and the
    outbox key both say it went. `actor` is the user who changed it; the admin logs the change itself.
    """
    if state not in State.values:
        raise ValueError(f"Unknown idea state: {state!r}")
    locked = (
        Idea.objects.select_for_update(of=("self",))
        .select_related("feedback__customer", "feedback__request", "business")
        .get(pk=idea.pk)
    )
    now = timezone.now()
    fields = ["note"]
    locked.note = note.strip()
    if locked.state != state:
        locked.state, locked.state_changed_at = state, now
        fields += ["state", "state_changed_at"]
    if state == State.DONE and locked.told_customer_at is None and _may_tell(locked):
        outbox_email_queue(key=f"idea-done:{locked.pk}", message=idea_done_email(locked), business=locked.business)
        locked.told_customer_at = now
        fields.append("told_customer_at")
    locked.save(update_fields=fields)
    return locked


def _may_tell(idea: Idea) -> bool:
    customer = idea.feedback.contact
    wanted = business_idea_settings(business=idea.business).tell_customers_when_done
    return wanted and customer.opted_out_at is None and customer.bounced_at is None and bool(customer.email)
