"""From a CSV of customers to a review on the business's own website, in a real browser, in English
and in German.

The owner imports customers in the admin, one of them (Ana) with her language in the CSV's
`language` column; the worker creates the requests and sends the invitations to a real SMTP server
on loopback; Ana opens the emailed 5-star link on a phone and answers with consent, in her
language; the owner (whose admin stays in English) publishes the review from the moderation queue
and replies; a visitor whose browser asks for the same language sees it on the showcase page, in
the widget on another site and in its iframe, with the language's numbers and dates. Every page a
customer or visitor sees is checked with axe-core and carries `<html lang>` of its language.
Screenshots: test-artifacts/screenshots/journey-1-*.png (the German run's end in -de.png).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
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
    header,
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
    "name,email,staff_email,reference,language\n"
    "Ana Silva,ana@example.com,maya@corner.example,order-1001,{language}\n"
    "Tom Okafor,tom@example.com,,order-1002,\n"
    "Lena Berg,lena@example.com,maya@corner.example,order-1003,\n"
)
SHOP_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<link rel="icon" href="data:,"></head>
<body><main><h1>{title}</h1>
<h2>{reviews}</h2>
<script src="{live}/b/corner-bakery/widget.js"></script>
<h2>{frame}</h2>
<iframe src="{live}/b/corner-bakery/embed/" title="{frame_title}" width="460" height="300"></iframe>
</main></body></html>
"""


@dataclass(frozen=True)
class Speech:
    """What Ana and the visitor write and read in one language; the owner's admin is English in both."""

    lang: str
    locale: str  # the browser's language, sent as Accept-Language
    suffix: str  # of screenshot and axe result names
    comment: str
    reply: str
    subject: str
    email_lines: tuple[str, ...]
    five_stars: str
    comment_label: str
    consent: str
    send: str
    thanks: str
    reached: str
    review_publicly: str
    helped_by: str
    reply_from: str
    average: str  # Ana's one 5-star rating, as the language writes it
    date: str  # a regular expression: the day of publication, as the language writes it
    how_reviews_work: str
    how_heading: str
    region: str
    from_ratings: str
    read_all: str
    shop: dict[str, str]


ENGLISH = Speech(
    lang="en",
    locale="en-GB",
    suffix="",
    comment="The sourdough was still warm, and Maya remembered our order.",
    reply="Thank you, Ana! See you on Saturday.",
    subject="Ana, how was your visit to Corner Bakery?",
    email_lines=("Hi Ana,", "Maya Lindqvist looked after you.", "How was your experience with Corner Bakery?"),
    five_stars="5 stars — Excellent",
    comment_label="Tell us more (optional)",
    consent="I agree that Corner Bakery",
    send="Send my feedback",
    thanks="Thank you, Ana!",
    reached="Your feedback has reached Corner Bakery.",
    review_publicly="Review Corner Bakery publicly",
    helped_by="Helped by Maya",
    reply_from="Reply from Corner Bakery",
    average="5.0",
    date=r"\b\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December) \d{4}\b",
    how_reviews_work="How reviews work here",
    how_heading="How reviews work at Corner Bakery",
    region="Customer reviews of Corner Bakery",
    from_ratings="from 1 rating",
    read_all="Read all reviews of Corner Bakery",
    shop={
        "title": "Welcome to the Corner Bakery shop",
        "reviews": "What our customers say",
        "frame": "The same, in a frame",
        "frame_title": "Customer reviews",
    },
)
GERMAN = Speech(
    lang="de",
    locale="de-DE",
    suffix="-de",
    comment="Das Sauerteigbrot war noch warm, und Maya kannte unsere Bestellung schon.",
    reply="Danke, Ana! Bis Samstag.",
    subject="Ana, wie war Ihr Besuch bei Corner Bakery?",
    email_lines=("Hallo Ana,", "Maya Lindqvist hat Sie betreut.", "Wie war Ihre Erfahrung mit Corner Bakery?"),
    five_stars="5 Sterne — Ausgezeichnet",
    comment_label="Erzählen Sie uns mehr (optional)",
    consent="Ich bin einverstanden, dass Corner Bakery",
    send="Feedback senden",
    thanks="Vielen Dank, Ana!",
    reached="Ihr Feedback ist bei Corner Bakery angekommen.",
    review_publicly="Corner Bakery öffentlich bewerten",
    helped_by="Geholfen hat Maya",
    reply_from="Antwort von Corner Bakery",
    average="5,0",
    date=r"\b\d{1,2}\. (Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember) \d{4}\b",
    how_reviews_work="So funktionieren Bewertungen hier",
    how_heading="So funktionieren Bewertungen bei Corner Bakery",
    region="Kundenbewertungen für Corner Bakery",
    from_ratings="aus 1 Bewertung",
    read_all="Alle Bewertungen für Corner Bakery lesen",
    shop={
        "title": "Willkommen im Laden der Corner Bakery",
        "reviews": "Was unsere Kundschaft sagt",
        "frame": "Dasselbe in einem Rahmen",
        "frame_title": "Kundenbewertungen",
    },
)


