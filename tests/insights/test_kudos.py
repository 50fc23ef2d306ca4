"""Personal kudos: a staff member named in a 4–5 star answer hears the customer's words, at most once a day."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from feedback.services.responses import Answer, feedback_submit
from insights import tasks
from insights.models import Kudos
from insights.services.kudos import kudos_send_due
from outbox.models import OutboxEmail
from outbox.services import outbox_emails_send
from tests.businesses.factories import StaffMemberFactory
from tests.feedback.factories import FeedbackRequestFactory
from tests.reviews.factories import answer

pytestmark = pytest.mark.django_db
MORNING = datetime(2026, 11, 17, 9, 0, tzinfo=ZoneInfo("UTC"))


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(MORNING, tick=False)
    return time_machine


@pytest.fixture
def maya(business):
    return StaffMemberFactory(business=business, name="Maya Lindqvist", email="maya@example.com")


def name_maya(business, maya, customer: str, comment: str, rating: int = 5, **fields):
    request = FeedbackRequestFactory(business=business, customer__name=customer, **fields)
    return answer(business=business, rating=rating, comment=comment, staff=maya, request=request)


def deliver() -> list:
    """Send every queued outbox email now; the messages that arrived so far."""
    outbox_emails_send(email_ids=list(OutboxEmail.objects.values_list("id", flat=True)))
    return mail.outbox


def assert_in_both_parts(message, *fragments: str) -> None:
    html = message.alternatives[0][0]
    for fragment in fragments:
        assert fragment in message.body, fragment
        assert fragment in html, fragment


def test_three_happy_answers_in_a_day_make_one_email_with_three_quotes(business, maya, clock):
    name_maya(business, maya, "Priya Patel", "Maya remembered my order.")
    clock.move_to(MORNING + timedelta(hours=2), tick=False)
    name_maya(business, maya, "Sam Reed", "Maya fixed it in five minutes.", rating=4)
    name_maya(business, maya, "Lee Chan", "Thank you Maya!")
    assert tasks.send_kudos() == 1
    [message] = deliver()
    assert message.to == ["maya@example.com"]
    assert message.subject == f"3 customers of {business.name} named you"
    assert_in_both_parts(
        message,
        "Hi Maya",
        "Maya remembered my order.",
        "Priya P., 5★",
        "Maya fixed it in five minutes.",
        "Sam R., 4★",
        "Thank you Maya!",
        "Lee C., 5★",
    )
    assert set(Kudos.objects.values_list("status", flat=True)) == {Kudos.Status.SENT}


def test_kudos_after_an_email_wait_until_a_day_has_passed(business, maya, clock):
    name_maya(business, maya, "Priya Patel", "Maya remembered my order.")
    tasks.send_kudos()
    clock.move_to(MORNING + timedelta(hours=3), tick=False)
    name_maya(business, maya, "Sam Reed", "Maya again, brilliant.")
    # Every 10 minutes for the rest of the day: nothing more.
    moment = MORNING + timedelta(hours=3)
    while moment < MORNING + timedelta(hours=24):
        clock.move_to(moment, tick=False)
        assert tasks.send_kudos() == 0
        moment += timedelta(minutes=10)
    clock.move_to(MORNING + timedelta(hours=24, minutes=10), tick=False)
    assert tasks.send_kudos() == 1
    first, second = deliver()
    assert "Maya remembered my order." in first.body and "Maya again" not in first.body
    assert second.subject == f"A customer of {business.name} named you"
    assert_in_both_parts(second, "Maya again, brilliant.", "Sam R., 5★")


def test_the_next_day_another_answer_makes_a_second_email(business, maya, clock):
    for customer in ("Priya Patel", "Sam Reed", "Lee Chan"):
        name_maya(business, maya, customer, f"{customer} says thanks.")
    tasks.send_kudos()
    clock.move_to(MORNING + timedelta(days=1, hours=1), tick=False)
    name_maya(business, maya, "Ana Silva", "Lovely service from Maya.")
    tasks.send_kudos()
    first, second = deliver()
    assert first.body.count("says thanks.") == 3
    assert_in_both_parts(second, "Lovely service from Maya.", "Ana S., 5★")
    assert "says thanks" not in second.body


@pytest.mark.parametrize("rating", [1, 2, 3])
def test_answers_of_one_to_three_stars_give_no_kudos(business, maya, clock, rating):
    name_maya(business, maya, "Priya Patel", "Maya was there.", rating=rating)
    assert not Kudos.objects.exists()
    assert tasks.send_kudos() == 0
    assert [message for message in deliver() if message.to == ["maya@example.com"]] == []


def test_an_edit_of_the_answer_gives_no_second_kudos(business, maya, clock):
    feedback = name_maya(business, maya, "Priya Patel", "Maya remembered my order.")
    feedback_submit(request_id=feedback.request_id, answer=Answer(rating=5, comment="Edited: still great.", staff=maya))
    assert Kudos.objects.count() == 1
    tasks.send_kudos()
    clock.move_to(MORNING + timedelta(days=2), tick=False)
    feedback.refresh_from_db()
    # Edits after the note went out (the window was reopened by a complaint follow-up, say).
    feedback.editable_until = MORNING + timedelta(days=7)
    feedback.save(update_fields=["editable_until"])
    feedback_submit(request_id=feedback.request_id, answer=Answer(rating=4, comment="Edited again.", staff=maya))
    assert Kudos.objects.count() == 1
    assert tasks.send_kudos() == 0
    [message] = deliver()
    assert_in_both_parts(message, "Edited: still great.")


def test_an_answer_edited_down_before_the_note_goes_is_not_sent(business, maya, clock):
    feedback = name_maya(business, maya, "Priya Patel", "Maya was great.")
    feedback_submit(request_id=feedback.request_id, answer=Answer(rating=2, comment="Actually, no.", staff=maya))
    assert tasks.send_kudos() == 0
    assert Kudos.objects.get().status == Kudos.Status.DROPPED
    assert [message for message in deliver() if message.to == ["maya@example.com"]] == []


def test_naming_someone_else_in_an_edit_moves_the_waiting_kudos(business, maya, clock):
    tom = StaffMemberFactory(business=business, name="Tom Okafor", email="tom@example.com")
    feedback = name_maya(business, maya, "Priya Patel", "Great service.")
    feedback_submit(request_id=feedback.request_id, answer=Answer(rating=5, comment="Great service.", staff=tom))
    assert tasks.send_kudos() == 1
    [message] = deliver()
    assert message.to == ["tom@example.com"]


def test_the_note_names_customers_by_display_name_never_by_email(business, maya, clock):
    name_maya(business, maya, "Priya Patel", "Maya remembered my order.", customer__email="priya@home.example")
    tasks.send_kudos()
    [message] = deliver()
    assert "priya@home.example" not in message.body and "priya@home.example" not in message.alternatives[0][0]
    assert "Priya Patel" not in message.body
    assert_in_both_parts(message, "Priya P.")


def test_an_answer_without_a_comment_still_thanks_the_staff_member(business, maya, clock):
    name_maya(business, maya, "Priya Patel", "")
    tasks.send_kudos()
    [message] = deliver()
    assert_in_both_parts(message, "Priya P. gave 5★ and named you.")


def test_internal_feedback_gives_kudos_too(business, maya, clock):
    name_maya(business, maya, "Ops Team", "Maya sorted our rota in an hour.", internal=True)
    assert tasks.send_kudos() == 1
    [message] = deliver()
    assert_in_both_parts(message, "Maya sorted our rota in an hour.")


def test_two_runs_at_once_send_one_email(business, maya, clock):
    name_maya(business, maya, "Priya Patel", "Maya remembered my order.")
    assert kudos_send_due() + kudos_send_due() == 1
    assert len(deliver()) == 1


def test_a_staff_member_who_left_gets_no_kudos(business, maya, clock):
    name_maya(business, maya, "Priya Patel", "Maya remembered my order.")
    maya.active = False
    maya.save(update_fields=["active"])
    assert tasks.send_kudos() == 0
    assert Kudos.objects.get().status == Kudos.Status.DROPPED
    name_maya(business, maya, "Sam Reed", "Maya again.")
    assert Kudos.objects.count() == 1
