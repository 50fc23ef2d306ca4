"""send_digests [--business SLUG] [--now]: what is due, or this week's at once — never twice for one week."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from businesses.models import Weekday
from insights import tasks
from insights.models import DigestRun
from tests.businesses.factories import BusinessFactory, StaffMemberFactory
from tests.reviews.factories import answer

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")
WEDNESDAY = datetime(2026, 11, 18, 14, 0, tzinfo=UTC)


@pytest.fixture
def cafe():
    business = BusinessFactory(
        slug="cafe", name="Harbour Café", timezone="Europe/London", digest_weekday=Weekday.MONDAY
    )
    StaffMemberFactory(business=business, email="maya@cafe.example")
    StaffMemberFactory(business=business, email="tom@cafe.example")
    return business


@pytest.fixture
def bakery():
    business = BusinessFactory(slug="bakery", timezone="America/Los_Angeles", digest_weekday=Weekday.MONDAY)
    StaffMemberFactory(business=business, email="ana@bakery.example")
    return business


def send_digests(*args: str) -> str:
    out = StringIO()
    call_command("send_digests", *args, stdout=out, stderr=out)
    return out.getvalue()


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_now_sends_this_weeks_digest_at_once(time_machine, cafe, bakery):
    time_machine.move_to(WEDNESDAY, tick=False)
    output = send_digests("--now")
    assert recipients() == ["ana@bakery.example", "maya@cafe.example", "tom@cafe.example"]
    assert "cafe: digest of 2026-W47 queued for 2 staff members." in output
    assert "Sent 3 of 3 emails." in output


def test_now_twice_sends_one_email_per_staff_member(time_machine, cafe, bakery):
    time_machine.move_to(WEDNESDAY, tick=False)
    send_digests("--now")
    time_machine.move_to(WEDNESDAY + timedelta(hours=2), tick=False)
    output = send_digests("--now")
    assert recipients() == ["ana@bakery.example", "maya@cafe.example", "tom@cafe.example"]
    assert "cafe: the digest of 2026-W47 was already sent; not sending it twice." in output
    assert DigestRun.objects.count() == 2


def test_now_covers_the_seven_days_up_to_now(time_machine, cafe):
    time_machine.move_to(WEDNESDAY - timedelta(days=8), tick=False)
    answer(business=cafe, rating=5, comment="Too long ago to count.")
    time_machine.move_to(WEDNESDAY - timedelta(hours=1), tick=False)
    answer(business=cafe, rating=5, comment="Earlier today, lovely.")
    time_machine.move_to(WEDNESDAY, tick=False)
    send_digests("--now", "--business", "cafe")
    message = mail.outbox[0]
    assert "Earlier today, lovely." in message.body
    assert "Too long ago to count." not in message.body
    run = DigestRun.objects.get()
    assert (run.trigger, run.period_end - run.period_start) == (DigestRun.Trigger.MANUAL, timedelta(days=7))


def test_a_week_sent_by_hand_is_not_sent_again_by_the_schedule(time_machine, cafe):
    monday_morning = datetime(2026, 11, 16, 7, 0, tzinfo=UTC)
    time_machine.move_to(monday_morning, tick=False)
    send_digests("--now")
    time_machine.move_to(monday_morning.replace(hour=9), tick=False)
    tasks.send_due_digests()
    send_digests()
    assert recipients() == ["maya@cafe.example", "tom@cafe.example"]
    # The next week goes on schedule as usual.
    time_machine.move_to(monday_morning.replace(hour=9) + timedelta(days=7), tick=False)
    assert "cafe: digest of 2026-W48 queued for 2 staff members." in send_digests()


def test_without_now_it_sends_only_what_is_due(time_machine, cafe, bakery):
    monday_9_london = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # 01:00 in Los Angeles: not due there yet
    time_machine.move_to(monday_9_london - timedelta(minutes=1), tick=False)
    assert "No digest is due." in send_digests()
    time_machine.move_to(monday_9_london, tick=False)
    output = send_digests()
    assert recipients() == ["maya@cafe.example", "tom@cafe.example"]
    assert "bakery" not in output
    assert "No digest is due." in send_digests()


def test_business_limits_it_to_one(time_machine, cafe, bakery):
    time_machine.move_to(WEDNESDAY, tick=False)
    send_digests("--now", "--business", "bakery")
    assert recipients() == ["ana@bakery.example"]
    assert list(DigestRun.objects.values_list("business__slug", flat=True)) == ["bakery"]


def test_an_unknown_slug_is_an_error_naming_it(cafe):
    with pytest.raises(CommandError, match="nowhere"):
        send_digests("--now", "--business", "nowhere")
    assert not DigestRun.objects.exists()
