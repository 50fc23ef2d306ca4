"""Limits on the pages behind emailed links (the form, unsubscribe, the digest opt-out...).

Two separate counters, so that guessing and using never share a budget:
- unknown tokens per client address (`TOKEN_GUESS_LIMIT`, tight): a script guessing tokens gets a
  429 page after a few hundred tries;
- uses of one valid link per address (`TOKEN_LINK_LIMIT`, generous): many customers answer from one
  office network, and a guesser next door must never lock them out of their own links.

Counters are fixed windows in the Django cache. When the cache is down, the link still works and a
warning is logged (core.redis_rest.fail_open): the token itself (128 random bits) is the
protection; the limit only saves effort.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.client_address import client_address
from core.throttles import over_limit
from feedback.tokens import hash_token


def token_limit_response(request: HttpRequest, token: str, *, known: bool) -> HttpResponse | None:
    """Count this request to a link page; the friendly 429 page when it is one too many, else None.

    `known` says whether the token led somewhere: unknown ones count against the address's guesses,
    known ones against that link's own budget at that address.
    """
    address = client_address(request) or "unknown"
    if known:
        wait = _over_limit(f"link:{hash_token(token)}:{address}", settings.TOKEN_LINK_LIMIT)
    else:
        wait = _over_limit(f"guess:{address}", settings.TOKEN_GUESS_LIMIT)
    if wait is None:
        return None
    response = render(request, "429.html", {"minutes": max(1, round(wait / 60))}, status=429)
    response["Retry-After"] = str(wait)
    response["Referrer-Policy"] = "no-referrer"  # the page's URL holds a token
    return response


def open_link_wait(request: HttpRequest, link) -> int | None:
    """Count one answer sent through an open link from this address: the seconds to wait when it
    is one too many (OPEN_FEEDBACK_LIMIT), else None. Generous enough for a shop's guest Wi-Fi,
    where many customers share one address."""
    address = client_address(request) or "unknown"
    return _over_limit(f"open:{link.pk}:{address}", settings.OPEN_FEEDBACK_LIMIT)


def _over_limit(counter: str, rate: str) -> int | None:
    """Seconds until the counter's window ends when this hit is over the rate, else None."""
    return over_limit(f"token-limit:{counter}", rate, what="Link limit")
