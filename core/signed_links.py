"""Tokens for links that carry what they open, signed with SECRET_KEY (django.core.signing) and dated.

Each kind of link has its own salt, so a token made for one kind never opens another.
"""

from __future__ import annotations

from datetime import timedelta

from django.core import signing


def signed_token(payload: dict, *, salt: str) -> str:
    return signing.TimestampSigner(salt=salt).sign_object(payload, compress=False)


def signed_payload(token: str, *, salt: str, shape: dict[str, type], max_age: timedelta | None = None) -> dict | None:
    """The payload of a token signed with `salt`, or None: tampered, older than `max_age`, or not of
    `shape` (each of its keys present, with a value of its type)."""
    try:
        payload = signing.TimestampSigner(salt=salt).unsign_object(token, max_age=max_age)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(payload, dict) or not all(isinstance(payload.get(key), kind) for key, kind in shape.items()):
        return None
    return payload
