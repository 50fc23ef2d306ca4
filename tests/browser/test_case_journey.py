"""A complaint made right, end to end in a real browser, for an English and a German customer: the
customer answers 1 star on their phone, is acknowledged, the owner writes from the admin (English
for both), the customer answers on their conversation page, the owner resolves with a cause and
asks "did we make it right?", and the customer re-rates higher.

The customer follows the links of the emails they actually receive (the outbox is sent into
Django's locmem mail box, the links pointed at the live server), and reads every page and email in
their own language. Screenshots, one per step, go to test-artifacts/screenshots/case-journey-*.png
(the German run's end in -de.png).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from playwright.sync_api import expect

from feedback.links import feedback_url
from insights.metrics import complaint_figures
from outbox.models import OutboxEmail
from outbox.services import outbox_emails_send
from reviews.models import Case, CaseMessage
from tests.browser.axe import assert_accessible
from tests.businesses.factories import BusinessFactory, MembershipFactory
from tests.feedback.factories import FeedbackRequestFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PASSWORD = "correct-horse-battery"  # UserFactory's


@dataclass(frozen=True)
class Speech:
    """What the customer writes and reads in one language; the owner's admin is English in both."""

    lang: str
    suffix: str  # of screenshot and axe result names
    complaint: str
    sorry: str  # the owner writes in the customer's language
    reply: str
    comment_label: str
    send: str
    apology: str
    who: str
    by: str
    deadline: str  # a regular expression: the promised time, as the language writes it
    write_to_us: str
    message_subject: str
    conversation_heading: str
    answer_label: str
    send_answer: str
    answer_reached: str
    follow_up_subject: str
    follow_up_line: str
    four_stars: str
    save_changes: str
    thanks: str


ENGLISH = Speech(
    lang="en",
    suffix="",
    complaint="The soup was cold.",
    sorry="Ana, I'm so sorry about the cold soup. May I offer you lunch on us this week?",
    reply="Thank you, Maya. Thursday at noon would be lovely.",
    comment_label="Tell us more (optional)",
    send="Send my feedback",
    apology="We're sorry your visit fell short, Ana.",
    who="Who will get back to you:",
    by="By:",
    deadline=r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) \d{1,2} [A-Z][a-z]+, \d{2}:\d{2}",
    write_to_us="Write to us about it",
    message_subject="Corner Bakery wrote to you about your feedback",
    conversation_heading="Your conversation with Corner Bakery",
    answer_label="Your answer",
    send_answer="Send my answer",
    answer_reached="your answer has reached Corner Bakery",
    follow_up_subject="Ana, did we make it right?",
    follow_up_line="Did we make it right?",
    four_stars="4 stars",
    save_changes="Save my changes",
    thanks="Thank you, Ana!",
)
GERMAN = Speech(
    lang="de",
    suffix="-de",
    complaint="Die Suppe war kalt.",
    sorry="Ana, das mit der kalten Suppe tut mir sehr leid. Darf ich Sie diese Woche zum Mittagessen einladen?",
    reply="Danke, Maya. Donnerstag um zwölf wäre schön.",
    comment_label="Erzählen Sie uns mehr (optional)",
    send="Feedback senden",
    apology="Es tut uns leid, dass Ihr Besuch nicht Ihren Erwartungen entsprochen hat, Ana.",
    who="Wer sich bei Ihnen meldet:",
    by="Bis:",
    deadline=(
        r"(Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag), \d{1,2}\. [A-ZÄÖÜ][a-zäöü]+, \d{2}:\d{2} Uhr"
    ),
    write_to_us="Schreiben Sie uns dazu",
    message_subject="Corner Bakery hat Ihnen zu Ihrem Feedback geschrieben",
    conversation_heading="Ihr Gespräch mit Corner Bakery",
    answer_label="Ihre Antwort",
    send_answer="Antwort senden",
    answer_reached="Ihre Antwort ist bei Corner Bakery angekommen",
    follow_up_subject="Ana, haben wir es wiedergutgemacht?",
    follow_up_line="Haben wir es wiedergutgemacht?",
    four_stars="4 Sterne",
    save_changes="Änderungen speichern",
    thanks="Vielen Dank, Ana!",
)


