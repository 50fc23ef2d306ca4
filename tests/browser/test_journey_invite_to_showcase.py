"""From a CSV of customers to a review on the business's own website, in a real browser.

The owner imports customers in the admin; the worker creates the requests and sends the
invitations to a real SMTP server on loopback; a customer opens the emailed 5-star link on a phone
and answers with consent; the owner publishes the review from the moderation queue and replies; a
visitor sees it on the showcase page, in the widget on another site and in its iframe. Every page
a customer or visitor sees is checked with axe-core. Screenshots: test-artifacts/screenshots/journey-1-*.png.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from feedback.models import Feedback, FeedbackRequest
from reviews.models import Review
from showcase import cache as showcase_cache
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, PageLog
from tests.browser.journeys import (
    DESKTOP,
    assert_clean,
    assert_no_sideways_scrolling,
    guarded_page,
    html_part,
    link_in,
    log_in,
    messages_to,
    screenshot,
    text_part,
)
from tests.businesses.factories import BusinessFactory, MembershipFactory, StaffMemberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JOURNEY = 1
CSV = (
    "name,email,staff_email,reference\n"
    "Ana Silva,ana@example.com,maya@corner.example,order-1001\n"
    "Tom Okafor,tom@example.com,,order-1002\n"
    "Lena Berg,lena@example.com,maya@corner.example,order-1003\n"
)
COMMENT = "The sourdough was still warm, and Maya remembered our order."
REPLY = "Thank you, Ana! See you on Saturday."
SHOP_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Corner Bakery — our own shop</title>
<link rel="icon" href="data:,"></head>
<body><main><h1>Welcome to the Corner Bakery shop</h1>
<p>Fresh bread every morning.</p>
<h2>What our customers say</h2>
<script src="{live}/b/corner-bakery/widget.js"></script>
<h2>The same, in a frame</h2>
<iframe src="{live}/b/corner-bakery/embed/" title="Customer reviews" width="460" height="300"></iframe>
</main></body></html>
"""


@pytest.fixture(autouse=True)
def _no_remembered_business():
    """The live server must not remember another test's business or pages under the same slug."""
    showcase_cache.forget_local()
    yield
    showcase_cache.forget_local()


@pytest.fixture
def shop_site(live_server) -> Iterator[str]:
    """The business's own website: one page that embeds the widget, served from another origin on
    loopback (Chromium refuses a public site's requests to a local server, so the shop is local too)."""
    page = SHOP_PAGE.format(live=live_server.url).encode()

    class ShopPage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 — the handler's protocol
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format, *args) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), ShopPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def owner(db, settings, live_server):
    settings.SITE_URL = live_server.url  # the emailed links lead to this server
    business = BusinessFactory(
        name="Corner Bakery",
        slug="corner-bakery",
        review_url="https://reviews.example/corner-bakery",
        address="12 Mill Lane\nBristol BS1 4AA",
    )
    StaffMemberFactory(business=business, name="Maya Lindqvist", email="maya@corner.example")
    return MembershipFactory(business=business, user__username="owner@corner.example", user__first_name="Rosa").user


