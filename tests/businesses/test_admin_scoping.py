"""The admin keeps every owner and manager inside their own business (businesses/admin_scoping.py).

Business A is run by `owner`; business B (`other_business`) belongs to someone else. Every object of
B carries a name that appears nowhere in A, so "B's data is not in the page" is a plain text check.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from businesses.admin_scoping import BusinessScopedAdmin, business_path_of
from businesses.models import Business, BusinessAPIKey, Customer, Membership, StaffMember
from tests.businesses.factories import (
    BusinessFactory,
    CustomerFactory,
    MembershipFactory,
    StaffMemberFactory,
    UserFactory,
    api_key_for,
)

pytestmark = pytest.mark.django_db

B_SECRET = "Zebediah"  # part of every name and email of business B's objects


# --- helpers -------------------------------------------------------------------------------------


def url(model: str, action: str = "changelist", *args) -> str:
    return reverse(f"admin:businesses_{model}_{action}", args=args)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def follow_all(client: Client, method: str, path: str, data=None) -> list:
    """Every response on the way, the redirects included (checked for leaks one by one)."""
    response = getattr(client, method)(path, data or {})
    responses = [response]
    while response.status_code in (301, 302):
        response = client.get(response["Location"])
        responses.append(response)
    return responses


def assert_nothing_of_b(responses) -> None:
    for response in responses:
        assert B_SECRET.lower() not in response.content.decode().lower()


def form_data(response) -> dict:
    """The POST data the change form of `response` would send back unchanged."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    return data


def autocomplete(client: Client, model_name: str, field_name: str, term: str = "") -> list[str]:
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "businesses", "model_name": model_name, "field_name": field_name, "term": term},
    )
    assert response.status_code == 200, response.content
    return [result["text"] for result in response.json()["results"]]


def choices(response, field: str) -> list[str]:
    form = response.context["adminform"].form
    return [str(choice) for choice in form.fields[field].queryset]


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def other_business():
    return BusinessFactory(name=f"{B_SECRET} Bakery", slug="zebediah-bakery")


@pytest.fixture
def staff_a(business):
    return StaffMemberFactory(business=business, name="Alice Anders", email="alice@a.example")


@pytest.fixture
def staff_b(other_business):
    return StaffMemberFactory(business=other_business, name=f"{B_SECRET} Staff", email="zebediah@b.example")


@pytest.fixture
def customer_a(business):
    return CustomerFactory(business=business, name="Carla Customer", email="carla@a.example")


@pytest.fixture
def customer_b(other_business):
    return CustomerFactory(business=other_business, name=f"{B_SECRET} Customer", email="zebediah.c@b.example")


@pytest.fixture
def owner_client(owner) -> Client:
    return logged_in(owner)


@pytest.fixture
def owner_of_two(business):
    """Owns A and a third business C; has nothing to do with B."""
    user = MembershipFactory(business=business).user
    MembershipFactory(user=user, business=BusinessFactory(name="Corner Cafe", slug="corner-cafe"))
    return user


@pytest.fixture
def manager(business):
    return MembershipFactory(business=business, role=Membership.Role.MANAGER).user


# --- lists ---------------------------------------------------------------------------------------


def test_owner_sees_only_their_businesss_staff_members_in_the_list(owner_client, staff_a, staff_b):
    response = owner_client.get(url("staffmember"))

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [staff_a]
    assert staff_a.name in response.content.decode()
    assert_nothing_of_b([response])


def test_owner_sees_only_their_businesss_customers_in_the_list(owner_client, customer_a, customer_b):
    response = owner_client.get(url("customer"))

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [customer_a]
    assert_nothing_of_b([response])


@pytest.mark.parametrize("model, fixture", [("staffmember", "staff_b"), ("customer", "customer_b")])
def test_owner_searching_a_list_never_finds_another_businesss_rows(owner_client, request, model, fixture):
    other = request.getfixturevalue(fixture)

    response = owner_client.get(url(model), {"q": other.email})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
    assert other.name not in response.content.decode()


