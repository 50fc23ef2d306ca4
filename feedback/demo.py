"""Demo feedback: a few weeks of requests and answers for the demo business. Safe to run again."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from businesses.models import Business, Customer, StaffMember
from feedback.models import Feedback, FeedbackRequest
from feedback.services.responses import consent_text, display_name_for
from feedback.tokens import new_salt, token_hashes

Status = FeedbackRequest.Status
WEEKS = 6
COMMENTS = {
    5: [
        "Maya remembered my usual order — lovely touch.",
        "Best flat white in Bristol, and so friendly.",
        "Quick, warm and spotless. We'll be back.",
        "Tom sorted out a birthday cake at short notice!",
    ],
    4: ["Great coffee, a bit of a queue at lunchtime.", "Friendly staff, the new pastries are good."],
    3: ["Fine, but my latte was lukewarm.", "Nice place, slow service on Saturday."],
    2: ["Waited 20 minutes and the order was wrong."],
    1: ["Rude at the till and the table was dirty."],
}
WALK_INS = 6  # answers through the QR code on the counter
WALK_IN_NAMES = ["Jo Park", "Sam Reid", "", "Priya N", "Luca Bianchi"]
IDEAS = ["Oat milk without the surcharge, please.", "A loyalty card would be nice.", "Open a bit earlier on weekdays."]


@transaction.atomic
def demo_feedback_load(*, business: Business, seed: int = 7) -> int:
    """Give each demo customer a request spread over the last weeks, most of them answered.

    Requests are marked with a `demo-` reference, so a second run adds nothing. Returns how many
    requests were created.
    """
    if FeedbackRequest.objects.filter(business=business, reference__startswith="demo-").exists():
        return 0
    rng = random.Random(seed)
    staff = list(StaffMember.objects.filter(business=business))
    now = timezone.now()
    created = 0
    for index, customer in enumerate(Customer.objects.filter(business=business).order_by("id")):
        for visit in range(2):
            asked_at = now - timedelta(days=rng.uniform(1, WEEKS * 7), hours=rng.uniform(0, 12))
            _demo_request(
                business,
                customer,
                rng.choice(staff) if staff else None,
                asked_at,
                reference=f"demo-{index}-{visit}",
                rng=rng,
                now=now,
            )
            created += 1
    for index in range(WALK_INS):
        _demo_walk_in(
            business, rng.choice(staff) if staff else None, reference=f"demo-walk-in-{index}", rng=rng, now=now
        )
        created += 1
    return created


def _demo_walk_in(business, staff, *, reference, rng, now) -> None:
    """An answer through the open link (the QR code on the counter): no customer record, not verified."""
    salt = new_salt()
    answered_at = now - timedelta(days=rng.uniform(0.5, WEEKS * 7))
    name = rng.choice(WALK_IN_NAMES)
    request = FeedbackRequest.objects.create(
        business=business,
        staff=staff,
        interaction_at=answered_at,
        reference=reference,
        channel=FeedbackRequest.Channel.OPEN_LINK,
        respondent_name=name,
        token_salt=salt,
        status=Status.RESPONDED,
        sent_at=answered_at,
        responded_at=answered_at,
        **token_hashes(salt),
    )
    FeedbackRequest.objects.filter(pk=request.pk).update(created_at=answered_at)
    rating = rng.choices([5, 4, 3], weights=[60, 30, 10])[0]
    feedback = Feedback.objects.create(
        request=request,
        business=business,
        staff=staff,
        verified=False,
        rating=rating,
        comment=rng.choice(COMMENTS[rating]),
        consent_to_publish=True,
        consent_text=consent_text(business),
        consent_at=answered_at,
        display_name=display_name_for(name, "first_initial"),
        editable_until=answered_at + timedelta(days=7),
    )
    Feedback.objects.filter(pk=feedback.pk).update(submitted_at=answered_at)


def _demo_request(business, customer, staff, asked_at, *, reference, rng, now) -> None:
    salt = new_salt()
    answered = rng.random() < 0.7
    expires_at = asked_at + timedelta(days=business.link_lifetime_days)
    reminder_at = asked_at + timedelta(days=business.reminder_delay_days)
    steps = {"status": Status.RESPONDED, "responded_at": asked_at + timedelta(hours=rng.uniform(1, 30))}
    if not answered:
        # Unanswered ones are as far along as real ones would be by now, so the sweep sends nothing.
        steps = {"status": Status.SENT, "reminder_due_at": reminder_at}
        if reminder_at <= now:
            steps = {"status": Status.REMINDED, "reminded_at": reminder_at}
        if expires_at <= now:
            steps = {"status": Status.EXPIRED, "reminded_at": reminder_at, "expired_at": expires_at}
    request = FeedbackRequest.objects.create(
        business=business,
        customer=customer,
        staff=staff,
        interaction_at=asked_at - timedelta(hours=2),
        reference=reference,
        token_salt=salt,
        sent_at=asked_at,
        expires_at=expires_at,
        **steps,
        **token_hashes(salt),
    )
    FeedbackRequest.objects.filter(pk=request.pk).update(created_at=asked_at)
    if not answered:
        return
    rating = rng.choices([5, 4, 3, 2, 1], weights=[50, 25, 12, 8, 5])[0]
    consent = rng.random() < 0.8
    feedback = Feedback.objects.create(
        request=request,
        business=business,
        customer=customer,
        staff=staff,
        rating=rating,
        comment=rng.choice(COMMENTS[rating]),
        improvement=rng.choice(IDEAS) if rng.random() < 0.3 else "",
        recommend_score=min(10, max(0, rating * 2 + rng.choice([-1, 0, 0, 1]))),
        consent_to_publish=consent,
        consent_text=consent_text(business) if consent else "",
        consent_at=request.responded_at if consent else None,
        display_name=display_name_for(customer.name, "first_initial"),
        editable_until=request.responded_at + timedelta(days=7),
    )
    Feedback.objects.filter(pk=feedback.pk).update(submitted_at=request.responded_at)
