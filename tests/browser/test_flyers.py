"""Table cards and counter flyers in a real browser: the owner opens them from the admin, they print
to exactly one page of their size, and the QR code on the printed page scans to the open link.

Chromium prints each page to PDF (the CSS page size wins); pypdf counts the pages and reads their
size and words. The code is read by zxing-cpp from a screenshot of the page laid out for print
at the size of the paper's printable area. Screenshots go to test-artifacts/screenshots/flyer-*.png.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from pypdf import PdfReader

from businesses.models import Business, StaffMember
from feedback.links import open_feedback_url
from feedback.models import OpenFeedbackLink
from feedback.services.open_links import open_feedback_link, open_feedback_link_by_key
from tests.browser.conftest import DESKTOP
from tests.businesses.factories import BusinessFactory, MembershipFactory, StaffMemberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "correct-horse-battery"  # tests.businesses.factories.UserFactory's
MM = 96 / 25.4  # CSS pixels per millimetre
POINTS_PER_MM = 72 / 25.4
# Paper (width, height) and the @page margin, in millimetres, as flyer-a6.css and flyer-a4.css set them.
A6, A6_MARGIN = (105, 148), 8
A4, A4_MARGIN = (210, 297), 12


@pytest.fixture
def business(db, settings, live_server) -> Business:
    settings.SITE_URL = live_server.url  # the printed code leads to this server
    return BusinessFactory(
        name="Harbour Coffee",
        slug="harbour-coffee",
        phone="+44 23 9200 0000",
        email="hello@harbour-coffee.example",
        website="https://harbour-coffee.example",
        address="1 Harbour Street\nPortsmouth PO1 2AB",
        flyer_line="Roasted next door. Tell us straight: we read every answer.",
    )


@pytest.fixture
def maya(business) -> StaffMember:
    return StaffMemberFactory(business=business, name="Maya Lindqvist", email="maya@harbour-coffee.example")


@pytest.fixture
def owner_email(business) -> str:
    return MembershipFactory(business=business).user.username


@pytest.fixture
def admin_page(desktop_page):
    """A desktop page that may talk to the live server only; CSP reports are kept too."""
    return desktop_page


def log_in(page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/admin/login/?next=/admin/feedback/openfeedbacklink/")
    page.get_by_label("Username").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def row_of(page, whose: str):
    return page.locator("#result_list tbody tr", has_text=whose)


def screenshot(page, name: str, **options) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), **options)
    assert path.stat().st_size > 0
    return path


def decoded(png: bytes) -> list[str]:
    return [barcode.text for barcode in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def printed(page) -> PdfReader:
    return PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))


def assert_one_page_of(pdf: PdfReader, paper_mm: tuple[int, int]) -> None:
    assert len(pdf.pages) == 1
    box = pdf.pages[0].mediabox
    width, height = (size * POINTS_PER_MM for size in paper_mm)
    assert abs(float(box.width) - width) < 2 and abs(float(box.height) - height) < 2, (box.width, box.height)


def printed_page_screenshot(browser, page, paper_mm: tuple[int, int], margin_mm: int, name: str) -> bytes:
    """The page laid out as on paper (print media, the printable area's size), as a PNG."""
    width, height = (round((size - 2 * margin_mm) * MM) for size in paper_mm)
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=2)
    context.add_cookies(page.context.cookies())
    paper = context.new_page()
    paper.emulate_media(media="print")
    paper.goto(page.url)
    path = screenshot(paper, name)
    context.close()
    return path.read_bytes()


def test_the_table_card_prints_on_one_a6_page_and_its_code_scans(
    admin_page, browser, live_server, page_log, business, owner_email
):
    page = admin_page
    log_in(page, live_server, owner_email)
    link = OpenFeedbackLink.objects.get(business=business, staff=None)
    with page.expect_navigation():
        row_of(page, "the whole business").get_by_role("link", name="Table card (A6)").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Tell us how we did")
    expect(page.get_by_text("Roasted next door.")).to_be_visible()
    expect(page.locator(".typed-url")).to_have_text(open_feedback_url(link).removeprefix("https://"))
    expect(page.locator("address.contact")).to_contain_text("+44 23 9200 0000")
    expect(page.locator("address.contact")).to_contain_text("1 Harbour Street")
    sheet = page.locator(".sheet").bounding_box()
    assert abs(sheet["width"] - A6[0] * MM) < 2 and abs(sheet["height"] - A6[1] * MM) < 2
    screenshot(page, "flyer-table-card-a6-screen", full_page=True)

    pdf = printed(page)
    assert_one_page_of(pdf, A6)
    words = pdf.pages[0].extract_text()
    assert "Harbour Coffee".upper() in words.upper() and "Tell us how we did" in words
    assert decoded(printed_page_screenshot(browser, page, A6, A6_MARGIN, "flyer-table-card-a6-print")) == [
        open_feedback_url(link)
    ]

    assert page.csp_messages == []
    assert page_log.console_errors == page_log.page_errors == page_log.blocked_requests == []


