"""Factories for businesses, their people and their API keys."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from businesses.models import Business, BusinessAPIKey, Customer, Membership, StaffMember


class BusinessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Business
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Business {n}")
    slug = factory.Sequence(lambda n: f"business-{n}")
    email = factory.LazyAttribute(lambda b: f"hello@{b.slug}.example")
    phone = "+44 20 7946 0000"
    website = factory.LazyAttribute(lambda b: f"https://{b.slug}.example")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.SelfAttribute("username")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    business = factory.SubFactory(BusinessFactory)
    role = Membership.Role.OWNER


class StaffMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMember

    business = factory.SubFactory(BusinessFactory)
    name = factory.Sequence(lambda n: f"Staff Member {n}")
    email = factory.Sequence(lambda n: f"staff{n}@example.com")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    business = factory.SubFactory(BusinessFactory)
    name = factory.Sequence(lambda n: f"Customer Number{n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")


def api_key_for(business: Business, name: str = "test key") -> str:
    """A new plain API key for `business`."""
    _, key = BusinessAPIKey.objects.create_key(business=business, name=name)
    return key
