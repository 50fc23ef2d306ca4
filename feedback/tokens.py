"""Link tokens: 128 random bits per request, purpose-bound, never stored in the clear.

Each request keeps a random salt. A link's token is an HMAC of that salt under SECRET_KEY and the
link's purpose, so the app can rebuild it for a reminder while the database alone (a leaked
backup, say) cannot; the database stores only a SHA-256 of each token, to find the request.

After SECRET_KEY is rotated, a request made under the old key keeps its links as long as that key
is listed in SECRET_KEY_FALLBACKS: `request_token` rebuilds them with whichever key made them.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from enum import StrEnum

from django.conf import settings
from django.utils.crypto import salted_hmac


class Purpose(StrEnum):
    FEEDBACK = "feedback"
    UNSUBSCRIBE = "unsubscribe"


def new_salt() -> str:
    return secrets.token_hex(16)  # 128 bits


def make_token(salt: str, purpose: Purpose, *, secret: str | None = None) -> str:
    """The token of `salt` for `purpose`, under `secret` (SECRET_KEY unless given)."""
    digest = salted_hmac(f"raves.link.{purpose}", salt, secret=secret, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_hashes(salt: str) -> dict[str, str]:
    """The stored hash of each purpose's token, as FeedbackRequest field values."""
    return {
        "feedback_token_hash": hash_token(make_token(salt, Purpose.FEEDBACK)),
        "unsubscribe_token_hash": hash_token(make_token(salt, Purpose.UNSUBSCRIBE)),
    }


def request_token(salt: str, purpose: Purpose, stored_hash: str) -> str | None:
    """The token whose hash is stored, made under SECRET_KEY or one of SECRET_KEY_FALLBACKS; None
    when none of them made it (the key was dropped: see `feedback_requests_rekey`)."""
    for secret in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS):
        token = make_token(salt, purpose, secret=secret)
        if hash_token(token) == stored_hash:
            return token
    return None
