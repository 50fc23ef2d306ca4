"""A customer opens the emailed star link on a phone and answers with the keyboard alone."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from feedback.links import feedback_url
from feedback.models import Feedback
from feedback.services.open_links import open_feedback_link
from tests.businesses.factories import BusinessFactory, StaffMemberFactory
from tests.feedback.factories import FeedbackRequestFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE_WIDTH = 390
COMMENT = "Quick, friendly and on time."
# Roles a customer operates; each must have a name a screen reader can announce.
CONTROL_ROLES = {"radio", "checkbox", "textbox", "combobox", "button", "link", "radiogroup", "group"}


@pytest.fixture
def feedback_request(db):
    business = BusinessFactory(
        name="Corner Bakery", review_url="https://reviews.example/corner-bakery", ask_recommend_score=True
    )
    served_by = StaffMemberFactory(business=business, name="Maya Lindqvist")
    StaffMemberFactory(business=business, name="Tom Okafor")
    return FeedbackRequestFactory(business=business, customer__name="Ana Silva", staff=served_by)


def emailed_link(live_server, request, rating: int | None = None) -> str:
    """The emailed link, pointed at the live server: SITE_URL is https://raves.test in tests."""
    parts = urlsplit(feedback_url(request, rating=rating))
    return f"{live_server.url}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0
    return path


