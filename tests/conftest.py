"""Shared fixtures. Real services (PostgreSQL, Redis, Chromium) are required when CI=true."""

from __future__ import annotations

import os

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

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
def _empty_cache():
    """Each test starts with an empty cache (ids are reused between tests on SQLite)."""
    cache.clear()
    yield
    cache.clear()


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
