"""The daily cap of invitation emails per business (feedback/services/daily_limit.py).

Messages go through our SMTP backend to a real aiosmtpd server on loopback (`smtp_collector`); the
sweep's tasks run in this process. Harbour Coffee lives in Europe/Paris (UTC+1 in December), so
"the next day" starts at 23:00 UTC: a count per UTC day would get these tests wrong.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from businesses.models import DailyInvitationCount
from feedback import tasks
from feedback.models import FeedbackRequest
from feedback.services.daily_limit import business_day
from feedback.services.requests import RequestInput, feedback_requests_create
from feedback.services.sending import feedback_requests_claim, feedback_requests_send
from outbox.models import OutboxEmail
from tests.businesses.factories import BusinessFactory, MembershipFactory, UserFactory
from tests.conftest import require_service
from tests.test_settings import run_django

pytestmark = pytest.mark.django_db
Status = FeedbackRequest.Status
MORNING = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # 10:00 on Monday 7 December in Paris
PARIS_MIDNIGHT = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)  # 00:00 on Tuesday 8 December in Paris


@pytest.fixture
def harbour():
    return BusinessFactory(name="Harbour Coffee", timezone="Europe/Paris", daily_invitation_limit=5)


@pytest.fixture
def owner_of_harbour(harbour):
    return MembershipFactory(business=harbour, user=UserFactory(username="ada@harbour.example", first_name="Ada")).user


@pytest.fixture
def morning(time_machine):
    time_machine.move_to(MORNING, tick=False)
    return time_machine


@pytest.fixture
def run_tasks_inline():
    """The sweep's `.delay` calls run the tasks at once, in this process."""
    with (
        mock.patch.object(tasks.send_feedback_requests, "delay", side_effect=tasks.send_feedback_requests),
        mock.patch.object(tasks.send_feedback_reminders, "delay", side_effect=tasks.send_feedback_reminders),
    ):
        yield


def queued(business, count: int, first: int = 0) -> list[FeedbackRequest]:
    """New requests, left to the sweep (as if the broker were down)."""
    with mock.patch.object(tasks.send_feedback_requests, "delay"):
        return feedback_requests_create(
            business=business,
            items=[RequestInput(email=f"c{n}@example.com", name=f"C{n} X") for n in range(first, first + count)],
        )


def ids(requests) -> list[int]:
    return [request.pk for request in requests]


def statuses(requests) -> list[str]:
    return [FeedbackRequest.objects.get(pk=request.pk).status for request in requests]


def limit_notices(business) -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(business=business, key__startswith="daily-limit:"))


# --- the cap ---------------------------------------------------------------------------------------
def test_with_a_limit_of_5_five_of_8_requests_go_today_and_3_wait_queued(harbour, morning, smtp_collector):
    requests = queued(harbour, 8)

    assert feedback_requests_send(request_ids=ids(requests)) == 5

    assert statuses(requests) == [Status.SENT] * 5 + [Status.QUEUED] * 3
    assert sorted(smtp_collector.recipients) == [f"c{n}@example.com" for n in range(5)]
    waiting = FeedbackRequest.objects.filter(pk__in=ids(requests[5:]))
    assert {request.next_attempt_at for request in waiting} == {PARIS_MIDNIGHT}
    assert {request.attempts for request in waiting} == {0}  # waiting is not a failed attempt
    assert all("daily limit of 5" in request.last_error for request in waiting)
    assert not FeedbackRequest.objects.filter(status__in=[Status.FAILED, Status.SUPPRESSED]).exists()


def test_the_waiting_requests_are_sent_by_the_sweep_on_the_businesss_next_local_day(
    harbour, morning, smtp_collector, run_tasks_inline
):
    requests = queued(harbour, 8)
    morning.shift(timedelta(minutes=2))  # past the fast path's grace: the sweep's turn
    tasks.sweep_feedback_requests()
    assert statuses(requests).count(Status.SENT) == 5

    morning.move_to(PARIS_MIDNIGHT - timedelta(seconds=1))  # still Monday in Paris
    tasks.sweep_feedback_requests()
    assert statuses(requests).count(Status.SENT) == 5

    morning.move_to(PARIS_MIDNIGHT)  # Tuesday in Paris, still Monday in UTC
    tasks.sweep_feedback_requests()
    tasks.sweep_feedback_requests()

    assert statuses(requests) == [Status.SENT] * 8
    assert sorted(smtp_collector.recipients) == sorted(f"c{n}@example.com" for n in range(8))


def test_requests_made_after_the_limit_was_reached_wait_too(harbour, morning, smtp_collector):
    feedback_requests_send(request_ids=ids(queued(harbour, 5)))
    later = queued(harbour, 2, first=5)

    assert feedback_requests_send(request_ids=ids(later)) == 0
    assert statuses(later) == [Status.QUEUED] * 2
    assert len(smtp_collector.recipients) == 5


def test_the_servers_default_limit_applies_to_a_business_without_its_own(settings, morning, smtp_collector):
    settings.FEEDBACK_DAILY_LIMIT = 3
    business = BusinessFactory(timezone="Europe/Paris")

    assert feedback_requests_send(request_ids=ids(queued(business, 4))) == 3


def test_each_business_has_its_own_count(harbour, morning, smtp_collector):
    other = BusinessFactory(timezone="Europe/Paris", daily_invitation_limit=5)
    feedback_requests_send(request_ids=ids(queued(harbour, 5)))

    assert feedback_requests_send(request_ids=ids(queued(other, 5))) == 5


