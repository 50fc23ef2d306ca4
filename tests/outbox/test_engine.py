"""The delivery engine's policy (back-off, attempts per kind, leases) and how it reads an SMTP refusal."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest

from outbox import webhooks
from outbox.engine import Kind, Policy, lease, policy, smtp_refusal


def test_the_back_off_doubles_from_its_base_up_to_its_cap():
    rule = Policy(max_attempts=10, base=timedelta(seconds=30), cap=timedelta(minutes=30))
    delays = [rule.delay(attempt) for attempt in range(1, 10)]
    assert delays[:7] == [timedelta(seconds=seconds) for seconds in (30, 60, 120, 240, 480, 960, 1800)]
    assert delays[7:] == [timedelta(minutes=30)] * 2
    assert rule.delay(10_000) == timedelta(minutes=30)  # no overflow after a long outage


@pytest.mark.parametrize("kind", [Kind.INVITATION, Kind.REMINDER, Kind.EMAIL])
def test_every_email_kind_rides_out_48_hours_of_mail_server_outage_with_waits_of_30_minutes_at_most(kind):
    rule = policy(kind)
    assert rule.covers() >= timedelta(hours=48)
    assert rule.delay(rule.max_attempts) == timedelta(minutes=30)


def test_webhooks_get_eight_attempts_over_more_than_a_day():
    rule = policy(Kind.WEBHOOK)
    assert rule.max_attempts == 8 == webhooks.MAX_ATTEMPTS
    assert timedelta(hours=24) <= rule.covers() <= timedelta(hours=36)
    assert webhooks.RETRY_DELAYS[0] == timedelta(seconds=30)


def test_the_email_schedule_and_the_lease_come_from_settings(settings):
    settings.DELIVERY_RETRY_BASE_SECONDS, settings.DELIVERY_RETRY_CAP_SECONDS = 1, 2
    settings.DELIVERY_EMAIL_MAX_ATTEMPTS, settings.DELIVERY_LEASE_SECONDS = 5, 7
    assert [policy(Kind.EMAIL).delay(attempt) for attempt in (1, 2, 3)] == [timedelta(seconds=s) for s in (1, 2, 2)]
    assert policy(Kind.REMINDER).max_attempts == 5
    assert lease() == timedelta(seconds=7)


def test_the_old_lease_variable_is_still_read(monkeypatch):
    from core.env import Env

    env = Env({"FEEDBACK_SEND_LEASE_SECONDS": "9"})
    assert env.int("DELIVERY_LEASE_SECONDS", env.int("FEEDBACK_SEND_LEASE_SECONDS", 120, minimum=5)) == 9


@pytest.mark.parametrize(
    ("error", "permanent", "bounced"),
    [
        (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"5.1.1 No such user")}), True, True),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (553, b"5.1.3 Bad address")}), True, True),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (552, b"5.2.2 Mailbox full")}), True, False),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (451, b"4.7.1 Greylisted")}), False, False),
        (smtplib.SMTPDataError(554, b"5.7.1 Spam"), True, False),
        (smtplib.SMTPDataError(452, b"4.3.1 Out of space"), False, False),
        (smtplib.SMTPSenderRefused(553, b"5.7.1 Sender not allowed", "raves@example.com"), True, False),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), False, False),
        (ConnectionRefusedError(111, "Connection refused"), False, False),
    ],
)
def test_a_5xx_is_a_permanent_refusal_and_only_a_refused_address_bounces(error, permanent, bounced):
    refusal = smtp_refusal(error)
    assert (refusal.permanent, refusal.bounced) == (permanent, bounced)


def test_the_reason_quotes_the_servers_code_and_text():
    error = smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"5.1.1 No such user")})
    assert smtp_refusal(error).reason == "The mail server answered 550 5.1.1 No such user"
    assert smtp_refusal(smtplib.SMTPServerDisconnected("gone")).connection_lost
