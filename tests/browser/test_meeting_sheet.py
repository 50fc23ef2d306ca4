"""The meeting sheet with the demo data and a busy week on top, in a real browser: on screen under our
Content Security Policy, and printed to PDF by Chromium on exactly one A4 page.

The busy week is as full as a sheet gets: more wins, ideas, saves and open complaints than the sheet
lists (so every list is at its cap), long comments, overdue cases, several causes.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from businesses.demo import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, DEMO_SLUG
from businesses.models import Business, StaffMember
from feedback.models import Feedback, Idea
from insights.meeting_sheet_links import meeting_sheet_url
from insights.periods import meeting_sheet_last_full_week
from insights.services.meeting_sheet import meeting_sheet_build
from reviews.models import Case
from tests.feedback.factories import FeedbackFactory
from tests.reviews.factories import CaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
LONG_PRAISE = (
    "{name} noticed we were in a hurry, found us a table by the window, remembered the oat milk without "
    "being asked and still had time to recommend the new cardamom bun, which was excellent. The whole "
    "team was warm, quick and cheerful on a very busy Saturday morning."
)
LONG_IDEA = (
    "Could you put the day's cakes on a board by the door and offer a smaller size of the seasonal "
    "drinks? Sometimes I only want half a cup in the afternoon, and a reusable-cup discount would help too."
)
RESOLUTION = "Called the customer the same morning, apologised for the wait and offered their next two coffees on us."
CAUSES = ["waiting_time", "quality", "staff_manner", "billing"]
NAMES = ["Alex S.", "Jordan G.", "Priya K.", "Lucas N.", "Emma B.", "Noah R.", "Chen K.", "Fatima D.", "Olivia S."]


@pytest.fixture
def demo_business(db, settings) -> Business:
    settings.DEBUG = True  # as `make run`: the demo logins get their known passwords
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115 — the command's banner is noise here
    settings.DEBUG = False
    return Business.objects.get(slug=DEMO_SLUG)


def _answer(business: Business, at, *, rating: int, comment: str, staff=None, name: str = "", idea: str = ""):
    feedback = FeedbackFactory(
        request__business=business,
        request__sent_at=at - timedelta(hours=3),
        request__staff=staff,
        staff=staff,
        rating=rating,
        comment=comment,
        improvement=idea,
        recommend_score=10 if rating >= 4 else 2,
        display_name=name,
    )
    Feedback.objects.filter(pk=feedback.pk).update(submitted_at=at)
    if idea:
        made = Idea.objects.create(feedback=feedback, business=business)
        Idea.objects.filter(pk=made.pk).update(created_at=at)
    return feedback


@pytest.fixture
def busy_week(demo_business) -> Business:
    """The last full week, made as busy as a sheet gets, on top of the demo's weeks."""
    business = demo_business
    week = meeting_sheet_last_full_week(business)
    staff = list(StaffMember.objects.filter(business=business).order_by("id"))
    for n in range(12):
        at = week.start + timedelta(hours=9 + 13 * n)
        person = staff[n % len(staff)]
        _answer(
            business,
            at,
            rating=5 - n % 2,
            comment=LONG_PRAISE.format(name=person.name.split()[0]),
            staff=person,
            name=NAMES[n % len(NAMES)],
            idea=LONG_IDEA if n % 2 else "",
        )
    for n in range(7):  # resolved this week: saves, with causes
        at = week.start + timedelta(hours=10 + 20 * n)
        feedback = _answer(business, at, rating=1 + n % 2, comment="Waited twenty minutes.", name=NAMES[n])
        case = CaseFactory(feedback=feedback, opened_at=at, deadline=at + timedelta(hours=24))
        Case.objects.filter(pk=case.pk).update(
            status=Case.Status.RESOLVED,
            first_response_at=at + timedelta(minutes=40 + 15 * n),
            resolved_at=at + timedelta(hours=6),
            resolution=RESOLUTION,
            cause=CAUSES[n % len(CAUSES)],
            resolved_by_staff=staff[n % len(staff)] if n % 2 else None,
        )
    for n in range(9):  # still open; the older ones overdue
        at = week.start + timedelta(hours=12 + 15 * n)
        feedback = _answer(business, at, rating=1 + n % 2, comment="The order was wrong.", name=NAMES[n])
        CaseFactory(feedback=feedback, opened_at=at, deadline=at + timedelta(hours=24))
    return business


