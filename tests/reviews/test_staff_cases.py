"""Front-line staff own a case without a login: the signed link to one case, its page, and the credit.

Assigning (admin page or API `staff_owner`) emails the staff member a `/case/<signed>/` link
(reviews/staff_links.py); the page behind it writes to the customer, logs a call and resolves, and
opens nothing else: not another case, not after it expired or was revoked. A case resolved there is
credited to the staff member in the weekly wins ("Saves").
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse

from businesses.models import Customer, Membership, Weekday
from businesses.privacy import customers_erase
from feedback.services.open_links import open_feedback_link, open_feedback_submit
from feedback.services.responses import Answer, feedback_submit
from insights import tasks as insights_tasks
from outbox.models import OutboxEmail
from outbox.services import outbox_emails_send
from reviews.models import Case, CaseMessage
from reviews.staff_links import SALT
from tests.businesses.factories import MembershipFactory, StaffMemberFactory
from tests.feedback.factories import FeedbackRequestFactory, feedback_token
from tests.reviews.test_admin_cases import form_data

pytestmark = pytest.mark.django_db
COMPLAINT = "We waited forty minutes and nobody said a word."
LINK = re.compile(r"https?://[^\s\"<>]+(/case/[^/\s\"<>]+/)")


# --- helpers -------------------------------------------------------------------------------------


@pytest.fixture
def maya(business):
    return StaffMemberFactory(business=business, name="Maya Lindqvist", email="maya@shop.example")


@pytest.fixture
def tom(business):
    return StaffMemberFactory(business=business, name="Tom Okafor", email="tom@shop.example")


def open_case(business, email: str = "ana@example.com") -> Case:
    """A case opened the way it always is: by the customer's low rating through their link."""
    request = FeedbackRequestFactory(business=business, customer__name="Ana Silva", customer__email=email)
    feedback = feedback_submit(request_id=request.pk, answer=Answer(rating=1, comment=COMPLAINT))
    return Case.objects.get(feedback=feedback)


def admin_client(business) -> Client:
    client = Client()
    client.force_login(MembershipFactory(business=business, role=Membership.Role.OWNER).user)
    return client


def admin_assign(client: Client, case: Case, staff) -> None:
    url = reverse("admin:reviews_case_change", args=[case.pk])
    response = client.post(url, form_data(client.get(url), staff_owner=staff.pk if staff else ""))
    assert response.status_code == 302, response.content.decode()[:2000]


def deliver(prefix: str) -> list:
    """Send the queued outbox emails whose key starts with `prefix`; what arrived."""
    mail.outbox.clear()
    outbox_emails_send(email_ids=list(OutboxEmail.objects.filter(key__startswith=prefix).values_list("id", flat=True)))
    return list(mail.outbox)


def link_in(message) -> str:
    """The page path of the link in an email, the same in its text and HTML parts."""
    [text_path] = {match.group(1) for match in LINK.finditer(message.body)}
    [html_path] = {match.group(1) for match in LINK.finditer(message.alternatives[0][0])}
    assert text_path == html_path
    return text_path


def assigned_link(business, case: Case, staff) -> str:
    admin_assign(admin_client(business), case, staff)
    case.refresh_from_db()
    [message] = deliver(f"case-staff-owner:{case.pk}:{staff.pk}:{case.staff_link_version}")
    return link_in(message)


def case_state(case: Case) -> tuple:
    case.refresh_from_db()
    fields = (case.status, case.first_response_at, case.resolved_at, case.cause, case.staff_link_version)
    return fields, CaseMessage.objects.count(), OutboxEmail.objects.count()


