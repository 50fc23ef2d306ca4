"""A complaint made right, end to end in a real browser: the customer answers 1 star on their phone,
is acknowledged, the owner writes from the admin, the customer answers on their conversation page,
the owner resolves with a cause and asks "did we make it right?", and the customer re-rates higher.

The customer follows the links of the emails they actually receive (the outbox is sent into
Django's locmem mail box, the links pointed at the live server). Screenshots, one per step, go to
test-artifacts/screenshots/case-journey-*.png.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import expect

from feedback.links import feedback_url
from insights.metrics import complaint_figures
from outbox.models import OutboxEmail
from outbox.services import outbox_emails_send
from reviews.models import Case, CaseMessage
from tests.browser.axe import assert_accessible
from tests.businesses.factories import BusinessFactory, MembershipFactory
from tests.feedback.factories import FeedbackRequestFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PASSWORD = "correct-horse-battery"  # UserFactory's
SORRY = "Ana, I'm so sorry about the cold soup. May I offer you lunch on us this week?"
REPLY = "Thank you, Maya. Thursday at noon would be lovely."


@pytest.fixture
def complaint_request(db):
    business = BusinessFactory(name="Corner Bakery", timezone="Europe/London", review_url="")
    owner = MembershipFactory(
        business=business, user__username="maya@corner.example", user__first_name="Maya", user__last_name="Berg"
    ).user
    request = FeedbackRequestFactory(business=business, customer__name="Ana Silva", customer__email="ana@example.com")
    return request, owner


def on_live_server(live_server, url: str) -> str:
    """An emailed link (SITE_URL is https://raves.test in tests), pointed at the live server."""
    parts = urlsplit(url)
    return f"{live_server.url}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"case-journey-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0


def emailed_to_customer(key_prefix: str) -> str:
    """Send what the outbox holds under `key_prefix` and return the plain text the customer received."""
    mail.outbox.clear()
    outbox_emails_send(
        email_ids=list(OutboxEmail.objects.filter(key__startswith=key_prefix).values_list("id", flat=True))
    )
    [message] = [message for message in mail.outbox if message.to == ["ana@example.com"]]
    return message.body


def link_in(text: str, path_pattern: str) -> str:
    [url] = re.findall(rf"https://raves\.test{path_pattern}", text)
    return url


def test_a_one_star_complaint_is_made_right_and_the_customer_re_rates_higher(
    browser, phone_page, page_log, live_server, complaint_request
):
    request, owner = complaint_request
    phone = phone_page
    phone.set_default_timeout(5000)

    # 1. The customer answers 1 star on their phone and is acknowledged on the thank-you page.
    phone.goto(on_live_server(live_server, feedback_url(request, rating=1)))
    phone.get_by_label("Tell us more (optional)").fill("The soup was cold.")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Send my feedback").click()
    acknowledgement = phone.locator(".acknowledgement")
    expect(acknowledgement).to_contain_text("Who will get back to you:")
    expect(acknowledgement).to_contain_text("By:")
    expect(phone.get_by_role("link", name="Write to us about it")).to_be_visible()
    screenshot(phone, "1-thanks-acknowledgement-phone")
    assert_accessible(phone, "case-journey-thanks-acknowledgement-phone")
    case = Case.objects.get()
    assert (case.original_rating, case.status, case.first_response_at) == (1, "open", None)

    # 2. The owner logs in to the admin and writes to the customer from the case.
    owner_page = browser.new_context(**DESKTOP).new_page()
    owner_page.set_default_timeout(5000)
    case_page = f"{live_server.url}/admin/reviews/case/{case.pk}/change/"
    owner_page.goto(f"{live_server.url}/admin/login/?next=/admin/reviews/case/{case.pk}/change/")
    owner_page.get_by_label("Username").fill(owner.username)
    owner_page.get_by_label("Password").fill(PASSWORD)
    with owner_page.expect_navigation():
        owner_page.get_by_role("button", name="Log in").click()
    owner_page.get_by_label("Write to the customer").fill(SORRY)
    with owner_page.expect_navigation():
        owner_page.get_by_role("button", name="Save and continue editing").click()
    expect(owner_page.locator("body")).to_contain_text(SORRY)
    screenshot(owner_page, "2-owner-writes")
    case.refresh_from_db()
    assert case.first_response_at is not None and case.status == "contacted"

    # 3. The customer follows the emailed link to the conversation on their phone and answers.
    conversation = link_in(emailed_to_customer("case-message:"), r"/f/[^/\s]+/conversation/")
    phone.goto(on_live_server(live_server, conversation))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your conversation with Corner Bakery")
    expect(phone.locator(".conversation")).to_contain_text(SORRY)
    phone.get_by_label("Your answer").fill(REPLY)
    with phone.expect_navigation():
        phone.get_by_role("button", name="Send my answer").click()
    expect(phone.get_by_role("status")).to_contain_text("your answer has reached Corner Bakery")
    expect(phone.locator(".conversation")).to_contain_text(REPLY)
    screenshot(phone, "3-customer-answers-phone")
    assert_accessible(phone, "case-journey-conversation-phone")
    assert CaseMessage.objects.filter(case=case, direction="from_customer", body=REPLY).exists()

    # 4. The owner sees the answer and resolves the case with a cause.
    owner_page.goto(case_page)
    expect(owner_page.locator("body")).to_contain_text(REPLY)
    owner_page.get_by_label("Status").select_option("resolved")
    owner_page.get_by_label("Resolution").fill("Apologised; Ana comes for lunch on us on Thursday.")
    owner_page.get_by_label("Cause").select_option(label="Product or service quality")
    owner_page.get_by_label("System problem or one-off?").select_option(index=1)
    with owner_page.expect_navigation():
        owner_page.get_by_role("button", name="Save and continue editing").click()
    expect(owner_page.get_by_label("Status")).to_have_value("resolved")
    screenshot(owner_page, "4-owner-resolves-with-a-cause")
    case.refresh_from_db()
    assert (case.status, case.cause) == ("resolved", "quality")

    # 5. "Did we make it right?": asked from the case, as the owner does.
    owner_page.get_by_label("Ask the customer “did we make it right?”").check()
    with owner_page.expect_navigation():
        owner_page.get_by_role("button", name="Save and continue editing").click()
    expect(owner_page.locator(".messagelist")).to_contain_text("did we make it right?")
    follow_up = emailed_to_customer("case-follow-up:")

    # 6. The customer re-rates higher through the link of that email.
    phone.goto(on_live_server(live_server, link_in(follow_up, r"/f/[^/\s]+/(?=\s)")))
    phone.get_by_text("4 stars", exact=False).first.click()
    with phone.expect_navigation():
        phone.get_by_role("button", name="Save my changes").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you, Ana!")
    screenshot(phone, "5-customer-re-rates-phone")
    assert_accessible(phone, "case-journey-re-rated-thanks-phone")

    # 7. The case shows the re-rating; the figures count the recovery.
    owner_page.goto(f"{live_server.url}/admin/reviews/case/")
    expect(owner_page.locator("#result_list")).to_contain_text("1★ → 4★")
    screenshot(owner_page, "6-owner-sees-the-re-rating")
    owner_page.goto(f"{live_server.url}/admin/dashboard/")
    recovery = owner_page.locator(".card-figure", has=owner_page.get_by_role("heading", name="Recovery rate"))
    expect(recovery).to_contain_text("100%")
    expect(recovery).to_contain_text("1 of 1 customer asked “did we make it right?” re-rated higher")
    case.refresh_from_db()
    assert case.feedback.rating == 4
    figures = complaint_figures(business=case.business, start=case.opened_at, end=case.opened_at.replace(year=2100))
    assert (figures["re_rated"], figures["recovered"], figures["recovery_rate"]) == (1, 1, 1.0)
    assert page_log.page_errors == [] and page_log.blocked_requests == []
    owner_page.context.close()
