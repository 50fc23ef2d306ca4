"""Acknowledge at once: a customer whose answer opens a case is told, on the thank-you page and by
email, that the business is sorry, who will get back to them and by when.

Answers are posted through the real feedback form; the queued emails are sent synchronously with
`outbox_emails_send` into Django's locmem `mail.outbox`.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.utils import timezone

from outbox.models import OutboxEmail
from outbox.services import outbox_emails_send
from reviews.models import Case
from tests.businesses.factories import UserFactory
from tests.feedback.factories import FeedbackRequestFactory, feedback_token

pytestmark = pytest.mark.django_db
REVIEW_URL = "https://reviews.example.org/corner-bakery"
# Monday 7 December 2026, 19:30 UTC; with 24 hours to respond the deadline is Tuesday 8 December,
# 14:30 in New York (UTC-5 in winter) — not 19:30, the server's UTC.
OPENED = datetime(2026, 12, 7, 19, 30, tzinfo=UTC)
DEADLINE_IN_NEW_YORK = "Tuesday 8 December, 14:30"


@pytest.fixture
def business(business):
    business.name = "Corner Bakery"
    business.timezone = "America/New_York"
    business.complaint_response_hours = 24
    business.review_url = REVIEW_URL
    business.save()
    return business


@pytest.fixture
def request_(business, time_machine):
    time_machine.move_to(OPENED, tick=False)
    return FeedbackRequestFactory(business=business, customer__name="Ana Silva", customer__email="ana@example.com")


def answer(client, request, rating: int, comment: str = "The bread was stale.") -> str:
    """Post an answer through the emailed link and return the thank-you page it leads to, as text."""
    response = client.post(
        f"/f/{feedback_token(request)}/",
        {"rating": str(rating), "comment": comment, "display_name_choice": "first_initial"},
        follow=True,
    )
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def review_offer(page: str) -> str:
    """The paragraph that links to the business's public review page."""
    start = page.index(f'href="{REVIEW_URL}"')
    return page[page.rindex("<p", 0, start) : page.index("</p>", start)]


def acknowledgements() -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(key__startswith="case-acknowledgement"))


def sent_acknowledgement():
    """Send the queued acknowledgement(s) and return the one message that reached the customer."""
    outbox_emails_send(email_ids=[email.pk for email in acknowledgements()])
    [message] = [message for message in mail.outbox if message.to == ["ana@example.com"]]
    return message


def assert_in_both_parts(message, fragment: str) -> None:
    assert fragment in message.body
    assert fragment in html.unescape(message.alternatives[0][0])


# --- the thank-you page ---------------------------------------------------------------------------


def test_the_thanks_page_of_a_one_star_answer_apologises_and_says_who_and_by_when(client, request_):
    page = answer(client, request_, rating=1)

    assert "We're sorry your visit fell short, Ana." in page
    assert "Corner Bakery will get back to you by Tuesday 8 December, 14:30." in page
    assert DEADLINE_IN_NEW_YORK in page
    assert f'href="{REVIEW_URL}"' in page


def test_a_five_star_answer_s_page_has_no_apology_but_the_same_review_link(client, request_, business):
    unhappy = answer(client, FeedbackRequestFactory(business=business, customer__name="Bo Li"), rating=1)
    happy = answer(client, request_, rating=5, comment="Lovely bread.")

    assert "get back to you" in unhappy
    assert "sorry" not in happy.lower()
    assert "get back to you" not in happy
    # No gating: the public review link is offered alike, whatever the rating.
    assert review_offer(happy) == review_offer(unhappy)
    assert [email.to for email in acknowledgements()] == [Case.objects.get().feedback.customer.email]


def test_the_thanks_page_names_the_assignee_once_someone_owns_the_case(client, request_, business):
    answer(client, request_, rating=1)
    Case.objects.update(assignee=UserFactory(first_name="Marta", last_name="Lopes"))

    page = html.unescape(client.get(f"/f/{feedback_token(request_)}/thanks/").content.decode())

    assert "Marta will get back to you by Tuesday 8 December, 14:30." in page
    assert "Lopes" not in page


def test_a_resolved_case_s_page_no_longer_promises_an_answer(client, request_):
    assert "get back to you" in answer(client, request_, rating=1)
    Case.objects.update(status=Case.Status.RESOLVED, resolution="Refunded.", resolved_at=timezone.now())

    page = html.unescape(client.get(f"/f/{feedback_token(request_)}/thanks/").content.decode())

    assert "get back to you" not in page
    assert f'href="{REVIEW_URL}"' in page