def resolve_data(**changes) -> dict:
    data = {
        "action": "resolve",
        "resolve-resolution": "Called her, apologised, dessert on us next time.",
        "resolve-cause": "waiting_time",
        "resolve-system_problem": "system",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


# --- assigning and the link ----------------------------------------------------------------------


def test_assigning_a_staff_member_emails_them_once_with_a_link_that_opens_the_case(business, maya):
    case = open_case(business)
    client = admin_client(business)
    admin_assign(client, case, maya)
    admin_assign(client, case, maya)  # saved again unchanged: no second email, the link stays valid
    [message] = [m for m in deliver("case-staff-owner:") if m.to == [maya.email]]
    assert "Hi Maya Lindqvist" in message.body and COMPLAINT in message.body
    page = Client().get(link_in(message))
    assert page.status_code == 200
    html = page.content.decode()
    assert COMPLAINT in html and "1 out of 5" in html and "Please get back to them before" in html
    assert page["Referrer-Policy"] == "same-origin"
    assert "no-cache" in page["Cache-Control"]
    # Nothing else is reachable from it: no link at all besides the page itself.
    links = [href for href in re.findall(r'href="([^"]+)"', html) if not href.startswith(("#", "data:", "/static/"))]
    assert links == [] and "/admin" not in html


def test_the_link_refuses_another_case_id_tampered_in_and_foreign_tokens(business, maya):
    case, other = open_case(business), open_case(business, email="bo@example.com")
    admin_assign(admin_client(business), other, maya)
    path = assigned_link(business, case, maya)
    token = path.split("/")[2]
    payload, rest = token.split(":", 1)
    forged_payload = signing.b64_encode(f'{{"c":{other.pk},"s":{maya.pk},"v":1}}'.encode()).decode()
    assert Client().get(f"/case/{forged_payload}:{rest}/").status_code == 404
    # Signed with another salt (e.g. a digest opt-out link's) or with no timestamp: still nothing.
    foreign = signing.dumps({"c": other.pk, "s": maya.pk, "v": 1}, salt="insights.digest.unsubscribe")
    unstamped = signing.Signer(salt=SALT).sign_object({"c": other.pk, "s": maya.pk, "v": 1})
    assert Client().get(f"/case/{foreign}/").status_code == 404
    assert Client().get(f"/case/{unstamped}/").status_code == 404
    assert Client().get(path).status_code == 200


def test_an_expired_link_answers_404(business, maya, time_machine, settings):
    settings.STAFF_CASE_LINK_DAYS = 14
    time_machine.move_to(datetime(2026, 11, 2, 9, 0, tzinfo=UTC), tick=False)
    path = assigned_link(business, open_case(business), maya)
    time_machine.shift(timedelta(days=13, hours=23))
    assert Client().get(path).status_code == 200
    time_machine.shift(timedelta(hours=2))
    assert Client().get(path).status_code == 404


def test_reassigning_or_revoking_turns_old_links_into_404s(business, maya, tom):
    case = open_case(business)
    maya_path = assigned_link(business, case, maya)
    tom_path = assigned_link(business, case, tom)
    assert Client().get(maya_path).status_code == 404
    assert Client().get(tom_path).status_code == 200
    client = admin_client(business)
    response = client.post(
        reverse("admin:reviews_case_changelist"), {"action": "revoke_staff_link", "_selected_action": [case.pk]}
    )
    assert response.status_code == 302
    assert Client().get(tom_path).status_code == 404
    case.refresh_from_db()
    assert case.staff_owner == tom  # revoked, not unassigned


def test_an_inactive_staff_members_link_opens_nothing(business, maya):
    path = assigned_link(business, open_case(business), maya)
    maya.active = False
    maya.save()
    assert Client().get(path).status_code == 404


def test_bad_tokens_get_404_then_429_after_the_guess_limit(business, settings):
    settings.TOKEN_GUESS_LIMIT = "3/hour"
    client = Client()
    assert [client.get(f"/case/guess{n}:abc:def/").status_code for n in range(3)] == [404, 404, 404]
    response = client.get("/case/guess4:abc:def/")
    assert response.status_code == 429
    assert "Retry-After" in response


# --- the page ------------------------------------------------------------------------------------


def test_get_changes_nothing(business, maya):
    case = open_case(business)
    path = assigned_link(business, case, maya)
    before = case_state(case)
    for _ in range(2):
        assert Client().get(path).status_code == 200
        assert Client().head(path).status_code == 200
    assert case_state(case) == before


def test_the_forms_are_csrf_protected(business, maya):
    case = open_case(business)
    path = assigned_link(business, case, maya)
    before = case_state(case)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(path, {"action": "message", "message-body": "Hello"}).status_code == 403
    assert case_state(case) == before


def test_posting_a_message_emails_the_customer_once_signed_by_the_staff_member(business, maya):
    case = open_case(business)
    path = assigned_link(business, case, maya)
    response = Client().post(path, {"action": "message", "message-body": "Ana, I am so sorry. Can I call you?"})
    assert response.status_code == 302 and response["Location"].endswith("?done=message")
    [message] = CaseMessage.objects.filter(case=case)
    assert (message.author_label, message.kind, message.direction) == ("Maya Lindqvist", "message", "to_customer")
    [email] = deliver("case-message:")
    assert email.to == ["ana@example.com"] and "Ana, I am so sorry." in email.body
    case.refresh_from_db()
    assert case.first_response_at is not None and case.status == Case.Status.CONTACTED
    assert "Maya Lindqvist" in Client().get(path).content.decode()


def test_a_message_to_a_walk_in_without_an_address_is_kept_on_their_page_and_says_so(business, maya):
    link = open_feedback_link(business=business)
    feedback = open_feedback_submit(link=link, answer=Answer(rating=1, comment=COMPLAINT), name="Tom Berg")
    case = Case.objects.get(feedback=feedback)
    path = assigned_link(business, case, maya)

    response = Client().post(path, {"action": "message", "message-body": "Tom, I am sorry. Come and see me."})
    page = Client().get(response["Location"]).content.decode()

    assert "it is not emailed" in page and "on its way to the customer" not in page
    assert deliver("case-message:") == []
    assert (
        "Tom, I am sorry."
        in Client().get(reverse("cases:conversation", args=[feedback_token(feedback.request)])).content.decode()
    )


def test_an_empty_message_is_refused_with_a_clear_message(business, maya):
    case = open_case(business)
    path = assigned_link(business, case, maya)
    response = Client().post(path, {"action": "message", "message-body": "  "})
    assert response.status_code == 400
    assert "Write the message" in response.content.decode()
    assert not CaseMessage.objects.filter(case=case).exists()


def test_logging_a_call_records_it_and_emails_nobody(business, maya):
    case = open_case(business)
    path = assigned_link(business, case, maya)
    response = Client().post(path, {"action": "call", "call-body": "Called Ana; she accepted our apology."})
    assert response.status_code == 302
    [call] = CaseMessage.objects.filter(case=case)
    assert (call.kind, call.author_label) == ("call", "Maya Lindqvist")
    assert deliver("case-message:") == []


def test_resolving_without_a_cause_is_refused_with_a_clear_message(business, maya):
    case = open_case(business)
    path = assigned_link(business, case, maya)
    response = Client().post(path, resolve_data(**{"resolve-cause": None}))
    assert response.status_code == 400
    assert "Say what caused the complaint before resolving the case." in response.content.decode()
    case.refresh_from_db()
    assert case.status != Case.Status.RESOLVED and case.resolved_by_staff is None


def test_resolving_with_a_cause_resolves_and_credits_the_staff_member(business, maya):
    case = open_case(business)
    path = assigned_link(business, case, maya)
    response = Client().post(path, resolve_data())
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED and case.resolved_at is not None
    assert (case.cause, case.system_problem, case.resolved_by_staff) == ("waiting_time", True, maya)
    assert "Mark resolved" not in Client().get(path).content.decode()


def test_the_weekly_email_lists_the_staff_members_saves(time_machine, maya):
    business = maya.business
    business.timezone, business.digest_weekday, business.digest_hour = "Europe/London", Weekday.MONDAY, 9
    business.save()
    time_machine.move_to(datetime(2026, 11, 11, 12, 0, tzinfo=UTC), tick=False)  # a Wednesday
    for email in ("ana@example.com", "bo@example.com"):
        case = open_case(business, email=email)
        assert Client().post(assigned_link(business, case, maya), resolve_data()).status_code == 302
    time_machine.move_to(datetime(2026, 11, 16, 9, 0, tzinfo=UTC), tick=False)  # the next Monday, 09:00
    insights_tasks.send_due_digests()
    [digest] = [m for m in deliver("digest:") if m.to == [maya.email]]
    for part in (digest.body, digest.alternatives[0][0]):
        assert "Saves" in part
        assert re.search(r"Maya Lindqvist(</strong>)?: 2 saves", part), part


# --- the API -------------------------------------------------------------------------------------


def test_api_patch_staff_owner_validates_and_emails_the_link(business, other_business, maya, api_client):
    case = open_case(business)
    stranger = StaffMemberFactory(business=other_business, email="x@other.example")
    client = api_client
    url = f"/api/v1/cases/{case.pk}/"
    for bad in (stranger.pk, "maya", 10**9):
        response = client.patch(url, {"staff_owner": bad}, format="json")
        assert response.status_code == 400 and "staff_owner" in response.json(), response.content
    assert not OutboxEmail.objects.filter(key__startswith="case-staff-owner:").exists()
    response = client.patch(url, {"staff_owner": maya.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["staff_owner"] == {"id": maya.pk, "name": "Maya Lindqvist"}
    [message] = deliver("case-staff-owner:")
    path = link_in(message)
    assert Client().get(path).status_code == 200
    response = client.patch(url, {"staff_owner": None}, format="json")
    assert response.status_code == 200 and response.json()["staff_owner"] is None
    assert Client().get(path).status_code == 404


def test_a_business_other_staff_member_cannot_be_given_the_case_in_the_admin(business, other_business):
    case = open_case(business)
    stranger = StaffMemberFactory(business=other_business, email="x@other.example")
    client = admin_client(business)
    url = reverse("admin:reviews_case_change", args=[case.pk])
    response = client.post(url, form_data(client.get(url), staff_owner=stranger.pk))
    assert response.status_code == 200  # the form again, with the error
    case.refresh_from_db()
    assert case.staff_owner is None


def test_erasing_the_customer_deletes_the_email_that_quoted_them_to_the_staff_member(business, maya):
    case = open_case(business)
    assigned_link(business, case, maya)
    assert OutboxEmail.objects.filter(key__startswith=f"case-staff-owner:{case.pk}:").exists()
    customers_erase(customers=Customer.objects.filter(pk=case.feedback.customer_id))
    assert not OutboxEmail.objects.filter(key__startswith=f"case-staff-owner:{case.pk}:").exists()
