"""The business's colour, dark mode and the printed showcase, as Chromium renders them.

Dark mode is the reader's choice (`color_scheme="dark"`): axe-core checks every pair of colours
it computes (contrast included) on the form, the thanks page, the showcase and the embed. The
printed showcase is read back from Chromium's PDF.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from businesses.models import Business
from feedback.links import feedback_url
from showcase import cache as showcase_cache
from showcase.look import palette
from tests.browser.axe import assert_accessible
from tests.browser.conftest import DESKTOP, PHONE, PageLog, live_server_page
from tests.businesses.factories import BusinessFactory, StaffMemberFactory
from tests.feedback.factories import FeedbackRequestFactory
from tests.showcase.helpers import published_reviews_bulk, review

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
TEAL = "#0f766e"  # white text on it reads at 5.5:1
DARK_PAGE = "rgb(15, 23, 42)"
WHITE = "rgb(255, 255, 255)"
BLACK = "rgb(0, 0, 0)"


@pytest.fixture(autouse=True)
def _no_remembered_business():
    """The live server must not remember another test's business or pages under the same slug."""
    showcase_cache.forget_local()
    yield
    showcase_cache.forget_local()


@pytest.fixture
def business(db) -> Business:
    business = BusinessFactory(
        name="Harbour Books",
        slug="harbour-books",
        accent_color=TEAL,
        languages=["en", "de"],
        address="3 Quay Street\nFalmouth TR11 3HH",
        phone="+44 1326 555 010",
        email="hello@harbour-books.example",
        website="https://harbour-books.example",
        review_url="https://reviews.example/harbour-books",
        ask_recommend_score=True,
    )
    june = StaffMemberFactory(business=business, name="June Pascoe")
    published_reviews_bulk(business, 14, staff=june)  # two pages of reviews: a pager to hide in print
    review(
        business,
        rating=5,
        comment="Found the out-of-print atlas I had been after for years. June wrapped it beautifully.",
        staff=june,
        display_name="Priya K.",
        reply="Enjoy it, Priya!",
        featured=True,
    )
    return business


@contextlib.contextmanager
def page_in(browser, live_server, page_log: PageLog, *, scheme: str, size: dict):
    """A page in the reader's colour scheme, allowed to talk to the live server only."""
    pages = live_server_page(browser, live_server, page_log, color_scheme=scheme, **size)
    try:
        yield next(pages)
    finally:
        next(pages, None)  # runs the rest of live_server_page: the context closes


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0


def style(page, selector: str, property_name: str) -> str:
    return page.eval_on_selector(selector, "(node, name) => getComputedStyle(node)[name]", property_name)


def rgb(color: str) -> str:
    """#rrggbb as Chromium's computed style writes it."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def form_link(live_server, request) -> str:
    parts = urlsplit(feedback_url(request))
    return f"{live_server.url}{parts.path}"


def assert_clean(page, page_log: PageLog, *, expected_status: str = "") -> None:
    """No style or script refused, no request elsewhere, no error but the page's own expected status."""
    assert page.csp_messages == []
    errors = [error for error in page_log.console_errors if not (expected_status and expected_status in error)]
    assert page_log.blocked_requests == errors == page_log.page_errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_form_wears_the_business_colour_and_reads_well_in_either_scheme(
    business, browser, live_server, page_log, scheme
):
    request = FeedbackRequestFactory(business=business, customer__name="Ana Silva")
    with page_in(browser, live_server, page_log, scheme=scheme, size=PHONE) as page:
        page.goto(form_link(live_server, request))

        assert style(page, "button[type=submit]", "backgroundColor") == rgb(TEAL)
        assert style(page, "button[type=submit]", "color") == WHITE
        assert style(page, "body", "backgroundColor") == (DARK_PAGE if scheme == "dark" else rgb("#f8fafc"))
        assert_accessible(page, f"look-form-{scheme}")
        screenshot(page, f"look-form-{scheme}")

        # The error summary, the chosen option and the thanks page, in the same scheme.
        page.get_by_role("button", name="Send my feedback").click()
        expect(page.get_by_role("alert")).to_contain_text("Please check your answer")
        page.wait_for_load_state()
        page.get_by_role("radio", name="5 stars — Excellent").check()
        expected_ink = palette(TEAL).dark_ink if scheme == "dark" else palette(TEAL).ink
        assert style(page, ".star-option:has(input:checked)", "borderColor") == rgb(expected_ink)
        assert_accessible(page, f"look-form-errors-{scheme}")
        screenshot(page, f"look-form-errors-{scheme}")

        page.get_by_role("button", name="Send my feedback").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, Ana!")
        page.wait_for_load_state()  # its stylesheets applied
        assert style(page, ".button.secondary", "color") == rgb(expected_ink)
        assert_accessible(page, f"look-thanks-{scheme}")
        screenshot(page, f"look-thanks-{scheme}")
        assert_clean(page, page_log, expected_status="status of 400")  # the form sent without a rating