def pdf_pages(pdf: bytes) -> int:
    """The number of pages of a PDF: its /Type /Page objects (not the /Type /Pages tree)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def save_pdf(name: str, pdf: bytes) -> None:
    """Kept next to the screenshots, to look at when the page count is wrong."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"{name}.pdf").write_bytes(pdf)


def assert_full_sheet_shown(page, sheet) -> None:
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{sheet.business.name}: the week of")
    for heading in (
        "The week in numbers",
        "Complaints open now",
        "Wins: what customers loved",
        "Staff named most",
        "Saves: complaints turned around",
        "Top causes",
        "New ideas from customers",
    ):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    # Every list is at its cap: the busiest sheet there can be.
    expect(page.locator(".win")).to_have_count(len(sheet.wins))
    expect(page.locator(".open-complaints li")).to_have_count(len(sheet.open_complaints))
    expect(page.locator(".open-complaints li.overdue").first).to_be_visible()
    expect(page.get_by_text(f"…and {sheet.more_open} more, newer.")).to_be_visible()


def test_the_busy_week_sheet_prints_on_one_a4_page(desktop_page, page_log, live_server, busy_week):
    page = desktop_page
    sheet = meeting_sheet_build(business=busy_week, week=meeting_sheet_last_full_week(busy_week))
    assert (len(sheet.wins), len(sheet.open_complaints), len(sheet.ideas), len(sheet.saves)) == (5, 5, 5, 4)
    assert sheet.more_open > 0 and sheet.more_ideas > 0 and sheet.more_saves > 0 and len(sheet.causes) == 3

    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.get_by_label("Username").fill(DEMO_OWNER_EMAIL)
    page.get_by_label("Password").fill(DEMO_OWNER_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Meeting sheet: last week on one printable page").click()
    assert urlsplit(page.url).path == "/admin/dashboard/meeting-sheet/"
    assert_full_sheet_shown(page, sheet)

    # The Print button works through a static script (no inline script under the CSP)…
    button = page.get_by_role("button", name="Print")
    expect(button).to_be_visible()
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    button.click()
    assert page.evaluate("window.printed") == 1
    screenshot(page, "meeting-sheet-admin")
    # …and, like the admin around the sheet, is not printed.
    page.emulate_media(media="print")
    expect(button).to_be_hidden()
    expect(page.locator("#header")).to_be_hidden()
    expect(page.get_by_role("heading", name="The week in numbers")).to_be_visible()

    pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
    save_pdf("meeting-sheet-admin", pdf)
    assert pdf.startswith(b"%PDF")
    assert pdf_pages(pdf) == 1, "the busy week's sheet does not fit one A4 page"

    assert page.csp_messages == []
    assert page_log.console_errors == []
    assert page_log.page_errors == []
    assert page_log.blocked_requests == []


def test_the_weekly_email_link_opens_the_same_sheet_on_one_page(desktop_page, page_log, live_server, busy_week):
    page = desktop_page
    week = meeting_sheet_last_full_week(busy_week)
    sheet = meeting_sheet_build(business=busy_week, week=week)
    path = urlsplit(meeting_sheet_url(business=busy_week, monday=week.first_day)).path
    response = page.goto(f"{live_server.url}{path}")
    assert response.status == 200
    assert_full_sheet_shown(page, sheet)
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    assert "@" not in page.locator("body").inner_text()

    screenshot(page, "meeting-sheet-link")

    pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
    save_pdf("meeting-sheet-link", pdf)
    assert pdf_pages(pdf) == 1, "the sheet behind the email's link does not fit one A4 page"

    assert page.csp_messages == []
    assert page_log.console_errors == []
    assert page_log.page_errors == []
    assert page_log.blocked_requests == []


def test_on_a_phone_the_sheet_is_one_column_without_sideways_scrolling(phone_page, page_log, live_server, busy_week):
    page = phone_page
    week = meeting_sheet_last_full_week(busy_week)
    path = urlsplit(meeting_sheet_url(business=busy_week, monday=week.first_day)).path
    assert page.goto(f"{live_server.url}{path}").status == 200
    screenshot(page, "meeting-sheet-link-phone")
    numbers = page.get_by_role("heading", name="The week in numbers").bounding_box()
    complaints = page.get_by_role("heading", name="Complaints open now").bounding_box()
    assert complaints["y"] > numbers["y"] and complaints["x"] == numbers["x"]  # one column
    assert page.evaluate("document.scrollingElement.scrollWidth") <= page.viewport_size["width"]
    assert page_log.console_errors == [] and page_log.page_errors == [] and page_log.blocked_requests == []
