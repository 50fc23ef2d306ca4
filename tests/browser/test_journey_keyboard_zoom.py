"""The customer's form by keyboard alone at 200 % zoom: a 1280×900 screen zoomed to 200 % lays the
page out in 640×450 CSS pixels (device scale factor 2). Nothing scrolls sideways, Tab reaches every
control in order, each one scrolls into view when focused and shows a visible focus outline, and
the answer goes in with the keyboard, each control found by the name a screen reader announces. An
English and a German customer (whose longer words must fit too). Screenshots:
test-artifacts/screenshots/journey-5-*.png (the German run's end in -de.png).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from feedback.links import feedback_url
from feedback.models import Feedback
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PageLog
from tests.browser.journeys import assert_clean, assert_no_sideways_scrolling, guarded_page, screenshot
from tests.businesses.factories import BusinessFactory, StaffMemberFactory
from tests.feedback.factories import FeedbackRequestFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JOURNEY = 5
ZOOMED_200 = {"viewport": {"width": 640, "height": 450}, "device_scale_factor": 2}


@dataclass(frozen=True)
class Speech:
    """The names a screen reader announces for the form's controls, in one language."""

    lang: str
    suffix: str  # of screenshot and axe result names
    stars: str
    five_stars: str
    comment_label: str
    comment: str
    consent: str  # how the consent checkbox's name begins
    send: str
    thanks: str


ENGLISH = Speech(
    lang="en",
    suffix="",
    stars="How was it?",
    five_stars="5 stars — Excellent",
    comment_label="Tell us more (optional)",
    comment="Warm bread, kind people.",
    consent="I agree that Corner Bakery",
    send="Send my feedback",
    thanks="Thank you, Ana!",
)
GERMAN = Speech(
    lang="de",
    suffix="-de",
    stars="Wie war es?",
    five_stars="5 Sterne — Ausgezeichnet",
    comment_label="Erzählen Sie uns mehr (optional)",
    comment="Warmes Brot, freundliche Leute.",
    consent="Ich bin einverstanden, dass Corner Bakery",
    send="Feedback senden",
    thanks="Vielen Dank, Ana!",
)

# Every control a keyboard user should reach, one entry per radio group (Tab stops once in a group).
TAB_STOPS_JS = """() => {
  const visible = (el) => el.getClientRects().length > 0 && !el.closest('[aria-hidden="true"], .trap');
  const stops = [];
  for (const el of document.querySelectorAll('main a[href], main input, main select, main textarea, main button')) {
    if (el.type === 'hidden' || el.disabled || el.tabIndex < 0 || !visible(el)) continue;
    const key = el.type === 'radio' ? `radio:${el.name}` : (el.id || el.name || el.textContent.trim());
    if (!stops.includes(key)) stops.push(key);
  }
  return stops;
}"""
FOCUSED_JS = """async () => {
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const el = document.activeElement;
  const key = el.type === 'radio' ? `radio:${el.name}` : (el.id || el.name || el.textContent.trim());
  // A radio or a checkbox is shown as the option around it (its label, the thing a person taps).
  const box = ((el.type === 'radio' || el.type === 'checkbox') && el.closest('label') || el).getBoundingClientRect();
  const style = getComputedStyle(el);
  const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  return {
    key,
    // The whole control; of a text box, its first lines (Chromium scrolls a text box in only as far
    // as its caret, where the typing happens).
    inView: box.top >= 0 && box.left >= 0 && box.right <= innerWidth
      && (el.tagName === 'TEXTAREA' ? box.top + 40 <= innerHeight : box.bottom <= innerHeight),
    box: [box.top, box.bottom, box.left, box.right, innerHeight],
    outlined,
  };
}"""


