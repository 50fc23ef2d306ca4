"""Complaint cases in the admin (reviews/admin_cases.py): the owner's list, change page and action.

Business A (`business`) is run by `owner` and `manager`; business B (`other_business`) by someone
else, and every name of B carries B_SECRET, so "nothing of B in the page" is a plain text check.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from businesses.models import Membership
from feedback.services.responses import Answer, feedback_submit
from outbox.models import OutboxEmail
from reviews.models import Case, CaseNote
from reviews.services.cases import case_update
from reviews.services.conversation import case_message_send
from tests.businesses.factories import MembershipFactory, StaffMemberFactory, UserFactory
from tests.feedback.factories import FeedbackRequestFactory

pytestmark = pytest.mark.django_db
Status = Case.Status
B_SECRET = "Zebediah"
OVERDUE_LABEL = '<span class="case-overdue">Overdue</span>'


# --- helpers -------------------------------------------------------------------------------------


@pytest.fixture
def manager(business):
    return MembershipFactory(business=business, role=Membership.Role.MANAGER, user__first_name="Maya").user


@pytest.fixture
def b_owner(other_business):
    return MembershipFactory(
        business=other_business, user__username=f"{B_SECRET.lower()}@b.example", user__first_name=B_SECRET
    ).user


def open_case(business, rating: int = 1, comment: str = "The soup was cold and nobody came back.", **customer) -> Case:
    """A case opened the way it always is: by the customer's low rating."""
    request = FeedbackRequestFactory(business=business, **{f"customer__{k}": v for k, v in customer.items()})
    feedback = feedback_submit(request_id=request.pk, answer=Answer(rating=rating, comment=comment))
    return Case.objects.get(feedback=feedback)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def changelist(**query) -> str:
    url = reverse("admin:reviews_case_changelist")
    return f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else url


def change(case: Case) -> str:
    return reverse("admin:reviews_case_change", args=[case.pk])


