"""Open feedback links: one per business and one per staff member, printed as QR codes.

Walk-in and phone customers answer through them with the same form as an emailed invitation. An
answer is stored as a request of channel OPEN_LINK, created answered (sent and answered at the
same moment), so it counts in every figure and opens a case like any other answer; it is never a
verified customer's answer. A customer record is made only when the person gives an email address
(for a reply); without one the request and the answer have no customer.
"""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from businesses.models import Business, Customer, StaffMember
from feedback.models import Feedback, FeedbackRequest, FeedbackRequestEvent, OpenFeedbackLink, new_open_link_key
from feedback.services.erased_addresses import erased_suppressions_restore
from feedback.services.history_notes import OPEN_LINK
from feedback.services.responses import Answer, feedback_submit
from feedback.tokens import new_salt, token_hashes

KEY = re.compile(r"[A-Za-z0-9_-]{1,32}")  # URL-safe base64, as new_open_link_key makes them


def open_feedback_link(*, business: Business, staff: StaffMember | None = None) -> OpenFeedbackLink:
    """The open link of `business` (or of its staff member `staff`), made the first time it is asked for."""
    if staff is not None and staff.business_id != business.pk:
        raise ValueError("This staff member works for another business.")
    try:
        with transaction.atomic():
            link, _ = OpenFeedbackLink.objects.get_or_create(business=business, staff=staff)
    except IntegrityError:  # made at the same moment by another request
        link = OpenFeedbackLink.objects.get(business=business, staff=staff)
    return link


def open_feedback_link_made(
    sender, instance: Business | StaffMember, created: bool, raw: bool = False, **kwargs
) -> None:
    """post_save of a Business or a StaffMember: give a new one its open link (fixtures excepted)."""
    if not created or raw:
        return
    if isinstance(instance, StaffMember):
        open_feedback_link(business=instance.business, staff=instance)
    else:
        open_feedback_link(business=instance)


def open_feedback_link_renew(*, link: OpenFeedbackLink) -> OpenFeedbackLink:
    """Give the link a new key: codes printed before stop working (an abused or lost flyer)."""
    link.key = new_open_link_key()
    link.save(update_fields=["key"])
    return link


def open_feedback_link_by_key(key: str) -> OpenFeedbackLink | None:
    """The link with this key, with its business and staff member; None when unknown (or an inactive staff member's)."""
    if not KEY.fullmatch(key or ""):
        return None
    link = OpenFeedbackLink.objects.select_related("business", "staff").filter(key=key).first()
    if link is None or (link.staff is not None and not link.staff.active):
        return None
    return link


@transaction.atomic
def open_feedback_submit(*, link: OpenFeedbackLink, answer: Answer, name: str = "", email: str = "") -> Feedback:
    """Record an answer given through an open link; `name` and `email` are optional.

    With an email address the answer belongs to that customer (found in any letter case, or made):
    they can then receive the acknowledgement of a complaint and the business's replies. The
    answer itself is never attached to a verified invitation, whatever the address.
    """
    business, now = link.business, timezone.now()
    customer = _customer(business, name.strip(), email.strip()) if email.strip() else None
    salt = new_salt()
    request = FeedbackRequest.objects.create(
        business=business,
        customer=customer,
        staff=link.staff,
        interaction_at=now,
        channel=FeedbackRequest.Channel.OPEN_LINK,
        respondent_name=name.strip(),
        status=FeedbackRequest.Status.SENT,
        sent_at=now,
        token_salt=salt,
        **token_hashes(salt),
    )
    FeedbackRequestEvent.objects.create(request=request, status=request.status, note=OPEN_LINK)
    return feedback_submit(request_id=request.pk, answer=answer)


def _customer(business: Business, name: str, email: str) -> Customer:
    found = Customer.objects.filter(business=business).annotate(address=Lower("email")).filter(address=email.lower())
    customer = found.first()
    if customer is not None:
        return customer
    try:
        with transaction.atomic():
            customer = Customer.objects.create(business=business, name=name, email=email)
    except IntegrityError:  # the same address, made at the same moment
        return found.get()
    # An erased customer who had opted out or bounced stays so when their address comes back.
    erased_suppressions_restore(business=business, customers=[customer])
    return customer
