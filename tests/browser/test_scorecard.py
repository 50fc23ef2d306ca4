"""A staff member opens their own scorecard from the weekly email, on a phone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from insights.scorecard_links import scorecard_token
from tests.browser.conftest import PHONE, PageLog
from tests.businesses.factories import BusinessFactory, StaffMemberFactory
from tests.feedback.factories import FeedbackFactory, FeedbackRequestFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_scorecard_fits_a_phone_and_loads_nothing_from_elsewhere(phone_page, page_log: PageLog, live_server):
    business = BusinessFactory(name="Harbour Café")
    maya = StaffMemberFactory(business=business, name="Maya Lindqvist")
    just_now = timezone.now() - timedelta(minutes=1)
    for rating in (5, 4, 2):
        request = FeedbackRequestFactory(business=business, staff=maya, sent_at=just_now)
        FeedbackFactory(request=request, rating=rating, comment="Wonderful" * 40, display_name="Ana S.")

    page = phone_page
    response = page.goto(f"{live_server.url}/scorecard/{scorecard_token(maya)}/")

    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Maya Lindqvist, your own figures")
    # This month so far (3 answers) against the same days of last month, then last month.
    expect(page.get_by_role("row", name="Their answers").first).to_have_text(re.compile(r"Their answers\s*3\s*0"))
    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll_width <= PHONE["viewport"]["width"], f"the page scrolls sideways: {scroll_width}px"
    assert page_log.blocked_requests == page_log.console_errors == page_log.page_errors == []
