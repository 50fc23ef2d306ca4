"""The owner's admin for feedback requests and answers: scoped, created through the service, read-only history.

`owner` runs `business`; everything of `other_business` carries the name "Zebediah", so "nothing of
B is in the page" is a plain text check.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from feedback.models import FeedbackRequest, FeedbackRequestEvent
from feedback.services.requests import RequestInput, feedback_request_create
from tests.businesses.factories import CustomerFactory, MembershipFactory, StaffMemberFactory
from tests.feedback.factories import FeedbackFactory, FeedbackRequestFactory

pytestmark = pytest.mark.django_db
Status = FeedbackRequest.Status
B_SECRET = "Zebediah"


def url(model: str, action: str = "changelist", *args) -> str:
    return reverse(f"admin:feedback_{model}_{action}", args=args)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def exported_rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


@pytest.fixture
def client(owner) -> Client:
    return logged_in(owner)


@pytest.fixture
def theirs(other_business) -> FeedbackRequest:
    """A request of business B, answered, with B's staff member."""
    staff = StaffMemberFactory(business=other_business, name=f"{B_SECRET} Staff", email="zebediah@b.example")
    customer = CustomerFactory(business=other_business, name=f"{B_SECRET} Customer", email="zebediah@cust.example")
    request = FeedbackRequestFactory(
        business=other_business, customer=customer, staff=staff, reference=f"{B_SECRET}-1", status=Status.RESPONDED
    )
    FeedbackFactory(request=request, staff=staff, comment=f"{B_SECRET} was rude", display_name=f"{B_SECRET} Q.")
    return request


@pytest.fixture
def ours(business) -> FeedbackRequest:
    staff = StaffMemberFactory(business=business, name="Maya Lindqvist")
    customer = CustomerFactory(business=business, name="Ana Silva", email="ana@example.com")
    return feedback_request_create(business=business, item=RequestInput(email=customer.email, staff=staff))


def add_form_data(**overrides) -> dict:
    data = {
        "customer_name": "Ana Silva",
        "customer_email": "ana@example.com",
        "external_id": "",
        "staff": "",
        "interaction_at_0": "",
        "interaction_at_1": "",
        "reference": "",
    }
    return {**data, **overrides}


# --- scoping -----------------------------------------------------------------------------------


def test_an_owner_sees_only_their_requests_and_answers(client, ours, theirs):
    FeedbackFactory(request=ours, comment="Lovely visit")
    requests_page = client.get(url("feedbackrequest"))
    answers_page = client.get(url("feedback"))
    assert requests_page.status_code == answers_page.status_code == 200
    assert "ana@example.com" in requests_page.content.decode()
    assert "Lovely visit" in answers_page.content.decode()
    for page in (requests_page, answers_page):
        assert B_SECRET.lower() not in page.content.decode().lower()


def test_an_owner_cannot_open_another_business_request_or_answer(client, theirs):
    for path in (url("feedbackrequest", "change", theirs.pk), url("feedback", "change", theirs.feedback.pk)):
        response = client.get(path, follow=True)
        assert response.redirect_chain[-1][0] == reverse("admin:index")  # "doesn't exist", like any missing object
        assert B_SECRET.lower() not in response.content.decode().lower()


def test_the_staff_filter_offers_only_the_business_staff(client, ours, theirs):
    page = client.get(url("feedbackrequest"))
    assert "Maya Lindqvist" in page.content.decode()
    assert f"{B_SECRET} Staff" not in page.content.decode()


def test_an_export_of_crafted_ids_leaves_other_businesses_out(client, ours, theirs):
    response = client.post(url("feedbackrequest"), {"action": "export_csv", ACTION_CHECKBOX_NAME: [ours.pk, theirs.pk]})
    rows = exported_rows(response)
    assert [row[1] for row in rows[1:]] == ["ana@example.com"]

    response = client.post(url("feedback"), {"action": "export_csv", ACTION_CHECKBOX_NAME: [theirs.feedback.pk]})
    assert len(exported_rows(response)) == 1  # the header alone


def test_a_superuser_sees_every_business(superuser, ours, theirs):
    page = logged_in(superuser).get(url("feedbackrequest"))
    assert "ana@example.com" in page.content.decode()
    assert "zebediah@cust.example" in page.content.decode()


# --- the request's page ------------------------------------------------------------------------


