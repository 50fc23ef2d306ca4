"""Abuse limits a business lives with: a quiet period of at least a day, and a daily cap of
invitation emails that only a superuser may change."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from businesses.models import Business
from businesses.services import business_create
from tests.businesses.factories import BusinessFactory

pytestmark = pytest.mark.django_db
QUIET_PERIOD_FLOOR = "The quiet period is at least 1 day."


def change_url(business: Business) -> str:
    return reverse("admin:businesses_business_change", args=[business.pk])


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(response) -> dict:
    """The POST data the change form of `response` would send back unchanged."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    return data


def post_change(client: Client, business: Business, **changes):
    data = {**form_data(client.get(change_url(business))), **changes}
    return client.post(change_url(business), data)


# --- the quiet period --------------------------------------------------------------------------
def test_a_quiet_period_of_0_days_is_refused_with_a_clear_message(business):
    business.quiet_period_days = 0

    with pytest.raises(ValidationError) as refused:
        business.full_clean()

    assert refused.value.message_dict == {"quiet_period_days": [QUIET_PERIOD_FLOOR]}


def test_a_quiet_period_of_1_day_is_accepted(business):
    business.quiet_period_days = 1

    business.full_clean()


def test_the_owner_cannot_set_a_quiet_period_of_0_days_in_the_admin(owner, business):
    response = post_change(logged_in(owner), business, quiet_period_days="0")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"quiet_period_days": [QUIET_PERIOD_FLOOR]}
    assert QUIET_PERIOD_FLOOR in response.content.decode()
    business.refresh_from_db()
    assert business.quiet_period_days == 30


def test_create_business_refuses_a_quiet_period_of_0_days_and_creates_nothing():
    with pytest.raises(CommandError, match=f"quiet_period_days: {QUIET_PERIOD_FLOOR}"):
        call_command(
            "create_business", "harbour", "--name=Harbour", "--owner-email=ada@harbour.example", "--quiet-period-days=0"
        )

    assert not Business.objects.filter(slug="harbour").exists()


def test_create_business_sets_the_quiet_period_it_is_given():
    call_command(
        "create_business",
        "harbour",
        "--name=Harbour",
        "--owner-email=ada@harbour.example",
        "--quiet-period-days=7",
        stdout=StringIO(),
    )

    assert Business.objects.get(slug="harbour").quiet_period_days == 7


def test_the_business_service_refuses_a_quiet_period_of_0_days():
    with pytest.raises(ValidationError, match=QUIET_PERIOD_FLOOR):
        business_create(slug="harbour", name="Harbour", owner_email="ada@harbour.example", quiet_period_days=0)


def test_the_database_refuses_a_quiet_period_of_0_days_written_past_the_validation(business):
    with pytest.raises(IntegrityError), transaction.atomic():
        Business.objects.filter(pk=business.pk).update(quiet_period_days=0)


@pytest.mark.django_db(transaction=True)
def test_the_migration_raises_an_existing_quiet_period_of_0_days_to_1():
    before = [("businesses", "0003_business_webhook_secret_business_webhook_url")]
    after = [("businesses", "0004_quiet_period_at_least_one_day")]
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        OldBusiness = executor.loader.project_state(before).apps.get_model("businesses", "Business")
        zero = OldBusiness.objects.create(name="Zero", slug="zero", quiet_period_days=0)
        kept = OldBusiness.objects.create(name="Kept", slug="kept", quiet_period_days=14)
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        NewBusiness = executor.loader.project_state(after).apps.get_model("businesses", "Business")
        assert NewBusiness.objects.get(pk=zero.pk).quiet_period_days == 1
        assert NewBusiness.objects.get(pk=kept.pk).quiet_period_days == 14
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


# --- the daily limit of invitation emails ----------------------------------------------------------
def test_a_superuser_can_raise_a_businesss_daily_limit_in_the_admin(superuser, business):
    response = post_change(logged_in(superuser), business, daily_invitation_limit="120000")

    assert response.status_code == 302, response.context["adminform"].form.errors
    business.refresh_from_db()
    assert business.daily_invitation_limit == 120_000
    assert business.invitations_per_day == 120_000


def test_a_superuser_cannot_set_a_daily_limit_of_0(superuser, business):
    response = post_change(logged_in(superuser), business, daily_invitation_limit="0")

    assert response.context["adminform"].form.errors == {
        "daily_invitation_limit": ["The daily limit is at least 1 email."]
    }


def test_an_owner_cannot_change_the_daily_limit_and_sees_it_read_only(owner, business):
    client = logged_in(owner)
    page = client.get(change_url(business))
    assert "daily_invitation_limit" not in page.context["adminform"].form.fields
    assert "50,000 invitations and reminders a day" in page.content.decode()

    response = post_change(client, business, daily_invitation_limit="999999", quiet_period_days="10")

    assert response.status_code == 302
    business.refresh_from_db()
    assert business.quiet_period_days == 10  # the rest of the form was saved
    assert business.daily_invitation_limit is None
    assert business.invitations_per_day == 50_000


def test_an_owner_sees_the_limit_a_superuser_set(owner):
    business = BusinessFactory(daily_invitation_limit=120_000)
    owner.memberships.update(business=business)

    assert "120,000 invitations and reminders a day" in logged_in(owner).get(change_url(business)).content.decode()
