"""Shared fixtures. Real services (PostgreSQL, Redis, Chromium) are required when CI=true."""

from __future__ import annotations

import os
import socket

import pytest
from aiosmtpd.controller import Controller
from django.core.cache import cache
from django.http import HttpRequest
from django.test import Client
from rest_framework.test import APIClient

from core.redis_rest import redis_rest_end
from core.throttles import forget_local_counts
from outbox.enqueue import broker_rest_reset
from tests.businesses.factories import BusinessFactory, MembershipFactory, UserFactory, api_key_for

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_service(available: bool, what: str) -> None:
    """Skip a test whose service is missing locally; in CI a missing service is a failure."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available.")
    pytest.skip(f"{what} is not available (set it up, or run in CI where it is required).")


@pytest.fixture(autouse=True)
def _broker_trusted_again():
    """A broker failure seen by one test must not make the next one skip its enqueues."""
    broker_rest_reset()
    yield
    broker_rest_reset()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (ids are reused between tests on SQLite)."""
    cache.clear()
    forget_local_counts()
    redis_rest_end()  # a test that stopped the cache must not switch limits off for the next one
    yield
    cache.clear()
    forget_local_counts()


@pytest.fixture(autouse=True)
def _login_passes_a_request(monkeypatch):
    """django-axes refuses authenticate() without the request (the admin's login form passes it);
    the test client's login() does not, so it gets one, as axes' docs advise. Axes stays on: these
    logins are counted, and a locked-out username is refused here too."""
    client_login = Client.login

    def login(self, **credentials):
        request = HttpRequest()
        request.META["REMOTE_ADDR"] = "127.0.0.1"
        return client_login(self, request=request, **credentials)

    monkeypatch.setattr(Client, "login", login)


@pytest.fixture
def business():
    return BusinessFactory()


@pytest.fixture
def other_business():
    return BusinessFactory()


@pytest.fixture
def owner(business):
    return MembershipFactory(business=business).user


@pytest.fixture
def superuser():
    return UserFactory(is_superuser=True)


@pytest.fixture
def api_client(business) -> APIClient:
    """An API client authenticated with a key of `business`."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key_for(business)}")
    return client


class SMTPCollector:
    """What an aiosmtpd server on loopback received: the recipients of each accepted message."""

    def __init__(self) -> None:
        self.recipients: list[str] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


@pytest.fixture
def smtp_collector(settings) -> SMTPCollector:
    """Our SMTP backend (`mail.smtp.EmailBackend`, which records each send before the message's
    final ".") pointed at an aiosmtpd server on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    collector = SMTPCollector()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "mail.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield collector
    controller.stop()
