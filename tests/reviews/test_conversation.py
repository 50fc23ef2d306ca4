"""The case as a conversation: the business writes (or logs a call), the customer answers on their page.

Services (reviews/services/conversation.py), the admin's change page, the customer's page behind
their own link (`/f/<token>/conversation/`), the API (`/api/v1/cases/{id}/`, `.../messages/`), causes
on resolving, and the customer's data export and erasure. Emails are outbox rows, sent here
synchronously into Django's locmem `mail.outbox`.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from businesses.models import Customer, Membership
from businesses.privacy import customer_data_export, customers_erase
from feedback.services.responses import Answer, feedback_submit
from outbox.models import OutboxEmail
from outbox.services import outbox_emails_send
from reviews.models import Case, CaseMessage
from reviews.services.cases import case_update
from reviews.services.conversation import case_message_send, case_reply_record
from tests.businesses.factories import MembershipFactory, UserFactory
from tests.feedback.factories import FeedbackRequestFactory, feedback_token

pytestmark = pytest.mark.django_db
Status = Case.Status
COMPLAINT = "The soup was cold and nobody came back to our table."
SORRY = "Ana, I am so sorry about the soup. May I call you tomorrow?"


# --- helpers -------------------------------------------------------------------------------------


@pytest.fixture
def manager(business):
    return MembershipFactory(
        business=business, role=Membership.Role.MANAGER, user__first_name="Maya", user__email="maya@shop.example"
    ).user


def open_case(business, name: str = "Ana Silva", email: str = "ana@example.com") -> Case:
    """A case opened the way it always is: by the customer's low rating through their link."""
    request = FeedbackRequestFactory(business=business, customer__name=name, customer__email=email)
    feedback = feedback_submit(request_id=request.pk, answer=Answer(rating=1, comment=COMPLAINT))
    return Case.objects.get(feedback=feedback)


def conversation_path(case: Case) -> str:
    return reverse("cases:conversation", kwargs={"token": feedback_token(case.feedback.request)})


def conversation_emails(prefix: str) -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(key__startswith=prefix).order_by("id"))


def sent_now() -> list:
    """Send every queued conversation email and return what went out."""
    ids = list(OutboxEmail.objects.filter(key__regex=r"^case-(message|reply):").values_list("id", flat=True))
    mail.outbox.clear()
    outbox_emails_send(email_ids=ids)
    return list(mail.outbox)


def assert_in_both_parts(message, fragment: str) -> None:
    html = message.alternatives[0][0]
    assert fragment in message.body, message.body
    assert fragment in html, html


def resolved(case: Case, owner) -> Case:
    return case_update(case=case, actor=owner, status=Status.RESOLVED, resolution="Refunded.", cause="quality")


def snapshot(case: Case) -> tuple:
    case.refresh_from_db()
    fields = (case.status, case.first_response_at, case.resolved_at, case.reopened_at)
    return fields, CaseMessage.objects.count(), OutboxEmail.objects.count()


# --- services: the business writes --------------------------------------------------------------


def test_a_message_to_the_customer_is_kept_and_emailed_once_with_their_conversation_link(business, manager):
    case = open_case(business)

    message = case_message_send(case=case, author=manager, body=SORRY)

    assert (message.direction, message.kind, message.author, message.body) == ("to_customer", "message", manager, SORRY)
    [email] = conversation_emails("case-message:")
    assert (email.key, email.to) == (f"case-message:{case.pk}:{message.pk}", "ana@example.com")
    [sent] = sent_now()
    assert_in_both_parts(sent, SORRY)
    assert_in_both_parts(sent, settings.SITE_URL.rstrip("/") + conversation_path(case))
    assert_in_both_parts(sent, "Maya from")


