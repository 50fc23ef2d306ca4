"""Creating feedback requests: one code path for the API, the admin form and the CSV import."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone, translation

from businesses.models import Business, Customer, StaffMember
from feedback.models import FeedbackRequest, FeedbackRequestEvent
from feedback.services.erased_addresses import erased_suppressions_restore
from feedback.tokens import new_salt, token_hashes
from outbox.enqueue import enqueue

logger = logging.getLogger(__name__)
Status = FeedbackRequest.Status
Reason = FeedbackRequest.SuppressionReason

# Requests that count as "asked" for the quiet period.
ASKED_STATUSES = [Status.QUEUED, Status.SENDING, Status.SENT, Status.REMINDED, Status.RESPONDED, Status.EXPIRED]
# How long the fast path has before the sweep takes a queued request over.
FAST_PATH_GRACE = timedelta(seconds=60)
ENQUEUE_CHUNK = 100  # requests per send task, as the sweep hands them out (feedback/tasks.py)
TEAM_MAX_LENGTH = 100
TEAM_ONLY_INTERNAL = "team is only for internal requests"


@dataclass
class RequestInput:
    """One validated request to create (the API serializer, the admin form and the CSV import build these)."""

    email: str
    name: str = ""
    external_id: str = ""
    staff: StaffMember | None = None
    interaction_at: datetime | None = None
    reference: str = ""
    internal: bool = False
    team: str = ""  # internal requests only: the team that was served
    language: str = ""  # the customer's language (checked by the caller); "" is the business's default
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.team and not self.internal:
            raise ValueError(TEAM_ONLY_INTERNAL)


def feedback_request_create(*, business: Business, item: RequestInput) -> FeedbackRequest:
    """Create one request (or return the existing one for the same reference)."""
    return feedback_requests_create(business=business, items=[item])[0]


def feedback_requests_create(*, business: Business, items: Sequence[RequestInput]) -> list[FeedbackRequest]:
    """Create requests for `items`, in order, and enqueue the ones to send after commit.

    A reference already used by this business returns the existing request instead of a new one
    (also when repeated inside `items`). A customer who opted out, bounced, or was asked within the
    business's quiet period gets a SUPPRESSED request with the reason, and no email. The broker
    being down does not fail the call: the committed rows are the outbox that the sweep sends.
    """
    try:
        with transaction.atomic():
            results, created = _create_all(business, items)
    except IntegrityError:
        # Another call created one of our references in the meantime: now we will find it.
        with transaction.atomic():
            results, created = _create_all(business, items)
    to_send = [request.pk for request in created if request.status == Status.QUEUED]
    if to_send:
        transaction.on_commit(lambda: enqueue_send(to_send))
    return results


def _create_all(
    business: Business, items: Sequence[RequestInput]
) -> tuple[list[FeedbackRequest], list[FeedbackRequest]]:
    """(the request for each item, the requests created)."""
    now = timezone.now()
    existing = _existing_by_reference(business, items)
    # An item whose reference was already used creates nothing, not even its customer.
    customers = _customers_for(business, [item for item in items if item.reference not in existing])
    # An erased customer who had opted out or bounced stays suppressed when their address comes back.
    erased_suppressions_restore(business=business, customers=customers.values())
    asked = _recently_asked(business, customers.values(), now)
    results: list[FeedbackRequest] = []
    new: list[FeedbackRequest] = []
    for item in items:
        if item.reference and item.reference in existing:
            results.append(existing[item.reference])
            continue
        customer = customers[item.email.lower()]
        request = _new_request(business, item, customer, now, suppression=_suppression(customer, asked))
        if request.status == Status.QUEUED:
            asked.add(customer.pk)
        if item.reference:
            existing[item.reference] = request
        new.append(request)
        results.append(request)
    FeedbackRequest.objects.bulk_create(new)
    # The history is a record (the API shows it): in one language, whoever's admin screen made the request.
    with translation.override(settings.LANGUAGE_CODE):
        FeedbackRequestEvent.objects.bulk_create(
            FeedbackRequestEvent(request=request, status=request.status, note=request.get_suppression_reason_display())
            for request in new
        )
    return results, new


def _existing_by_reference(business: Business, items: Sequence[RequestInput]) -> dict[str, FeedbackRequest]:
    references = {item.reference for item in items if item.reference}
    if not references:
        return {}
    found = FeedbackRequest.objects.filter(business=business, reference__in=references).select_related("customer")
    return {request.reference: request for request in found}


def _customers_for(business: Business, items: Sequence[RequestInput]) -> dict[str, Customer]:
    """{lower-cased email: customer}, creating the new ones, locking all of them for this transaction.

    The lock makes two concurrent calls for one customer decide the quiet period one after the other.
    """
    by_email = {item.email.lower(): item for item in reversed(items)}  # the first item's name wins

    def known():
        return {
            customer.email_lower: customer
            for customer in Customer.objects.select_for_update()
            .annotate(email_lower=Lower("email"))
            .filter(business=business, email_lower__in=list(by_email))
        }

    customers = known()
    missing = [
        Customer(business=business, email=item.email, name=item.name, external_id=item.external_id)
        for email, item in by_email.items()
        if email not in customers
    ]
    if missing:
        Customer.objects.bulk_create(missing, ignore_conflicts=True)
        customers = known()
    return customers


def _recently_asked(business: Business, customers, now: datetime) -> set[int]:
    if not business.quiet_period_days:
        return set()
    since = now - timedelta(days=business.quiet_period_days)
    return set(
        FeedbackRequest.objects.filter(
            business=business,
            customer__in=[customer.pk for customer in customers],
            status__in=ASKED_STATUSES,
            created_at__gte=since,
        ).values_list("customer_id", flat=True)
    )


def _suppression(customer: Customer, asked: set[int]) -> str:
    # Opting out is reported first, even when the quiet period applies too.
    if customer.opted_out_at:
        return Reason.OPTED_OUT
    if customer.bounced_at:
        return Reason.BOUNCED
    if customer.pk in asked:
        return Reason.QUIET_PERIOD
    return ""


def _new_request(
    business: Business, item: RequestInput, customer: Customer, now: datetime, suppression: str
) -> FeedbackRequest:
    salt = new_salt()
    return FeedbackRequest(
        business=business,
        customer=customer,
        staff=item.staff,
        interaction_at=item.interaction_at or now,
        reference=item.reference,
        internal=item.internal,
        team=item.team,
        language=item.language,
        status=Status.SUPPRESSED if suppression else Status.QUEUED,
        suppression_reason=suppression,
        suppressed_at=now if suppression else None,
        next_attempt_at=None if suppression else now + FAST_PATH_GRACE,
        token_salt=salt,
        **token_hashes(salt),
    )


def enqueue_send(request_ids: list[int]) -> None:
    """The fast path: hand the new requests to the worker. If the broker is down, the sweep will."""
    from feedback.tasks import send_feedback_requests

    for start in range(0, len(request_ids), ENQUEUE_CHUNK):
        if not enqueue(send_feedback_requests, request_ids[start : start + ENQUEUE_CHUNK]):
            return  # the rows stay queued for the sweep