def test_the_showcase_in_dark_mode_keeps_every_text_readable(business, browser, live_server, page_log):
    with page_in(browser, live_server, page_log, scheme="dark", size=DESKTOP) as page:
        page.goto(f"{live_server.url}/b/{business.slug}/")

        assert style(page, "body", "backgroundColor") == DARK_PAGE
        assert style(page, '.chips a[aria-current="page"]', "backgroundColor") == rgb(TEAL)
        assert style(page, ".honesty a", "color") == rgb(palette(TEAL).dark_ink)
        assert_accessible(page, "look-showcase-dark")
        screenshot(page, "look-showcase-dark")

        page.get_by_role("link", name="How reviews work here").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("How reviews work at Harbour Books")
        page.wait_for_load_state()
        assert_accessible(page, "look-how-reviews-work-dark")
        assert_clean(page, page_log)


def test_the_embed_in_dark_mode_keeps_every_text_readable(business, browser, live_server, page_log):
    with page_in(
        browser, live_server, page_log, scheme="dark", size={"viewport": {"width": 420, "height": 600}}
    ) as page:
        page.goto(f"{live_server.url}/b/{business.slug}/embed/")

        assert style(page, ".box", "backgroundColor") == rgb("#1e293b")
        assert style(page, "a", "color") == rgb(palette(TEAL).dark_ink)
        assert_accessible(page, "look-embed-dark")
        screenshot(page, "look-embed-dark")
        assert_clean(page, page_log)


def test_the_printed_showcase_has_the_reviews_in_black_and_no_controls(business, browser, live_server, page_log):
    # A reader in dark mode prints too: the paper stays white.
    with page_in(browser, live_server, page_log, scheme="dark", size=DESKTOP) as page:
        page.goto(f"{live_server.url}/b/{business.slug}/")
        expect(page.locator(".language-switch")).to_be_visible()
        expect(page.locator(".filters")).to_be_visible()

        page.emulate_media(media="print")

        for hidden in (".language-switch", ".filters", ".pagination"):
            assert style(page, hidden, "display") == "none", hidden
        assert style(page, "body", "backgroundColor") == WHITE
        assert style(page, ".review-text", "color") == BLACK
        assert style(page, ".review", "breakInside") == "avoid"
        assert style(page, ".print-only", "display") == "block"
        screenshot(page, "look-showcase-print")

        text = " ".join(page_text.extract_text() for page_text in PdfReader(io.BytesIO(page.pdf())).pages)
        flat = " ".join(text.split())
        for shown in ("Harbour Books", "+44 1326 555 010", "hello@harbour-books.example", "3 Quay Street"):
            assert shown in flat, shown
        assert f"https://raves.test/b/{business.slug}/" in flat  # the page's address, from SITE_URL
        assert "Found the out-of-print atlas" in flat
        for control in ("Deutsch", "Highest rated", "Verified customers only", "Next →"):
            assert control not in flat, control
        assert_clean(page, page_log)