def tab_to(page, control, *, limit: int = 40) -> None:
    """Press Tab until focus is on `control` (a locator) or inside it; fail if it is never reached."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if control.evaluate("(el) => el === document.activeElement || el.contains(document.activeElement)"):
            return
    pytest.fail(f"{control} cannot be reached with Tab.")


@pytest.fixture
def feedback_request(db, speech: Speech):
    business = BusinessFactory(
        name="Corner Bakery",
        review_url="https://reviews.example/corner-bakery",
        ask_recommend_score=True,
        default_language="en",
    )
    maya = StaffMemberFactory(business=business, name="Maya Lindqvist")
    return FeedbackRequestFactory(business=business, customer__name="Ana Silva", staff=maya, language=speech.lang)


@pytest.mark.parametrize("speech", [ENGLISH, GERMAN], ids=["en", "de"])
def test_the_form_works_by_keyboard_alone_at_200_percent_zoom(
    browser, live_server, feedback_request, page_log: PageLog, speech: Speech
):
    context = browser.new_context(**ZOOMED_200)
    page = guarded_page(context, {urlsplit(live_server.url).netloc}, page_log)
    parts = urlsplit(feedback_url(feedback_request))
    page.goto(f"{live_server.url}{parts.path}")
    assert page.evaluate("window.innerWidth") == 640
    assert page.get_attribute("html", "lang") == speech.lang
    assert_no_sideways_scrolling(page)
    screenshot(page, JOURNEY, f"1-form-at-200-percent{speech.suffix}")
    assert_accessible(page, f"journey-5-form-at-200-percent{speech.suffix}")

    expected = page.evaluate(TAB_STOPS_JS)
    assert "radio:rating" in expected and "id_consent_to_publish" in expected
    reached, hidden, unmarked = [], [], []
    for _ in range(3 * len(expected) + 10):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_JS)
        if focused["key"] in expected and focused["key"] not in reached:
            reached.append(focused["key"])
            if not focused["inView"]:
                hidden.append((focused["key"], focused["box"]))
            if not focused["outlined"]:
                unmarked.append(focused["key"])
            if focused["key"] == "radio:rating":
                screenshot(page, JOURNEY, f"2-stars-focused-at-200-percent{speech.suffix}", full_page=False)
        if len(reached) == len(expected):
            break
    assert reached == expected, "Tab skips controls or reaches them out of order"
    assert hidden == [], f"focused controls left out of view: {hidden}"
    assert unmarked == [], f"focused controls without a visible outline: {unmarked}"
    assert_no_sideways_scrolling(page)

    # Now answer with the keyboard alone, from the top of the page: 5 stars, a comment, consent, send,
    # each control found by its name in the customer's language.
    page.reload()
    tab_to(page, page.get_by_role("radiogroup", name=speech.stars))
    page.keyboard.press("Space")
    for _ in range(5):
        if page.evaluate("document.activeElement.value") == "5":
            break
        page.keyboard.press("ArrowUp")
    expect(page.get_by_role("radio", name=speech.five_stars)).to_be_checked()
    expect(page.get_by_role("radio", name=speech.five_stars)).to_be_focused()
    tab_to(page, page.get_by_role("textbox", name=speech.comment_label))
    page.keyboard.type(speech.comment)
    consent = page.get_by_role("checkbox", name=re.compile(f"^{re.escape(speech.consent)}"))
    tab_to(page, consent)
    page.keyboard.press("Space")
    expect(consent).to_be_checked()
    screenshot(page, JOURNEY, f"3-consent-focused-at-200-percent{speech.suffix}", full_page=False)
    tab_to(page, page.get_by_role("button", name=speech.send))
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text(speech.thanks)
    assert page.get_attribute("html", "lang") == speech.lang
    assert_no_sideways_scrolling(page)
    screenshot(page, JOURNEY, f"4-thanks-at-200-percent{speech.suffix}")
    assert_accessible(page, f"journey-5-thanks-at-200-percent{speech.suffix}")
    feedback = Feedback.objects.get()
    assert (feedback.rating, feedback.comment, feedback.consent_to_publish) == (5, speech.comment, True)
    assert_clean(page_log)
    context.close()
