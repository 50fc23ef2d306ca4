"""Open feedback links: walk-in and phone customers answer through a QR code, not verified, counted like any answer."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from businesses.models import Customer
from feedback.models import Feedback, FeedbackRequest, OpenFeedbackLink
from feedback.services.erased_addresses import erased_addresses_remember
from feedback.services.open_links import open_feedback_link, open_feedback_link_by_key, open_feedback_link_renew
from feedback.services.responses import Answer, feedback_submit
from insights.metrics import figures, period_bounds
from outbox.models import OutboxEmail
from outbox.services import outbox_emails_send
from reviews.models import Case, Review
from showcase.selectors import rating_summary
from tests.businesses.factories import MembershipFactory, StaffMemberFactory, UserFactory
from tests.feedback.factories import FeedbackFactory, FeedbackRequestFactory, feedback_token

pytestmark = pytest.mark.django_db
COMPLAINT = "We waited forty minutes and nobody came to the table."


@pytest.fixture
def link(business) -> OpenFeedbackLink:
    return open_feedback_link(business=business)


def url(link: OpenFeedbackLink) -> str:
    return f"/o/{link.key}/"


def answer(rating="5", **fields) -> dict:
    return {"rating": rating, "display_name_choice": "first_initial", **fields}


def post(link: OpenFeedbackLink, data: dict, address: str = "203.0.113.7"):
    return Client(REMOTE_ADDR=address).post(url(link), data)


def send_all() -> int:
    return outbox_emails_send(email_ids=list(OutboxEmail.objects.values_list("id", flat=True)))


def stored() -> tuple[int, int, int]:
    return FeedbackRequest.objects.count(), Feedback.objects.count(), Customer.objects.count()


# --- the links ---------------------------------------------------------------------------------------


def test_every_business_and_staff_member_has_an_open_link_from_the_start(business):
    maya = StaffMemberFactory(business=business, name="Maya Lindqvist")

    assert OpenFeedbackLink.objects.filter(business=business, staff=None).count() == 1
    assert OpenFeedbackLink.objects.filter(business=business, staff=maya).count() == 1
    assert open_feedback_link(business=business, staff=maya) == OpenFeedbackLink.objects.get(staff=maya)


def test_a_link_for_another_businesss_staff_member_is_refused(business, other_business):
    theirs = StaffMemberFactory(business=other_business)

    with pytest.raises(ValueError, match="another business"):
        open_feedback_link(business=business, staff=theirs)


def test_the_form_asks_the_same_questions_with_an_optional_name_and_email(link):
    response = Client().get(url(link))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="rating"' in html and 'name="comment"' in html
    assert "Your name (optional)" in html
    assert "Your email, if you would like a reply (optional)" in html
    # The honeypot is there for bots, hidden from people and screen readers.
    assert '<div class="trap" aria-hidden="true">' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_get_records_nothing(link):
    before = stored()

    Client().get(url(link))

    assert stored() == before


@pytest.mark.parametrize("key", ["nope", "x" * 33, "%00", "../admin"])
def test_an_unknown_or_malformed_key_is_a_404(key):
    assert Client().get(f"/o/{key}/").status_code == 404


def test_an_inactive_staff_members_link_no_longer_opens(business):
    maya = StaffMemberFactory(business=business)
    link = open_feedback_link(business=business, staff=maya)
    maya.active = False
    maya.save()

    assert Client().get(url(link)).status_code == 404


def test_a_renewed_link_leaves_the_old_printed_code_dead(link):
    old = link.key

    open_feedback_link_renew(link=link)

    assert open_feedback_link_by_key(old) is None
    assert Client().get(f"/o/{old}/").status_code == 404
    assert Client().get(url(link)).status_code == 200


# --- answering ---------------------------------------------------------------------------------------


def test_an_answer_without_an_email_address_makes_no_customer_record(business, link):
    response = post(link, answer("5", comment="Lovely lunch.", name="Tom Berg", consent_to_publish="on"))

    feedback = Feedback.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/f/{feedback_token(feedback.request)}/thanks/"
    assert Customer.objects.count() == 0
    assert feedback.customer is None and feedback.request.customer is None
    assert feedback.verified is False
    assert feedback.request.channel == FeedbackRequest.Channel.OPEN_LINK
    assert feedback.request.status == FeedbackRequest.Status.RESPONDED
    assert feedback.display_name == "Tom B."
    thanks = Client().get(response["Location"])
    assert thanks.status_code == 200
    assert "Thank you, Tom!" in thanks.content.decode()


def test_an_answer_with_an_email_address_belongs_to_that_customer(business, link):
    post(link, answer("4", name="Ana Silva", email="Ana@Example.com"))

    feedback = Feedback.objects.get()
    assert feedback.customer.email == "Ana@Example.com"
    assert feedback.customer.name == "Ana Silva"
    assert feedback.verified is False


def test_an_address_already_known_is_not_a_second_customer_and_keeps_its_record_name(business, link):
    known = FeedbackRequestFactory(business=business, customer__name="Ana Silva", customer__email="ana@example.com")

    post(link, answer("4", name="A. Nonymous", email="ANA@example.com", consent_to_publish="on"))

    feedback = Feedback.objects.get()
    assert Customer.objects.count() == 1
    assert feedback.customer == known.customer
    assert feedback.customer.name == "Ana Silva"
    # The name shown is the one given with this answer, never read from the record.
    assert feedback.display_name == "A. N."


def test_an_erased_address_that_had_opted_out_stays_opted_out(business, link):
    customer = FeedbackRequestFactory(business=business, customer__email="gone@example.com").customer
    customer.opted_out_at = timezone.now()
    customer.save()
    erased_addresses_remember(customers=[customer])
    customer.delete()

    post(link, answer("5", email="gone@example.com"))

    assert Customer.objects.get().opted_out_at is not None


def test_a_staff_members_link_names_them_as_who_helped(business):
    maya = StaffMemberFactory(business=business, name="Maya Lindqvist")
    link = open_feedback_link(business=business, staff=maya)

    form = Client().get(url(link)).content.decode()
    post(link, answer("5", staff=str(maya.pk)))

    assert f'<option value="{maya.pk}" selected>' in form
    feedback = Feedback.objects.get()
    assert feedback.staff == maya and feedback.request.staff == maya


def test_each_visit_is_a_new_answer(link):
    post(link, answer("5"))
    post(link, answer("3"))

    assert sorted(Feedback.objects.values_list("rating", flat=True)) == [3, 5]


def test_an_answer_can_be_changed_through_the_page_it_lands_on(link):
    response = post(link, answer("2"))
    feedback = Feedback.objects.get()

    again = Client().post(f"/f/{feedback_token(feedback.request)}/", answer("4"))

    assert response.status_code == 302 and again.status_code == 302
    feedback.refresh_from_db()
    assert feedback.rating == 4
    assert Feedback.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"email": "not-an-address"}, "Enter an email address like name@example.com, or leave it empty."),
        ({"rating": "6"}, "Choose a rating from 1 to 5 stars."),
        ({"name": "x" * 201}, "Ensure this value has at most 200 characters"),
        ({"comment": "bad\x00byte"}, "Null characters are not allowed."),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_stored(link, fields, error):
    response = post(link, {**answer("5"), **fields})

    assert response.status_code == 400
    assert error in response.content.decode()
    assert stored() == (0, 0, 0)


def test_a_filled_honeypot_is_thanked_and_stored_nowhere(link):
    response = post(link, answer("1", comment=COMPLAINT, email="victim@example.com", website="http://spam.example"))

    assert response.status_code == 200
    assert "Thank you!" in response.content.decode()
    assert stored() == (0, 0, 0)
    assert not Case.objects.exists() and not OutboxEmail.objects.exists()


def test_answers_beyond_the_limit_from_one_address_wait_and_keep_their_words(settings, link):
    settings.OPEN_FEEDBACK_LIMIT = "2/hour"
    assert post(link, answer("5")).status_code == 302
    assert post(link, answer("4")).status_code == 302

    refused = post(link, answer("3", comment="Third answer from the shop's Wi-Fi."))

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    html = refused.content.decode()
    assert "press Send again" in html
    assert "Third answer from the shop&#x27;s Wi-Fi." in html  # the words are kept in the form
    assert Feedback.objects.count() == 2
    # Another address (another customer on mobile data) is not held back.
    assert post(link, answer("3"), address="198.51.100.9").status_code == 302


def test_the_limit_is_per_link(settings, business, link):
    settings.OPEN_FEEDBACK_LIMIT = "1/hour"
    staff_link = open_feedback_link(business=business, staff=StaffMemberFactory(business=business))

    assert post(link, answer("5")).status_code == 302
    assert post(staff_link, answer("5")).status_code == 302
    assert post(link, answer("5")).status_code == 429


# --- counted like every answer -----------------------------------------------------------------------


def test_open_link_answers_count_in_the_summary_and_the_metrics_but_not_the_response_rate(business, link):
    invited = FeedbackRequestFactory(business=business, status=FeedbackRequest.Status.SENT, sent_at=timezone.now())
    FeedbackFactory(request=invited, rating=4)
    FeedbackRequestFactory(business=business, status=FeedbackRequest.Status.SENT, sent_at=timezone.now())
    post(link, answer("2"))
    post(link, answer("5", email="walkin@example.com"))

    summary = rating_summary(business=business)
    today = timezone.localdate()
    start, end = period_bounds(business, today, today)
    result = figures(business=business, start=start, end=end)

    assert (summary.rating_count, summary.verified_count, summary.distribution["2"]) == (3, 1, 1)
    assert summary.average_rating == round((4 + 2 + 5) / 3, 2)
    assert (result.requests_sent, result.responses, result.open_link_responses) == (2, 3, 2)
    assert result.response_rate == 0.5  # one of the two invitations answered
    assert result.average_rating == round((4 + 2 + 5) / 3, 2)
    assert result.csat == round(2 / 3, 4)


def test_the_public_summary_reports_verified_count(business, link):
    FeedbackFactory(request=FeedbackRequestFactory(business=business), rating=5)
    post(link, answer("4"))

    body = Client().get(f"/api/v1/public/{business.slug}/summary/").json()

    assert (body["rating_count"], body["verified_count"]) == (2, 1)


def test_a_published_open_link_review_is_not_verified_and_can_be_filtered_out(business, link):
    business.auto_publish = True
    business.save()
    invited = FeedbackRequestFactory(business=business)
    feedback_submit(request_id=invited.pk, answer=Answer(rating=5, comment="Invited, happy.", consent_to_publish=True))
    Review.objects.update(status=Review.Status.PUBLISHED, published_at=timezone.now())
    post(link, answer("5", comment="Walked in, loved it.", consent_to_publish="on", name="Tom Berg"))
    Review.objects.update(status=Review.Status.PUBLISHED, published_at=timezone.now())
    api = f"/api/v1/public/{business.slug}/reviews/"

    everyone = Client().get(api).json()
    verified_only = Client().get(f"{api}?verified=true").json()

    assert sorted(item["verified"] for item in everyone["results"]) == [False, True]
    assert [item["verified"] for item in verified_only["results"]] == [True]
    assert Review.objects.get(feedback__request__channel="open_link").verified is False
    page = Client().get(f"/b/{business.slug}/?verified=1").content.decode()
    assert "Walked in, loved it." not in page
    assert "Walked in, loved it." in Client().get(f"/b/{business.slug}/").content.decode()
    assert "✓ Verified customers only" in Client().get(f"/b/{business.slug}/").content.decode()


@pytest.mark.parametrize("value", ["maybe", "2", "yes please", "\x00"])
def test_a_bad_verified_filter_is_a_400_naming_it(business, value):
    response = Client().get(f"/api/v1/public/{business.slug}/reviews/", {"verified": value})

    assert response.status_code == 400
    assert response.json() == {"verified": ["Use true or false."]}
    assert response["Access-Control-Allow-Origin"] == "*"


# --- complaints through an open link ------------------------------------------------------------------


def test_a_low_rating_with_an_email_opens_a_case_and_acknowledges_the_customer(business, link):
    MembershipFactory(business=business, user=UserFactory(email="owner@example.com"))

    post(link, answer("1", comment=COMPLAINT, name="Ana Silva", email="ana@example.com"))
    send_all()

    case = Case.objects.get()
    assert case.feedback.rating == 1
    assert sorted(address for message in mail.outbox for address in message.to) == [
        "ana@example.com",
        "owner@example.com",
    ]


def test_a_low_rating_without_an_email_opens_a_case_the_owner_hears_of(business, link):
    MembershipFactory(business=business, user=UserFactory(email="owner@example.com"))

    response = post(link, answer("2", comment=COMPLAINT))
    send_all()

    case = Case.objects.get()
    assert [message.to for message in mail.outbox] == [["owner@example.com"]]
    assert COMPLAINT in mail.outbox[0].body
    assert mail.outbox[0].subject.startswith("2★ from A walk-in customer — please respond by")
    assert "(no email address: answered through the open link)" in mail.outbox[0].body
    thanks = Client().get(response["Location"]).content.decode()
    assert "keep this page’s address" in thanks
    # The conversation page works behind the answer's own link: the reply can be read there.
    conversation = Client().get(f"/f/{feedback_token(case.feedback.request)}/conversation/")
    assert conversation.status_code == 200


def test_the_owner_can_work_a_walk_in_case_in_the_admin(business, link):
    owner = MembershipFactory(business=business).user
    post(link, answer("1", comment=COMPLAINT, name="Tom Berg"))
    case = Case.objects.get()
    client = Client()
    client.force_login(owner)

    page = client.get(f"/admin/reviews/case/{case.pk}/change/")
    listing = client.get("/admin/reviews/case/")

    assert page.status_code == 200
    assert "without an email address" in page.content.decode()
    assert listing.status_code == 200 and "Tom Berg" in listing.content.decode()


def test_an_unsubscribe_link_of_an_answer_without_a_customer_is_a_404(link):
    post(link, answer("4"))
    request = FeedbackRequest.objects.get()
    from feedback.links import unsubscribe_url

    path = unsubscribe_url(request).removeprefix("https://raves.test")

    assert Client().get(path).status_code == 404
    assert Client().post(path).status_code == 404


# --- the API -----------------------------------------------------------------------------------------


def test_the_business_and_each_staff_member_show_their_open_feedback_url(api_client, business):
    maya = StaffMemberFactory(business=business)

    business_url = api_client.get("/api/v1/business/").json()["open_feedback_url"]
    staff_url = api_client.get(f"/api/v1/staff/{maya.pk}/").json()["open_feedback_url"]

    assert business_url == f"https://raves.test/o/{OpenFeedbackLink.objects.get(staff=None).key}/"
    assert staff_url == f"https://raves.test/o/{OpenFeedbackLink.objects.get(staff=maya).key}/"
    created = api_client.post("/api/v1/staff/", {"name": "Leo", "email": "leo@example.com"}, format="json").json()
    assert created["open_feedback_url"].startswith("https://raves.test/o/")


def test_the_staff_list_reads_the_links_in_one_query_whatever_its_length(
    api_client, business, django_assert_max_num_queries
):
    StaffMemberFactory.create_batch(3, business=business)
    with django_assert_max_num_queries(8) as few:
        api_client.get("/api/v1/staff/")
    StaffMemberFactory.create_batch(12, business=business)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api_client.get("/api/v1/staff/").status_code == 200


def test_open_link_answers_are_not_listed_as_invitations(api_client, business, link):
    post(link, answer("5"))

    assert api_client.get("/api/v1/feedback-requests/").json()["count"] == 0