def tab_to(page, selector: str, *, backwards: bool = False, limit: int = 40) -> None:
    """Press Tab (or Shift+Tab) until the focused element matches `selector`; fail if it is never reached."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            return
    pytest.fail(f"{selector} cannot be reached with {key}.")


def focused(page, attribute: str) -> str | None:
    return page.evaluate("(name) => document.activeElement.getAttribute(name)", attribute)


def unnamed_controls(page) -> list[str]:
    """Controls whose accessible name, as Chromium computes it for screen readers, is empty."""
    session = page.context.new_cdp_session(page)
    tree = session.send("Accessibility.getFullAXTree")["nodes"]
    session.detach()
    unnamed = []
    for node in tree:
        role = node.get("role", {}).get("value")
        if role in CONTROL_ROLES and not node.get("ignored") and not node.get("name", {}).get("value", "").strip():
            unnamed.append(f"{role} (backend node {node.get('backendDOMNodeId')})")
    return unnamed


def assert_fits_phone_width(page) -> None:
    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll_width <= PHONE_WIDTH, f"the page scrolls sideways: {scroll_width}px wide at {PHONE_WIDTH}px"


def small_tap_targets(page) -> list[str]:
    """Options a thumb taps (the label around each radio and checkbox, buttons) under 44 CSS pixels high."""
    return page.evaluate(
        """() => [...document.querySelectorAll('form label:has(input), form button, form select')]
              .filter((el) => { const box = el.getBoundingClientRect(); return box.height < 44 || box.width < 44; })
              .map((el) => el.textContent.trim() || el.outerHTML.slice(0, 60))"""
    )


def test_a_customer_answers_the_emailed_star_link_on_a_phone_by_keyboard_alone(
    phone_page, page_log, live_server, feedback_request
):
    page = phone_page
    response = page.goto(emailed_link(live_server, feedback_request, rating=4))
    assert response.status == 200
    stars = page.get_by_role("radiogroup", name="How was it?")
    expect(stars).to_be_visible()
    expect(stars.get_by_role("radio", name="4 stars — Good")).to_be_checked()
    for name in ["5 stars — Excellent", "3 stars — Okay", "2 stars — Poor", "1 star — Very poor"]:
        expect(stars.get_by_role("radio", name=name)).not_to_be_checked()
    screenshot(page, "feedback-form-phone")
    assert unnamed_controls(page) == []
    assert small_tap_targets(page) == []
    assert_fits_phone_width(page)
    assert not Feedback.objects.exists(), "opening the link must not record anything"

    # Tab into the stars: focus lands on the checked one, and a keyboard user can see where it is.
    tab_to(page, "input[name=rating]")
    assert focused(page, "value") == "4"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused star has no visible focus indicator"
    page.keyboard.press("ArrowUp")
    assert focused(page, "value") == "5"
    expect(stars.get_by_role("radio", name="5 stars — Excellent")).to_be_checked()
    stars.screenshot(path=str(SCREENSHOTS / "feedback-stars-focused-phone.png"))

    tab_to(page, "textarea[name=comment]")
    page.keyboard.type(COMMENT)

    tab_to(page, "input[name=recommend_score]")
    while focused(page, "value") != "9":
        page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="9", exact=True)).to_be_checked()

    # Shift+Tab leaves the group and comes back to the score just chosen.
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.name") == "improvement"
    page.keyboard.press("Tab")
    assert focused(page, "value") == "9"

    tab_to(page, "select[name=staff]")
    assert page.evaluate("document.activeElement.selectedOptions[0].text") == "Maya Lindqvist"

    tab_to(page, "input[name=consent_to_publish]")
    page.keyboard.press("Space")
    expect(page.get_by_role("checkbox")).to_be_checked()

    tab_to(page, "button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, Ana!")
    review_link = page.get_by_role("link", name="Review Corner Bakery publicly")
    expect(review_link).to_have_attribute("href", "https://reviews.example/corner-bakery")
    screenshot(page, "feedback-thanks-phone")
    assert unnamed_controls(page) == []
    assert_fits_phone_width(page)

    feedback = Feedback.objects.get()
    assert (feedback.rating, feedback.comment, feedback.recommend_score) == (5, COMMENT, 9)
    assert feedback.consent_to_publish is True
    assert feedback.staff.name == "Maya Lindqvist"
    assert page_log.console_errors == []
    assert page_log.page_errors == []
    assert page_log.blocked_requests == []


def test_a_keyboard_user_who_sends_no_rating_is_told_what_to_fix(phone_page, page_log, live_server, feedback_request):
    page = phone_page
    page.goto(emailed_link(live_server, feedback_request))
    tab_to(page, "button[type=submit]")
    with page.expect_navigation() as navigation:
        page.keyboard.press("Enter")
    assert navigation.value.status == 400
    # The summary takes focus (autofocus, no JavaScript), so the next Tab reaches its link.
    # Chromium applies autofocus at its next rendering step, after the load event: wait for it.
    page.wait_for_function("document.activeElement.classList.contains('error-summary')", timeout=5_000)

    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Choose a rating from 1 to 5 stars.")
    expect(page.get_by_role("radiogroup", name="How was it?")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "feedback-form-error-phone")
    assert page.title().startswith("Error:")
    assert unnamed_controls(page) == []
    assert_fits_phone_width(page)

    # The error links to the stars, so a keyboard user gets there in one step.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.matches('.error-summary a')")
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#id_rating_group"
    assert not Feedback.objects.exists()
    assert page_log.page_errors == []
    assert page_log.blocked_requests == []


def test_a_walk_in_customer_answers_through_the_qr_code_link_on_a_phone(phone_page, page_log, live_server):
    business = BusinessFactory(name="Corner Bakery", ask_recommend_score=True)
    maya = StaffMemberFactory(business=business, name="Maya Lindqvist")
    link = open_feedback_link(business=business, staff=maya)
    page = phone_page

    response = page.goto(f"{live_server.url}/o/{link.key}/")

    assert response.status == 200
    expect(page.get_by_role("combobox", name="Who helped you? (optional)")).to_have_value(str(maya.pk))
    # The honeypot is neither seen nor announced.
    expect(page.locator("input[name=website]")).not_to_be_in_viewport()
    page.get_by_role("radio", name="5 stars — Excellent").check()
    page.get_by_role("textbox", name="Tell us more (optional)").fill(COMMENT)
    page.get_by_role("textbox", name="Your name (optional)").fill("Tom Berg")
    page.get_by_role("textbox", name="Your email, if you would like a reply (optional)").fill("tom@example.com")
    screenshot(page, "open-feedback-form-phone")
    assert unnamed_controls(page) == []
    assert_fits_phone_width(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Send my feedback").click()

    expect(page.get_by_role("heading", name="Thank you, Tom!")).to_be_visible()
    screenshot(page, "open-feedback-thanks-phone")
    feedback = Feedback.objects.get()
    assert (feedback.rating, feedback.comment, feedback.staff, feedback.verified) == (5, COMMENT, maya, False)
    assert feedback.customer.email == "tom@example.com"
    assert page_log.console_errors == []
    assert page_log.page_errors == []
    assert page_log.blocked_requests == []