def form_data(response, **changes) -> dict:
    """What the change form would post back, with `changes` applied (None removes a field)."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value not in (None, False):
            data[name] = "on" if value is True else value
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(name): management[name].value() for name in management.fields})
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def post_change(client: Client, case: Case, **changes):
    return client.post(change(case), form_data(client.get(change(case)), **changes))


# --- the list ------------------------------------------------------------------------------------


def test_the_list_shows_who_complained_how_and_who_handles_it(business, owner, manager):
    staff = StaffMemberFactory(business=business, name="Jonas Berg")
    request = FeedbackRequestFactory(business=business, customer__name="Ana Silva", staff=staff)
    feedback_submit(request_id=request.pk, answer=Answer(rating=2, comment="Waited forty minutes " * 10, staff=staff))
    case_update(case=Case.objects.get(), actor=owner, assignee=manager)

    page = logged_in(owner).get(changelist())

    assert page.status_code == 200
    text = page.content.decode()
    for fragment in ("Ana Silva", "2★", "Waited forty minutes", "Jonas Berg", "Open", manager.username):
        assert fragment in text
    assert "Waited forty minutes " * 10 not in text  # an excerpt, not the whole comment


def test_overdue_cases_carry_a_label_and_come_first(business, owner, time_machine):
    time_machine.move_to(timezone.now() - timedelta(hours=30), tick=False)
    overdue = open_case(business, name="Olga Overdue")
    time_machine.move_to(timezone.now() + timedelta(hours=28), tick=False)
    fresh = open_case(business, name="Fred Fresh")
    answered = open_case(business, name="Anna Answered")
    case_message_send(case=answered, author=owner, body="Called back.", kind="call")
    noted = open_case(business, name="Nora Noted")
    case_update(case=noted, actor=owner, note="Will call back.")
    Case.objects.filter(pk=noted.pk).update(deadline=timezone.now() - timedelta(hours=1))
    Case.objects.filter(pk=answered.pk).update(deadline=timezone.now() - timedelta(hours=5))
    time_machine.move_to(timezone.now() + timedelta(hours=2), tick=False)

    page = logged_in(owner).get(changelist())

    assert [case.pk for case in page.context["cl"].result_list][:2] == [overdue.pk, noted.pk]  # a note is no answer
    assert page.content.decode().count(OVERDUE_LABEL) == 2
    assert fresh.pk in [case.pk for case in page.context["cl"].result_list]


def test_the_overdue_filter_shows_only_overdue_cases(business, owner, time_machine):
    time_machine.move_to(timezone.now() - timedelta(hours=30), tick=False)
    overdue = open_case(business)
    time_machine.move_to(timezone.now() + timedelta(hours=30), tick=False)
    fresh = open_case(business)
    client = logged_in(owner)

    shown = [case.pk for case in client.get(changelist(overdue="yes")).context["cl"].result_list]
    others = [case.pk for case in client.get(changelist(overdue="no")).context["cl"].result_list]

    assert shown == [overdue.pk]
    assert others == [fresh.pk]


def test_the_list_filters_by_status_and_assignee(business, owner, manager):
    assigned = open_case(business)
    case_update(case=assigned, actor=owner, assignee=manager)
    resolved = open_case(business)
    case_update(case=resolved, actor=owner, status=Status.RESOLVED, resolution="Refunded.", cause="quality")
    client = logged_in(owner)

    by_status = client.get(changelist(status__exact="resolved")).context["cl"].result_list
    by_assignee = client.get(changelist(assignee__id__exact=manager.pk)).context["cl"].result_list

    assert [case.pk for case in by_status] == [resolved.pk]
    assert [case.pk for case in by_assignee] == [assigned.pk]


def test_an_owner_sees_none_of_another_business_s_cases(business, owner, other_business, b_owner):
    open_case(business)
    theirs = open_case(other_business, name=f"{B_SECRET} Customer", email=f"{B_SECRET.lower()}@customer.example")
    client = logged_in(owner)

    page = client.get(changelist())
    elsewhere = client.get(change(theirs), follow=True)

    assert len(page.context["cl"].result_list) == 1
    assert B_SECRET.lower() not in page.content.decode().lower()
    assert B_SECRET.lower() not in elsewhere.content.decode().lower()
    assert elsewhere.redirect_chain[-1][0] == reverse("admin:index")


def test_the_list_has_a_bounded_number_of_queries(business, owner, django_assert_max_num_queries):
    for _ in range(8):
        open_case(business)
    client = logged_in(owner)

    with django_assert_max_num_queries(16):
        assert client.get(changelist()).status_code == 200


# --- the change page -----------------------------------------------------------------------------


def test_the_change_page_shows_the_feedback_and_contact_read_only(business, owner):
    case = open_case(business, comment="Rude waiter & cold soup.", name="Ana Silva", email="ana@example.com")

    page = logged_in(owner).get(change(case))

    text = page.content.decode()
    assert "Rude waiter &amp; cold soup." in text
    assert 'href="mailto:ana@example.com"' in text
    assert "No response yet" in text
    form = page.context["adminform"].form
    assert set(form.fields) == {
        *("status", "assignee", "staff_owner", "resolution", "cause", "system_problem", "new_note", "ask_follow_up"),
        *("message_to_customer", "message_kind"),
    }


def test_the_assignee_is_chosen_among_the_business_s_owners_and_managers(
    business, owner, manager, other_business, b_owner
):
    case = open_case(business)
    UserFactory(username="not-a-member@example.com")
    MembershipFactory(business=business, role=Membership.Role.MANAGER, user__is_active=False)

    form = logged_in(owner).get(change(case)).context["adminform"].form

    assert set(form.fields["assignee"].queryset) == {owner, manager}


def test_a_user_of_another_business_cannot_be_assigned_by_a_crafted_post(business, owner, b_owner):
    case = open_case(business)

    response = post_change(logged_in(owner), case, assignee=b_owner.pk)

    assert response.status_code == 200
    assert "assignee" in response.context["adminform"].form.errors
    case.refresh_from_db()
    assert case.assignee is None


def test_resolving_without_a_resolution_is_a_form_error(business, owner):
    case = open_case(business)

    response = post_change(logged_in(owner), case, status=Status.RESOLVED, resolution="")

    assert response.status_code == 200
    assert "resolution" in response.context["adminform"].form.errors
    case.refresh_from_db()
    assert (case.status, case.first_response_at) == (Status.OPEN, None)


def test_a_new_note_is_kept_with_its_author_but_is_not_the_first_response(business, owner, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    case = open_case(business)
    time_machine.shift(timedelta(minutes=95))
    client = logged_in(owner)

    response = post_change(client, case, new_note="Will call Ana after lunch.")

    assert response.status_code == 302
    note = CaseNote.objects.get(case=case)
    assert (note.author, note.text) == (owner, "Will call Ana after lunch.")
    case.refresh_from_db()
    assert case.first_response_at is None
    assert "Will call Ana after lunch." in client.get(change(case)).content.decode()


def test_a_call_logged_in_the_admin_is_the_first_response(business, owner, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    case = open_case(business)
    time_machine.shift(timedelta(minutes=95))
    client = logged_in(owner)

    response = post_change(client, case, message_to_customer="Called Ana; she accepted a refund.", message_kind="call")

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.first_response_at == timezone.now()
    assert "1 h 35 min" in client.get(change(case)).content.decode()  # the time to first response


def test_saving_without_changes_is_not_a_response(business, owner):
    case = open_case(business)

    response = post_change(logged_in(owner), case)

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.first_response_at is None
    assert not CaseNote.objects.exists()


def test_resolving_and_asking_the_customer_sends_the_follow_up_once(business, owner):
    case = open_case(business)
    client = logged_in(owner)

    response = post_change(
        client, case, status=Status.RESOLVED, resolution="Refunded the meal.", cause="quality", ask_follow_up="on"
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.resolution) == (Status.RESOLVED, "Refunded the meal.")
    assert case.follow_up_sent_at is not None
    follow_up = OutboxEmail.objects.get(key=f"case-follow-up:{case.pk}")
    assert follow_up.to == case.feedback.customer.email
    assert "ask_follow_up" not in client.get(change(case)).context["adminform"].form.fields


def test_asking_the_customer_before_resolving_is_a_form_error(business, owner):
    case = open_case(business)

    response = post_change(logged_in(owner), case, status=Status.CONTACTED, ask_follow_up="on")

    assert "ask_follow_up" in response.context["adminform"].form.errors
    assert not OutboxEmail.objects.filter(key__startswith="case-follow-up").exists()


def test_the_change_page_has_no_follow_up_box_for_an_opted_out_customer(business, owner):
    case = open_case(business)
    customer = case.feedback.customer
    customer.opted_out_at = timezone.now()
    customer.save()

    page = logged_in(owner).get(change(case))

    assert "ask_follow_up" not in page.context["adminform"].form.fields
    assert "opted out of emails" in page.content.decode()


# --- the action ----------------------------------------------------------------------------------


def test_the_action_asks_the_customers_of_resolved_cases_only(business, owner):
    resolved = open_case(business)
    case_update(case=resolved, actor=owner, status=Status.RESOLVED, resolution="Refunded.", cause="quality")
    still_open = open_case(business)

    response = logged_in(owner).post(
        changelist(),
        {"action": "ask_did_we_make_it_right", "_selected_action": [resolved.pk, still_open.pk]},
        follow=True,
    )

    assert response.status_code == 200
    follow_ups = OutboxEmail.objects.filter(key__startswith="case-follow-up")
    assert list(follow_ups.values_list("key", flat=True)) == [f"case-follow-up:{resolved.pk}"]
    text = response.content.decode()
    assert "Asked 1 customer “did we make it right?”" in text
    assert "1 case skipped" in text


def test_the_action_ignores_another_business_s_cases_sent_by_crafted_ids(business, owner, other_business, b_owner):
    theirs = open_case(other_business)
    case_update(case=theirs, actor=b_owner, status=Status.RESOLVED, resolution="Refunded.", cause="quality")
    mine = open_case(business)

    logged_in(owner).post(
        changelist(), {"action": "ask_did_we_make_it_right", "_selected_action": [theirs.pk, mine.pk]}
    )

    assert not OutboxEmail.objects.filter(key__startswith="case-follow-up").exists()
    theirs.refresh_from_db()
    assert theirs.follow_up_sent_at is None


def test_cases_are_neither_added_nor_deleted_in_the_admin(business, owner):
    case = open_case(business)
    client = logged_in(owner)

    assert client.get(reverse("admin:reviews_case_add")).status_code == 403
    assert client.post(reverse("admin:reviews_case_delete", args=[case.pk]), {"post": "yes"}).status_code == 403
    assert Case.objects.filter(pk=case.pk).exists()
