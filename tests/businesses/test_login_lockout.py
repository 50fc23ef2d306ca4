"""The admin login locks a username after 10 failures from one address (django-axes), per username
and address: a colleague on the same office network, or the owner elsewhere, still logs in."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.businesses.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # UserFactory's
OFFICE = "203.0.113.10"
ELSEWHERE = "198.51.100.7"


def log_in(client: Client, username: str, password: str, address: str = OFFICE):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=address,
    )


def fail_ten_times(client: Client, username: str, address: str = OFFICE) -> None:
    for _ in range(10):
        log_in(client, username, "wrong-password", address)


def test_ten_failures_lock_the_username_even_with_the_right_password_then(client):
    owner = UserFactory(username="owner@harbour.example")
    for _ in range(9):
        assert log_in(client, owner.username, "wrong-password").status_code == 200  # the form again
    log_in(client, owner.username, "wrong-password")

    response = log_in(client, owner.username, PASSWORD)

    assert response.status_code == 429
    assert int(response["Retry-After"]) == 15 * 60
    page = response.content.decode()
    assert "This account is locked for now" in page
    assert "Wait 15 minutes" in page
    assert "_auth_user_id" not in client.session


def test_nine_failures_do_not_lock_and_a_success_clears_them(client):
    owner = UserFactory(username="owner@harbour.example")
    for _ in range(9):
        log_in(client, owner.username, "wrong-password")
    assert log_in(client, owner.username, PASSWORD).status_code == 302
    client.logout()

    for _ in range(9):
        log_in(client, owner.username, "wrong-password")
    assert log_in(client, owner.username, PASSWORD).status_code == 302


def test_the_lock_counts_the_username_in_any_letter_case(client):
    owner = UserFactory(username="owner@harbour.example")
    for attempt in range(10):
        log_in(client, "OWNER@Harbour.example" if attempt % 2 else "owner@harbour.example", "wrong-password")

    assert log_in(client, "Owner@Harbour.Example", PASSWORD).status_code == 429
    assert log_in(client, owner.username, PASSWORD).status_code == 429


def test_a_colleague_on_the_same_network_still_logs_in(client):
    owner = UserFactory(username="owner@harbour.example")
    colleague = UserFactory(username="manager@harbour.example")
    fail_ten_times(client, owner.username)

    response = log_in(Client(), colleague.username, PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_the_same_username_from_another_address_still_logs_in(client):
    owner = UserFactory(username="owner@harbour.example")
    fail_ten_times(client, owner.username)

    response = log_in(Client(), owner.username, PASSWORD, address=ELSEWHERE)

    assert response.status_code == 302


def test_the_lock_counts_the_address_the_trusted_proxy_saw(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    owner = UserFactory(username="owner@harbour.example")
    proxy = "10.0.0.2"
    for _ in range(10):
        client.post(
            reverse("admin:login"),
            {"username": owner.username, "password": "wrong-password"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=f"1.2.3.4, {OFFICE}",  # the first entry is whatever the client sent
        )

    from_the_office = Client().post(
        reverse("admin:login"),
        {"username": owner.username, "password": PASSWORD},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR=OFFICE,
    )
    from_elsewhere_through_the_same_proxy = Client().post(
        reverse("admin:login"),
        {"username": owner.username, "password": PASSWORD},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR=f"1.2.3.4, {ELSEWHERE}",
    )

    assert from_the_office.status_code == 429
    assert from_elsewhere_through_the_same_proxy.status_code == 302


def test_a_lockout_is_logged_with_the_username_and_address(client, caplog):
    owner = UserFactory(username="owner@harbour.example")
    with caplog.at_level(logging.WARNING, logger="axes"):
        fail_ten_times(client, owner.username)

    lockouts = [record.getMessage() for record in caplog.records if "Locking out" in record.getMessage()]
    assert lockouts, [record.getMessage() for record in caplog.records]
    assert owner.username in lockouts[0]
    assert OFFICE in lockouts[0]


def test_the_lock_ends_after_the_cool_off(client, time_machine):
    time_machine.move_to(timezone.now())
    owner = UserFactory(username="owner@harbour.example")
    fail_ten_times(client, owner.username)
    assert log_in(client, owner.username, PASSWORD).status_code == 429

    time_machine.shift(16 * 60)

    assert log_in(client, owner.username, PASSWORD).status_code == 302
