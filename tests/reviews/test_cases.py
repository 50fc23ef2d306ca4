"""Complaint cases through the services: opening, alerts, deadlines, reminders, responses, the follow-up.

Emails go through the outbox (OutboxEmail rows, queued in the transaction that causes them) and are
sent here synchronously with `outbox_emails_send` into Django's locmem `mail.outbox`.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from businesses.models import Membership
from feedback.services.responses import Answer, AnswerLocked, customer_unsubscribe, feedback_submit
from outbox import tasks as outbox_tasks
from outbox.models import OutboxEmail
from outbox.services import outbox_emails_due, outbox_emails_send
from reviews import emails
from reviews.models import Case, CaseNote, RatingChange
from reviews.services.cases import case_follow_up_send, case_update, cases_overdue_remind
from reviews.services.conversation import case_message_send
from tests.businesses.factories import MembershipFactory, UserFactory
from tests.feedback.factories import FeedbackRequestFactory, feedback_token

pytestmark = pytest.mark.django_db
Status = Case.Status
COMPLAINT = "The soup was cold and nobody came back to our table."


# --- helpers -------------------------------------------------------------------------------------


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


@pytest.fixture
def manager(business):
    return MembershipFactory(business=business, role=Membership.Role.MANAGER).user


def submit(business, rating: int = 1, comment: str = COMPLAINT, request=None, **answer):
    """The customer's own submit, through the service the feedback form calls."""
    request = request or FeedbackRequestFactory(business=business, customer__name="Ana Silva")
    return feedback_submit(request_id=request.pk, answer=Answer(rating=rating, comment=comment, **answer))


def send_all() -> int:
    """Send every queued outbox email now (what the fast path does after commit)."""
    return outbox_emails_send(email_ids=list(OutboxEmail.objects.values_list("id", flat=True)))


def run_sweep(monkeypatch, now) -> int:
    """The outbox sweep task, with its sends run synchronously instead of through the broker."""
    monkeypatch.setattr(outbox_tasks.send_outbox_emails, "delay", lambda ids: outbox_tasks.send_outbox_emails(ids))
    monkeypatch.setattr(outbox_tasks.services, "outbox_emails_due", lambda: outbox_emails_due(now=now))
    return outbox_tasks.sweep_outbox()


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def assert_in_both_parts(message, fragment: str) -> None:
    html = message.alternatives[0][0]
    assert fragment in message.body
    assert fragment in html


# --- opening a case ------------------------------------------------------------------------------


@pytest.mark.parametrize("rating", [1, 2])
def test_a_rating_at_or_below_the_threshold_opens_exactly_one_case(business, owner, rating):
    feedback = submit(business, rating=rating)

    case = Case.objects.get()
    assert (case.feedback, case.business, case.status, case.original_rating) == (
        feedback,
        business,
        Status.OPEN,
        rating,
    )


def test_a_three_star_rating_opens_no_case_by_default(business, owner):
    submit(business, rating=3)

    assert not Case.objects.exists()
    assert not OutboxEmail.objects.exists()


def test_the_business_s_own_threshold_decides(business, owner):
    business.low_rating_threshold = 3
    business.save()

    submit(business, rating=3)

    assert Case.objects.count() == 1


def test_editing_a_low_answer_never_opens_a_second_case(business, owner):
    request = FeedbackRequestFactory(business=business)
    submit(business, rating=1, request=request)
    submit(business, rating=2, comment="Still bad.", request=request)

    assert Case.objects.count() == 1
    assert OutboxEmail.objects.filter(key__startswith="case-opened").count() == 1


def test_an_answer_edited_down_to_a_low_rating_opens_a_case(business, owner):
    request = FeedbackRequestFactory(business=business)
    submit(business, rating=5, comment="Lovely evening, thank you.", request=request)
    assert not Case.objects.exists()

    submit(business, rating=1, request=request)

    assert Case.objects.get().original_rating == 1