def test_owner_filtering_a_list_by_another_business_finds_nothing(owner_of_two, other_business, staff_b):
    response = logged_in(owner_of_two).get(url("staffmember"), {"business__id__exact": other_business.pk})

    assert list(response.context["cl"].result_list) == []
    assert staff_b.name not in response.content.decode()


def test_owner_sees_only_their_own_business_in_the_business_list(owner_client, business, other_business):
    response = owner_client.get(url("business"))

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [business]
    assert_nothing_of_b([response])


@pytest.mark.parametrize("model", ["staffmember", "customer", "businessapikey"])
def test_owner_with_two_businesses_filters_by_business_among_their_own_only(
    owner_of_two, business, other_business, model
):
    corner = Business.objects.get(slug="corner-cafe")
    for each in (business, corner, other_business):
        StaffMemberFactory(business=each)
        CustomerFactory(business=each)
        api_key_for(each)

    response = logged_in(owner_of_two).get(url(model))

    (business_filter,) = [spec for spec in response.context["cl"].filter_specs if spec.title == "business"]
    assert {name for _, name in business_filter.lookup_choices} == {business.name, corner.name}
    assert_nothing_of_b([response])


def test_owner_with_two_businesses_sees_the_rows_of_both(owner_of_two, business, staff_a, staff_b):
    corner = Business.objects.get(slug="corner-cafe")
    staff_c = StaffMemberFactory(business=corner, name="Cyril Corner")

    response = logged_in(owner_of_two).get(url("staffmember"))

    assert set(response.context["cl"].result_list) == {staff_a, staff_c}


def test_owner_of_one_business_is_not_shown_a_business_column_or_filter(owner_client, staff_a):
    response = owner_client.get(url("staffmember"))

    assert "business" not in response.context["cl"].list_display
    assert not any(spec.title == "business" for spec in response.context["cl"].filter_specs)


# --- change, history and delete pages of another business's objects --------------------------


def assert_missing(responses) -> None:
    """The admin's answer for a missing object: back to the index, saying it does not exist."""
    assert responses[0].status_code == 302
    assert responses[0]["Location"] == reverse("admin:index")
    assert "doesn’t exist" in responses[-1].content.decode()
    assert_nothing_of_b(responses)


def test_owner_cannot_open_another_businesss_staff_member(owner_client, staff_b):
    assert_missing(follow_all(owner_client, "get", url("staffmember", "change", staff_b.pk)))


def test_owner_cannot_open_another_businesss_customer(owner_client, customer_b):
    assert_missing(follow_all(owner_client, "get", url("customer", "change", customer_b.pk)))


@pytest.mark.parametrize("action", ["history", "delete"])
@pytest.mark.parametrize("model, fixture", [("staffmember", "staff_b"), ("customer", "customer_b")])
def test_owner_cannot_open_the_history_or_delete_page_of_another_businesss_object(
    owner_client, request, model, fixture, action
):
    other = request.getfixturevalue(fixture)

    responses = follow_all(owner_client, "get", url(model, action, other.pk))

    assert_missing(responses)


def test_owner_cannot_open_another_business(owner_client, other_business):
    responses = follow_all(owner_client, "get", url("business", "change", other_business.pk))

    assert_missing(responses)


def test_owner_posting_an_edit_to_another_businesss_staff_member_changes_nothing(owner_client, staff_a, staff_b):
    data = {**form_data(owner_client.get(url("staffmember", "change", staff_a.pk))), "name": "Hijacked"}

    responses = follow_all(owner_client, "post", url("staffmember", "change", staff_b.pk), data)

    assert_missing(responses)
    staff_b.refresh_from_db()
    staff_a.refresh_from_db()
    assert staff_b.name == f"{B_SECRET} Staff"
    assert staff_a.name == "Alice Anders"