def test_reminders_count_against_the_limit_and_wait_for_the_next_day(
    harbour, morning, smtp_collector, run_tasks_inline
):
    harbour.daily_invitation_limit = 10
    harbour.save()
    requests = queued(harbour, 3)
    feedback_requests_send(request_ids=ids(requests))  # Monday: 3 invitations
    harbour.daily_invitation_limit = 2
    harbour.save()
    # Reminders fall due on Thursday morning (after the 3-day delay).
    morning.move_to(MORNING + timedelta(days=harbour.reminder_delay_days, minutes=1))

    tasks.sweep_feedback_requests()
    assert statuses(requests).count(Status.REMINDED) == 2
    assert statuses(requests).count(Status.SENT) == 1
    tasks.sweep_feedback_requests()
    assert statuses(requests).count(Status.REMINDED) == 2

    morning.move_to(PARIS_MIDNIGHT + timedelta(days=harbour.reminder_delay_days, seconds=1))  # Friday in Paris
    tasks.sweep_feedback_requests()
    assert statuses(requests) == [Status.REMINDED] * 3
    assert len(smtp_collector.recipients) == 6


def test_a_message_that_did_not_go_gives_its_slot_back(harbour, morning, smtp_collector):
    requests = queued(harbour, 5)
    with mock.patch("mail.smtp.EmailBackend.open", side_effect=OSError("connection refused")):
        assert feedback_requests_send(request_ids=ids(requests)) == 0  # the mail server is down

    assert DailyInvitationCount.objects.get(business=harbour).reserved == 0
    morning.shift(timedelta(minutes=5))  # past the retry's back-off
    assert feedback_requests_send(request_ids=ids(requests)) == 5


def test_a_batch_that_fits_costs_one_query_of_the_daily_count(harbour, morning, smtp_collector):
    harbour.daily_invitation_limit = 1000
    harbour.save()
    feedback_requests_send(request_ids=ids(queued(harbour, 10)))  # the day's first batch makes the count
    batch = ids(queued(harbour, 100, first=10))

    with CaptureQueriesContext(connection) as queries:
        assert feedback_requests_send(request_ids=batch) == 100

    assert len([query for query in queries if DailyInvitationCount._meta.db_table in query["sql"]]) == 1


# --- telling the owner -----------------------------------------------------------------------------
def test_the_owner_is_told_once_that_the_limit_was_reached_and_how_many_wait(
    harbour, owner_of_harbour, morning, smtp_collector, run_tasks_inline
):
    requests = queued(harbour, 8)
    feedback_requests_send(request_ids=ids(requests))
    morning.shift(timedelta(hours=1))
    queued(harbour, 2, first=8)
    tasks.sweep_feedback_requests()
    tasks.sweep_feedback_requests()

    [notice] = limit_notices(harbour)
    assert notice.to == "ada@harbour.example"
    assert notice.subject == "Harbour Coffee reached its daily limit of 5 invitations; 3 wait for tomorrow"
    for part in (notice.text, notice.html):
        assert "Harbour Coffee reached its daily limit of 5 invitations" in part
        assert "3 wait for tomorrow" in part
        assert "Tuesday 8 December 2026 (Europe/Paris)" in part
        assert "https://raves.test/admin/feedback/feedbackrequest/?status__exact=queued" in part
    assert notice.html.lstrip().startswith("<!doctype html>")


def test_the_owner_is_told_again_on_another_day_the_limit_is_reached(
    harbour, owner_of_harbour, morning, smtp_collector
):
    feedback_requests_send(request_ids=ids(queued(harbour, 6)))
    morning.move_to(PARIS_MIDNIGHT + timedelta(hours=9))  # Tuesday morning

    feedback_requests_send(request_ids=ids(queued(harbour, 6, first=6)))

    assert len(limit_notices(harbour)) == 2


def test_the_owner_is_not_told_while_everything_fits(harbour, owner_of_harbour, morning, smtp_collector):
    feedback_requests_send(request_ids=ids(queued(harbour, 5)))

    assert limit_notices(harbour) == []


# --- configuration ---------------------------------------------------------------------------------
def test_the_servers_daily_limit_defaults_to_50000_and_is_read_from_the_environment():
    code = "import django; django.setup(); from django.conf import settings; print(settings.FEEDBACK_DAILY_LIMIT)"

    assert run_django("-c", code, DEBUG="true").stdout.strip() == "50000"
    assert run_django("-c", code, DEBUG="true", FEEDBACK_DAILY_LIMIT="120000").stdout.strip() == "120000"
    refused = run_django("-c", code, DEBUG="true", FEEDBACK_DAILY_LIMIT="0")
    assert refused.returncode != 0
    assert "FEEDBACK_DAILY_LIMIT must be at least 1" in refused.stderr


# --- workers racing, on PostgreSQL -----------------------------------------------------------------
@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first_of_the_day", [True, False], ids=["no-count-yet", "count-exists"])
def test_workers_claiming_at_once_never_take_more_than_the_limit(first_of_the_day):
    require_service(connection.vendor == "postgresql", "PostgreSQL (set DATABASE_URL)")
    business = BusinessFactory(timezone="Europe/Paris", daily_invitation_limit=7)
    if not first_of_the_day:  # then every batch tries the one-statement path first
        DailyInvitationCount.objects.create(business=business, day=business_day(business, timezone.now()))
    batches = [ids(queued(business, 5, first=5 * n)) for n in range(8)]
    start = threading.Barrier(len(batches))
    taken: list[int] = []
    errors: list[BaseException] = []

    def claim(batch: list[int]) -> None:
        try:
            start.wait(timeout=30)
            taken.extend(ids(feedback_requests_claim(request_ids=batch)[1]))
        except BaseException as error:  # noqa: BLE001  (reported below, in the test's thread)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(taken) == 7
    assert FeedbackRequest.objects.filter(status=Status.SENDING).count() == 7
    assert FeedbackRequest.objects.filter(status=Status.QUEUED).count() == 33
    assert DailyInvitationCount.objects.get(business=business).reserved == 7