def test_the_case_and_its_alerts_exist_only_if_the_answer_does(business, owner):
    # Same transaction: when the answer's transaction rolls back, so do the case and its emails.
    with pytest.raises(RuntimeError), transaction.atomic():
        submit(business, rating=1)
        assert Case.objects.count() == 1
        assert OutboxEmail.objects.count() == 2  # the owner's alert and the customer's acknowledgement
        raise RuntimeError("the request failed after the answer was saved")

    assert not Case.objects.exists()
    assert not OutboxEmail.objects.exists()


def test_the_deadline_is_the_opening_time_plus_the_business_s_response_hours(business, owner, frozen):
    business.complaint_response_hours = 6
    business.save()

    submit(business, rating=1)

    case = Case.objects.get()
    assert case.opened_at == timezone.now()
    assert case.deadline == timezone.now() + timedelta(hours=6)


# --- the alert -----------------------------------------------------------------------------------


def test_owners_and_managers_each_get_exactly_one_alert(
    business, owner, manager, other_business, django_capture_on_commit_callbacks
):
    MembershipFactory(business=other_business)  # someone else's owner hears nothing
    UserFactory(email="not-a-member@example.com")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submit(business, rating=1)

    alerts = OutboxEmail.objects.filter(key__startswith="case-opened")
    assert sorted(alert.to for alert in alerts) == sorted([owner.email, manager.email])
    assert {alert.business for alert in alerts} == {business}
    assert callbacks, "sending is enqueued after the commit"

    assert outbox_emails_send(email_ids=[alert.pk for alert in alerts]) == 2
    assert recipients() == sorted([owner.email, manager.email])
    message = mail.outbox[0]
    assert_in_both_parts(message, "1 out of 5")
    assert_in_both_parts(message, COMPLAINT)
    case = Case.objects.get()
    assert_in_both_parts(message, f"https://raves.test/admin/reviews/case/{case.pk}/change/")


def test_resending_or_sweeping_never_sends_an_alert_twice(business, owner, manager, monkeypatch):
    submit(business, rating=1)
    ids = list(OutboxEmail.objects.values_list("id", flat=True))

    assert outbox_emails_send(email_ids=ids) == 3  # two alerts and the customer's acknowledgement
    assert outbox_emails_send(email_ids=ids) == 0
    assert run_sweep(monkeypatch, now=timezone.now() + timedelta(hours=1)) == 0

    assert len(mail.outbox) == 3
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {OutboxEmail.Status.SENT}


def test_the_sweep_sends_an_alert_the_fast_path_missed_once(business, owner, monkeypatch):
    submit(business, rating=1)  # the after-commit send never ran (the broker was down)
    later = timezone.now() + timedelta(minutes=2)

    assert run_sweep(monkeypatch, now=later) == 2  # the alert and the customer's acknowledgement
    assert run_sweep(monkeypatch, now=later) == 0

    assert recipients() == sorted([owner.email, Case.objects.get().feedback.customer.email])


def test_a_person_without_an_email_address_is_skipped(business, owner):
    MembershipFactory(business=business, role=Membership.Role.MANAGER, user__email="")

    submit(business, rating=1)

    assert list(OutboxEmail.objects.filter(key__startswith="case-opened").values_list("to", flat=True)) == [owner.email]


# --- the overdue reminder ------------------------------------------------------------------------


def test_no_reminder_before_the_deadline(business, owner, frozen):
    submit(business, rating=1)

    frozen.shift(timedelta(hours=23, minutes=59))
    assert cases_overdue_remind() == 0
    frozen.shift(timedelta(minutes=1))  # exactly at the deadline: not yet past it
    assert cases_overdue_remind() == 0

    assert not OutboxEmail.objects.filter(key__startswith="case-overdue").exists()