def test_owner_posting_an_edit_to_another_businesss_customer_changes_nothing(owner_client, customer_a, customer_b):
    data = {**form_data(owner_client.get(url("customer", "change", customer_a.pk))), "name": "Hijacked"}

    responses = follow_all(owner_client, "post", url("customer", "change", customer_b.pk), data)

    assert_missing(responses)
    customer_b.refresh_from_db()
    assert customer_b.name == f"{B_SECRET} Customer"


def test_owner_posting_a_delete_confirmation_for_another_businesss_customer_deletes_nothing(owner_client, customer_b):
    responses = follow_all(owner_client, "post", url("customer", "delete", customer_b.pk), {"post": "yes"})

    assert_missing(responses)
    assert Customer.objects.filter(pk=customer_b.pk).exists()


def test_owner_posting_an_edit_to_another_business_changes_nothing(owner_client, business, other_business):
    data = {**form_data(owner_client.get(url("business", "change", business.pk))), "name": "Hijacked"}
    data["slug"] = other_business.slug

    responses = follow_all(owner_client, "post", url("business", "change", other_business.pk), data)

    assert_missing(responses)
    other_business.refresh_from_db()
    assert other_business.name == f"{B_SECRET} Bakery"


# --- bulk actions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model, mine, theirs",
    [("staffmember", "staff_a", "staff_b"), ("customer", "customer_a", "customer_b")],
)
def test_bulk_delete_with_another_businesss_ids_leaves_their_rows_untouched(owner_client, request, model, mine, theirs):
    mine, theirs = request.getfixturevalue(mine), request.getfixturevalue(theirs)
    data = {"action": "delete_selected", "_selected_action": [mine.pk, theirs.pk]}

    confirmation = owner_client.post(url(model), data)
    assert confirmation.status_code == 200
    assert_nothing_of_b([confirmation])
    responses = follow_all(owner_client, "post", url(model), {**data, "post": "yes"})

    assert_nothing_of_b(responses)
    assert not type(mine).objects.filter(pk=mine.pk).exists()
    assert type(theirs).objects.filter(pk=theirs.pk).exists()


def test_bulk_delete_with_only_another_businesss_ids_deletes_nothing(owner_client, staff_b):
    data = {"action": "delete_selected", "_selected_action": [staff_b.pk], "post": "yes"}

    responses = follow_all(owner_client, "post", url("staffmember"), data)

    assert StaffMember.objects.filter(pk=staff_b.pk).exists()
    assert_nothing_of_b(responses)


# --- foreign-key choices and autocomplete --------------------------------------------------------


@pytest.mark.parametrize("model", ["staffmember", "customer"])
def test_owner_with_two_businesses_chooses_among_their_own_businesses_only(
    owner_of_two, business, other_business, model
):
    response = logged_in(owner_of_two).get(url(model, "add"))

    assert response.status_code == 200
    assert set(choices(response, "business")) == {business.name, "Corner Cafe"}
    assert_nothing_of_b([response])


def test_owner_with_two_businesses_cannot_add_a_staff_member_to_another_business(owner_of_two, other_business):
    data = {"business": other_business.pk, "name": "Planted", "email": "planted@example.com", "active": "on"}

    response = logged_in(owner_of_two).post(url("staffmember", "add"), data)

    assert response.status_code == 200
    assert "business" in response.context["adminform"].form.errors
    assert not StaffMember.objects.filter(name="Planted").exists()


def test_owner_with_two_businesses_adds_a_staff_member_to_the_business_they_choose(owner_of_two):
    corner = Business.objects.get(slug="corner-cafe")
    data = {"business": corner.pk, "name": "Chosen", "email": "chosen@example.com", "active": "on"}

    response = logged_in(owner_of_two).post(url("staffmember", "add"), data)

    assert response.status_code == 302
    assert StaffMember.objects.get(name="Chosen").business == corner