def test_the_thanks_page_of_a_complaint_links_the_customers_conversation(client, request_, business):
    page = answer(client, request_, rating=1)
    happy = answer(client, FeedbackRequestFactory(business=business, customer__name="Bo Li"), rating=5)

    conversation = f"/f/{feedback_token(request_)}/conversation/"
    assert f'<a class="button" href="{conversation}">Write to us about it</a>' in page
    assert "Write to us about it" not in happy  # no case, no conversation
    opened = client.get(conversation)
    assert opened.status_code == 200
    assert "Corner Bakery" in opened.content.decode()


# --- the email ------------------------------------------------------------------------------------


def test_exactly_one_acknowledgement_is_queued_per_case_even_when_the_answer_is_edited_twice(
    client, request_, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        answer(client, request_, rating=1)
    assert callbacks, "sending starts after the answer's commit"
    answer(client, request_, rating=2, comment="Still stale, and cold.")
    answer(client, request_, rating=1, comment="Changed my mind: worse.")

    assert Case.objects.count() == 1
    assert [email.to for email in acknowledgements()] == ["ana@example.com"]
    message = sent_acknowledgement()
    assert_in_both_parts(message, "We're sorry your visit fell short, Ana.")
    assert_in_both_parts(message, f"by {DEADLINE_IN_NEW_YORK}")
    assert message.alternatives[0][1] == "text/html"
    assert message.reply_to == [request_.business.email]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith("<https://raves.test/u/")
    # Sending again (a retry, a second worker) sends nothing more.
    assert outbox_emails_send(email_ids=[email.pk for email in acknowledgements()]) == 0


def test_without_a_business_email_the_acknowledgement_does_not_invite_a_reply(client, request_, business):
    business.email = ""
    business.save()
    answer(client, request_, rating=1)

    message = sent_acknowledgement()

    assert message.reply_to == []
    assert "reply to this email" not in message.body


def test_a_customer_who_opted_out_of_invitations_still_gets_the_acknowledgement(client, request_):
    request_.customer.opted_out_at = timezone.now()
    request_.customer.save()

    answer(client, request_, rating=1)

    assert [email.to for email in acknowledgements()] == ["ana@example.com"]


def test_an_address_that_bounced_gets_no_acknowledgement_but_the_page_still_shows_it(client, request_):
    request_.customer.bounced_at = timezone.now()
    request_.customer.save()

    page = answer(client, request_, rating=1)

    assert not acknowledgements()
    assert DEADLINE_IN_NEW_YORK in page


# --- the business's own wording -------------------------------------------------------------------


def test_a_custom_template_fills_every_placeholder_on_the_page_and_in_the_email(client, request_, business):
    business.acknowledgement_template = (
        "Dear {customer_first_name}, {business} is sorry. {who} will call you before {deadline}."
    )
    business.save()

    page = answer(client, request_, rating=1)

    expected = f"Dear Ana, Corner Bakery is sorry. Corner Bakery will call you before {DEADLINE_IN_NEW_YORK}."
    assert expected in page
    assert "fell short" not in page
    assert_in_both_parts(sent_acknowledgement(), expected)


def test_a_customer_without_a_name_gets_no_dangling_comma(client, business, time_machine):
    time_machine.move_to(OPENED, tick=False)
    request = FeedbackRequestFactory(business=business, customer__name="", customer__email="ana@example.com")

    page = answer(client, request, rating=1)

    assert "We're sorry your visit fell short. Thank you" in page


def test_the_business_s_text_is_escaped_in_html_and_plain_in_text(client, request_, business):
    business.name = "Bread & <b>Butter</b>"
    business.acknowledgement_template = "<script>alert(1)</script> {business} is sorry, {customer_first_name}."
    business.save()
    request_.customer.name = "<i>Ana</i> Silva"
    request_.customer.save()

    response = client.post(
        f"/f/{feedback_token(request_)}/", {"rating": "1", "display_name_choice": "anonymous"}, follow=True
    )

    raw_page = response.content.decode()
    assert "<script>alert(1)</script>" not in raw_page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Bread &amp; &lt;b&gt;Butter&lt;/b&gt; is sorry" in raw_page
    assert "is sorry, &lt;i&gt;Ana&lt;/i&gt;." in raw_page
    assert "<i>Ana</i>" not in raw_page
    message = sent_acknowledgement()
    email_html = message.alternatives[0][0]
    assert "<script>" not in email_html
    assert "<i>Ana</i>" not in email_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Bread &amp; &lt;b&gt;Butter&lt;/b&gt; is sorry" in email_html
    # The plain-text part is not HTML: it shows the words as written.
    assert "<script>alert(1)</script> Bread & <b>Butter</b> is sorry, <i>Ana</i>." in message.body