def test_the_overdue_reminder_goes_once_to_each_person(business, owner, manager, frozen):
    submit(business, rating=1)
    send_all()
    mail.outbox.clear()

    frozen.shift(timedelta(hours=25))
    assert cases_overdue_remind() == 1
    assert cases_overdue_remind() == 0
    send_all()
    send_all()

    assert recipients() == sorted([owner.email, manager.email])
    assert_in_both_parts(mail.outbox[0], "nobody has answered yet")
    assert Case.objects.get().overdue_reminded_at == timezone.now()


def test_the_overdue_reminder_goes_to_the_assignee_alone_when_there_is_one(business, owner, manager, frozen):
    submit(business, rating=1)
    case = Case.objects.get()
    case_update(case=case, actor=owner, assignee=manager)  # assigning is not a response
    send_all()
    mail.outbox.clear()

    frozen.shift(timedelta(hours=25))
    assert cases_overdue_remind() == 1
    send_all()

    assert recipients() == [manager.email]


def test_no_reminder_after_a_logged_call_to_the_customer(business, owner, frozen):
    submit(business, rating=1)
    case = Case.objects.get()
    frozen.shift(timedelta(hours=2))
    called_at = timezone.now()
    case_message_send(case=case, author=owner, body="Called Ana, left a message.", kind="call")

    frozen.shift(timedelta(hours=30))
    assert cases_overdue_remind() == 0
    assert not OutboxEmail.objects.filter(key__startswith="case-overdue").exists()
    case.refresh_from_db()
    assert (case.first_response_at, case.is_overdue) == (called_at, False)


def test_a_note_alone_is_not_a_response_the_case_stays_overdue_and_is_reminded(business, owner, frozen):
    # A note is the team's memo: the customer has still heard nothing.
    submit(business, rating=1)
    case = Case.objects.get()
    frozen.shift(timedelta(hours=2))
    case_update(case=case, actor=owner, note="Will call Ana tomorrow.")

    frozen.shift(timedelta(hours=30))
    case.refresh_from_db()
    assert (case.first_response_at, case.is_overdue) == (None, True)
    assert cases_overdue_remind() == 1
    assert OutboxEmail.objects.filter(key=f"case-overdue:{case.pk}:{owner.pk}").exists()


def test_a_case_answered_while_the_sweep_runs_is_not_reminded(business, owner, frozen, monkeypatch):
    submit(business, rating=1)
    frozen.shift(timedelta(minutes=1))
    submit(business, rating=2)
    first, second = Case.objects.order_by("deadline")
    frozen.shift(timedelta(hours=25))
    build_reminder = emails.case_overdue_email

    def someone_answers_the_second_case_meanwhile(case, user):
        Case.objects.filter(pk=second.pk).update(first_response_at=timezone.now())
        return build_reminder(case, user)

    monkeypatch.setattr(emails, "case_overdue_email", someone_answers_the_second_case_meanwhile)

    assert cases_overdue_remind() == 1
    reminders = list(OutboxEmail.objects.filter(key__startswith="case-overdue").values_list("key", flat=True))
    assert reminders == [f"case-overdue:{first.pk}:{owner.pk}"]


# --- working the case ----------------------------------------------------------------------------


def test_notes_are_kept_with_their_author_but_are_not_the_first_response(business, owner, frozen):
    submit(business, rating=1)
    case = Case.objects.get()
    frozen.shift(timedelta(hours=3))

    case = case_update(case=case, actor=owner, note="  Called Ana and apologised.  ")
    frozen.shift(timedelta(hours=1))
    case = case_update(case=case, actor=owner, note="Sent a voucher.")

    assert case.first_response_at is None
    notes = list(CaseNote.objects.filter(case=case).values_list("author", "text"))
    assert notes == [(owner.pk, "Called Ana and apologised."), (owner.pk, "Sent a voucher.")]


