"""The management commands: create_business, create_api_key and load_demo."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from businesses.demo import (
    DEMO_ADMIN_PASSWORD,
    DEMO_ADMIN_USERNAME,
    DEMO_OWNER_EMAIL,
    DEMO_OWNER_PASSWORD,
    DEMO_SLUG,
)
from businesses.models import Business, BusinessAPIKey, Membership

pytestmark = pytest.mark.django_db

User = get_user_model()


def run(*args, **options) -> str:
    stdout = StringIO()
    call_command(*args, stdout=stdout, **options)
    return stdout.getvalue()


def admin_businesses(client: Client) -> list[Business]:
    response = client.get(reverse("admin:businesses_business_changelist"))
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


# --- create_business -----------------------------------------------------------------------------


def test_create_business_creates_it_and_its_owner_logs_in_to_see_it_alone(other_business):
    output = run(
        "create_business",
        "harbour-coffee",
        "--name",
        "Harbour Coffee",
        "--owner-email",
        "jo@harbour.example",
        "--owner-password",
        "s3cret-pass",
        "--review-url",
        "https://g.page/harbour",
    )

    business = Business.objects.get(slug="harbour-coffee")
    assert business.name == "Harbour Coffee"
    assert business.review_url == "https://g.page/harbour"
    assert "Username: jo@harbour.example" in output
    assert "Password:" not in output
    client = Client()
    assert client.login(username="jo@harbour.example", password="s3cret-pass")
    assert admin_businesses(client) == [business]


def test_create_business_prints_a_generated_password_that_works():
    output = run("create_business", "harbour", "--name", "Harbour", "--owner-email", "jo@harbour.example")

    (password,) = [line.removeprefix("Password: ") for line in output.splitlines() if line.startswith("Password: ")]
    client = Client()
    assert client.login(username="jo@harbour.example", password=password)
    assert admin_businesses(client) == [Business.objects.get(slug="harbour")]


def test_create_business_prints_the_admin_address_on_site_url():
    output = run("create_business", "harbour", "--name", "Harbour", "--owner-email", "jo@harbour.example")

    assert "Admin: https://raves.test/admin/" in output


def test_create_business_with_a_taken_slug_fails_with_a_clear_message(business):
    with pytest.raises(CommandError) as error:
        run("create_business", business.slug, "--name", "Copy", "--owner-email", "new@x.example")

    assert str(error.value) == "slug: Business with this Slug already exists."
    assert Business.objects.count() == 1
    assert not User.objects.filter(username="new@x.example").exists()


def test_create_business_with_an_invalid_owner_email_fails_and_creates_nothing():
    with pytest.raises(CommandError) as error:
        run("create_business", "harbour", "--name", "Harbour", "--owner-email", "not-an-email")

    assert "email" in str(error.value)
    assert not Business.objects.exists()


def test_create_business_with_an_invalid_slug_fails_with_a_clear_message():
    with pytest.raises(CommandError) as error:
        run("create_business", "Not A Slug", "--name", "Harbour", "--owner-email", "jo@x.example")

    assert str(error.value).startswith("slug: ")


def test_create_business_requires_a_name():
    with pytest.raises(CommandError, match="--name"):
        run("create_business", "harbour", "--owner-email", "jo@x.example")


def test_create_business_makes_an_existing_login_the_owner_of_a_second_business(owner, business):
    run("create_business", "second", "--name", "Second", "--owner-email", owner.username)

    second = Business.objects.get(slug="second")
    assert Membership.objects.get(user=owner, business=second).role == Membership.Role.OWNER
    client = Client()
    assert client.login(username=owner.username, password="correct-horse-battery")
    assert set(admin_businesses(client)) == {business, second}


# --- create_api_key ------------------------------------------------------------------------------


def test_create_api_key_prints_the_key_alone_on_the_last_line_and_it_works(business, other_business):
    output = run("create_api_key", business.slug, "--name", "Booking system")

    key = output.rstrip("\n").splitlines()[-1]
    assert key == key.strip()
    assert " " not in key
    assert BusinessAPIKey.objects.get().name == "Booking system"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    response = client.get("/api/v1/business/")
    assert response.status_code == 200
    assert response.json()["slug"] == business.slug


def test_create_api_key_for_an_unknown_slug_fails_with_a_clear_message():
    with pytest.raises(CommandError) as error:
        run("create_api_key", "nowhere")

    assert str(error.value) == "No business with the slug 'nowhere'."
    assert not BusinessAPIKey.objects.exists()


# --- load_demo -----------------------------------------------------------------------------------


def test_load_demo_is_idempotent():
    run("load_demo")
    first = row_counts()
    run("load_demo")

    assert row_counts() == first
    assert first["businesses.Business"] == 1
    assert first["businesses.StaffMember"] > 0
    assert first["businesses.Customer"] > 0


def test_load_demo_prints_logins_that_work():
    output = run("load_demo")

    business = Business.objects.get(slug=DEMO_SLUG)
    assert f"Public page:  https://raves.test/b/{DEMO_SLUG}/" in output
    (owner_line,) = [line for line in output.splitlines() if "owner login:" in line]
    (admin_line,) = [line for line in output.splitlines() if "superuser login:" in line]
    owner_username, owner_password = owner_line.split(":", 1)[1].strip().split(" / ")
    admin_username, admin_password = admin_line.split(":", 1)[1].strip().split(" / ")
    owner_client, admin_client = Client(), Client()
    assert owner_client.login(username=owner_username, password=owner_password)
    assert admin_businesses(owner_client) == [business]
    assert admin_client.login(username=admin_username, password=admin_password)
    assert User.objects.get(username=admin_username).is_superuser


def printed_login(output: str, which: str) -> tuple[str, str]:
    (line,) = [line for line in output.splitlines() if f"{which} login:" in line]
    username, password = line.split(":", 1)[1].strip().split(" / ")
    return username, password


def test_load_demo_in_development_prints_the_known_logins_every_time(settings):
    settings.DEBUG = True
    run("load_demo")
    output = run("load_demo")

    assert printed_login(output, "owner") == (DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
    assert printed_login(output, "superuser") == (DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)
    assert Client().login(username=DEMO_OWNER_EMAIL, password=DEMO_OWNER_PASSWORD)
    assert Client().login(username=DEMO_ADMIN_USERNAME, password=DEMO_ADMIN_PASSWORD)


def test_load_demo_in_production_never_sets_a_published_password():
    first = run("load_demo")  # the test settings run with DEBUG off, as production does
    second = run("load_demo")

    for which, published in (("owner", DEMO_OWNER_PASSWORD), ("superuser", DEMO_ADMIN_PASSWORD)):
        username, password = printed_login(first, which)
        assert password != published
        assert Client().login(username=username, password=password)
        assert not Client().login(username=username, password=published)
        # Printed once: the second run keeps the password and does not show it again.
        assert password not in second
        assert "password unchanged" in printed_login(second, which)[1]
        assert Client().login(username=username, password=password)


def test_load_demo_in_production_replaces_a_published_password_left_by_an_older_version(settings):
    settings.DEBUG = True
    run("load_demo")
    settings.DEBUG = False

    output = run("load_demo")

    for which, published in (("owner", DEMO_OWNER_PASSWORD), ("superuser", DEMO_ADMIN_PASSWORD)):
        username, password = printed_login(output, which)
        assert not Client().login(username=username, password=published)
        assert Client().login(username=username, password=password)


def test_load_demo_in_production_keeps_a_password_the_operator_chose():
    run("load_demo")
    admin = User.objects.get(username=DEMO_ADMIN_USERNAME)
    admin.set_password("chosen-by-the-operator-42")
    admin.save()

    output = run("load_demo")

    assert "password unchanged" in printed_login(output, "superuser")[1]
    assert Client().login(username=DEMO_ADMIN_USERNAME, password="chosen-by-the-operator-42")