def test_the_request_page_shows_its_history_and_answer_read_only(client, ours):
    FeedbackFactory(request=ours, rating=2, comment="Slow service")
    page = client.get(url("feedbackrequest", "change", ours.pk))
    html = page.content.decode()
    assert page.status_code == 200
    assert "status history" in html.lower()
    assert "Slow service" in html and "2★" in html
    assert 'name="_save"' not in html
    for secret in (ours.token_salt, ours.feedback_token_hash, ours.unsubscribe_token_hash):
        assert secret not in html  # nothing a link could be rebuilt or looked up from
    inline = page.context["inline_admin_formsets"][0]
    assert not (inline.has_add_permission or inline.has_change_permission or inline.has_delete_permission)

    response = client.post(url("feedbackrequest", "change", ours.pk), {"reference": "changed"})
    assert response.status_code == 403
    ours.refresh_from_db()
    assert ours.reference == ""


def test_an_owner_cannot_delete_requests_or_answers(client, ours):
    feedback = FeedbackFactory(request=ours)
    assert client.get(url("feedbackrequest", "delete", ours.pk)).status_code == 403
    assert client.post(url("feedback", "delete", feedback.pk), {"post": "yes"}).status_code == 403
    response = client.post(url("feedbackrequest"), {"action": "delete_selected", ACTION_CHECKBOX_NAME: [ours.pk]})
    assert response.status_code == 302
    assert FeedbackRequest.objects.filter(pk=ours.pk).exists()
    assert FeedbackRequestEvent.objects.filter(request=ours).exists()


# --- adding a request --------------------------------------------------------------------------


def test_the_add_form_creates_through_the_service(client, business):
    maya = StaffMemberFactory(business=business, name="Maya Lindqvist")
    data = add_form_data(
        staff=maya.pk, interaction_at_0="2025-03-31", interaction_at_1="14:30", reference="order-1", internal="on"
    )
    response = client.post(url("feedbackrequest", "add"), {**data, "_continue": "Save and view"})
    created = FeedbackRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("feedbackrequest", "change", created.pk)
    assert (created.business, created.staff, created.reference, created.internal) == (business, maya, "order-1", True)
    assert (created.customer.name, created.status) == ("Ana Silva", Status.QUEUED)
    assert created.feedback_token_hash and created.events.get().status == Status.QUEUED
    assert created.interaction_at.isoformat() == "2025-03-31T14:30:00+00:00"
    assert message_texts(response) == ["The request to ana@example.com was created; the email goes out in a moment."]


def test_save_goes_back_to_the_list_and_save_and_add_another_to_the_form(client):
    assert client.post(url("feedbackrequest", "add"), add_form_data())["Location"] == url("feedbackrequest")
    again = client.post(url("feedbackrequest", "add"), add_form_data(customer_email="ben@example.com", _addanother="1"))
    assert again["Location"] == url("feedbackrequest", "add")
    assert FeedbackRequest.objects.count() == 2


def test_the_interaction_time_is_the_business_local_time(client, business):
    business.timezone = "Europe/Paris"
    business.save()
    client.post(url("feedbackrequest", "add"), add_form_data(interaction_at_0="2025-07-01", interaction_at_1="10:00"))
    assert FeedbackRequest.objects.get().interaction_at.isoformat() == "2025-07-01T08:00:00+00:00"


def test_a_reference_already_used_returns_the_existing_request(client, business):
    existing = FeedbackRequestFactory(business=business, reference="order-1")
    response = client.post(url("feedbackrequest", "add"), add_form_data(reference="order-1"))
    assert response.status_code == 302
    assert response["Location"] == url("feedbackrequest", "change", existing.pk)
    assert FeedbackRequest.objects.count() == 1
    assert message_texts(response) == [
        "A request with the reference “order-1” already exists, shown here; nothing new was created."
    ]


def test_a_suppressed_request_is_reported(client, business):
    CustomerFactory(business=business, email="ana@example.com", opted_out_at=timezone.now())
    response = client.post(url("feedbackrequest", "add"), add_form_data())
    created = FeedbackRequest.objects.get()
    assert (created.status, created.suppression_reason) == (Status.SUPPRESSED, "opted_out")
    assert message_texts(response) == [
        "The request to ana@example.com was kept but will not be sent: The customer opted out."
    ]


