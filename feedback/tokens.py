"""Link tokens: 128 random bits per request, purpose-bound, never stored in the clear.

Each request keeps a random salt. A link's token is an HMAC of that salt under SECRET_KEY and the
link's purpose, so the app can rebuild it for a reminder while the database alone (a leaked
backup, say) cannot; the database stores only a SHA-256 of each token, to find the request.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from enum import StrEnum

from django.utils.crypto import salted_hmac


class Purpose(StrEnum):
    FEEDBACK = "feedback"
    UNSUBSCRIBE = "unsubscribe"


def new_salt() -> str:
    return secrets.token_hex(16)  # 128 bits


def make_token(salt: str, purpose: Purpose) -> str:
    digest = salted_hmac(f"raves.link.{purpose}", salt, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_hashes(salt: str) -> dict[str, str]:
    """The stored hash of each purpose's token, as FeedbackRequest field values."""
    return {
        "feedback_token_hash": hash_token(make_token(salt, Purpose.FEEDBACK)),
        "unsubscribe_token_hash": hash_token(make_token(salt, Purpose.UNSUBSCRIBE)),
    }
