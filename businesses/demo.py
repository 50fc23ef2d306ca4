"""Demo data: one business with its staff and customers, safe to load again and again."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from businesses.models import Business, Customer, Membership, StaffMember
from businesses.services import customer_get_or_create, membership_create, user_get_or_create_staff

DEMO_SLUG = "harbour-coffee"
DEMO_OWNER_EMAIL = "owner@harbour-coffee.example"
# Known passwords, for development only (DEBUG): `make run` prints them and the README lists them.
# Anywhere else the demo logins get random passwords, since these are public.
DEMO_OWNER_PASSWORD = "raves-demo-owner"
DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD = "raves-demo-admin"

STAFF = [
    ("Maya Lindqvist", "maya@harbour-coffee.example"),
    ("Tom Okafor", "tom@harbour-coffee.example"),
    ("Inès Moreau", "ines@harbour-coffee.example"),
    ("Sam Patel", "sam@harbour-coffee.example"),
]
FIRST_NAMES = [
    "Alex",
    "Jordan",
    "Priya",
    "Lucas",
    "Emma",
    "Noah",
    "Chen",
    "Fatima",
    "Olivia",
    "Mateo",
    "Sofia",
    "Liam",
    "Aisha",
    "Ben",
    "Zoe",
    "Hugo",
    "Mia",
    "Omar",
    "Lena",
    "Ravi",
]
LAST_NAMES = ["Smith", "Garcia", "Kowalski", "Nguyen", "Brown", "Rossi", "Khan", "Dubois", "Silva", "Berg"]


DemoPart = Callable[..., None]  # part(business=...)
_demo_parts: list[DemoPart] = []


def demo_part_register(part: DemoPart) -> None:
    """An app's demo data (requests and answers, reviews and cases), loaded after the business's own."""
    if part not in _demo_parts:
        _demo_parts.append(part)


def demo_parts_load(*, business: Business) -> None:
    """Load every registered app's demo data for `business`, in app order. Safe to run again."""
    for part in _demo_parts:
        part(business=business)


@dataclass(frozen=True)
class DemoLogins:
    """The demo's logins. A password is None when it was left as it was (it is never shown again)."""

    business: Business
    owner_username: str
    owner_password: str | None
    admin_username: str
    admin_password: str | None


@transaction.atomic
def demo_load() -> DemoLogins:
    """Create (or top up) the demo business, its owner, a superuser, staff and customers.

    With DEBUG on, the logins get the known demo passwords. Without it, a login is never given a
    password written in this repository: a new one gets a random password, returned to be shown
    once; an existing one keeps its password, unless it is still a published demo password (an
    install from an older version), which is then replaced by a random one.
    """
    business, _ = Business.objects.get_or_create(
        slug=DEMO_SLUG,
        defaults={
            "name": "Harbour Coffee",
            "timezone": "Europe/London",
            "phone": "+44 20 7946 0123",
            "email": "hello@harbour-coffee.example",
            "website": "https://harbour-coffee.example",
            "address": "12 Quay Street\nBristol BS1 4DJ",
            "review_url": "https://www.google.com/maps/search/Harbour+Coffee+Bristol",
        },
    )
    owner, owner_password = _demo_owner()
    membership_create(user=owner, business=business, role=Membership.Role.OWNER)
    admin_password = _demo_superuser()
    for name, email in STAFF:
        StaffMember.objects.get_or_create(business=business, email=email, defaults={"name": name})
    for index, first in enumerate(FIRST_NAMES):
        last = LAST_NAMES[index % len(LAST_NAMES)]
        email = f"{first.lower()}.{last.lower()}@customers.example"
        if not Customer.objects.filter(business=business, email__iexact=email).exists():
            customer_get_or_create(
                business=business, email=email, name=f"{first} {last}", external_id=f"CRM-{1000 + index}"
            )
    return DemoLogins(business, owner.username, owner_password, DEMO_ADMIN_USERNAME, admin_password)


def _demo_owner() -> tuple[AbstractBaseUser, str | None]:
    if settings.DEBUG:
        owner, _ = user_get_or_create_staff(email=DEMO_OWNER_EMAIL, password=DEMO_OWNER_PASSWORD)
        return owner, DEMO_OWNER_PASSWORD
    owner, generated = user_get_or_create_staff(email=DEMO_OWNER_EMAIL)
    return owner, generated or _replace_published_password(owner, DEMO_OWNER_PASSWORD)


def _demo_superuser() -> str | None:
    User = get_user_model()
    admin, created = User.objects.get_or_create(
        username=DEMO_ADMIN_USERNAME, defaults={"email": "admin@raves.example", "is_staff": True, "is_superuser": True}
    )
    if settings.DEBUG:
        if created:
            admin.set_password(DEMO_ADMIN_PASSWORD)
            admin.save(update_fields=["password"])
        # An existing superuser keeps the password someone may have chosen for it.
        return DEMO_ADMIN_PASSWORD if admin.check_password(DEMO_ADMIN_PASSWORD) else None
    if created:
        return _set_random_password(admin)
    return _replace_published_password(admin, DEMO_ADMIN_PASSWORD)


def _replace_published_password(user: AbstractBaseUser, published: str) -> str | None:
    """A new random password for `user` if it still has the published one, else None (kept)."""
    return _set_random_password(user) if user.check_password(published) else None


def _set_random_password(user: AbstractBaseUser) -> str:
    password = secrets.token_urlsafe(12)
    user.set_password(password)
    user.save(update_fields=["password"])
    return password