def test_the_first_message_is_the_first_response_and_a_later_one_keeps_it(business, manager, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    case = open_case(business)
    time_machine.shift(timedelta(minutes=42))
    case_message_send(case=case, author=manager, body=SORRY)
    first = timezone.now()
    time_machine.shift(timedelta(hours=3))
    case_message_send(case=case, author=manager, body="Following up as promised.")

    case.refresh_from_db()
    assert case.first_response_at == first
    assert case.first_response_at - case.opened_at == timedelta(minutes=42)
    assert case.status == Status.CONTACTED


def test_a_logged_call_is_the_first_response_and_emails_nobody(business, manager, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    case = open_case(business)
    time_machine.shift(timedelta(minutes=10))

    call = case_message_send(case=case, author=manager, body="Called Ana, offered a refund.", kind="call")

    case.refresh_from_db()
    assert (call.kind, call.direction) == ("call", "to_customer")
    assert case.first_response_at == timezone.now()
    assert conversation_emails("case-message:") == []


@pytest.mark.parametrize(
    ("body", "kind", "field"), [("   ", "message", "body"), ("x" * 5001, "message", "body"), ("Hi", "fax", "kind")]
)
def test_an_empty_or_too_long_message_or_an_unknown_kind_is_refused(business, manager, body, kind, field):
    case = open_case(business)

    with pytest.raises(ValidationError) as refused:
        case_message_send(case=case, author=manager, body=body, kind=kind)

    assert field in refused.value.message_dict
    assert not CaseMessage.objects.exists()


def test_someone_of_another_business_cannot_write_to_the_customer(business, other_business):
    case = open_case(business)
    stranger = MembershipFactory(business=other_business).user

    with pytest.raises(ValidationError):
        case_message_send(case=case, author=stranger, body=SORRY)

    assert not CaseMessage.objects.exists() and not conversation_emails("case-message:")


def test_a_customer_whose_address_bounces_is_not_emailed_but_the_message_is_kept(business, manager):
    case = open_case(business)
    Customer.objects.filter(pk=case.feedback.customer_id).update(bounced_at=timezone.now())

    case_message_send(case=case, author=manager, body=SORRY)

    assert CaseMessage.objects.count() == 1 and not conversation_emails("case-message:")


# --- services: the customer answers --------------------------------------------------------------


def test_the_customers_reply_is_kept_and_tells_the_assignee_alone_at_once(business, owner, manager):
    case = open_case(business)
    case_update(case=case, actor=owner, assignee=manager)

    reply = case_reply_record(case=case, body="Tomorrow at 10 is fine.")

    assert (reply.direction, reply.author, reply.author_label) == ("from_customer", None, "Ana Silva")
    [email] = conversation_emails("case-reply:")
    assert (email.key, email.to) == (f"case-reply:{case.pk}:{reply.pk}:{manager.pk}", "maya@shop.example")
    [sent] = sent_now()
    assert_in_both_parts(sent, "Tomorrow at 10 is fine.")
    assert_in_both_parts(sent, reverse("admin:reviews_case_change", args=[case.pk]))


def test_the_customers_reply_to_an_unassigned_case_tells_the_owners_and_managers(business, owner, manager):
    case = open_case(business)

    case_reply_record(case=case, body="Hello?")

    assert sorted(email.to for email in conversation_emails("case-reply:")) == sorted([owner.email, manager.email])


def test_the_customers_reply_reopens_a_resolved_case_and_says_so(business, owner, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    case = open_case(business)
    case_message_send(case=case, author=owner, body="Called Ana, offered a refund.", kind="call")
    case = resolved(case, owner)
    time_machine.shift(timedelta(days=1))

    case_reply_record(case=case, body="The refund never arrived.")

    case.refresh_from_db()
    assert (case.status, case.resolved_at, case.reopened_at) == (Status.CONTACTED, None, timezone.now())
    assert (case.cause, case.resolution) == ("quality", "Refunded.")  # kept for the next resolution
    [sent] = sent_now()
    assert_in_both_parts(sent, "reopened")


# --- causes on resolving -------------------------------------------------------------------------


def test_resolving_without_a_cause_is_refused_and_with_one_it_is_kept(business, owner):
    case = open_case(business)

    with pytest.raises(ValidationError) as refused:
        case_update(case=case, actor=owner, status=Status.RESOLVED, resolution="Refunded.")
    assert "cause" in refused.value.message_dict
    case = case_update(
        case=case, actor=owner, status=Status.RESOLVED, resolution="Refunded.", cause="billing", system_problem=True
    )

    assert (case.status, case.cause, case.system_problem) == (Status.RESOLVED, "billing", True)


def test_a_cause_outside_the_business_list_is_refused_and_its_own_list_is_used(business, owner):
    business.case_causes = "Parking lot\nMissing parts"
    business.save()
    case = open_case(business)

    with pytest.raises(ValidationError) as refused:
        case_update(case=case, actor=owner, cause="waiting_time")
    case = case_update(case=case, actor=owner, cause="parking_lot", system_problem=False)

    assert "parking_lot" in refused.value.message_dict["cause"][0]
    assert (case.cause, case.system_problem) == ("parking_lot", False)


# --- the admin -----------------------------------------------------------------------------------


def admin_post(client: Client, case: Case, **changes):
    from tests.reviews.test_admin_cases import form_data

    url = reverse("admin:reviews_case_change", args=[case.pk])
    return client.post(url, form_data(client.get(url), **changes))


def test_writing_from_the_admin_queues_one_email_to_the_customer_with_the_conversation_link(client, business, owner):
    case = open_case(business)
    client.force_login(owner)

    response = admin_post(client, case, message_to_customer=SORRY, message_kind="message")

    assert response.status_code == 302
    message = CaseMessage.objects.get()
    assert (message.author, message.body, message.kind) == (owner, SORRY, "message")
    [sent] = sent_now()
    assert sent.to == ["ana@example.com"]
    assert_in_both_parts(sent, conversation_path(case))
    page = client.get(reverse("admin:reviews_case_change", args=[case.pk])).content.decode()
    assert SORRY.replace("'", "&#x27;") in page


def test_a_call_logged_in_the_admin_is_kept_and_emails_nobody(client, business, owner):
    case = open_case(business)
    client.force_login(owner)

    response = admin_post(client, case, message_to_customer="Called Ana, she is happy now.", message_kind="call")

    assert response.status_code == 302
    assert CaseMessage.objects.get().kind == "call"
    assert not conversation_emails("case-message:")
    case.refresh_from_db()
    assert case.first_response_at is not None


def test_resolving_in_the_admin_without_a_cause_is_a_form_error(client, business, owner):
    case = open_case(business)
    client.force_login(owner)

    response = admin_post(client, case, status=Status.RESOLVED, resolution="Refunded.", cause="")

    assert response.status_code == 200
    assert "Choose what caused the complaint" in response.context["adminform"].form.errors["cause"][0]
    case.refresh_from_db()
    assert case.status == Status.OPEN
    resolved_now = admin_post(client, case, status=Status.RESOLVED, resolution="Refunded.", cause="waiting_time")
    assert resolved_now.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.cause) == (Status.RESOLVED, "waiting_time")


# --- the customer's page -------------------------------------------------------------------------


def test_the_customers_get_shows_the_thread_and_changes_nothing(client, business, manager):
    case = open_case(business)
    case_message_send(case=case, author=manager, body=SORRY)
    before = snapshot(case)

    page = client.get(conversation_path(case))

    assert page.status_code == 200
    text = page.content.decode()
    assert "so sorry about the soup" in text and "Maya" in text
    assert page["Referrer-Policy"] == "same-origin"
    assert snapshot(case) == before


def test_the_customers_reply_is_recorded_notifies_the_assignee_and_reopens_a_resolved_case(business, owner, manager):
    case = open_case(business)
    case_update(case=case, actor=owner, assignee=manager)
    case_message_send(case=case, author=manager, body="Called Ana, offered a refund.", kind="call")
    resolved(case, owner)
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(conversation_path(case))
    token = page.context["csrf_token"]

    response = browser.post(conversation_path(case), {"body": "It still isn't right.", "csrfmiddlewaretoken": token})

    assert response.status_code == 302
    reply = CaseMessage.objects.get(direction="from_customer")
    assert reply.body == "It still isn't right."
    assert [email.to for email in conversation_emails("case-reply:")] == ["maya@shop.example"]
    case.refresh_from_db()
    assert case.status == Status.CONTACTED and case.reopened_at is not None
    assert "It still isn&#x27;t right." in browser.get(response["Location"]).content.decode()


def test_a_reply_without_the_csrf_token_is_refused(business):
    case = open_case(business)

    response = Client(enforce_csrf_checks=True).post(conversation_path(case), {"body": "Forged."})

    assert response.status_code == 403
    assert not CaseMessage.objects.exists()


def test_an_empty_reply_is_refused_with_a_message(client, business):
    case = open_case(business)

    response = client.post(conversation_path(case), {"body": "  "})

    assert response.status_code == 400
    assert "Write your answer" in response.content.decode()
    assert not CaseMessage.objects.exists()


def test_another_customers_link_cannot_see_this_thread(client, business, manager):
    case = open_case(business)
    case_message_send(case=case, author=manager, body=SORRY)
    other = open_case(business, name="Bo Berg", email="bo@example.com")
    happy = FeedbackRequestFactory(business=business)
    feedback_submit(request_id=happy.pk, answer=Answer(rating=5, comment="Lovely."))

    theirs = client.get(conversation_path(other))
    no_case = client.get(reverse("cases:conversation", kwargs={"token": feedback_token(happy)}))
    guessed = client.get(reverse("cases:conversation", kwargs={"token": "not-a-token"}))

    assert theirs.status_code == 200 and "so sorry about the soup" not in theirs.content.decode()
    assert (no_case.status_code, guessed.status_code) == (404, 404)


# --- the API -------------------------------------------------------------------------------------


def test_the_api_shows_the_conversation_and_the_cause(api_client, business, manager):
    case = open_case(business)
    case_message_send(case=case, author=manager, body=SORRY)
    case_reply_record(case=case, body="Yes please.")

    body = api_client.get(f"/api/v1/cases/{case.pk}/").json()

    assert [(m["direction"], m["kind"], m["author"], m["body"]) for m in body["messages"]] == [
        ("to_customer", "message", "Maya", SORRY),
        ("from_customer", "message", "Ana Silva", "Yes please."),
    ]
    assert (body["cause"], body["system_problem"], body["status"]) == (None, None, "contacted")
    assert set(body["messages"][0]) == {"id", "direction", "kind", "author", "body", "created_at"}


def test_posting_a_message_answers_201_and_emails_the_customer(api_client, business):
    case = open_case(business)

    response = api_client.post(f"/api/v1/cases/{case.pk}/messages/", {"body": SORRY}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["direction"], body["kind"], body["body"]) == ("to_customer", "message", SORRY)
    assert body["author"].startswith("API key")
    [email] = conversation_emails("case-message:")
    assert email.to == "ana@example.com"
    call = api_client.post(f"/api/v1/cases/{case.pk}/messages/", {"body": "Rang her.", "kind": "call"}, format="json")
    assert call.status_code == 201 and len(conversation_emails("case-message:")) == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({"body": "x" * 5001}, "body"),
        ({}, "body"),
        ({"body": "Hi", "kind": "fax"}, "kind"),
        ({"body": 5}, "body"),
    ],
)
def test_a_bad_message_answers_400_naming_the_field(api_client, business, payload, field):
    case = open_case(business)

    response = api_client.post(f"/api/v1/cases/{case.pk}/messages/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not CaseMessage.objects.exists()


def test_another_businesss_case_answers_404_to_every_conversation_call(api_client, other_business):
    theirs = open_case(other_business)

    assert api_client.get(f"/api/v1/cases/{theirs.pk}/").status_code == 404
    assert api_client.post(f"/api/v1/cases/{theirs.pk}/messages/", {"body": "Hi"}, format="json").status_code == 404
    assert api_client.patch(f"/api/v1/cases/{theirs.pk}/", {"cause": "quality"}, format="json").status_code == 404
    assert not CaseMessage.objects.exists()


def test_patch_takes_the_cause_and_refuses_to_resolve_without_one(api_client, business):
    case = open_case(business)
    url = f"/api/v1/cases/{case.pk}/"

    refused = api_client.patch(url, {"status": "resolved", "resolution": "Refunded."}, format="json")
    unknown = api_client.patch(url, {"cause": "bad_luck"}, format="json")
    lax = api_client.patch(url, {"system_problem": "yes"}, format="json")
    done = api_client.patch(
        url,
        {"status": "resolved", "resolution": "Refunded.", "cause": "staff_manner", "system_problem": False},
        format="json",
    )

    assert refused.status_code == 400 and "cause" in refused.json()
    assert unknown.status_code == 400 and "cause" in unknown.json()
    assert lax.status_code == 400 and "system_problem" in lax.json()
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["cause"], done.json()["system_problem"]) == (
        "resolved",
        "staff_manner",
        False,
    )