@pytest.mark.parametrize("source", ["membership", "staffmember", "customer", "businessapikey"])
def test_autocomplete_never_offers_another_business(owner_client, business, other_business, source):
    assert autocomplete(owner_client, source, "business") == [business.name]
    assert autocomplete(owner_client, source, "business", term=B_SECRET) == []


def test_autocomplete_never_offers_another_business_to_an_owner_of_two(owner_of_two, business, other_business):
    names = autocomplete(logged_in(owner_of_two), "membership", "business")

    assert sorted(names) == sorted([business.name, "Corner Cafe"])


def test_autocomplete_of_logins_is_forbidden_to_owners(owner_client, other_business):
    MembershipFactory(business=other_business, user=UserFactory(username="zebediah@b.example"))

    response = owner_client.get(
        "/admin/autocomplete/",
        {"app_label": "businesses", "model_name": "membership", "field_name": "user", "term": ""},
    )

    assert response.status_code == 403
    assert_nothing_of_b([response])


# --- the business field, filled in for an owner of one business ----------------------------------


def test_owner_of_one_business_adds_a_staff_member_without_choosing_the_business(owner_client, business):
    response = owner_client.post(url("staffmember", "add"), {"name": "New Hire", "email": "new@a.example"})

    assert response.status_code == 302
    member = StaffMember.objects.get(name="New Hire")
    assert member.business == business


def test_owner_of_one_business_adds_a_customer_without_choosing_the_business(owner_client, business):
    response = owner_client.post(url("customer", "add"), {"email": "new@customer.example"})

    assert response.status_code == 302
    assert Customer.objects.get(email="new@customer.example").business == business


def test_owner_of_one_business_cannot_plant_a_staff_member_in_another_business(owner_client, business, other_business):
    data = {"business": other_business.pk, "name": "Planted", "email": "planted@example.com"}

    owner_client.post(url("staffmember", "add"), data)

    assert StaffMember.objects.get(name="Planted").business == business
    assert not other_business.staff.exists()


def test_owner_of_one_business_cannot_move_a_staff_member_to_another_business(
    owner_client, business, other_business, staff_a
):
    data = {**form_data(owner_client.get(url("staffmember", "change", staff_a.pk))), "business": other_business.pk}

    owner_client.post(url("staffmember", "change", staff_a.pk), data)

    staff_a.refresh_from_db()
    assert staff_a.business == business


