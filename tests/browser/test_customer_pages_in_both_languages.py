"""Every page a customer or a visitor sees, in English and in German, in Chromium on a phone.

One tour per language walks each page and each of its states: the form (fresh, with errors, the
thanks, changing the answer, the locked answer), the conversation, unsubscribing and undoing it,
the expired link, the open link's form (fresh, with errors, its thanks, too many answers), the
showcase, how reviews work, the embed, and the 404 and 429 pages. On each: `<html lang>` names the
language, the page says what it should in that language (numbers and dates as the language writes
them), axe-core finds no serious or critical WCAG 2 A/AA violation, and no sentence of the
catalogue shows up in the other language. Screenshots: test-artifacts/screenshots/customer-pages-*.png
(German ones end in -de.png); axe results: test-artifacts/axe/customer-pages-*.json.

The customer's pages follow their request's language (set here on the request, as a CSV's or the
API's `language` does); the open link's form and the error pages follow the browser's
Accept-Language; the showcase follows `?lang=` even when the browser asks for the other language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import polib
import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from playwright.sync_api import expect

from feedback.links import feedback_url
from feedback.models import Feedback, FeedbackRequest
from feedback.services.open_links import open_feedback_link
from reviews.models import Case
from showcase import cache as showcase_cache
from tests.browser.axe import assert_accessible
from tests.browser.conftest import PHONE, PageLog
from tests.browser.journeys import SCREENSHOTS, assert_no_sideways_scrolling, guarded_page
from tests.businesses.factories import BusinessFactory, StaffMemberFactory
from tests.feedback.factories import FeedbackRequestFactory, unsubscribe_token
from tests.showcase.helpers import review

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CATALOGUE = Path(django_settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES" / "django.po"
EXPECTED_STATUS = re.compile(r"^Failed to load resource: the server responded with a status of (400|404|410|429) ")
# Published on the showcase, an average of 4.6: (rating, name shown, words in English, in German).
REVIEWS = (
    (5, "Jonas W.", "The best rye bread in town.", "Das beste Roggenbrot der Stadt."),
    (5, "Lea K.", "Maya found us a cake at five to six.", "Maya hat uns um fünf vor sechs noch einen Kuchen besorgt."),
    (4, "Tom O.", "Lovely rolls; the queue was long.", "Leckere Brötchen, nur die Schlange war lang."),
    (5, "Mia B.", "Warm, friendly and quick.", "Herzlich, freundlich und schnell."),
    (4, "Ana S.", "Good coffee, a little pricey.", "Guter Kaffee, etwas teuer."),
)
# What a person reads or hears of a page: its title, its text, and the names given in attributes.
READABLE_JS = """() => {
  const texts = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll('[aria-label], [title], [alt], [placeholder]')) {
    for (const name of ['aria-label', 'title', 'alt', 'placeholder']) {
      if (el.getAttribute(name)) texts.push(el.getAttribute(name));
    }
  }
  return texts.join('\\n');
}"""


@dataclass(frozen=True)
class Speech:
    """What the pages say in one language (the business's name and people's words aside)."""

    lang: str
    locale: str  # the browser's, sent as Accept-Language
    other_locale: str  # a browser asking for the other language
    suffix: str  # of screenshot and axe result names
    form_heading: str
    four_stars: str
    one_star: str
    comment_label: str
    send: str
    error_title: str
    check_answer: str
    choose_rating: str
    thanks: str
    write_to_us: str
    conversation_heading: str
    not_written: str
    answer_label: str
    send_answer: str
    write_first: str
    answer_reached: str
    change_heading: str
    save_changes: str
    locked_heading: str
    withdraw: str
    withdrawn: str
    stop_heading: str
    unsubscribe: str
    unsubscribed_heading: str
    undo: str
    subscribed_again: str
    expired_heading: str
    name_label: str
    email_label: str
    open_thanks: str
    too_many_answers: str
    showcase_heading: str
    average: str
    from_ratings: str
    date: str  # a regular expression
    how_link: str
    how_heading: str
    embed_region: str
    not_found_heading: str
    not_found: str
    too_many_heading: str
    too_many: str


ENGLISH = Speech(
    lang="en",
    locale="en-GB",
    other_locale="de-DE",
    suffix="",
    form_heading="How was your experience with Corner Bakery?",
    four_stars="4 stars — Good",
    one_star="1 star — Very poor",
    comment_label="Tell us more (optional)",
    send="Send my feedback",
    error_title="Error:",
    check_answer="Please check your answer",
    choose_rating="Choose a rating from 1 to 5 stars.",
    thanks="Thank you, Ana!",
    write_to_us="Write to us about it",
    conversation_heading="Your conversation with Corner Bakery",
    not_written="Corner Bakery has not written yet. You can write to them below.",
    answer_label="Your answer",
    send_answer="Send my answer",
    write_first="Write your answer before sending it.",
    answer_reached="Thank you: your answer has reached Corner Bakery.",
    change_heading="Change your answer",
    save_changes="Save my changes",
    locked_heading="Your feedback",
    withdraw="Withdraw my consent to publish",
    withdrawn="Your consent is withdrawn: Corner Bakery will not publish this answer.",
    stop_heading="Stop feedback emails from Corner Bakery?",
    unsubscribe="Unsubscribe",
    unsubscribed_heading="You are unsubscribed",
    undo="Undo: subscribe again",
    subscribed_again="You are subscribed again",
    expired_heading="This link has expired",
    name_label="Your name (optional)",
    email_label="Your email, if you would like a reply (optional)",
    open_thanks="Thank you, Lena!",
    too_many_answers="Many answers came from your network just now: please wait",
    showcase_heading="What customers say",
    average="4.6",
    from_ratings="from 5 ratings",
    date=r"^\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December) \d{4}$",
    how_link="How reviews work here",
    how_heading="How reviews work at Corner Bakery",
    embed_region="Customer reviews of Corner Bakery",
    not_found_heading="Page not found",
    not_found="This address does not lead anywhere.",
    too_many_heading="Too many tries",
    too_many="Nothing you already sent us is lost.",
)
GERMAN = Speech(
    lang="de",
    locale="de-DE",
    other_locale="en-GB",
    suffix="-de",
    form_heading="Wie war Ihre Erfahrung mit Corner Bakery?",
    four_stars="4 Sterne — Gut",
    one_star="1 Stern — Sehr schlecht",
    comment_label="Erzählen Sie uns mehr (optional)",
    send="Feedback senden",
    error_title="Fehler:",
    check_answer="Bitte prüfen Sie Ihre Antwort",
    choose_rating="Bitte wählen Sie eine Bewertung von 1 bis 5 Sternen.",
    thanks="Vielen Dank, Ana!",
    write_to_us="Schreiben Sie uns dazu",
    conversation_heading="Ihr Gespräch mit Corner Bakery",
    not_written="Corner Bakery hat noch nicht geschrieben. Sie können unten eine Nachricht schreiben.",
    answer_label="Ihre Antwort",
    send_answer="Antwort senden",
    write_first="Bitte schreiben Sie Ihre Antwort, bevor Sie sie senden.",
    answer_reached="Vielen Dank: Ihre Antwort ist bei Corner Bakery angekommen.",
    change_heading="Ihre Antwort ändern",
    save_changes="Änderungen speichern",
    locked_heading="Ihr Feedback",
    withdraw="Meine Einwilligung zur Veröffentlichung widerrufen",
    withdrawn="Ihre Einwilligung ist widerrufen: Corner Bakery wird diese Antwort nicht veröffentlichen.",
    stop_heading="Keine Feedback-E-Mails mehr von Corner Bakery erhalten?",
    unsubscribe="Abmelden",
    unsubscribed_heading="Sie sind abgemeldet",
    undo="Rückgängig machen: wieder anmelden",
    subscribed_again="Sie sind wieder angemeldet",
    expired_heading="Dieser Link ist abgelaufen",
    name_label="Ihr Name (optional)",
    email_label="Ihre E-Mail-Adresse, falls Sie eine Antwort wünschen (optional)",
    open_thanks="Vielen Dank, Lena!",
    too_many_answers="Aus Ihrem Netzwerk kamen gerade viele Antworten: Bitte warten Sie",
    showcase_heading="Was Kundinnen und Kunden sagen",
    average="4,6",
    from_ratings="aus 5 Bewertungen",
    date=r"^\d{1,2}\. (Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember) \d{4}$",
    how_link="So funktionieren Bewertungen hier",
    how_heading="So funktionieren Bewertungen bei Corner Bakery",
    embed_region="Kundenbewertungen für Corner Bakery",
    not_found_heading="Seite nicht gefunden",
    not_found="Diese Adresse führt nirgendwohin.",
    too_many_heading="Zu viele Versuche",
    too_many="Nichts, was Sie uns bereits gesendet haben, geht verloren.",
)


@cache
def foreign_fragments(lang: str) -> frozenset[str]:
    """Sentences of the customers' catalogue entries that only the other language writes: the English
    of each entry for a German page, the German for an English page. Pieces between placeholders and
    tags, long enough to be sentences rather than names."""
    fragments = set()
    for entry in polib.pofile(str(CATALOGUE)):
        if entry.obsolete or all(path.startswith("templates/admin/") for path, _ in entry.occurrences):
            continue
        english = [text for text in (entry.msgid, entry.msgid_plural) if text]
        german = [entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values())
        foreign, own = (english, german) if lang == "de" else (german, english)
        own_pieces = {piece for text in own for piece in _pieces(text)}
        fragments |= {piece for text in foreign for piece in _pieces(text) if piece not in own_pieces}
    return frozenset(fragments)


def _pieces(text: str) -> list[str]:
    pieces = re.split(r"%\(\w+\)[sd]|\{\w+\}|<[^>]+>|\n", text)
    return [piece.strip().replace("%%", "%") for piece in pieces if len(piece.strip()) > 12]


@dataclass
class Tour:
    """A phone in one language, visiting the pages and checking each one the same way."""

    page: object
    speech: Speech

    def check(self, name: str, *, heading: str | None, texts: tuple[str, ...] = ()) -> None:
        page, speech = self.page, self.speech
        assert page.get_attribute("html", "lang") == speech.lang, f"{name}: {page.url}"
        if heading is not None:
            expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        for text in texts:
            expect(page.locator("body")).to_contain_text(text)
        assert_no_sideways_scrolling(page)
        readable = page.evaluate(READABLE_JS)
        foreign = sorted(fragment for fragment in foreign_fragments(speech.lang) if fragment in readable)
        assert foreign == [], f"{name} ({speech.lang}) shows text of the other language: {foreign}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"customer-pages-{name}{speech.suffix}.png"), full_page=True)
        assert_accessible(page, f"customer-pages-{name}{speech.suffix}")

    def goto(self, url: str, *, status: int = 200):
        response = self.page.goto(url)
        assert response.status == status, f"{url}: {response.status}"
        return response


@pytest.fixture(autouse=True)
def _no_remembered_business():
    """The live server must not remember another test's business or pages under the same slug."""
    showcase_cache.forget_local()
    yield
    showcase_cache.forget_local()