def test_the_schema_documents_the_conversation(api_client):
    schema = json.loads(api_client.get("/api/schema/?format=json").content)

    post = schema["paths"]["/api/v1/cases/{id}/messages/"]["post"]
    case = schema["components"]["schemas"]["CaseOutput"]["properties"]
    assert {"201", "400", "404"} <= set(post["responses"])
    assert {"messages", "cause", "system_problem"} <= set(case)


# --- the customer's data -------------------------------------------------------------------------


def test_the_export_holds_the_conversation_and_erasure_removes_it_and_its_emails(business, owner, manager):
    case = open_case(business)
    case_message_send(case=case, author=manager, body=SORRY)
    case_reply_record(case=case, body="Yes please.")
    kept_case = open_case(business, name="Bo Berg", email="bo@example.com")
    case_message_send(case=kept_case, author=manager, body="Hello Bo.")
    customer = case.feedback.customer

    [request] = customer_data_export(customer=customer)["feedback_requests"]
    thread = request["answer"]["complaint"]["conversation"]
    customers_erase(customers=Customer.objects.filter(pk=customer.pk))

    assert [(m["direction"], m["text"]) for m in thread] == [("to_customer", SORRY), ("from_customer", "Yes please.")]
    assert list(CaseMessage.objects.values_list("body", flat=True)) == ["Hello Bo."]
    assert not OutboxEmail.objects.filter(key__startswith=f"case-message:{case.pk}:").exists()
    assert not OutboxEmail.objects.filter(key__startswith=f"case-reply:{case.pk}:").exists()
    assert OutboxEmail.objects.filter(key__startswith=f"case-message:{kept_case.pk}:").count() == 1


def test_a_stranger_is_not_a_writer(business):
    case = open_case(business)

    with pytest.raises(ValidationError):
        case_message_send(case=case, author=UserFactory(), body=SORRY)
