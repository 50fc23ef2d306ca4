"""The writes of businesses/services.py, called directly."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from businesses.models import Business, BusinessAPIKey, Customer, Membership, StaffMember
from businesses.services import (
    api_key_create,
    business_create,
    customer_get_or_create,
    membership_create,
    staff_member_create,
    user_get_or_create_staff,
)
from tests.businesses.factories import CustomerFactory, StaffMemberFactory, UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()


# --- customers -----------------------------------------------------------------------------------


def test_customer_get_or_create_creates_a_new_customer(business):
    customer = customer_get_or_create(business=business, email="ann@example.com", name="Ann Lee", external_id="C1")

    assert customer.pk is not None
    assert (customer.business, customer.email, customer.name, customer.external_id) == (
        business,
        "ann@example.com",
        "Ann Lee",
        "C1",
    )


def test_customer_get_or_create_matches_the_email_in_any_letter_case(business):
    known = CustomerFactory(business=business, email="ann@example.com")

    found = customer_get_or_create(business=business, email="ANN@Example.COM")

    assert found == known
    assert Customer.objects.filter(business=business).count() == 1


def test_customer_get_or_create_fills_in_blanks_but_never_overwrites(business):
    known = CustomerFactory(business=business, email="ann@example.com", name="Ann Lee", external_id="")

    found = customer_get_or_create(business=business, email="ann@example.com", name="Someone Else", external_id="C9")

    found.refresh_from_db()
    assert found.pk == known.pk
    assert found.name == "Ann Lee"
    assert found.external_id == "C9"


def test_customer_get_or_create_keeps_businesses_apart(business, other_business):
    theirs = CustomerFactory(business=other_business, email="ann@example.com")

    mine = customer_get_or_create(business=business, email="ann@example.com")

    assert mine != theirs
    assert mine.business == business


def test_customer_get_or_create_rejects_an_invalid_email(business):
    with pytest.raises(ValidationError) as error:
        customer_get_or_create(business=business, email="not-an-email")

    assert "email" in error.value.message_dict
    assert not Customer.objects.exists()


# --- staff ---------------------------------------------------------------------------------------


def test_staff_member_create_adds_a_staff_member_who_wants_the_digest(business):
    member = staff_member_create(business=business, name="Maya", email="maya@example.com")

    assert member.pk is not None
    assert member.business == business
    assert member.wants_digest is True
    assert member.active is True


def test_staff_member_create_rejects_a_duplicate_email_in_any_letter_case(business):
    StaffMemberFactory(business=business, email="maya@example.com")

    with pytest.raises(ValidationError) as error:
        staff_member_create(business=business, name="Maya Again", email="Maya@EXAMPLE.com")

    assert error.value.message_dict == {"email": ["This business already has a staff member with this email."]}
    assert StaffMember.objects.filter(business=business).count() == 1


def test_staff_member_create_allows_the_same_email_in_another_business(business, other_business):
    StaffMemberFactory(business=other_business, email="maya@example.com")

    assert staff_member_create(business=business, name="Maya", email="maya@example.com").business == business


def test_staff_member_create_rejects_a_blank_name(business):
    with pytest.raises(ValidationError) as error:
        staff_member_create(business=business, name="", email="maya@example.com")

    assert "name" in error.value.message_dict


# --- businesses and their owners -----------------------------------------------------------------


def test_business_create_creates_the_owners_login_and_membership(settings):
    business, owner, password = business_create(slug="harbour", name="Harbour", owner_email="jo@harbour.example")

    assert Business.objects.get(slug="harbour") == business
    assert owner.username == "jo@harbour.example"
    assert owner.email == "jo@harbour.example"
    assert owner.is_staff
    assert not owner.is_superuser
    assert Membership.objects.get(user=owner, business=business).role == Membership.Role.OWNER
    assert password
    assert owner.check_password(password)


def test_business_create_generates_a_new_password_each_time():
    _, _, first = business_create(slug="one", name="One", owner_email="one@example.com")
    _, _, second = business_create(slug="two", name="Two", owner_email="two@example.com")

    assert first != second
    assert len(first) >= 12


def test_business_create_uses_the_password_given_and_returns_none():
    _, owner, password = business_create(
        slug="harbour", name="Harbour", owner_email="jo@x.example", owner_password="pw-1"
    )

    assert password is None
    assert owner.check_password("pw-1")


def test_business_create_keeps_an_existing_login_found_by_email_in_any_case():
    existing = UserFactory(username="jo@x.example", email="jo@x.example")

    business, owner, password = business_create(slug="second", name="Second", owner_email="JO@X.example")

    assert owner == existing
    assert password is None
    assert owner.check_password("correct-horse-battery")
    assert User.objects.count() == 1
    assert Membership.objects.get(user=owner, business=business).role == Membership.Role.OWNER


def test_business_create_saves_the_review_url_and_other_settings():
    business, _, _ = business_create(
        slug="harbour",
        name="Harbour",
        owner_email="jo@x.example",
        review_url="https://g.page/harbour",
        timezone="Europe/Paris",
    )

    business.refresh_from_db()
    assert business.review_url == "https://g.page/harbour"
    assert business.timezone == "Europe/Paris"


def test_business_create_with_a_taken_slug_creates_nothing(business):
    with pytest.raises(ValidationError) as error:
        business_create(slug=business.slug, name="Copy", owner_email="new@x.example")

    assert "slug" in error.value.message_dict
    assert Business.objects.count() == 1
    assert not User.objects.filter(username="new@x.example").exists()


def test_business_create_with_an_invalid_owner_email_leaves_no_business_behind():
    with pytest.raises(ValidationError):
        business_create(slug="harbour", name="Harbour", owner_email="not-an-email")

    assert not Business.objects.filter(slug="harbour").exists()


def test_business_create_rejects_an_unknown_time_zone():
    with pytest.raises(ValidationError) as error:
        business_create(slug="harbour", name="Harbour", owner_email="jo@x.example", timezone="Mars/Olympus")

    assert "timezone" in error.value.message_dict


def test_user_get_or_create_staff_gives_an_existing_login_staff_status():
    user = UserFactory(username="jo@x.example", is_staff=False)

    found, password = user_get_or_create_staff(email="jo@x.example")

    assert found == user
    assert password is None
    user.refresh_from_db()
    assert user.is_staff


def test_membership_create_changes_the_role_of_an_existing_membership(business, owner):
    membership_create(user=owner, business=business, role=Membership.Role.MANAGER)

    assert Membership.objects.get(user=owner, business=business).role == Membership.Role.MANAGER
    assert Membership.objects.filter(user=owner).count() == 1


# --- API keys ------------------------------------------------------------------------------------


def test_api_key_create_returns_a_key_that_identifies_the_business(business):
    api_key, key = api_key_create(business=business, name="Booking system")

    assert BusinessAPIKey.objects.get_from_key(key) == api_key
    assert api_key.business == business
    assert api_key.name == "Booking system"
    assert key not in {api_key.hashed_key, api_key.id}