@pytest.fixture
def business(db, speech: Speech):
    business = BusinessFactory(
        name="Corner Bakery",
        slug="corner-bakery",
        default_language="en",
        review_url="",
        timezone="Europe/Berlin",
        address="Mühlenweg 12\n10115 Berlin",
    )
    maya = StaffMemberFactory(business=business, name="Maya Lindqvist")
    for rating, name, english, german in REVIEWS:
        comment = german if speech.lang == "de" else english
        review(business, rating=rating, comment=comment, staff=maya, display_name=name)
    return business


def on_live_server(live_server, url: str) -> str:
    """A link built from SITE_URL (https://raves.test in tests), pointed at the live server."""
    parts = urlsplit(url)
    return f"{live_server.url}{parts.path}" + (f"?{parts.query}" if parts.query else "")


@pytest.mark.parametrize("speech", [ENGLISH, GERMAN], ids=["en", "de"])
def test_every_page_a_customer_or_visitor_sees_speaks_their_language_and_passes_axe(
    browser, live_server, business, settings, page_log: PageLog, speech: Speech
):
    settings.OPEN_FEEDBACK_LIMIT = "2/hour"  # the third answer through the open link waits
    settings.TOKEN_GUESS_LIMIT = "2/hour"  # the third unknown link is refused
    live = live_server.url
    # The showcase, how reviews work and the embed, in the language of `?lang=`, whatever the browser
    # asks (first: the customers below add their ratings to the average).
    visitor_context = browser.new_context(**PHONE, locale=speech.other_locale)
    visitor = Tour(guarded_page(visitor_context, {urlsplit(live).netloc}, page_log), speech)
    response = visitor.goto(f"{live}/b/corner-bakery/?lang={speech.lang}")
    assert response.headers["content-language"] == speech.lang
    expect(visitor.page.locator(".average-number")).to_have_text(speech.average)
    expect(visitor.page.locator("article.review time").first).to_have_text(re.compile(speech.date))
    visitor.check("showcase", heading="Corner Bakery", texts=(speech.showcase_heading, speech.from_ratings))
    expect(visitor.page.get_by_role("link", name=speech.how_link).first).to_be_visible()
    visitor.goto(f"{live}/b/corner-bakery/how-reviews-work/?lang={speech.lang}")
    visitor.check("how-reviews-work", heading=speech.how_heading)
    visitor.goto(f"{live}/b/corner-bakery/embed/?lang={speech.lang}")
    region = visitor.page.get_by_role("region", name=speech.embed_region)
    expect(region.locator(".avg")).to_contain_text(speech.average)
    visitor.check("embed", heading=None, texts=(speech.from_ratings,))  # a frame in another page: no h1
    visitor_context.close()

    request = FeedbackRequestFactory(
        business=business, customer__name="Ana Silva", customer__email="ana@example.com", language=speech.lang
    )
    context = browser.new_context(**PHONE, locale=speech.locale)
    tour = Tour(guarded_page(context, {urlsplit(live).netloc}, page_log), speech)
    page = tour.page

    # The form from the emailed 4-star link; sent without a rating, it says what to fix.
    form = on_live_server(live_server, feedback_url(request))
    response = tour.goto(f"{form}?rating=4")
    assert response.headers["content-language"] == speech.lang
    expect(page.get_by_role("radio", name=speech.four_stars)).to_be_checked()
    tour.check("form", heading=speech.form_heading)
    tour.goto(form)
    with page.expect_navigation():
        page.get_by_role("button", name=speech.send).click()
    assert page.title().startswith(speech.error_title)
    expect(page.get_by_role("alert")).to_contain_text(speech.choose_rating)
    tour.check("form-with-errors", heading=speech.form_heading, texts=(speech.check_answer,))

    # One star, with consent: the thanks, then the conversation (empty, an empty answer, an answer).
    page.get_by_text(speech.one_star).click()
    page.get_by_label(speech.comment_label).fill("Die Suppe war kalt." if speech.lang == "de" else "The soup was cold.")
    page.get_by_role("checkbox").check()
    with page.expect_navigation():
        page.get_by_role("button", name=speech.send).click()
    tour.check("thanks", heading=speech.thanks, texts=(speech.write_to_us,))
    assert Case.objects.filter(feedback__request=request).exists()
    with page.expect_navigation():
        page.get_by_role("link", name=speech.write_to_us).click()
    tour.check("conversation", heading=speech.conversation_heading, texts=(speech.not_written,))
    with page.expect_navigation():
        page.get_by_role("button", name=speech.send_answer).click()
    expect(page.get_by_role("alert")).to_have_text(speech.write_first)
    tour.check("conversation-with-errors", heading=speech.conversation_heading)
    page.get_by_label(speech.answer_label).fill(
        "Bitte rufen Sie mich an." if speech.lang == "de" else "Please call me."
    )
    with page.expect_navigation():
        page.get_by_role("button", name=speech.send_answer).click()
    expect(page.get_by_role("status")).to_have_text(speech.answer_reached)
    tour.check("conversation-answered", heading=speech.conversation_heading)

    # Changing the answer while the link allows it; after that, the answer read-only, consent withdrawn.
    tour.goto(form)
    expect(page.get_by_role("radio", name=speech.one_star)).to_be_checked()
    expect(page.get_by_role("button", name=speech.save_changes)).to_be_visible()
    tour.check("change-answer", heading=speech.change_heading)
    Feedback.objects.filter(request=request).update(editable_until=timezone.now() - timedelta(days=1))
    tour.goto(form)
    with page.expect_navigation():
        page.get_by_role("button", name=speech.withdraw).click()
    expect(page.get_by_role("status")).to_have_text(speech.withdrawn)
    tour.check("answer-locked", heading=speech.locked_heading)
    assert Feedback.objects.get(request=request).consent_to_publish is False

    # Unsubscribing from the link at the bottom of an email, and undoing it.
    tour.goto(on_live_server(live_server, f"https://raves.test/u/{unsubscribe_token(request)}/"))
    tour.check("unsubscribe", heading=speech.stop_heading)
    with page.expect_navigation():
        page.get_by_role("button", name=speech.unsubscribe, exact=True).click()
    tour.check("unsubscribed", heading=speech.unsubscribed_heading)
    with page.expect_navigation():
        page.get_by_role("button", name=speech.undo).click()
    tour.check("subscribed-again", heading=speech.subscribed_again)
    request.customer.refresh_from_db()
    assert request.customer.opted_out_at is None

    # A link past its date.
    expired = FeedbackRequestFactory(
        business=business,
        customer__name="Tom Okafor",
        language=speech.lang,
        expires_at=timezone.now() - timedelta(days=1),
    )
    tour.goto(on_live_server(live_server, feedback_url(expired)), status=410)
    tour.check("expired", heading=speech.expired_heading)

    # The open link (a QR code on the counter), in the browser's language: with errors, answered,
    # then one answer too many from the same network.
    key = open_feedback_link(business=business).key
    tour.goto(f"{live}/o/{key}/")
    expect(page.get_by_label(speech.name_label)).to_be_visible()
    expect(page.get_by_label(speech.email_label)).to_be_visible()
    tour.check("open-link-form", heading=speech.form_heading)
    with page.expect_navigation():
        page.get_by_role("button", name=speech.send).click()
    expect(page.get_by_role("alert")).to_contain_text(speech.choose_rating)
    tour.check("open-link-form-with-errors", heading=speech.form_heading)
    page.get_by_text(speech.four_stars).click()
    page.get_by_label(speech.name_label).fill("Lena Berg")
    with page.expect_navigation():
        page.get_by_role("button", name=speech.send).click()
    tour.check("open-link-thanks", heading=speech.open_thanks)
    answered = FeedbackRequest.objects.get(customer=None, business=business)
    assert answered.customer_language == speech.lang  # written to in the language they answered in
    tour.goto(f"{live}/o/{key}/")
    page.get_by_text(speech.four_stars).click()
    with page.expect_navigation():
        page.get_by_role("button", name=speech.send).click()
    expect(page.get_by_role("alert")).to_contain_text(speech.too_many_answers)
    expect(page.get_by_role("radio", name=speech.four_stars)).to_be_checked()  # the answer is kept
    tour.check("open-link-too-many", heading=speech.form_heading)

    # Mistyped and guessed links, in the browser's language: not found, then too many tries.
    tour.goto(f"{live}/f/not-a-real-link/", status=404)
    tour.check("not-found", heading=speech.not_found_heading, texts=(speech.not_found,))
    tour.goto(f"{live}/nowhere/", status=404)
    tour.check("not-found-address", heading=speech.not_found_heading)
    # The limit counts in fixed windows: a window may end between two guesses, so guess on until refused.
    statuses = []
    while 429 not in statuses and len(statuses) < 6:
        statuses.append(page.goto(f"{live}/f/guess-{len(statuses)}/").status)
    assert statuses[-1] == 429 and set(statuses[:-1]) == {404}, statuses
    tour.check("too-many-tries", heading=speech.too_many_heading, texts=(speech.too_many,))
    context.close()

    # Chromium logs each 4xx answer above as a console error; nothing else went wrong.
    assert page_log.blocked_requests == [] and page_log.page_errors == []
    unexpected = [error for error in page_log.console_errors if not EXPECTED_STATUS.search(error)]
    assert unexpected == []
