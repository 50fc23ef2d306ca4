"""A German customer opens the emailed star link on a phone and answers, in German from end to end."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from feedback.models import Feedback
from tests.browser.test_feedback_form import (
    assert_fits_phone_width,
    emailed_link,
    screenshot,
    small_tap_targets,
    unnamed_controls,
)
from tests.businesses.factories import BusinessFactory, StaffMemberFactory
from tests.feedback.factories import FeedbackRequestFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def german_request(db):
    business = BusinessFactory(name="Bäckerei Sonne", default_language="de", ask_recommend_score=True)
    served_by = StaffMemberFactory(business=business, name="Jonas Weber")
    return FeedbackRequestFactory(business=business, customer__name="Anna Schmidt", staff=served_by)


def test_a_german_customer_answers_the_emailed_link_on_a_phone(phone_page, page_log, live_server, german_request):
    page = phone_page
    response = page.goto(emailed_link(live_server, german_request, rating=4))
    assert response.status == 200
    assert page.get_attribute("html", "lang") == "de"
    stars = page.get_by_role("radiogroup", name="Wie war es?")
    expect(stars.get_by_role("radio", name="4 Sterne — Gut")).to_be_checked()
    expect(page.get_by_role("link", name="English")).to_be_visible()
    screenshot(page, "feedback-form-german-phone")
    assert unnamed_controls(page) == []
    assert small_tap_targets(page) == []
    assert_fits_phone_width(page)

    # The switch to English keeps the star clicked in the email, and back again.
    page.get_by_role("link", name="English").click()
    expect(
        page.get_by_role("radiogroup", name="How was it?").get_by_role("radio", name="4 stars — Good")
    ).to_be_checked()
    page.get_by_role("link", name="Deutsch").click()
    assert page.get_attribute("html", "lang") == "de"

    page.get_by_label("Erzählen Sie uns mehr (optional)").fill("Sehr freundlich und schnell.")
    page.get_by_role("checkbox").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Feedback senden").click()
    expect(page.get_by_role("heading", name="Vielen Dank, Anna!")).to_be_visible()
    expect(page.get_by_text("Ihr Feedback ist bei Bäckerei Sonne angekommen.")).to_be_visible()
    screenshot(page, "feedback-thanks-german-phone")
    assert_fits_phone_width(page)

    feedback = Feedback.objects.get(request=german_request)
    assert feedback.rating == 4
    assert feedback.consent_text.startswith("Ich bin einverstanden, dass Bäckerei Sonne")
    assert page_log.blocked_requests == []
    assert page_log.page_errors == []
