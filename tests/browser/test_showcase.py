"""The public page in a real browser at desktop and phone sizes, by keyboard; the widget on another site."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from businesses.models import Business
from reviews.models import Review
from showcase import cache as showcase_cache
from tests.browser.conftest import PHONE, PageLog
from tests.businesses.factories import BusinessFactory, StaffMemberFactory
from tests.showcase.helpers import published_reviews_bulk, rating_only, review

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
HOSTILE_COMMENT = 'Great! <img src=x onerror="window.pwned=1"></script><script>window.pwned=2</script>'
HOSTILE_NAME = '<img src=x onerror="window.pwned=3"></script>'


@pytest.fixture(autouse=True)
def _no_remembered_business():
    """Every test here uses the same slug; the live server must not remember the previous test's business or pages."""
    showcase_cache.forget_local()
    yield
    showcase_cache.forget_local()


@pytest.fixture
def business(db) -> Business:
    business = BusinessFactory(
        name="Corner Bakery",
        slug="corner-bakery",
        address="12 Mill Lane\nBristol BS1 4AA",
        phone="+44 117 496 0000",
        email="hello@corner-bakery.example",
        website="https://corner-bakery.example",
    )
    maya = StaffMemberFactory(business=business, name="Maya Lindqvist")
    published_reviews_bulk(business, 60, staff=maya)  # 12 of each rating: an average of 3.0
    review(
        business,
        rating=5,
        comment="The sourdough is the best in town, and Maya knew our order.",
        staff=maya,
        display_name="Ana S.",
        reply="Thank you Ana, see you on Saturday!",
        featured=True,
    )
    review(business, rating=1, comment="Queue was long and the coffee was cold.", display_name="Tom O.")
    rating_only(business, rating=3)  # not published, yet counted
    return business


@pytest.fixture
def desktop_page(browser, live_server, page_log: PageLog) -> Iterator:
    context = browser.new_context(**DESKTOP)
    yield _guarded_page(context, {urlsplit(live_server.url).netloc}, page_log)
    context.close()


def _guarded_page(context, allowed: set[str], page_log: PageLog):
    """A page whose requests to hosts outside `allowed` are aborted and recorded."""

    def only_allowed(route) -> None:
        if urlsplit(route.request.url).netloc in allowed:
            route.continue_()
        else:
            page_log.blocked_requests.append(route.request.url)
            route.abort()

    context.route("**/*", only_allowed)
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and page_log.console_errors.append(message.text))
    page.on("pageerror", lambda error: page_log.page_errors.append(str(error)))
    return page


