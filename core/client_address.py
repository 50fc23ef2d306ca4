"""The caller's address, the one thing every abuse limit (logins, API, links) is keyed by.

Behind proxies, `REMOTE_ADDR` is the last proxy, and `X-Forwarded-For` holds what each proxy saw,
left to right; only the entries our own proxies appended can be trusted (a client can send any
header). With `TRUSTED_PROXY_COUNT = n`, the client is the n-th address from the right, as Django
REST framework's `NUM_PROXIES` reads it. With 0 (the default, no proxy) the header is ignored.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """The address limits are counted against (django-axes and every throttle use it); None when
    the server gave none. A forwarded value that is not an address falls back to REMOTE_ADDR."""
    remote_address = _address_or_none(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if not proxies or not forwarded:
        return remote_address
    return _address_or_none(forwarded[-min(proxies, len(forwarded))]) or remote_address


def _address_or_none(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None
