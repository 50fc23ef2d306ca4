"""`Authorization: Api-Key <key>`: the key identifies the business every call is scoped to."""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework import authentication, exceptions
from rest_framework_api_key.permissions import KeyParser

from businesses.models import BusinessAPIKey


class BusinessAPIKeyAuthentication(authentication.BaseAuthentication):
    """Sets `request.auth` to the caller's `BusinessAPIKey` (and `request.user` to None)."""

    key_parser = KeyParser()

    def authenticate(self, request: HttpRequest) -> tuple[None, BusinessAPIKey] | None:
        key = self.key_parser.get(request)
        if not key:
            return None
        if not key.isascii() or not key.isprintable():
            # Keys are printable ASCII; anything else cannot match, and a NUL would make PostgreSQL fail the lookup.
            raise exceptions.AuthenticationFailed("This API key is not valid or has been revoked.")
        try:
            api_key = BusinessAPIKey.objects.get_from_key(key)
        except BusinessAPIKey.DoesNotExist:
            raise exceptions.AuthenticationFailed("This API key is not valid or has been revoked.") from None
        if api_key.has_expired:
            raise exceptions.AuthenticationFailed("This API key has expired.")
        return None, api_key

    def authenticate_header(self, request: HttpRequest) -> str:
        # Makes DRF answer 401 (not 403) when the key is missing.
        return self.key_parser.keyword
