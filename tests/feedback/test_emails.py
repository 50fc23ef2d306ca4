"""The invitation email: personal, one question, five star links on SITE_URL, one-click unsubscribe."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.core import mail

from feedback import tasks
from feedback.emails import invitation_email, invitation_merge
from feedback.links import feedback_url, unsubscribe_url
from feedback.models import FeedbackRequest
from feedback.services.requests import RequestInput, feedback_request_create
from feedback.services.sending import feedback_requests_send
from tests.businesses.factories import StaffMemberFactory
from tests.feedback.factories import FeedbackRequestFactory, feedback_token

pytestmark = pytest.mark.django_db
HREF = re.compile(r'href="([^"]+)"')


def parts(message) -> tuple[str, str]:
    """(plain text, HTML) of a message that must have both."""
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return message.body, html


def assert_in_both_parts(fragment: str, message) -> None:
    text, html = parts(message)
    assert fragment in text, f"{fragment!r} is missing from the plain-text part"
    assert fragment in html, f"{fragment!r} is missing from the HTML part"


@pytest.fixture
def request_(business) -> FeedbackRequest:
    business.name = "Corner Bakery"
    business.phone = "+44 20 7946 0123"
    business.email = "hello@corner.example"
    business.website = "https://corner.example"
    business.save()
    staff = StaffMemberFactory(business=business, name="Maya Lindqvist")
    with mock.patch.object(tasks.send_feedback_requests, "delay"):
        return feedback_request_create(
            business=business, item=RequestInput(email="ana.silva@example.com", name="Ana Maria Silva", staff=staff)
        )


@pytest.fixture
def message(request_):
    assert feedback_requests_send(request_ids=[request_.pk]) == 1
    [sent] = mail.outbox
    return sent


def test_it_greets_the_customer_by_first_name(message):
    assert_in_both_parts("Hi Ana,", message)
    assert "Ana" in message.subject
    assert "Silva" not in message.subject


def test_it_greets_a_customer_without_a_name_politely(business):
    request = FeedbackRequestFactory(business=business, customer__name="")
    assert_in_both_parts("Hi there,", invitation_email(request))


def test_it_names_the_business_and_the_staff_member(message):
    assert_in_both_parts("Corner Bakery", message)
    assert_in_both_parts("Maya Lindqvist looked after you", message)
    assert "Corner Bakery" in message.subject
    assert "\n" not in message.subject


def test_it_asks_one_question_with_five_star_links_on_site_url(message, request_):
    token = feedback_token(request_)
    star_urls = [f"https://raves.test/f/{token}/?rating={rating}" for rating in (5, 4, 3, 2, 1)]
    text, html = parts(message)
    assert [url for url in HREF.findall(html) if "rating=" in url] == star_urls
    for url in star_urls:
        assert url in text
    assert_in_both_parts("How was your experience with Corner Bakery?", message)
    assert star_urls[0] == feedback_url(request_, 5)


def test_every_link_is_absolute(message):
    _, html = parts(message)
    for url in HREF.findall(html):
        assert url.startswith(("https://", "mailto:")), url


def test_it_works_without_images(message):
    _, html = parts(message)
    assert "<img" not in html.lower()
    assert "background-image" not in html.lower()


def test_it_carries_the_business_contact_details(message):
    for detail in ("+44 20 7946 0123", "hello@corner.example", "https://corner.example"):
        assert_in_both_parts(detail, message)
    assert message.reply_to == ["hello@corner.example"]


def test_list_unsubscribe_is_exactly_the_https_unsubscribe_link(message, request_):
    headers = message.message()
    [value] = headers.get_all("List-Unsubscribe")
    match = re.fullmatch(r"<(https://[^<>,\s]+)>", value)
    assert match, value
    assert match.group(1) == unsubscribe_url(request_)
    assert match.group(1).startswith("https://raves.test/u/")
    assert_in_both_parts(match.group(1), message)
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_unsubscribe_token_is_not_the_feedback_token(message, request_):
    assert feedback_token(request_) not in unsubscribe_url(request_)


def test_the_message_id_is_derived_from_the_request(request_, business):
    first = invitation_email(request_).message()["Message-ID"]
    again = invitation_email(request_).message()["Message-ID"]
    other = invitation_email(FeedbackRequestFactory(business=business)).message()["Message-ID"]
    assert first == again
    assert first != other
    assert re.fullmatch(rf"<[^<>@\s]*\b{request_.pk}\b[^<>@\s]*@raves\.test>", first), first


def test_the_sent_message_keeps_its_message_id(message, request_):
    assert message.message()["Message-ID"] == invitation_email(request_).message()["Message-ID"]


def test_it_has_a_plain_text_and_an_html_part(message):
    payload = message.message()
    assert payload.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in payload.get_payload()] == ["text/plain", "text/html"]


def test_it_tells_the_provider_which_request_it_is(message, request_):
    assert message.metadata == {"feedback_request_id": str(request_.pk)}


def test_the_reminder_carries_the_same_links_and_headers(request_):
    reminder = invitation_email(request_, reminder=True)
    assert_in_both_parts("Hi Ana,", reminder)
    assert_in_both_parts(feedback_url(request_, 3), reminder)
    assert_in_both_parts(unsubscribe_url(request_), reminder)
    assert reminder.message()["List-Unsubscribe"] == f"<{unsubscribe_url(request_)}>"
    assert "reminder" in reminder.subject.lower()


def test_the_html_part_escapes_the_customers_and_businesses_names(business):
    business.name = "Tom & <Jerry>"
    business.save()
    request = FeedbackRequestFactory(business=business, customer__name="<b>Eve</b> Smith")
    text, html = parts(invitation_email(request))
    assert "<Jerry>" not in html and "<b>Eve" not in html
    assert "Tom &amp; &lt;Jerry&gt;" in html
    assert "Tom & <Jerry>" in text  # plain text is not HTML-escaped


@pytest.mark.parametrize("reminder", [False, True])
def test_a_batch_merge_builds_each_email_exactly_like_a_direct_render(reminder):
    """One merge serves a whole batch: every customer's email must equal the one rendered alone."""
    from tests.businesses.factories import BusinessFactory, CustomerFactory

    plain = BusinessFactory(name="Corner Bakery")
    tricky = BusinessFactory(name='Bob & <Sons> "Bikes"', email="", phone="", website="")
    requests = []
    for business in (plain, tricky):
        staff = [
            None,
            StaffMemberFactory(business=business, name="Maya <i>L</i>"),
            StaffMemberFactory(business=business),
        ]
        names = ["Ana Maria Silva", "", '<script>alert(1)</script> & "Co"', "  Zoë   Ørsted ", "Renée O'Hara", "Ana"]
        for n, name in enumerate(names):
            customer = CustomerFactory(business=business, name=name)
            requests.append(FeedbackRequestFactory(business=business, customer=customer, staff=staff[n % 3]))
    merge = invitation_merge(reminder=reminder)
    for request in requests:
        alone, merged = (
            invitation_email(request, reminder=reminder),
            invitation_email(request, reminder=reminder, merge=merge),
        )
        assert merged.subject == alone.subject
        assert parts(merged) == parts(alone)
        assert merged.extra_headers == alone.extra_headers and merged.to == alone.to
    # Rendered once per (business, staff member, whether there is a first name), not per customer.
    assert len(merge._rendered) < len(requests)
