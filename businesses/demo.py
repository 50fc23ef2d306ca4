"""Demo data: one business with its staff and customers, safe to load again and again."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from businesses.models import Business, Customer, Membership, StaffMember
from businesses.services import customer_get_or_create, membership_create, user_get_or_create_staff

DEMO_SLUG = "harbour-coffee"
DEMO_OWNER_EMAIL = "owner@harbour-coffee.example"
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


@dataclass(frozen=True)
class DemoLogins:
    business: Business
    owner_username: str
    owner_password: str
    admin_username: str
    admin_password: str


@transaction.atomic
def demo_load() -> DemoLogins:
    """Create (or top up) the demo business, its owner, a superuser, staff and customers."""
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
    owner, _ = user_get_or_create_staff(email=DEMO_OWNER_EMAIL, password=DEMO_OWNER_PASSWORD)
    membership_create(user=owner, business=business, role=Membership.Role.OWNER)
    _demo_superuser()
    for name, email in STAFF:
        StaffMember.objects.get_or_create(business=business, email=email, defaults={"name": name})
    for index, first in enumerate(FIRST_NAMES):
        last = LAST_NAMES[index % len(LAST_NAMES)]
        email = f"{first.lower()}.{last.lower()}@customers.example"
        if not Customer.objects.filter(business=business, email__iexact=email).exists():
            customer_get_or_create(
                business=business, email=email, name=f"{first} {last}", external_id=f"CRM-{1000 + index}"
            )
    return DemoLogins(business, owner.username, DEMO_OWNER_PASSWORD, DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)


def _demo_superuser() -> None:
    User = get_user_model()
    admin, created = User.objects.get_or_create(
        username=DEMO_ADMIN_USERNAME, defaults={"email": "admin@raves.example", "is_staff": True, "is_superuser": True}
    )
    if created:
        admin.set_password(DEMO_ADMIN_PASSWORD)
        admin.save(update_fields=["password"])
