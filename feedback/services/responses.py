"""The customer's side: answering, changing the answer, unsubscribing; and bounces."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from businesses.models import Customer, StaffMember
from feedback.events import answer_recorded
from feedback.models import Feedback, FeedbackRequest, FeedbackRequestEvent, ProcessedWebhookEvent
from feedback.services.ideas import idea_sync

logger = logging.getLogger(__name__)
Status = FeedbackRequest.Status

CONSENT_TEXT = gettext_lazy(
    "I agree that %(business)s may publish my rating and comment on its website, "
    "under the name I chose. I can withdraw this through my link."
)


class AnswerLocked(Exception):
    """The answer can no longer be changed (the edit window has closed)."""


class LinkExpired(Exception):
    """The request's link ran out before the customer answered."""


@dataclass
class Answer:
    rating: int
    comment: str = ""
    improvement: str = ""
    recommend_score: int | None = None
    staff: StaffMember | None = None
    consent_to_publish: bool = False
    display_name_choice: str = Feedback.DisplayName.FIRST_NAME_INITIAL
    # The language the form was shown in: the customer is written to in it from then on.
    language: str = ""


def consent_text(business) -> str:
    """The consent wording, in the active language: stored exactly as the customer was shown it."""
    return CONSENT_TEXT % {"business": business.name}


def display_name_for(name: str, choice: str) -> str:
    """“Maya L.” from “Maya Lindqvist”; “Anonymous” when chosen or when no name is known."""
    parts = name.split()
    if choice == Feedback.DisplayName.ANONYMOUS or not parts:
        return "Anonymous"
    return f"{parts[0]} {parts[-1][0]}." if len(parts) > 1 else parts[0]


def is_link_expired(request: FeedbackRequest) -> bool:
    if request.status == Status.EXPIRED:
        return True
    unanswered = not hasattr(request, "feedback")
    return unanswered and request.expires_at is not None and request.expires_at <= timezone.now()


@transaction.atomic
def feedback_submit(*, request_id: int, answer: Answer) -> Feedback:
    """Record the customer's answer, or replace it while the edit window is open.

    The request row is locked first, so concurrent submits through one link leave one Feedback.
    Only that row: locking the joined business too would queue every answer to the business behind it.
    """
    request = (
        FeedbackRequest.objects.select_for_update(of=("self",))
        .select_related("business", "customer")
        .get(pk=request_id)
    )
    now = timezone.now()
    feedback = Feedback.objects.filter(request=request).first()
    if feedback is None:
        if is_link_expired(request):
            raise LinkExpired
        feedback = Feedback(
            request=request,
            business=request.business,
            customer=request.customer,
            internal=request.internal,
            verified=request.verified,
            editable_until=now + timedelta(days=settings.FEEDBACK_EDIT_DAYS),
        )
    elif feedback.editable_until <= now:
        raise AnswerLocked
    previous_rating = feedback.rating if feedback.pk else None
    _language_keep(request, answer.language)
    _apply(feedback, answer, now, name=request.answering_name)
    feedback.full_clean()
    feedback.save()
    answer_recorded.send(sender=Feedback, feedback=feedback, previous_rating=previous_rating)
    idea_sync(feedback=feedback)
    if request.status != Status.RESPONDED:
        FeedbackRequest.objects.filter(pk=request.pk).update(
            status=Status.RESPONDED, responded_at=now, reminder_due_at=None
        )
        FeedbackRequestEvent.objects.create(request=request, status=Status.RESPONDED)
    return feedback


def _language_keep(request: FeedbackRequest, language: str) -> None:
    """Remember the language the customer answered in, when it is not already theirs (and is offered)."""
    if language and language != request.customer_language and language in request.business.offered_languages():
        request.language = language
        FeedbackRequest.objects.filter(pk=request.pk).update(language=language)


def _apply(feedback: Feedback, answer: Answer, now, *, name: str) -> None:
    feedback.rating = answer.rating
    feedback.comment = answer.comment.strip()
    feedback.improvement = answer.improvement.strip()
    feedback.recommend_score = answer.recommend_score
    feedback.staff = answer.staff
    feedback.display_name_choice = answer.display_name_choice
    feedback.display_name = display_name_for(name, answer.display_name_choice)
    if answer.consent_to_publish and not feedback.consent_to_publish:
        feedback.consent_text = consent_text(feedback.business)
        feedback.consent_at = now
    elif not answer.consent_to_publish:
        feedback.consent_text, feedback.consent_at = "", None
    feedback.consent_to_publish = answer.consent_to_publish