def test_a_status_change_is_not_the_first_response_the_first_call_is(business, owner, frozen):
    submit(business, rating=1)
    frozen.shift(timedelta(minutes=40))
    case = case_update(case=Case.objects.get(), actor=owner, status=Status.CONTACTED)
    assert case.first_response_at is None

    frozen.shift(timedelta(minutes=15))
    case_message_send(case=case, author=owner, body="Called Ana and apologised.", kind="call")

    case.refresh_from_db()
    assert case.first_response_at == timezone.now()
    assert case.first_response_at - case.opened_at == timedelta(minutes=55)


def test_assigning_someone_is_not_a_response_to_the_customer(business, owner, manager):
    submit(business, rating=1)

    case = case_update(case=Case.objects.get(), actor=owner, assignee=manager)

    assert case.assignee == manager
    assert case.first_response_at is None


def test_resending_the_same_status_is_not_a_response(business, owner):
    # The admin form sends the status it shows; an unchanged status is not a response.
    submit(business, rating=1)

    case = case_update(case=Case.objects.get(), actor=owner, status=Status.OPEN, resolution="")

    assert case.first_response_at is None


def test_the_assignee_must_run_the_business(business, owner, other_business):
    submit(business, rating=1)
    outsider = MembershipFactory(business=other_business).user

    with pytest.raises(ValidationError) as refused:
        case_update(case=Case.objects.get(), actor=owner, assignee=outsider)

    assert "assignee" in refused.value.message_dict
    assert Case.objects.get().assignee is None


def test_resolving_requires_a_resolution(business, owner):
    submit(business, rating=1)
    case = Case.objects.get()

    with pytest.raises(ValidationError) as refused:
        case_update(case=case, actor=owner, status=Status.RESOLVED, resolution="   ")

    assert "resolution" in refused.value.message_dict
    case.refresh_from_db()
    assert (case.status, case.resolved_at, case.first_response_at) == (Status.OPEN, None, None)


def test_resolving_with_a_resolution_records_the_resolution_time(business, owner, frozen):
    submit(business, rating=1)
    frozen.shift(timedelta(hours=5))

    case = case_update(
        case=Case.objects.get(), actor=owner, status=Status.RESOLVED, resolution="Refunded the meal.", cause="quality"
    )

    assert (case.status, case.resolution) == (Status.RESOLVED, "Refunded the meal.")
    assert case.resolved_at - case.opened_at == timedelta(hours=5)


def test_a_resolved_case_cannot_lose_its_resolution(business, owner):
    submit(business, rating=1)
    case = case_update(
        case=Case.objects.get(), actor=owner, status=Status.RESOLVED, resolution="Refunded.", cause="quality"
    )

    with pytest.raises(ValidationError) as refused:
        case_update(case=case, actor=owner, resolution="")

    assert "resolution" in refused.value.message_dict
    case.refresh_from_db()
    assert case.resolution == "Refunded."


def test_reopening_a_case_clears_its_resolution_time(business, owner):
    submit(business, rating=1)
    case = case_update(
        case=Case.objects.get(), actor=owner, status=Status.RESOLVED, resolution="Refunded.", cause="quality"
    )

    case = case_update(case=case, actor=owner, status=Status.CONTACTED)

    assert (case.status, case.resolved_at) == (Status.CONTACTED, None)


# --- "did we make it right?" ---------------------------------------------------------------------


def resolved_case(business, owner, **submit_kwargs) -> Case:
    submit(business, rating=1, **submit_kwargs)
    return case_update(
        case=Case.objects.get(), actor=owner, status=Status.RESOLVED, resolution="Refunded the meal.", cause="quality"
    )


def test_the_follow_up_is_sent_once(business, owner):
    case = resolved_case(business, owner)
    send_all()
    mail.outbox.clear()

    assert case_follow_up_send(case=case) is True
    assert case_follow_up_send(case=case) is False
    send_all()
    send_all()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [case.feedback.customer.email]
    assert "did we make it right?" in message.subject.lower()
    assert_in_both_parts(message, "Refunded the meal.")
    assert_in_both_parts(message, f"https://raves.test/f/{feedback_token(case.feedback.request)}/")


