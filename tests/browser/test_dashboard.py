"""The owner's dashboard with the demo data, in a real browser at desktop and phone sizes.

The owner logs in through the admin's own form; the page must render its cards, charts and
numbers tables under our Content Security Policy, load nothing from other sites and log no error.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from businesses.demo import DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD, DEMO_SLUG
from businesses.models import Business
from insights.dashboard import dashboard_for, default_period
from tests.browser.conftest import DESKTOP, PHONE, PageLog, live_server_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHART_NAMES = [
    "Average rating by week",
    "Response rate by week",
    "Requests sent by week",
    "Ratings by number of stars",
]


@pytest.fixture
def demo_business(db, settings) -> Business:
    settings.DEBUG = True  # as `make run`: the demo logins get their known passwords
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115 — the command's banner is noise here
    settings.DEBUG = False
    return Business.objects.get(slug=DEMO_SLUG)


@pytest.fixture(params=["desktop", "phone"])
def sized_page(request, browser, live_server, page_log: PageLog) -> Iterator:
    """A page at 1280x900 or 390x844 that may talk to the live server only; CSP reports are kept too."""
    for page in live_server_page(browser, live_server, page_log, **(DESKTOP if request.param == "desktop" else PHONE)):
        page.size_name = request.param
        yield page


def log_in_as_demo_owner(page, live_server) -> None:
    page.goto(f"{live_server.url}/admin/login/?next=/admin/dashboard/")
    page.get_by_label("Username").fill(DEMO_OWNER_EMAIL)
    page.get_by_label("Password").fill(DEMO_OWNER_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def script_sources(csp_header: str) -> list[str]:
    """The sources allowed for scripts: script-src, or default-src when there is none."""
    directives = {name: values for name, *values in (part.split() for part in csp_header.split(";") if part.strip())}
    return directives.get("script-src", directives.get("default-src", []))


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0
    return path


def percent(fraction: float) -> str:
    return f"{round(100 * fraction)}%"


def test_the_demo_owner_sees_the_dashboard_with_named_charts_and_tables(
    sized_page, page_log, live_server, demo_business
):
    page = sized_page
    log_in_as_demo_owner(page, live_server)
    response = page.goto(f"{live_server.url}/admin/dashboard/")
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard — Harbour Coffee")
    screenshot(page, f"dashboard-{page.size_name}")

    csp = response.headers.get("content-security-policy", "")
    assert csp, "the dashboard is served without a Content Security Policy"
    sources = script_sources(csp)
    assert sources and "'unsafe-inline'" not in sources, csp

    # The cards show the same figures the selector computes for the default period.
    since, until = default_period(demo_business)
    expected = dashboard_for(business=demo_business, since=since, until=until).figures
    assert expected.requests_sent > 0
    cards = page.get_by_role("region", name="Key figures")
    expect(cards.locator(".card-figure", has_text="Response rate")).to_contain_text(percent(expected.response_rate))
    expect(cards.locator(".card-figure", has_text="Average rating")).to_contain_text(f"{expected.average_rating:.2f}")
    expect(cards.locator(".card-figure", has_text="CSAT")).to_contain_text(percent(expected.csat))
    expect(cards.locator(".card-figure", has_text="NPS")).to_contain_text(f"{expected.nps:.0f}")

    # Every chart is an image with a name a screen reader announces, and each is drawn.
    for name in CHART_NAMES:
        chart = page.get_by_role("img", name=name)
        expect(chart).to_be_visible()
        assert chart.locator("polyline, rect").count() > 0, f"{name} draws nothing"
    unnamed = page.evaluate(
        "() => [...document.querySelectorAll('.charts svg')].filter((svg) => !svg.getAttribute('aria-label')).length"
    )
    assert unnamed == 0

    # The numbers behind the charts are in tables, with headers.
    tables = page.locator("table.numbers")
    assert tables.count() >= 4
    weeks = tables.first
    expect(weeks.locator("tbody tr")).to_have_count(12)
    expect(page.get_by_role("columnheader", name="Response rate").first).to_be_visible()
    staff_table = page.locator("table.numbers", has=page.get_by_role("columnheader", name="Staff member"))
    expect(staff_table.get_by_role("rowheader", name="Maya Lindqvist")).to_be_visible()

    # Nothing spills sideways, whatever the screen.
    width = page.viewport_size["width"]
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width

    # The period in use is in the date inputs; choosing another one shows its figures.
    expect(page.get_by_label("From", exact=True)).to_have_value(since.isoformat())
    expect(page.get_by_label("To", exact=True)).to_have_value(until.isoformat())
    week_ago = until - timedelta(days=6)
    page.get_by_label("From", exact=True).fill(week_ago.isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    expect(page.locator(".period-note")).to_contain_text(f"from {week_ago.day} {week_ago:%b %Y} to")
    last_week = dashboard_for(business=demo_business, since=week_ago, until=until).figures
    expect(cards.locator(".card-figure", has_text="Response rate")).to_contain_text(
        f"{last_week.responses} of {last_week.requests_sent} customers answered"
    )

    assert page.csp_messages == []
    assert page_log.console_errors == []
    assert page_log.page_errors == []
    assert page_log.blocked_requests == []