def test_the_counter_flyer_of_a_staff_member_prints_on_one_a4_page_and_its_code_scans(
    admin_page, browser, live_server, page_log, business, maya, owner_email
):
    page = admin_page
    log_in(page, live_server, owner_email)
    link = open_feedback_link(business=business, staff=maya)
    with page.expect_navigation():
        row_of(page, "Maya Lindqvist").get_by_role("link", name="Counter flyer (A4)").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Served by Maya? Tell us how Maya did")
    screenshot(page, "flyer-counter-a4-screen", full_page=True)

    pdf = printed(page)
    assert_one_page_of(pdf, A4)
    assert "Tell us how Maya did" in pdf.pages[0].extract_text()
    assert decoded(printed_page_screenshot(browser, page, A4, A4_MARGIN, "flyer-counter-a4-print")) == [
        open_feedback_url(link)
    ]
    assert page.csp_messages == []
    assert page_log.console_errors == page_log.page_errors == page_log.blocked_requests == []


@pytest.mark.parametrize(("kind", "paper", "margin"), [("table-card", A6, A6_MARGIN), ("counter-flyer", A4, A4_MARGIN)])
def test_the_longest_words_still_print_on_one_page_with_a_code_that_scans(
    admin_page, browser, live_server, business, owner_email, kind, paper, margin
):
    business.name = "The Very Long Named Harbourside Coffee Roasters and Bakery " * 3
    business.flyer_line = ("Every single answer is read by the owner, " * 4)[:160]
    business.address = "Unit 14, The Old Chandlery\nWharf Road\nHarbourside Industrial Estate\nPortsmouth\nPO1 2AB"
    business.save()
    staff = StaffMemberFactory(business=business, name="Maximiliana-Josephina Featherstonehaugh")
    link = open_feedback_link(business=business, staff=staff)
    page = admin_page
    log_in(page, live_server, owner_email)

    page.goto(f"{live_server.url}/admin/feedback/openfeedbacklink/{link.pk}/{kind}/")

    assert_one_page_of(printed(page), paper)
    shot = printed_page_screenshot(browser, page, paper, margin, f"flyer-{kind}-long-words-print")
    assert decoded(shot) == [open_feedback_url(link)]


def test_the_svg_download_scans_and_a_replaced_link_prints_its_new_code(
    admin_page, browser, live_server, page_log, business, owner_email
):
    page = admin_page
    log_in(page, live_server, owner_email)
    link = OpenFeedbackLink.objects.get(business=business, staff=None)
    old_key = link.key
    screenshot(page, "flyer-admin-list", full_page=True)
    with page.expect_navigation():
        row_of(page, "the whole business").get_by_role("link", name="Harbour Coffee (the whole business)").click()
    expect(page.locator(".qr-preview svg")).to_be_visible()
    screenshot(page, "flyer-admin-link-page", full_page=True)
    page.go_back()

    # The SVG for print, drawn by the browser, scans to the link.
    svg_url = row_of(page, "the whole business").get_by_role("link", name="SVG").get_attribute("href")
    svg = page.request.get(f"{live_server.url}{svg_url}")
    assert svg.headers["content-type"] == "image/svg+xml"
    drawing = page.context.new_page()
    drawing.set_content(f"<body style='margin:0;background:#fff'>{svg.text()}</body>")
    assert decoded(drawing.locator("svg").screenshot()) == [open_feedback_url(link)]
    drawing.close()

    # Replacing asks first, then gives a new link; the old one no longer opens anything.
    with page.expect_navigation():
        row_of(page, "the whole business").get_by_role("link", name="Replace this link…").click()
    expect(page.get_by_text(open_feedback_url(link))).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Yes, replace this link").click()
    expect(page.locator(".messagelist")).to_contain_text("the codes printed before no longer work")
    link.refresh_from_db()
    assert link.key != old_key and open_feedback_link_by_key(old_key) is None

    with page.expect_navigation():
        row_of(page, "the whole business").get_by_role("link", name="Table card (A6)").click()
    assert decoded(printed_page_screenshot(browser, page, A6, A6_MARGIN, "flyer-table-card-a6-replaced")) == [
        open_feedback_url(link)
    ]
    assert page.csp_messages == []
    assert page_log.console_errors == page_log.page_errors == page_log.blocked_requests == []


def test_the_copy_button_copies_the_link(browser, live_server, business, owner_email):
    context = browser.new_context(**DESKTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    log_in(page, live_server, owner_email)
    link = OpenFeedbackLink.objects.get(business=business, staff=None)

    button = row_of(page, "the whole business").locator("button[data-copy]")
    expect(button).to_have_text("Copy")
    button.click()

    expect(button).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == open_feedback_url(link)
    context.close()