@pytest.fixture
def complaint_request(db, speech: Speech):
    business = BusinessFactory(name="Corner Bakery", timezone="Europe/London", review_url="", default_language="en")
    owner = MembershipFactory(
        business=business, user__username="maya@corner.example", user__first_name="Maya", user__last_name="Berg"
    ).user
    request = FeedbackRequestFactory(
        business=business, customer__name="Ana Silva", customer__email="ana@example.com", language=speech.lang
    )
    return request, owner


def on_live_server(live_server, url: str) -> str:
    """An emailed link (SITE_URL is https://raves.test in tests), pointed at the live server."""
    parts = urlsplit(url)
    return f"{live_server.url}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def screenshot(page, name: str) -> None:
    """test-artifacts/screenshots/case-journey-<name>.png, the whole page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"case-journey-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0


def emailed_to_customer(key_prefix: str) -> EmailMessage:
    """Send what the outbox holds under `key_prefix` and return the email the customer received."""
    mail.outbox.clear()
    outbox_emails_send(
        email_ids=list(OutboxEmail.objects.filter(key__startswith=key_prefix).values_list("id", flat=True))
    )
    [message] = [message for message in mail.outbox if message.to == ["ana@example.com"]]
    return message


def link_in(text: str, path_pattern: str) -> str:
    [url] = re.findall(rf"https://raves\.test{path_pattern}", text)
    return url


@pytest.mark.parametrize("speech", [ENGLISH, GERMAN], ids=["en", "de"])
def test_a_one_star_complaint_is_made_right_and_the_customer_re_rates_higher(
    browser, phone_page, page_log, live_server, complaint_request, speech: Speech
):
    request, owner = complaint_request
    phone = phone_page
    phone.set_default_timeout(5000)

    # 1. The customer answers 1 star on their phone and is acknowledged on the thank-you page.
    phone.goto(on_live_server(live_server, feedback_url(request, rating=1)))
    assert phone.get_attribute("html", "lang") == speech.lang
    phone.get_by_label(speech.comment_label).fill(speech.complaint)
    with phone.expect_navigation():
        phone.get_by_role("button", name=speech.send).click()
    assert phone.get_attribute("html", "lang") == speech.lang
    acknowledgement = phone.locator(".acknowledgement")
    expect(acknowledgement).to_contain_text(speech.apology)
    expect(acknowledgement).to_contain_text(speech.who)
    expect(acknowledgement).to_contain_text(re.compile(rf"{re.escape(speech.by)} {speech.deadline}"))
    expect(phone.get_by_role("link", name=speech.write_to_us)).to_be_visible()
    screenshot(phone, f"1-thanks-acknowledgement-phone{speech.suffix}")
    assert_accessible(phone, f"case-journey-thanks-acknowledgement-phone{speech.suffix}")
    case = Case.objects.get()
    assert (case.original_rating, case.status, case.first_response_at) == (1, "open", None)

    # 2. The owner logs in to the admin and writes to the customer from the case.
    owner_page = browser.new_context(**DESKTOP, locale="en-GB").new_page()
    owner_page.set_default_timeout(5000)
    case_page = f"{live_server.url}/admin/reviews/case/{case.pk}/change/"
    owner_page.goto(f"{live_server.url}/admin/login/?next=/admin/reviews/case/{case.pk}/change/")
    owner_page.get_by_label("Username").fill(owner.username)
    owner_page.get_by_label("Password").fill(PASSWORD)
    with owner_page.expect_navigation():
        owner_page.get_by_role("button", name="Log in").click()
    owner_page.get_by_label("Write to the customer").fill(speech.sorry)
    with owner_page.expect_navigation():
        owner_page.get_by_role("button", name="Save and continue editing").click()
    expect(owner_page.locator("body")).to_contain_text(speech.sorry)
    screenshot(owner_page, f"2-owner-writes{speech.suffix}")
    case.refresh_from_db()
    assert case.first_response_at is not None and case.status == "contacted"

    # 3. The customer follows the emailed link (an email in their language) to the conversation on
    #    their phone and answers.
    message = emailed_to_customer("case-message:")
    assert message.subject == speech.message_subject
    assert speech.sorry in message.body
    conversation = link_in(message.body, r"/f/[^/\s]+/conversation/")
    phone.goto(on_live_server(live_server, conversation))
    assert phone.get_attribute("html", "lang") == speech.lang
    expect(phone.get_by_role("heading", level=1)).to_have_text(speech.conversation_heading)
    expect(phone.locator(".conversation")).to_contain_text(speech.sorry)
    phone.get_by_label(speech.answer_label).fill(speech.reply)
    with phone.expect_navigation():
        phone.get_by_role("button", name=speech.send_answer).click()
    expect(phone.get_by_role("status")).to_contain_text(speech.answer_reached)
    expect(phone.locator(".conversation")).to_contain_text(speech.reply)
    screenshot(phone, f"3-customer-answers-phone{speech.suffix}")
    assert_accessible(phone, f"case-journey-conversation-phone{speech.suffix}")
    assert CaseMessage.objects.filter(case=case, direction="from_customer", body=speech.reply).exists()

    # 4. The owner sees the answer and resolves the case with a cause.
    owner_page.goto(case_page)
    expect(owner_page.locator("body")).to_contain_text(speech.reply)
    owner_page.get_by_label("Status").select_option("resolved")
    owner_page.get_by_label("Resolution").fill("Apologised; Ana comes for lunch on us on Thursday.")
    owner_page.get_by_label("Cause").select_option(label="Product or service quality")
    owner_page.get_by_label("System problem or one-off?").select_option(index=1)
    with owner_page.expect_navigation():
        owner_page.get_by_role("button", name="Save and continue editing").click()
    expect(owner_page.get_by_label("Status")).to_have_value("resolved")
    screenshot(owner_page, f"4-owner-resolves-with-a-cause{speech.suffix}")
    case.refresh_from_db()
    assert (case.status, case.cause) == ("resolved", "quality")

    # 5. "Did we make it right?": asked from the case, as the owner does; the email is in the
    #    customer's language.
    owner_page.get_by_label("Ask the customer “did we make it right?”").check()
    with owner_page.expect_navigation():
        owner_page.get_by_role("button", name="Save and continue editing").click()
    expect(owner_page.locator(".messagelist")).to_contain_text("did we make it right?")
    follow_up = emailed_to_customer("case-follow-up:")
    assert follow_up.subject == speech.follow_up_subject
    assert speech.follow_up_line in follow_up.body

    # 6. The customer re-rates higher through the link of that email.
    phone.goto(on_live_server(live_server, link_in(follow_up.body, r"/f/[^/\s]+/(?=\s)")))
    assert phone.get_attribute("html", "lang") == speech.lang
    phone.get_by_text(speech.four_stars, exact=False).first.click()
    with phone.expect_navigation():
        phone.get_by_role("button", name=speech.save_changes).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(speech.thanks)
    screenshot(phone, f"5-customer-re-rates-phone{speech.suffix}")
    assert_accessible(phone, f"case-journey-re-rated-thanks-phone{speech.suffix}")

    # 7. The case shows the re-rating; the figures count the recovery.
    owner_page.goto(f"{live_server.url}/admin/reviews/case/")
    expect(owner_page.locator("#result_list")).to_contain_text("1★ → 4★")
    screenshot(owner_page, f"6-owner-sees-the-re-rating{speech.suffix}")
    owner_page.goto(f"{live_server.url}/admin/dashboard/")
    recovery = owner_page.locator(".card-figure", has=owner_page.get_by_role("heading", name="Recovery rate"))
    expect(recovery).to_contain_text("100%")
    expect(recovery).to_contain_text("1 of 1 customer asked “did we make it right?” re-rated higher")
    case.refresh_from_db()
    assert case.feedback.rating == 4
    figures = complaint_figures(business=case.business, start=case.opened_at, end=case.opened_at.replace(year=2100))
    assert (figures["re_rated"], figures["recovered"], figures["recovery_rate"]) == (1, 1, 1.0)
    assert page_log.page_errors == [] and page_log.blocked_requests == []
    owner_page.context.close()