@transaction.atomic
def feedback_consent_withdraw(*, request_id: int) -> Feedback | None:
    """Withdraw the consent to publish an answer, through its link, for as long as it exists.

    Unlike editing, this has no time limit: the consent text promises withdrawal through the link.
    The review is taken down the way an edit within the window does it. None when there is no answer.
    """
    # The request row is locked first, as feedback_submit does, so the two never deadlock.
    FeedbackRequest.objects.select_for_update(of=("self",)).filter(pk=request_id).first()
    feedback = Feedback.objects.select_related("business").filter(request_id=request_id).first()
    if feedback is None:
        return None
    if feedback.consent_to_publish:
        feedback.consent_to_publish, feedback.consent_text, feedback.consent_at = False, "", None
        feedback.save(update_fields=["consent_to_publish", "consent_text", "consent_at", "updated_at"])
        answer_recorded.send(sender=Feedback, feedback=feedback, previous_rating=feedback.rating)
    return feedback


@transaction.atomic
def customer_unsubscribe(*, request_id: int) -> Customer:
    """Opt the request's customer out of this business's emails, at once. Idempotent."""
    request = FeedbackRequest.objects.select_related("customer").get(pk=request_id)
    customer = request.customer
    now = timezone.now()
    if Customer.objects.filter(pk=customer.pk, opted_out_at__isnull=True).update(opted_out_at=now):
        customer.opted_out_at = now
    _suppress_queued(customer, FeedbackRequest.SuppressionReason.OPTED_OUT, now)
    return customer


@transaction.atomic
def customer_resubscribe(*, request_id: int) -> Customer:
    """Undo the customer's opt-out (and a bounce) at their own explicit request, through their link.

    The only way an opt-out is cleared: the admin shows it read-only. Requests already suppressed stay so.
    """
    customer = FeedbackRequest.objects.select_related("customer").get(pk=request_id).customer
    Customer.objects.filter(pk=customer.pk).update(opted_out_at=None, bounced_at=None)
    customer.opted_out_at = customer.bounced_at = None
    return customer


def _suppress_queued(customer: Customer, reason: str, now) -> None:
    queued = FeedbackRequest.objects.filter(customer=customer, status=Status.QUEUED)
    ids = list(queued.values_list("id", flat=True))
    if ids and FeedbackRequest.objects.filter(id__in=ids, status=Status.QUEUED).update(
        status=Status.SUPPRESSED, suppression_reason=reason, suppressed_at=now
    ):
        FeedbackRequestEvent.objects.bulk_create(
            FeedbackRequestEvent(request_id=pk, status=Status.SUPPRESSED, note=reason) for pk in ids
        )


BOUNCE_EVENTS = frozenset({"bounced", "rejected", "complained"})


def email_event_record(
    *, esp: str, event_id: str, event_type: str, recipient: str, request_id: int | None = None
) -> bool:
    """Apply an email provider's tracking event once. Returns False for a duplicate or ignored event.

    A bounce, a rejection or a spam complaint marks the request bounced and stops all email to
    that address (a complaint also opts the customer out).
    """
    if event_type not in BOUNCE_EVENTS or not recipient:
        return False
    try:
        with transaction.atomic():
            ProcessedWebhookEvent.objects.create(esp=esp, event_id=event_id)
            _record_bounce(recipient, request_id, complaint=event_type == "complained")
    except IntegrityError:
        return False
    return True


def _record_bounce(recipient: str, request_id: int | None, *, complaint: bool) -> None:
    now = timezone.now()
    customers = Customer.objects.filter(email__iexact=recipient)
    customers.filter(bounced_at__isnull=True).update(bounced_at=now)
    if complaint:
        customers.filter(opted_out_at__isnull=True).update(opted_out_at=now)
    if request_id is not None:
        bounced = FeedbackRequest.objects.filter(
            pk=request_id,
            customer__email__iexact=recipient,
            status__in=[Status.SENDING, Status.SENT, Status.REMINDED],
        ).update(status=Status.BOUNCED, bounced_at=now, reminder_due_at=None)
        if bounced:
            FeedbackRequestEvent.objects.create(request_id=request_id, status=Status.BOUNCED)
    for customer in customers:
        _suppress_queued(customer, FeedbackRequest.SuppressionReason.BOUNCED, now)
