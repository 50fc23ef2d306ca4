"""The moderation queue at desktop size: the comment has the room, its rating and flags beside it.

Screenshot: test-artifacts/screenshots/moderation-queue-desktop.png.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from reviews.models import Review
from tests.browser.conftest import PageLog
from tests.browser.journeys import DESKTOP, SCREENSHOTS, assert_clean, guarded_page, log_in
from tests.businesses.factories import BusinessFactory, MembershipFactory, StaffMemberFactory
from tests.showcase.helpers import review

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_COMMENT = (
    "We came for the sourdough and stayed for the cinnamon buns. Maya explained every loaf, found us "
    "a table by the window and brought water for the dog without being asked. Call me on 07700 900123."
)


@pytest.fixture
def owner(db):
    business = BusinessFactory(name="Corner Bakery")
    maya = StaffMemberFactory(business=business, name="Maya Lindqvist")
    review(
        business,
        rating=5,
        comment=LONG_COMMENT,
        staff=maya,
        display_name="Ana S.",
        status="pending",
        flags=[Review.Flag.CONTACT],
    )
    review(business, rating=2, comment="Cold coffee.", display_name="Tom O.", status="pending")
    return MembershipFactory(business=business).user


def test_the_queue_gives_the_comment_the_room_with_its_rating_and_flags_beside_it(
    browser, live_server, owner, page_log: PageLog
):
    context = browser.new_context(**DESKTOP)
    page = guarded_page(context, {urlsplit(live_server.url).netloc}, page_log)
    log_in(page, live_server, owner.username, "/admin/reviews/review/")
    row = page.locator("#result_list tbody tr", has_text="cinnamon buns")
    expect(row).to_have_count(1)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "moderation-queue-desktop.png"), full_page=True)

    rating_and_flags, comment, written_by = (
        row.locator(f".field-{name}") for name in ("rating_and_flags", "queue_comment", "written_by")
    )
    expect(comment).to_contain_text("Call me on 07700 900123.")  # the whole comment, not 80 characters of it
    expect(rating_and_flags).to_contain_text("★★★★★")
    expect(rating_and_flags.locator(".flag")).to_have_text(["Contains an email address or phone number"])
    expect(written_by).to_contain_text("Ana S.")
    expect(written_by).to_contain_text("served by Maya Lindqvist")
    rating_box, comment_box, written_box = (cell.bounding_box() for cell in (rating_and_flags, comment, written_by))
    assert comment_box["width"] >= 300, f"the comment column is {comment_box['width']}px wide"
    assert comment_box["width"] > 1.5 * max(rating_box["width"], written_box["width"])
    assert rating_box["x"] + rating_box["width"] <= comment_box["x"] + 1  # the rating and flags just before it
    assert rating_box["y"] == comment_box["y"]  # on the same line
    # Every column fits: the results do not scroll sideways.
    overflow = page.locator("#changelist .results").evaluate("(node) => node.scrollWidth - node.clientWidth")
    assert overflow <= 0, f"the queue scrolls sideways by {overflow}px"
    assert_clean(page_log)
    context.close()
