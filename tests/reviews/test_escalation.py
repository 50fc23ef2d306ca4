"""Escalation: an overdue complaint reminds its assignee once, and CASE_ESCALATION_HOURS later, if the
customer has still heard nothing, alerts the owners once — whatever runs the sweep, and how often."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from businesses.models import Membership
from feedback.services.responses import Answer, feedback_submit
from outbox.models import OutboxEmail
from outbox.services import outbox_emails_send
from reviews.models import Case
from reviews.services.cases import case_update, cases_overdue_escalate, cases_overdue_remind
from reviews.services.conversation import case_message_send
from reviews.tasks import remind_overdue_cases
from tests.businesses.factories import MembershipFactory
from tests.conftest import require_service
from tests.feedback.factories import FeedbackRequestFactory

pytestmark = pytest.mark.django_db
DEADLINE = timedelta(hours=24)  # the business's default response hours


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    return time_machine


@pytest.fixture
def manager(business):
    return MembershipFactory(business=business, role=Membership.Role.MANAGER).user


def open_case(business) -> Case:
    request = FeedbackRequestFactory(business=business, customer__name="Ana Silva")
    feedback_submit(request_id=request.pk, answer=Answer(rating=1, comment="Cold soup, nobody came back."))
    return Case.objects.get(feedback__request=request)


def escalations() -> list[str]:
    return sorted(OutboxEmail.objects.filter(key__startswith="case-escalated:").values_list("key", flat=True))


def reminded_then(frozen, business, manager) -> Case:
    """A case assigned to the manager, past its deadline, whose reminder went out just now."""
    case = open_case(business)
    case_update(case=case, actor=None, assignee=manager)
    frozen.shift(DEADLINE + timedelta(minutes=1))
    assert cases_overdue_remind() == 1
    return case


def test_the_owner_is_alerted_once_a_day_after_the_reminder(business, owner, manager, frozen):
    case = reminded_then(frozen, business, manager)

    frozen.shift(timedelta(hours=24))
    assert cases_overdue_escalate() == 1
    assert cases_overdue_escalate() == 0  # a re-run
    assert remind_overdue_cases() == 0  # the scheduled task, both steps

    assert escalations() == [f"case-escalated:{case.pk}:{owner.pk}"]  # the owner, not the manager
    mail.outbox.clear()
    outbox_emails_send(
        email_ids=list(OutboxEmail.objects.filter(key__startswith="case-escalated:").values_list("id", flat=True))
    )
    (message,) = mail.outbox
    assert message.to == [owner.email]
    assert message.subject.startswith("Escalated: Ana Silva")
    for part in (message.body, message.alternatives[0][0]):
        assert "the customer has still heard nothing" in part
        assert f"/admin/reviews/case/{case.pk}/" in part


def test_the_assignee_is_reminded_once_whatever_runs_the_sweep(business, owner, manager, frozen):
    case = reminded_then(frozen, business, manager)

    assert cases_overdue_remind() == 0
    assert remind_overdue_cases() == 0
    keys = OutboxEmail.objects.filter(key__startswith="case-overdue:").values_list("key", flat=True)
    assert list(keys) == [f"case-overdue:{case.pk}:{manager.pk}"]


def test_no_alert_before_the_escalation_hours_have_passed(business, owner, manager, frozen):
    reminded_then(frozen, business, manager)

    frozen.shift(timedelta(hours=23, minutes=59))
    assert cases_overdue_escalate() == 0
    assert escalations() == []


def test_no_alert_for_a_case_never_reminded(business, owner, frozen):
    open_case(business)
    frozen.shift(DEADLINE + timedelta(hours=30))  # past both steps, but the reminder never ran

    assert cases_overdue_escalate() == 0
    assert escalations() == []


def test_no_alert_once_the_customer_had_a_first_response(business, owner, manager, frozen):
    case = reminded_then(frozen, business, manager)
    frozen.shift(timedelta(hours=2))
    case_message_send(case=case, author=manager, body="Called Ana, she is happy with a refund.", kind="call")

    frozen.shift(timedelta(hours=30))
    assert cases_overdue_escalate() == 0
    assert escalations() == []


def test_a_note_alone_does_not_stop_the_alert_to_the_owner(business, owner, manager, frozen):
    # A note is the team's memo, not an answer to the customer: the case is still untouched.
    case = reminded_then(frozen, business, manager)
    frozen.shift(timedelta(hours=2))
    case_update(case=case, actor=manager, note="Will call Ana tomorrow.")

    frozen.shift(timedelta(hours=30))
    assert cases_overdue_escalate() == 1
    assert escalations() == [f"case-escalated:{case.pk}:{owner.pk}"]


def test_the_escalation_hours_are_a_setting(business, owner, manager, frozen, settings):
    settings.CASE_ESCALATION_HOURS = 2
    reminded_then(frozen, business, manager)

    frozen.shift(timedelta(hours=1, minutes=59))
    assert cases_overdue_escalate() == 0
    frozen.shift(timedelta(minutes=1))
    assert cases_overdue_escalate() == 1


def test_without_an_owner_s_address_the_managers_are_alerted(business, owner, manager, frozen):
    type(owner).objects.filter(pk=owner.pk).update(email="")
    case = reminded_then(frozen, business, manager)

    frozen.shift(timedelta(hours=24))
    assert cases_overdue_escalate() == 1
    assert escalations() == [f"case-escalated:{case.pk}:{manager.pk}"]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_alert_the_owner_once(business, owner, manager, frozen):
    """Two sweeps on their own connections at the same moment (PostgreSQL: the row lock and the key)."""
    require_service(connection.vendor == "postgresql", "PostgreSQL (set DATABASE_URL)")
    case = reminded_then(frozen, business, manager)
    frozen.shift(timedelta(hours=24))
    now = timezone.now()
    start = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            start.wait(timeout=30)
            counts.append(cases_overdue_remind(now=now) + cases_overdue_escalate(now=now))
        except BaseException as error:  # noqa: BLE001  (reported below, in the test's thread)
            errors.append(error)
        finally:
            connection.close()  # each thread has its own connection; leave none open for teardown

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(counts) == [0, 1]
    assert escalations() == [f"case-escalated:{case.pk}:{owner.pk}"]