def test_the_staff_choice_is_the_business_active_staff(client, business, other_business):
    active = StaffMemberFactory(business=business, name="Active One")
    inactive = StaffMemberFactory(business=business, name="Gone One", active=False)
    foreign = StaffMemberFactory(business=other_business, name=f"{B_SECRET} Staff")
    page = client.get(url("feedbackrequest", "add"))
    assert page.status_code == 200
    assert list(page.context["adminform"].form.fields["staff"].queryset) == [active]

    for refused in (inactive, foreign):
        response = client.post(url("feedbackrequest", "add"), add_form_data(staff=refused.pk))
        assert response.status_code == 200
        assert "staff" in response.context["adminform"].form.errors
    assert not FeedbackRequest.objects.exists()


def test_a_future_interaction_time_is_refused(client):
    tomorrow = (timezone.now() + timezone.timedelta(days=1)).date().isoformat()
    data = add_form_data(interaction_at_0=tomorrow, interaction_at_1="10:00")
    response = client.post(url("feedbackrequest", "add"), data)
    assert "interaction_at" in response.context["adminform"].form.errors
    assert not FeedbackRequest.objects.exists()


def test_an_owner_of_two_businesses_picks_one_of_theirs(owner, business, other_business):
    second = MembershipFactory(user=owner).business
    client = logged_in(owner)
    form = client.get(url("feedbackrequest", "add")).context["adminform"].form
    assert set(form.fields["business"].queryset) == {business, second}

    refused = client.post(url("feedbackrequest", "add"), add_form_data(business=other_business.pk))
    assert "business" in refused.context["adminform"].form.errors
    client.post(url("feedbackrequest", "add"), add_form_data(business=second.pk))
    assert FeedbackRequest.objects.get().business == second


# --- answers -----------------------------------------------------------------------------------


def test_answers_are_read_only_and_cannot_be_added(client, ours):
    feedback = FeedbackFactory(
        request=ours,
        comment="Kept as written",
        consent_to_publish=True,
        consent_text="You may publish my review with my first name.",
        consent_at=timezone.now(),
    )
    page = client.get(url("feedback", "change", feedback.pk))
    html = page.content.decode()
    assert page.status_code == 200
    assert "You may publish my review with my first name." in html
    assert 'name="_save"' not in html
    assert client.get(url("feedback", "add")).status_code == 403
    assert client.post(url("feedback", "change", feedback.pk), {"comment": "Edited"}).status_code == 403
    feedback.refresh_from_db()
    assert feedback.comment == "Kept as written"


def test_answers_filter_by_rating(client, business, ours):
    FeedbackFactory(request=ours, rating=1, comment="Terrible wait")
    other = feedback_request_create(business=business, item=RequestInput(email="ben@example.com"))
    FeedbackFactory(request=other, rating=5, comment="Wonderful")
    html = client.get(url("feedback"), {"rating": "1"}).content.decode()
    assert "Terrible wait" in html and "Wonderful" not in html


# --- exports -----------------------------------------------------------------------------------


def test_the_request_export_is_formula_safe(client, business):
    request = feedback_request_create(
        business=business,
        item=RequestInput(email="ana@example.com", name="=1+2", reference="@SUM(A1)", external_id="-3"),
    )
    rows = exported_rows(
        client.post(url("feedbackrequest"), {"action": "export_csv", ACTION_CHECKBOX_NAME: [request.pk]})
    )
    header, row = rows
    values = dict(zip(header, row, strict=True))
    assert (values["name"], values["reference"], values["external_id"]) == ("'=1+2", "'@SUM(A1)", "'-3")
    assert (values["email"], values["status"]) == ("ana@example.com", "queued")


def test_the_answer_export_is_formula_safe(client, ours):
    feedback = FeedbackFactory(
        request=ours, staff=ours.staff, rating=4, comment='=HYPERLINK("http://evil.example")', improvement="+tea"
    )
    rows = exported_rows(client.post(url("feedback"), {"action": "export_csv", ACTION_CHECKBOX_NAME: [feedback.pk]}))
    values = dict(zip(rows[0], rows[1], strict=True))
    assert values["comment"] == '\'=HYPERLINK("http://evil.example")'
    assert (values["improvement"], values["rating"], values["staff"]) == ("'+tea", "4", "Maya Lindqvist")
    feedback.refresh_from_db()
    assert feedback.comment.startswith("=HYPERLINK")  # stored as the customer wrote it