def test_the_follow_up_links_the_conversation_and_offers_the_one_click_way_out(client, business, owner):
    case = resolved_case(business, owner)
    mail.outbox.clear()
    case_follow_up_send(case=case)
    send_all()
    [message] = [message for message in mail.outbox if "make it right" in message.subject.lower()]
    token = feedback_token(case.feedback.request)

    conversation = f"https://raves.test/f/{token}/conversation/"
    assert_in_both_parts(message, conversation)
    assert_in_both_parts(message, "write to us about it")
    assert client.get(conversation.removeprefix("https://raves.test")).status_code == 200
    headers = message.message()
    [unsubscribe] = headers.get_all("List-Unsubscribe")
    assert unsubscribe.startswith("<https://raves.test/u/") and token not in unsubscribe
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = client.post(
        unsubscribe.strip("<>").removeprefix("https://raves.test"),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert one_click.status_code == 200
    case.feedback.customer.refresh_from_db()
    assert case.feedback.customer.opted_out_at is not None


def test_an_open_case_gets_no_follow_up(business, owner):
    submit(business, rating=1)

    assert case_follow_up_send(case=Case.objects.get()) is False
    assert not OutboxEmail.objects.filter(key__startswith="case-follow-up").exists()


def test_an_opted_out_customer_gets_no_follow_up(business, owner):
    case = resolved_case(business, owner)
    customer_unsubscribe(request_id=case.feedback.request_id)

    assert case_follow_up_send(case=case) is False

    assert not OutboxEmail.objects.filter(key__startswith="case-follow-up").exists()
    case.refresh_from_db()
    assert case.follow_up_sent_at is None


def test_the_follow_up_lets_the_customer_update_their_rating_and_keeps_both(business, owner, frozen):
    request = FeedbackRequestFactory(business=business)
    case = resolved_case(business, owner, request=request)

    frozen.shift(timedelta(days=10))  # the answer's own edit window (7 days) has closed
    with pytest.raises(AnswerLocked):
        submit(business, rating=4, request=request)

    case_follow_up_send(case=case)
    frozen.shift(timedelta(days=6))
    feedback = submit(business, rating=4, comment="They refunded us and called. Thank you.", request=request)

    assert feedback.rating == 4
    history = list(RatingChange.objects.filter(feedback=feedback).values_list("rating", "after_case"))
    assert history == [(1, False), (4, True)]
    case.refresh_from_db()
    assert (case.original_rating, case.status) == (1, Status.RESOLVED)
    assert Case.objects.count() == 1


def test_the_reopened_link_closes_again_after_seven_days(business, owner, frozen):
    request = FeedbackRequestFactory(business=business)
    case = resolved_case(business, owner, request=request)
    frozen.shift(timedelta(days=10))
    case_follow_up_send(case=case)

    frozen.shift(timedelta(days=7, seconds=1))
    with pytest.raises(AnswerLocked):
        submit(business, rating=5, request=request)


def test_the_customer_updates_their_rating_through_the_link_in_the_follow_up(business, owner, client, frozen):
    request = FeedbackRequestFactory(business=business)
    case = resolved_case(business, owner, request=request)
    frozen.shift(timedelta(days=10))
    case_follow_up_send(case=case)
    send_all()
    link = mail.outbox[-1].body.split("https://raves.test", 1)[1].split()[0]

    answer = client.post(link, {"rating": "5", "comment": "Made it right.", "display_name_choice": "first_initial"})

    assert answer.status_code == 302
    case.feedback.refresh_from_db()
    assert case.feedback.rating == 5
    ratings = list(RatingChange.objects.filter(feedback=case.feedback).values_list("rating", "after_case"))
    assert ratings == [(1, False), (5, True)]
