"""Every write to businesses, memberships, staff, customers and API keys."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction

from businesses.events import public_page_changed
from businesses.models import Business, BusinessAPIKey, Customer, Membership, StaffMember


@transaction.atomic
def business_save(*, business: Business) -> Business:
    """Save a business's settings (validated by the caller's form) and tell its public page they changed."""
    business.save()
    public_page_changed.send(sender=Business, business_id=business.pk)
    return business


@transaction.atomic
def business_create(
    *, slug: str, name: str, owner_email: str, owner_password: str | None = None, review_url: str = "", **settings
) -> tuple[Business, AbstractUser, str | None]:
    """Create a business and its owner's login (username = email).

    Returns the business, the owner and the owner's new password when one was generated (None when
    it was given, or when the owner already had a login: that login keeps its password unless
    `owner_password` is given, which then replaces it).
    """
    business = Business(slug=slug, name=name, review_url=review_url, **settings)
    business.full_clean()
    business.save()
    owner, generated_password = user_get_or_create_staff(email=owner_email, password=owner_password)
    membership_create(user=owner, business=business, role=Membership.Role.OWNER)
    return business, owner, generated_password


def user_get_or_create_staff(*, email: str, password: str | None = None) -> tuple[AbstractUser, str | None]:
    """The admin login for an owner or manager, found by email (any case) or created.

    A new login gets `password`, or a generated one that is returned so it can be shown once.
    """
    User = get_user_model()
    email = User.objects.normalize_email(email).strip()
    user = User.objects.filter(username__iexact=email).first()
    generated = None
    if user is None:
        generated = None if password else secrets.token_urlsafe(12)
        user = User(username=email, email=email, is_staff=True)
        user.set_password(password or generated)
        user.full_clean()
        user.save()
    elif password:
        user.set_password(password)
        user.is_staff = True
        user.save(update_fields=["password", "is_staff"])
    elif not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user, generated


def membership_create(*, user: AbstractUser, business: Business, role: str) -> Membership:
    membership, _ = Membership.objects.update_or_create(user=user, business=business, defaults={"role": role})
    return membership


def staff_member_create(
    *,
    business: Business,
    name: str,
    email: str,
    wants_digest: bool = True,
    active: bool = True,
    language: str = "",
) -> StaffMember:
    """Add a staff member; the email must be new for this business (any letter case).

    `language` is the one of their emails and pages; "" follows the business's default.
    """
    member = StaffMember(
        business=business, name=name, email=email, wants_digest=wants_digest, active=active, language=language
    )
    member.full_clean()
    member.save()
    return member


def customer_get_or_create(*, business: Business, email: str, name: str = "", external_id: str = "") -> Customer:
    """The business's customer with this email (any letter case), created when new.

    A known customer's name and external id are filled in when they were blank, never overwritten.
    """
    customer = Customer.objects.filter(business=business, email__iexact=email).first()
    if customer is None:
        customer = Customer(business=business, email=email, name=name, external_id=external_id)
        customer.full_clean()
        customer.save()
        return customer
    known = {
        field: value
        for field, value in {"name": name, "external_id": external_id}.items()
        if value and not getattr(customer, field)
    }
    for field, value in known.items():
        setattr(customer, field, value)
    if known:
        customer.save(update_fields=list(known))
    return customer


def business_webhook_secret_rotate(*, business: Business) -> str:
    """Give the business a new webhook signing secret and return it (to be shown once, never again).

    Receivers that still check the old secret reject the next webhooks until they are given this one.
    """
    business.webhook_secret = secrets.token_hex(32)
    business.save(update_fields=["webhook_secret"])
    return business.webhook_secret


def api_key_create(*, business: Business, name: str) -> tuple[BusinessAPIKey, str]:
    """Create an API key for a business. The plain key is returned once and never stored."""
    return BusinessAPIKey.objects.create_key(business=business, name=name)