def test_an_imported_customer_answers_by_email_and_a_visitor_sees_the_review_everywhere(
    browser, live_server, shop_site, owner, smtp_server, worker, page_log: PageLog
):
    live = urlsplit(live_server.url).netloc
    admin_context = browser.new_context(**DESKTOP)
    admin = guarded_page(admin_context, {live}, page_log)

    # 1. The owner imports a CSV of customers: upload, check, confirm; the worker creates the requests.
    log_in(admin, live_server, owner.username, "/admin/feedback/feedbackrequest/")
    admin.get_by_role("link", name="Import customers from CSV").click()
    admin.get_by_label("File").set_input_files(
        files=[{"name": "customers.csv", "mimeType": "text/csv", "buffer": CSV.encode()}]
    )
    with admin.expect_navigation():
        admin.get_by_role("button", name="Read the file").click()
    expect(admin.locator("#rows-valid")).to_have_text("3")
    screenshot(admin, JOURNEY, "1-owner-checks-the-import")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Create 3 requests").click()
    worker.run_imports()
    admin.reload()
    expect(admin.locator("#content-main")).to_contain_text("3 feedback requests created.")
    screenshot(admin, JOURNEY, "2-import-done")
    assert FeedbackRequest.objects.filter(business__slug="corner-bakery").count() == 3

    # 2. The worker sends the invitations through SMTP; Ana's arrives with both parts.
    assert worker.send_invitations() == 3
    assert sorted(smtp_server.per_recipient()) == ["ana@example.com", "lena@example.com", "tom@example.com"]
    [invitation] = messages_to(smtp_server, "ana@example.com")
    text, html = text_part(invitation), html_part(invitation)
    assert "Corner Bakery" in text and "Maya Lindqvist" in text
    five_stars = link_in(text, rf"{live_server.url}/f/[^/\s]+/\?rating=5")
    assert five_stars in html  # the same star link in both parts

    # 3. Ana reads the invitation on her phone, opens the 5-star link and answers, with consent to publish.
    phone_context = browser.new_context(**PHONE)
    phone = guarded_page(phone_context, {live}, page_log)
    phone.set_content(html)
    expect(phone.get_by_role("link", name="5", exact=False).first).to_be_visible()
    assert_no_sideways_scrolling(phone)
    screenshot(phone, JOURNEY, "3-invitation-email-phone")
    assert_accessible(phone, "journey-1-invitation-email-phone")
    phone.goto(five_stars)
    expect(phone.get_by_role("radio", name="5 stars — Excellent")).to_be_checked()
    assert_no_sideways_scrolling(phone)
    screenshot(phone, JOURNEY, "4-customer-form-phone")
    assert_accessible(phone, "journey-1-feedback-form-phone")
    phone.get_by_label("Tell us more (optional)").fill(COMMENT)
    phone.get_by_role("checkbox").check()
    with phone.expect_navigation():
        phone.get_by_role("button", name="Send my feedback").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you, Ana!")
    expect(phone.get_by_role("link", name="Review Corner Bakery publicly")).to_be_visible()
    screenshot(phone, JOURNEY, "5-customer-thanks-phone")
    assert_accessible(phone, "journey-1-feedback-thanks-phone")
    review = Review.objects.get(feedback__customer__email="ana@example.com")
    assert review.status == Review.Status.PENDING and Feedback.objects.get().rating == 5

    # 4. The owner publishes it from the moderation queue, then replies on its page.
    admin.goto(f"{live_server.url}/admin/reviews/review/")
    row = admin.locator("#result_list tbody tr", has_text="The sourdough was still warm")
    expect(row).to_have_count(1)
    screenshot(admin, JOURNEY, "6-moderation-queue")
    row.locator("input.action-select").check()
    admin.locator("select[name=action]").select_option("publish_selected")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Go").click()
    expect(admin.locator(".messagelist")).to_contain_text("Published 1 review.")
    admin.goto(f"{live_server.url}/admin/reviews/review/{review.pk}/change/")
    admin.get_by_role("textbox", name="Public reply").fill(REPLY)
    with admin.expect_navigation():
        admin.get_by_role("button", name="Save and continue editing").click()
    review.refresh_from_db()
    assert (review.status, review.reply) == (Review.Status.PUBLISHED, REPLY)
    screenshot(admin, JOURNEY, "7-owner-replied")

    # 5. A visitor sees it on the showcase page, with the reply.
    phone.goto(f"{live_server.url}/b/corner-bakery/")
    published = phone.locator("article.review", has_text=COMMENT)
    expect(published).to_contain_text(REPLY)
    expect(published).to_contain_text("Helped by Maya")
    assert_no_sideways_scrolling(phone)
    screenshot(phone, JOURNEY, "8-showcase-phone")
    assert_accessible(phone, "journey-1-showcase-phone")
    with phone.expect_navigation():
        phone.get_by_role("link", name="How reviews work here").first.click()
    screenshot(phone, JOURNEY, "9-how-reviews-work-phone")
    assert_accessible(phone, "journey-1-how-reviews-work-phone")

    # 6. ... in the widget on the business's own site (another origin), and in its iframe.
    shop_context = browser.new_context(**DESKTOP)
    shop = guarded_page(shop_context, {live, urlsplit(shop_site).netloc}, page_log)
    shop.goto(f"{shop_site}/")
    widget = shop.locator(".raves-widget")
    expect(widget.get_by_role("region", name="Customer reviews of Corner Bakery")).to_be_visible()
    expect(widget).to_contain_text(COMMENT)
    expect(widget).to_contain_text("from 1 rating")
    frame = shop.frame_locator("iframe[title='Customer reviews']")
    expect(frame.locator("body")).to_contain_text(COMMENT)
    screenshot(shop, JOURNEY, "10-widget-on-another-site")
    assert_accessible(shop, "journey-1-widget-on-another-site")
    [embed] = [each for each in shop.frames if each.url.startswith(f"{live_server.url}/b/corner-bakery/embed/")]
    assert_accessible(embed, "journey-1-widget-iframe")

    assert_clean(page_log)
    for context in (admin_context, phone_context, shop_context):
        context.close()
