"""The pages behind emailed links: a GET records nothing, the form validates, answers can change."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from businesses.models import Customer
from feedback.models import Feedback, FeedbackRequest, FeedbackRequestEvent, ProcessedWebhookEvent
from feedback.services.responses import consent_text
from tests.businesses.factories import StaffMemberFactory
from tests.feedback.factories import FeedbackFactory, FeedbackRequestFactory, feedback_token, unsubscribe_token

pytestmark = pytest.mark.django_db
Status = FeedbackRequest.Status
URL_ATTRIBUTE = re.compile(r'\b(?:src|href|action|srcset|poster|data)\s*=\s*["\']?\s*((?:https?:)?//[^"\'\s>]+)', re.I)
INPUT = re.compile(r"<input\b[^>]*>", re.I)


@pytest.fixture
def request_(business) -> FeedbackRequest:
    business.review_url = "https://reviews.example.org/corner-bakery"
    business.save()
    return FeedbackRequestFactory(business=business, customer__name="Ana Silva", customer__email="ana@example.com")


def form_url(request: FeedbackRequest) -> str:
    return f"/f/{feedback_token(request)}/"


def thanks_url(request: FeedbackRequest) -> str:
    return f"/f/{feedback_token(request)}/thanks/"


def unsubscribe_link(request: FeedbackRequest) -> str:
    return f"/u/{unsubscribe_token(request)}/"


def answer(rating="4", **fields) -> dict:
    return {"rating": rating, "display_name_choice": "first_initial", **fields}


def inputs(html: str, name: str) -> list[str]:
    return [tag for tag in INPUT.findall(html) if f'name="{name}"' in tag]


def checked_values(html: str, name: str) -> list[str]:
    return [re.search(r'value="([^"]*)"', tag).group(1) for tag in inputs(html, name) if re.search(r"\bchecked\b", tag)]


def snapshot() -> dict:
    """Everything a GET could change."""
    return {
        "requests": list(FeedbackRequest.objects.order_by("pk").values()),
        "customers": list(Customer.objects.order_by("pk").values()),
        "feedback": list(Feedback.objects.order_by("pk").values()),
        "events": FeedbackRequestEvent.objects.count(),
        "webhook_events": ProcessedWebhookEvent.objects.count(),
    }


# --- a GET never records anything --------------------------------------------------------------
def test_following_every_emailed_link_changes_nothing(client, request_):
    before = snapshot()
    paths = [form_url(request_)] + [f"{form_url(request_)}?rating={n}" for n in range(1, 6)]
    paths += [thanks_url(request_), unsubscribe_link(request_)]
    for path in paths:
        assert client.get(path).status_code in (200, 302), path
        assert client.head(path).status_code in (200, 302), path
    assert snapshot() == before
    request_.customer.refresh_from_db()
    assert request_.customer.opted_out_at is None
    assert not Feedback.objects.exists()


def test_following_the_links_after_answering_changes_nothing(client, request_):
    client.post(form_url(request_), answer("5", comment="Great"))
    before = snapshot()
    for path in (
        form_url(request_),
        f"{form_url(request_)}?rating=1",
        thanks_url(request_),
        unsubscribe_link(request_),
    ):
        assert client.get(path).status_code == 200
    assert snapshot() == before
    assert Feedback.objects.get().rating == 5


def test_the_star_link_preselects_the_rating_without_recording_it(client, request_):
    page = client.get(f"{form_url(request_)}?rating=3")
    assert page.status_code == 200
    assert checked_values(page.content.decode(), "rating") == ["3"]
    assert not Feedback.objects.exists()
    request_.refresh_from_db()
    assert request_.status == Status.SENT


@pytest.mark.parametrize("rating", ["0", "6", "x", "", "3.5", "-1"])
def test_a_bad_preselected_rating_is_ignored(client, request_, rating):
    page = client.get(f"{form_url(request_)}?rating={rating}")
    assert page.status_code == 200
    assert checked_values(page.content.decode(), "rating") == []


# --- headers and what the pages load -----------------------------------------------------------
def foreign_urls(html: str, business) -> list[str]:
    own = {urlsplit(settings.SITE_URL).hostname, urlsplit(business.website).hostname}
    own.add(urlsplit(business.review_url).hostname)
    return [url for url in URL_ATTRIBUTE.findall(html) if urlsplit(url).hostname not in own]


def test_every_page_with_a_token_keeps_it_out_of_referers_and_loads_nothing_from_elsewhere(client, request_):
    business = request_.business
    pages = {"form": client.get(form_url(request_)), "unsubscribe page": client.get(unsubscribe_link(request_))}
    pages["invalid answer"] = client.post(form_url(request_), answer("9"))
    pages["answer"] = client.post(form_url(request_), answer("2"))
    pages["thanks"] = client.get(thanks_url(request_))
    pages["unsubscribed"] = client.post(unsubscribe_link(request_))
    expired = FeedbackRequestFactory(business=business, expires_at=timezone.now() - timedelta(seconds=1))
    pages["expired"] = client.get(form_url(expired))
    locked = FeedbackFactory(request__business=business, editable_until=timezone.now() - timedelta(seconds=1))
    pages["read-only answer"] = client.get(form_url(locked.request))
    assert pages["thanks"].status_code == 200 and pages["expired"].status_code == 410
    for name, response in pages.items():
        assert response["Referrer-Policy"] == "no-referrer", name
        assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"], name
        assert foreign_urls(response.content.decode(), business) == [], name
    assert business.website in URL_ATTRIBUTE.findall(pages["form"].content.decode())  # the check sees links
    assert "script-src 'self'" in pages["form"]["Content-Security-Policy"]


def test_the_thanks_page_links_to_the_review_profile_without_a_referer(client, request_):
    client.post(form_url(request_), answer("5"))
    html = client.get(thanks_url(request_)).content.decode()
    link = re.search(r'<a[^>]*href="https://reviews\.example\.org/corner-bakery"[^>]*>', html).group(0)
    assert "noreferrer" in link


# --- the form's validation ---------------------------------------------------------------------
@pytest.mark.parametrize("rating", ["0", "6", "x", "", "3.5", "-1", "99999999999999999999"])
def test_a_bad_rating_is_refused_with_a_clear_message(client, request_, rating):
    response = client.post(form_url(request_), answer(rating))
    assert response.status_code == 400
    assert "Choose a rating from 1 to 5 stars." in response.content.decode()
    assert not Feedback.objects.exists()


def test_a_missing_rating_is_refused_with_a_clear_message(client, request_):
    response = client.post(form_url(request_), {"comment": "No stars", "display_name_choice": "anonymous"})
    assert response.status_code == 400
    assert "Choose a rating from 1 to 5 stars." in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()


def test_a_comment_over_5000_characters_is_refused(client, request_):
    response = client.post(form_url(request_), answer(comment="a" * 5001))
    assert response.status_code == 400
    assert "at most 5000 characters" in response.content.decode()
    assert not Feedback.objects.exists()
    assert client.post(form_url(request_), answer(comment="a" * 5000)).status_code == 302


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"recommend_score": "11"}, "Choose a number from 0 to 10"),
        ({"recommend_score": "ten"}, "Choose a number from 0 to 10"),
        ({"staff": "999999"}, "Choose someone from the list."),
        ({"staff": "abc"}, "Choose someone from the list."),
        ({"display_name_choice": "everyone"}, "Select a valid choice."),
        ({"improvement": "b" * 2001}, "at most 2000 characters"),
    ],
)
def test_other_bad_fields_are_refused_with_a_message(client, request_, fields, message):
    response = client.post(form_url(request_), answer(**fields))
    assert response.status_code == 400
    assert message in response.content.decode()


def test_someone_elses_staff_member_cannot_be_named(client, request_, other_business):
    stranger = StaffMemberFactory(business=other_business)
    response = client.post(form_url(request_), answer(staff=str(stranger.pk)))
    assert response.status_code == 400


def test_an_oversized_body_is_refused_with_a_400(client, request_):
    body = "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post(form_url(request_), answer(comment=body))
    assert response.status_code == 400
    assert not Feedback.objects.exists()


def test_a_body_that_is_not_a_form_is_refused_with_a_400(client, request_):
    response = client.post(form_url(request_), data=b"\xff\xfe{not a form", content_type="application/json")
    assert response.status_code == 400


# --- answering and changing the answer --------------------------------------------------------
def test_the_staff_member_who_served_is_preselected(client, business):
    maya = StaffMemberFactory(business=business, name="Maya")
    StaffMemberFactory(business=business, name="Bo")
    request = FeedbackRequestFactory(business=business, staff=maya)
    html = client.get(form_url(request)).content.decode()
    assert re.search(rf'<option value="{maya.pk}" selected>Maya</option>', html)


def test_an_answer_within_seven_days_replaces_the_first(client, request_, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    assert client.post(form_url(request_), answer("2", comment="Cold coffee")).status_code == 302
    time_machine.shift(timedelta(days=6, hours=23))
    page = client.get(form_url(request_)).content.decode()
    assert checked_values(page, "rating") == ["2"] and "Cold coffee" in page
    assert client.post(form_url(request_), answer("4", comment="They fixed it")).status_code == 302
    feedback = Feedback.objects.get()
    assert (feedback.rating, feedback.comment) == (4, "They fixed it")
    assert list(request_.events.values_list("status", flat=True)).count(Status.RESPONDED) == 1


def test_after_seven_days_the_answer_is_read_only(client, request_, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    client.post(form_url(request_), answer("2", comment="Cold coffee"))
    time_machine.shift(timedelta(days=7, seconds=1))
    page = client.get(form_url(request_))
    html = page.content.decode()
    assert page.status_code == 200
    assert "can no longer be changed" in html and "Cold coffee" in html
    assert inputs(html, "rating") == [] and "<form" not in html
    response = client.post(form_url(request_), answer("5", comment="Changed my mind"))
    assert response.status_code in (200, 403, 409)
    feedback = Feedback.objects.get()
    assert (feedback.rating, feedback.comment) == (2, "Cold coffee")


def test_consent_to_publish_is_never_pre_ticked(client, request_):
    html = client.get(f"{form_url(request_)}?rating=5").content.decode()
    [checkbox] = inputs(html, "consent_to_publish")
    assert not re.search(r"\bchecked\b", checkbox)
    assert consent_text(request_.business) in html


def test_consent_wording_and_time_are_stored(client, request_, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    client.post(form_url(request_), answer("5", consent_to_publish="on"))
    feedback = Feedback.objects.get()
    assert feedback.consent_to_publish is True
    assert feedback.consent_text == consent_text(request_.business)
    assert request_.business.name in feedback.consent_text
    assert feedback.consent_at == timezone.now()
    assert feedback.display_name == "Ana S."


def test_consent_time_is_kept_when_the_answer_changes(client, request_, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    client.post(form_url(request_), answer("5", consent_to_publish="on"))
    given_at = timezone.now()
    time_machine.shift(timedelta(days=1))
    client.post(form_url(request_), answer("4", consent_to_publish="on"))
    assert Feedback.objects.get().consent_at == given_at


def test_consent_can_be_withdrawn_through_the_link(client, request_):
    client.post(form_url(request_), answer("5", consent_to_publish="on"))
    client.post(form_url(request_), answer("5"))
    feedback = Feedback.objects.get()
    assert (feedback.consent_to_publish, feedback.consent_text, feedback.consent_at) == (False, "", None)


def test_an_anonymous_display_name_can_be_chosen(client, request_):
    client.post(form_url(request_), answer("5", display_name_choice="anonymous", consent_to_publish="on"))
    assert Feedback.objects.get().display_name == "Anonymous"


def test_an_internal_request_has_no_consent_field(client, business):
    request = FeedbackRequestFactory(business=business, internal=True)
    html = client.get(form_url(request)).content.decode()
    assert inputs(html, "consent_to_publish") == []
    assert inputs(html, "display_name_choice") == []
    assert client.post(form_url(request), {"rating": "5", "consent_to_publish": "on"}).status_code == 302
    feedback = Feedback.objects.get()
    assert (feedback.internal, feedback.consent_to_publish, feedback.consent_at) == (True, False, None)


def test_the_recommend_score_is_asked_only_when_the_business_wants_it(client, business):
    asking = FeedbackRequestFactory(business=business)
    assert len(inputs(client.get(form_url(asking)).content.decode(), "recommend_score")) == 11
    client.post(form_url(asking), answer("5", recommend_score="9"))
    assert Feedback.objects.get(request=asking).recommend_score == 9

    business.ask_recommend_score = False
    business.save()
    silent = FeedbackRequestFactory(business=business)
    assert inputs(client.get(form_url(silent)).content.decode(), "recommend_score") == []
    client.post(form_url(silent), answer("5", recommend_score="9"))
    assert Feedback.objects.get(request=silent).recommend_score is None


def test_every_respondent_sees_the_same_review_link_whatever_the_rating(client, business):
    business.review_url = "https://reviews.example.org/corner-bakery"
    business.save()
    links = {}
    for rating in ("1", "5"):
        request = FeedbackRequestFactory(business=business)
        response = client.post(form_url(request), answer(rating), follow=True)
        assert response.status_code == 200
        html = response.content.decode()
        links[rating] = [url for url in re.findall(r'href="([^"]+)"', html) if "reviews.example.org" in url]
        text = re.sub(r"<[^>]+>", " ", html)
        links[rating + " text"] = " ".join(re.search(r"share your experience.*?publicly", text, re.S).group(0).split())
    assert links["1"] == links["5"] == ["https://reviews.example.org/corner-bakery"]
    assert links["1 text"] == links["5 text"]


def test_the_thanks_page_without_an_answer_sends_back_to_the_form(client, request_):
    response = client.get(thanks_url(request_))
    assert response.status_code == 302
    assert response["Location"] == form_url(request_)


# --- expiry ------------------------------------------------------------------------------------
def test_an_expired_link_shows_the_business_contact_details_with_410(client, business):
    business.phone, business.email = "+44 20 7946 0999", "desk@corner.example"
    business.save()
    request = FeedbackRequestFactory(business=business, status=Status.EXPIRED, expired_at=timezone.now())
    for response in (client.get(form_url(request)), client.post(form_url(request), answer("5"))):
        assert response.status_code == 410
        html = response.content.decode()
        assert "expired" in html and "+44 20 7946 0999" in html and "desk@corner.example" in html
    assert not Feedback.objects.exists()


def test_a_link_past_its_expiry_time_is_expired_before_the_sweep_runs(client, request_):
    FeedbackRequest.objects.filter(pk=request_.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.post(form_url(request_), answer("5")).status_code == 410
    assert not Feedback.objects.exists()


# --- unsubscribe -------------------------------------------------------------------------------
def test_the_unsubscribe_page_shows_a_button_and_changes_nothing(client, request_):
    before = snapshot()
    response = client.get(unsubscribe_link(request_))
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'<form method="post"', html) and "<button" in html
    assert snapshot() == before


def test_one_click_unsubscribe_needs_no_cookie_nor_csrf_token_and_answers_200(request_):
    client = Client(enforce_csrf_checks=True)
    link = unsubscribe_link(request_)
    response = client.post(link, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert "Location" not in response
    assert "unsubscribed" in response.content.decode()
    request_.customer.refresh_from_db()
    opted_out_at = request_.customer.opted_out_at
    assert opted_out_at is not None

    again = client.post(link, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert again.status_code == 200
    request_.customer.refresh_from_db()
    assert request_.customer.opted_out_at == opted_out_at
    assert client.get(link).status_code == 200


def test_the_unsubscribe_button_works_without_a_csrf_token(request_):
    client = Client(enforce_csrf_checks=True)
    assert client.post(unsubscribe_link(request_)).status_code == 200
    request_.customer.refresh_from_db()
    assert request_.customer.opted_out_at is not None


def test_unsubscribing_suppresses_the_customers_queued_requests(client, request_):
    queued = FeedbackRequestFactory(
        business=request_.business, customer=request_.customer, status=Status.QUEUED, sent_at=None
    )
    client.post(unsubscribe_link(request_))
    queued.refresh_from_db()
    assert (queued.status, queued.suppression_reason) == (Status.SUPPRESSED, "opted_out")
    request_.refresh_from_db()
    assert request_.status == Status.SENT  # what was sent stays as it was; its reminder will not go