def assert_speaks(page, speech: Speech) -> None:
    """The page declares the language it is written in (screen readers pick their voice from it)."""
    assert page.get_attribute("html", "lang") == speech.lang, page.url


@pytest.fixture(autouse=True)
def _no_remembered_business():
    """The live server must not remember another test's business or pages under the same slug."""
    showcase_cache.forget_local()
    yield
    showcase_cache.forget_local()


@pytest.fixture
def shop_site(live_server, speech: Speech) -> Iterator[str]:
    """The business's own website, in the visitor's language: one page that embeds the widget, served
    from another origin on loopback (Chromium refuses a public site's requests to a local server, so
    the shop is local too)."""
    page = SHOP_PAGE.format(live=live_server.url, lang=speech.lang, **speech.shop).encode()

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
        default_language="en",
    )
    StaffMemberFactory(business=business, name="Maya Lindqvist", email="maya@corner.example")
    return MembershipFactory(business=business, user__username="owner@corner.example", user__first_name="Rosa").user


@pytest.mark.parametrize("speech", [ENGLISH, GERMAN], ids=["en", "de"])
def test_an_imported_customer_answers_by_email_and_a_visitor_sees_the_review_everywhere(
    browser, live_server, shop_site, owner, smtp_server, worker, page_log: PageLog, speech: Speech
):
    live = urlsplit(live_server.url).netloc
    admin_context = browser.new_context(**DESKTOP, locale="en-GB")
    admin = guarded_page(admin_context, {live}, page_log)

    # 1. The owner imports a CSV of customers (Ana's language in it): upload, check, confirm; the
    #    worker creates the requests.
    log_in(admin, live_server, owner.username, "/admin/feedback/feedbackrequest/")
    admin.get_by_role("link", name="Import customers from CSV").click()
    csv = CSV.format(language=speech.lang).encode()
    admin.get_by_label("File").set_input_files(files=[{"name": "customers.csv", "mimeType": "text/csv", "buffer": csv}])
    with admin.expect_navigation():
        admin.get_by_role("button", name="Read the file").click()
    expect(admin.locator("#rows-valid")).to_have_text("3")
    screenshot(admin, JOURNEY, f"1-owner-checks-the-import{speech.suffix}")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Create 3 requests").click()
    worker.run_imports()
    admin.reload()
    expect(admin.locator("#content-main")).to_contain_text("3 feedback requests created.")
    screenshot(admin, JOURNEY, f"2-import-done{speech.suffix}")
    requests = FeedbackRequest.objects.filter(business__slug="corner-bakery")
    assert {request.customer.email: request.customer_language for request in requests} == {
        "ana@example.com": speech.lang,
        "tom@example.com": "en",
        "lena@example.com": "en",
    }

    # 2. The worker sends the invitations through SMTP; Ana's arrives in her language, with both
    #    parts; Tom's (no language in the CSV) in the business's, English.
    assert worker.send_invitations() == 3
    assert sorted(smtp_server.per_recipient()) == ["ana@example.com", "lena@example.com", "tom@example.com"]
    [invitation] = messages_to(smtp_server, "ana@example.com")
    [toms] = messages_to(smtp_server, "tom@example.com")
    assert header(toms, "Subject") == "Tom, how was your visit to Corner Bakery?"
    assert header(invitation, "Subject") == speech.subject
    text, html = text_part(invitation), html_part(invitation)
    for line in (*speech.email_lines, "Corner Bakery"):
        assert line in text, line
    five_stars = link_in(text, rf"{live_server.url}/f/[^/\s]+/\?rating=5")
    assert five_stars in html  # the same star link in both parts

    # 3. Ana reads the invitation on her phone, opens the 5-star link and answers, with consent to publish.
    phone_context = browser.new_context(**PHONE, locale=speech.locale)
    phone = guarded_page(phone_context, {live}, page_log)
    phone.set_content(html)
    assert_speaks(phone, speech)
    expect(phone.get_by_text(speech.email_lines[0])).to_be_visible()
    expect(phone.get_by_role("link", name="5", exact=False).first).to_be_visible()
    assert_no_sideways_scrolling(phone)
    screenshot(phone, JOURNEY, f"3-invitation-email-phone{speech.suffix}")
    assert_accessible(phone, f"journey-1-invitation-email-phone{speech.suffix}")
    phone.goto(five_stars)
    assert_speaks(phone, speech)
    expect(phone.get_by_role("radio", name=speech.five_stars)).to_be_checked()
    assert_no_sideways_scrolling(phone)
    screenshot(phone, JOURNEY, f"4-customer-form-phone{speech.suffix}")
    assert_accessible(phone, f"journey-1-feedback-form-phone{speech.suffix}")
    phone.get_by_label(speech.comment_label).fill(speech.comment)
    consent = phone.get_by_role("checkbox")
    expect(consent.locator("xpath=ancestor::label")).to_contain_text(speech.consent)
    consent.check()
    with phone.expect_navigation():
        phone.get_by_role("button", name=speech.send).click()
    assert_speaks(phone, speech)
    expect(phone.get_by_role("heading", level=1)).to_have_text(speech.thanks)
    expect(phone.locator("main")).to_contain_text(speech.reached)
    expect(phone.get_by_role("link", name=speech.review_publicly)).to_be_visible()
    screenshot(phone, JOURNEY, f"5-customer-thanks-phone{speech.suffix}")
    assert_accessible(phone, f"journey-1-feedback-thanks-phone{speech.suffix}")
    review = Review.objects.get(feedback__customer__email="ana@example.com")
    feedback = Feedback.objects.get()
    assert review.status == Review.Status.PENDING and feedback.rating == 5
    assert feedback.consent_text.startswith(speech.consent)  # stored as she read it

    # 4. The owner publishes it from the moderation queue, then replies on its page.
    admin.goto(f"{live_server.url}/admin/reviews/review/")
    row = admin.locator("#result_list tbody tr", has_text=speech.comment[:24])
    expect(row).to_have_count(1)
    screenshot(admin, JOURNEY, f"6-moderation-queue{speech.suffix}")
    row.locator("input.action-select").check()
    admin.locator("select[name=action]").select_option("publish_selected")
    with admin.expect_navigation():
        admin.get_by_role("button", name="Go").click()
    expect(admin.locator(".messagelist")).to_contain_text("Published 1 review.")
    admin.goto(f"{live_server.url}/admin/reviews/review/{review.pk}/change/")
    admin.get_by_role("textbox", name="Public reply").fill(speech.reply)
    with admin.expect_navigation():
        admin.get_by_role("button", name="Save and continue editing").click()
    review.refresh_from_db()
    assert (review.status, review.reply) == (Review.Status.PUBLISHED, speech.reply)
    screenshot(admin, JOURNEY, f"7-owner-replied{speech.suffix}")

    # 5. A visitor whose browser asks for the language sees it on the showcase page, with the reply,
    #    the average and the dates as the language writes them.
    response = phone.goto(f"{live_server.url}/b/corner-bakery/")
    assert response.headers["content-language"] == speech.lang
    assert_speaks(phone, speech)
    published = phone.locator("article.review", has_text=speech.comment)
    expect(published).to_contain_text(speech.reply)
    expect(published).to_contain_text(speech.reply_from)
    expect(published).to_contain_text(speech.helped_by)
    expect(published.locator("time").first).to_have_text(re.compile(speech.date))
    expect(phone.locator(".average-number")).to_have_text(speech.average)
    assert_no_sideways_scrolling(phone)
    screenshot(phone, JOURNEY, f"8-showcase-phone{speech.suffix}")
    assert_accessible(phone, f"journey-1-showcase-phone{speech.suffix}")
    with phone.expect_navigation():
        phone.get_by_role("link", name=speech.how_reviews_work).first.click()
    assert_speaks(phone, speech)
    expect(phone.get_by_role("heading", level=1)).to_have_text(speech.how_heading)
    screenshot(phone, JOURNEY, f"9-how-reviews-work-phone{speech.suffix}")
    assert_accessible(phone, f"journey-1-how-reviews-work-phone{speech.suffix}")

    # 6. ... in the widget on the business's own site (another origin), and in its iframe.
    shop_context = browser.new_context(**DESKTOP, locale=speech.locale)
    shop = guarded_page(shop_context, {live, urlsplit(shop_site).netloc}, page_log)
    shop.goto(f"{shop_site}/")
    widget = shop.locator(".raves-widget")
    expect(widget.get_by_role("region", name=speech.region)).to_be_visible()
    expect(widget).to_contain_text(speech.comment)
    expect(widget).to_contain_text(speech.average)
    expect(widget).to_contain_text(speech.from_ratings)
    expect(widget.get_by_role("link", name=speech.read_all)).to_be_visible()
    frame = shop.frame_locator(f"iframe[title='{speech.shop['frame_title']}']")
    expect(frame.locator("body")).to_contain_text(speech.comment)
    expect(frame.get_by_role("region", name=speech.region)).to_contain_text(speech.from_ratings)
    expect(frame.locator(".avg")).to_contain_text(speech.average)
    screenshot(shop, JOURNEY, f"10-widget-on-another-site{speech.suffix}")
    assert_accessible(shop, f"journey-1-widget-on-another-site{speech.suffix}")
    [embed] = [each for each in shop.frames if each.url.startswith(f"{live_server.url}/b/corner-bakery/embed/")]
    assert embed.get_attribute("html", "lang") == speech.lang
    assert_accessible(embed, f"journey-1-widget-iframe{speech.suffix}")

    assert_clean(page_log)
    for context in (admin_context, phone_context, shop_context):
        context.close()