def screenshot(page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def assert_clean(page_log: PageLog) -> None:
    assert page_log.blocked_requests == []
    assert page_log.console_errors == []
    assert page_log.page_errors == []


def assert_fits_width(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"


# --- The page at two sizes ----------------------------------------------------------------------


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_page_shows_the_business_the_honest_average_and_the_reviews(business, browser, live_server, page_log, size):
    context = browser.new_context(**(DESKTOP if size == "desktop" else PHONE))
    page = _guarded_page(context, {urlsplit(live_server.url).netloc}, page_log)
    try:
        page.goto(f"{live_server.url}/b/{business.slug}/")

        expect(page.get_by_role("heading", level=1)).to_have_text("Corner Bakery")
        expect(page.get_by_role("link", name="+44 117 496 0000")).to_be_visible()
        expect(page.locator(".average")).to_contain_text("from 63 ratings")  # 62 published + 1 private
        expect(page.get_by_role("table", name="Ratings by number of stars")).to_be_visible()
        expect(page.locator("article.review")).to_have_count(10)
        first = page.locator("article.review").first
        expect(first).to_contain_text("Featured")
        expect(first).to_contain_text("Thank you Ana, see you on Saturday!")
        expect(first).to_contain_text("Helped by Maya")
        expect(page.get_by_text("Reviews the business chose to feature are shown first")).to_be_visible()
        expect(page.get_by_role("navigation", name="Pages of reviews")).to_be_visible()
        assert_fits_width(page)
        screenshot(page, f"showcase-{size}")
        screenshot(page, f"showcase-{size}-first-screen", full_page=False)
        page.get_by_role("navigation", name="Pages of reviews").scroll_into_view_if_needed()
        screenshot(page, f"showcase-{size}-pager", full_page=False)
        assert_clean(page_log)
    finally:
        context.close()


# --- Keyboard -----------------------------------------------------------------------------------


def tab_to(page, name: str, *, limit: int = 80) -> None:
    """Press Tab until the focused element's accessible label or text is `name`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        label = page.evaluate(
            "() => document.activeElement.getAttribute('aria-label') || document.activeElement.textContent.trim()"
        )
        if label == name:
            return
    pytest.fail(f"“{name}” cannot be reached with Tab.")


def test_filters_and_paging_work_with_the_keyboard_alone(business, desktop_page, live_server, page_log):
    page = desktop_page
    page.goto(f"{live_server.url}/b/{business.slug}/")

    tab_to(page, "4 stars")
    page.keyboard.press("Enter")
    # The business offers both languages, so its links keep the page's (a German browser can stay in English).
    page.wait_for_url(lambda url: url.endswith("/?stars=4&lang=en#reviews"))

    expect(page.get_by_role("heading", name="Reviews with 4 stars", exact=False)).to_be_visible()
    stars = page.locator("article.review .stars").evaluate_all("(nodes) => nodes.map((n) => n.ariaLabel)")
    assert stars == ["4 out of 5 stars"] * 10
    expect(page.locator('a[aria-label="4 stars"]')).to_have_attribute("aria-current", "page")

    # The link landed on the reviews: the next Tab continues there, not at the top of the page.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('#reviews') !== null")

    tab_to(page, "Page 2")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: url.endswith("#reviews") and "page=2" in url)
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"stars": ["4"], "page": ["2"], "lang": ["en"]}
    expect(page.locator("article.review")).to_have_count(2)  # 12 four-star reviews, 10 a page
    expect(page.locator('a[aria-label="Page 2"]')).to_have_attribute("aria-current", "page")
    screenshot(page, "showcase-keyboard-page-2-desktop")
    assert_clean(page_log)


def test_skip_to_reviews_is_the_second_stop_and_moves_focus_past_the_header(business, phone_page, live_server):
    page = phone_page
    page.goto(f"{live_server.url}/b/{business.slug}/")

    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to reviews")).to_be_focused()
    expect(page.get_by_role("link", name="Skip to reviews")).to_be_in_viewport()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")

    assert page.evaluate("() => document.activeElement.closest('#reviews') !== null")


# --- The widget on another site -----------------------------------------------------------------


@dataclass
class HostSite:
    url: str
    netloc: str


@pytest.fixture
def host_site(tmp_path) -> Iterator[HostSite]:
    """A plain static web server on another port: another origin than the live server."""
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    yield HostSite(url=f"http://{host}:{port}", netloc=f"{host}:{port}")
    server.shutdown()
    server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:  # noqa: A002
        pass


HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Corner Bakery — our own site</title>
<link rel="icon" href="data:,">
<style>* {{ color: red !important; font-family: serif !important; }} div {{ border: 0 !important; }}</style>
</head><body>
<h1 id="own">Welcome to our own website</h1>
<script>window.ravesTest = 1;</script>
<script src="{live}/b/{slug}/widget.js"></script>
<p id="after">Text after the widget.</p>
<iframe src="{live}/b/{slug}/embed/" title="Customer reviews" width="420" height="420"></iframe>
</body></html>
"""


def test_the_widget_renders_on_another_site_without_running_hostile_text_or_touching_the_host(
    business, browser, live_server, host_site, tmp_path, page_log
):
    review(business, rating=4, comment=HOSTILE_COMMENT, display_name=HOSTILE_NAME)
    (tmp_path / "index.html").write_text(HOST_PAGE.format(live=live_server.url, slug=business.slug))
    context = browser.new_context(**DESKTOP)
    page = _guarded_page(context, {urlsplit(live_server.url).netloc, host_site.netloc}, page_log)
    hosts: set[str] = set()
    page.on("request", lambda request: request.url.startswith("http") and hosts.add(urlsplit(request.url).netloc))
    try:
        page.goto(f"{host_site.url}/index.html")
        widget = page.locator(".raves-widget")

        expect(widget.get_by_role("region", name="Customer reviews of Corner Bakery")).to_be_visible()
        expect(widget.locator(".avg")).to_have_text("3.0 out of 5")  # (63 ratings of 3.0 on average + 4) / 64
        expect(widget).to_contain_text("from 64 ratings")
        items = widget.locator("li")
        expect(items).to_have_count(3)
        expect(items.first).to_contain_text(HOSTILE_COMMENT)  # shown as text, exactly as written
        expect(items.first).to_contain_text(HOSTILE_NAME)
        assert widget.locator("img, script").count() == 0
        expect(widget.get_by_role("link", name="Read all reviews of Corner Bakery")).to_have_attribute(
            "href", f"https://raves.test/b/{business.slug}/?lang=en"
        )
        # The average's stars are filled to the nearest half (3.0 here: three of five).
        assert widget.locator(".meter .on").evaluate("(node) => node.style.width") == "60%"

        frame = page.frame_locator("iframe[title='Customer reviews']")
        expect(frame.locator(".avg")).to_contain_text("3.0")
        expect(frame.locator("li").first).to_contain_text(HOSTILE_COMMENT)
        assert frame.locator("img, script").count() == 0

        page.wait_for_timeout(300)  # give any injected handler (there must be none) its chance
        assert page.evaluate("() => typeof window.pwned") == "undefined"
        assert page.evaluate("() => window.ravesTest") == 1
        assert page.evaluate("() => ['el', 'stars', 'data', 'root', 'host'].filter((n) => n in window)") == []
        # The host's own styles still apply to its own elements, and do not reach into the widget.
        assert page.locator("#own").evaluate("(n) => getComputedStyle(n).color") == "rgb(255, 0, 0)"
        assert page.locator("#after").evaluate("(n) => getComputedStyle(n).color") == "rgb(255, 0, 0)"
        assert widget.locator(".box").evaluate("(n) => getComputedStyle(n).color") == "rgb(15, 23, 42)"
        assert widget.locator(".box").evaluate("(n) => getComputedStyle(n).fontFamily") != "serif"
        assert widget.locator(".box").evaluate("(n) => getComputedStyle(n).borderTopWidth") == "1px"
        assert hosts == {host_site.netloc, urlsplit(live_server.url).netloc}
        screenshot(page, "showcase-widget-on-another-site")
        assert_clean(page_log)
    finally:
        context.close()


def test_the_widget_of_a_switched_off_showcase_leaves_the_host_page_working(
    business, browser, live_server, host_site, tmp_path, page_log
):
    Business.objects.filter(pk=business.pk).update(showcase_enabled=False)
    (tmp_path / "index.html").write_text(HOST_PAGE.format(live=live_server.url, slug=business.slug))
    context = browser.new_context(**DESKTOP)
    page = _guarded_page(context, {urlsplit(live_server.url).netloc, host_site.netloc}, page_log)
    try:
        page.goto(f"{host_site.url}/index.html")

        expect(page.locator("#after")).to_be_visible()
        assert page.locator(".raves-widget").count() == 0
        assert page.evaluate("() => window.ravesTest") == 1
    finally:
        context.close()


def test_a_review_published_meanwhile_shows_on_the_next_visit(business, desktop_page, live_server):
    pending = review(business, rating=5, comment="Fresh from moderation", status=Review.Status.PENDING)
    desktop_page.goto(f"{live_server.url}/b/{business.slug}/")
    expect(desktop_page.get_by_text("Fresh from moderation")).to_have_count(0)

    from reviews.services.moderation import Actor, review_publish

    review_publish(review=pending, actor=Actor("owner"))  # autocommit here: invalidated at once

    desktop_page.goto(f"{live_server.url}/b/{business.slug}/")
    expect(desktop_page.get_by_text("Fresh from moderation")).to_be_visible()