def test_duplicate_staff_email_in_another_letter_case_is_a_form_error(owner_client, staff_a):
    response = owner_client.post(url("staffmember", "add"), {"name": "Twin", "email": "ALICE@A.example"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [
        "This business already has a staff member with this email."
    ]
    assert StaffMember.objects.filter(email__iexact="alice@a.example").count() == 1


def test_duplicate_staff_email_is_a_form_error_for_an_owner_who_chooses_the_business(owner_of_two, business):
    StaffMemberFactory(business=business, email="alice@a.example")
    data = {"business": business.pk, "name": "Twin", "email": "Alice@A.example"}

    response = logged_in(owner_of_two).post(url("staffmember", "add"), data)

    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors


def test_changing_a_staff_email_to_a_colleagues_in_another_case_is_a_form_error(owner_client, business, staff_a):
    colleague = StaffMemberFactory(business=business, email="bo@a.example")
    data = {**form_data(owner_client.get(url("staffmember", "change", colleague.pk))), "email": "ALICE@a.example"}

    response = owner_client.post(url("staffmember", "change", colleague.pk), data)

    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    colleague.refresh_from_db()
    assert colleague.email == "bo@a.example"


def test_duplicate_customer_email_in_another_letter_case_is_a_form_error(owner_client, customer_a):
    response = owner_client.post(url("customer", "add"), {"email": "CARLA@a.example"})

    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert Customer.objects.filter(email__iexact="carla@a.example").count() == 1


def test_the_same_staff_email_may_be_used_by_another_business(owner_client, business, staff_b):
    response = owner_client.post(url("staffmember", "add"), {"name": "Shared", "email": staff_b.email.upper()})

    assert response.status_code == 302
    assert StaffMember.objects.get(name="Shared").business == business


# --- the business settings -----------------------------------------------------------------------


def test_owner_edits_their_business_settings(owner_client, business):
    data = {**form_data(owner_client.get(url("business", "change", business.pk))), "quiet_period_days": "45"}

    response = owner_client.post(url("business", "change", business.pk), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    business.refresh_from_db()
    assert business.quiet_period_days == 45


def test_owner_can_neither_add_nor_delete_a_business(owner_client, business):
    assert owner_client.get(url("business", "add")).status_code == 403
    assert owner_client.post(url("business", "delete", business.pk), {"post": "yes"}).status_code == 403
    assert Business.objects.filter(pk=business.pk).exists()


def test_manager_can_view_the_business_settings_but_not_change_them(manager, business):
    client = logged_in(manager)
    page = client.get(url("business", "change", business.pk))

    assert page.status_code == 200
    assert business.name in page.content.decode()
    assert not page.context["has_change_permission"]
    assert 'name="_save"' not in page.content.decode()

    data = {"name": "Renamed", "slug": business.slug, "timezone": "UTC"}
    assert client.post(url("business", "change", business.pk), data).status_code == 403
    business.refresh_from_db()
    assert business.name != "Renamed"


def test_owner_of_one_business_and_manager_of_another_may_only_view_the_second(business, other_business):
    user = MembershipFactory(business=business).user
    MembershipFactory(user=user, business=other_business, role=Membership.Role.MANAGER)
    client = logged_in(user)

    page = client.get(url("business", "change", other_business.pk))
    data = {**form_data(client.get(url("business", "change", business.pk))), "slug": other_business.slug}
    posted = client.post(url("business", "change", other_business.pk), {**data, "name": "Renamed"})

    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert posted.status_code == 403
    other_business.refresh_from_db()
    assert other_business.name == f"{B_SECRET} Bakery"


def test_manager_cannot_see_api_keys(manager, business):
    api_key_for(business, name="Booking system")
    client = logged_in(manager)

    assert client.get(url("businessapikey")).status_code == 403
    assert client.get(url("businessapikey", "add")).status_code == 403
    index = client.get(reverse("admin:index"))
    assert "API keys" not in index.content.decode()
    assert "Staff members" in index.content.decode()


def test_manager_manages_their_businesss_staff(manager, staff_a, staff_b):
    response = logged_in(manager).get(url("staffmember"))

    assert list(response.context["cl"].result_list) == [staff_a]


def test_owner_and_manager_elsewhere_chooses_api_key_business_among_owned_ones_only(business, other_business):
    user = MembershipFactory(business=business).user
    MembershipFactory(user=user, business=other_business, role=Membership.Role.MANAGER)
    api_key_for(other_business, name=f"{B_SECRET} key")
    client = logged_in(user)

    listing = client.get(url("businessapikey"))
    created = client.post(url("businessapikey", "add"), {"name": "Till", "business": other_business.pk})

    assert_nothing_of_b([listing])
    assert created.status_code == 302
    assert BusinessAPIKey.objects.get(name="Till").business == business


# --- API keys ------------------------------------------------------------------------------------


def test_owner_sees_only_their_businesss_api_keys(owner_client, business, other_business):
    api_key_for(business, name="Booking system")
    theirs, _ = BusinessAPIKey.objects.create_key(business=other_business, name=f"{B_SECRET} key")

    listing = owner_client.get(url("businessapikey"))
    change = follow_all(owner_client, "get", url("businessapikey", "change", theirs.pk))

    assert [key.name for key in listing.context["cl"].result_list] == ["Booking system"]
    assert change[0].status_code == 302
    assert_nothing_of_b([listing, *change])


def test_owner_creates_an_api_key_for_their_business_and_is_shown_it_once(owner_client, business):
    responses = follow_all(owner_client, "post", url("businessapikey", "add"), {"name": "Booking system"})

    key = BusinessAPIKey.objects.get(name="Booking system")
    assert key.business == business
    shown = [str(message) for message in responses[-1].context["messages"]]
    assert any(key.prefix in message for message in shown)


# --- superusers and logins without a business ----------------------------------------------------


def test_superuser_sees_every_businesss_rows(superuser, staff_a, staff_b, customer_a, customer_b):
    client = logged_in(superuser)

    assert set(client.get(url("staffmember")).context["cl"].result_list) == {staff_a, staff_b}
    assert set(client.get(url("customer")).context["cl"].result_list) == {customer_a, customer_b}
    assert client.get(url("staffmember", "change", staff_b.pk)).status_code == 200


def test_superuser_chooses_among_every_business(superuser, business, other_business):
    client = logged_in(superuser)

    assert set(choices(client.get(url("staffmember", "add")), "business")) == {business.name, other_business.name}
    assert set(autocomplete(client, "membership", "business")) == {business.name, other_business.name}


def test_staff_login_without_a_business_sees_no_business_models(staff_a):
    loner = UserFactory(username="loner@example.com")
    client = logged_in(loner)

    index = client.get(reverse("admin:index"))

    assert index.status_code == 200
    assert index.context["app_list"] == []
    for model in ("business", "staffmember", "customer", "businessapikey"):
        assert client.get(url(model)).status_code == 403
    assert client.get(url("staffmember", "change", staff_a.pk)).status_code in (302, 403)
    assert staff_a.name not in client.get(url("staffmember", "change", staff_a.pk), follow=True).content.decode()


def test_login_without_staff_status_cannot_enter_the_admin(business):
    user = MembershipFactory(business=business, user=UserFactory(username="nostaff@example.com", is_staff=False)).user

    response = logged_in(user).get(url("staffmember"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_owner_index_lists_their_business_models(owner_client):
    index = owner_client.get(reverse("admin:index"))

    names = {model["object_name"] for app in index.context["app_list"] for model in app["models"]}
    # The owner and staff emails are listed too: failed ones can be sent again.
    assert {"Business", "StaffMember", "Customer", "BusinessAPIKey", "OutboxEmail"} <= names
    # Logins and memberships are for superusers only.
    assert not names & {get_user_model()._meta.object_name, "Membership", "Group"}


def test_no_choice_on_any_scoped_add_form_belongs_to_another_business(
    owner_of_two, other_business, staff_b, customer_b
):
    api_key_for(other_business, name=f"{B_SECRET} key")
    client = logged_in(owner_of_two)
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, BusinessScopedAdmin):
            continue
        response = client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add"))
        if response.status_code == 403:  # e.g. only superusers add businesses
            continue
        assert response.status_code == 200
        for field in response.context["adminform"].form.fields.values():
            queryset = getattr(field, "queryset", None)
            path = queryset is not None and business_path_of(queryset.model)
            if path:
                assert not queryset.filter(**{path: other_business.pk}).exists(), (model, field)
                checked += 1
        assert_nothing_of_b([response])
    assert checked >= 3


@pytest.mark.parametrize(
    "url",
    [
        "/admin/businesses/staffmember/",
        "/admin/businesses/customer/",
        "/admin/feedback/feedbackrequest/",
        "/admin/reviews/review/",
        "/admin/reviews/case/",
    ],
)
def test_a_forged_id_that_is_not_a_number_never_breaks_an_action(owner_client, url):
    response = owner_client.post(url, {"action": "delete_selected", "_selected_action": ["1", "x'; DROP"]})
    assert response.status_code in (200, 302)


def test_an_address_typed_without_a_scheme_is_saved_as_https(owner_client, business):
    form = owner_client.get(url("business", "change", business.pk)).context["adminform"].form
    assert form.fields["website"].clean("corner.example") == "https://corner.example"
