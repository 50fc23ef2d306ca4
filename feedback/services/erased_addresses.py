"""Erased addresses that stay suppressed: a keyed hash of the address, never the address itself.

When a customer who had opted out or bounced is erased, their business keeps an HMAC of the
address (`ErasedAddress`). A later request to that address finds it, puts the opt-out or bounce back
on the new customer row, and is suppressed with the same reason as before the erasure.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.utils.crypto import salted_hmac

from businesses.models import Business, Customer
from feedback.models import ErasedAddress

KEY_SALT = "raves.feedback.erased-address"
LOOKUP_CHUNK = 500  # addresses per query: keeps the IN list far below every database's limit


def normalised_address(email: str) -> str:
    return email.strip().lower()


def erased_address_hash(*, business_id: int, email: str, secret: str | bytes | None = None) -> str:
    """The HMAC-SHA256 of a business's address, keyed by SECRET_KEY (or by `secret`, a fallback key).

    The business is part of the message, so one address gives unrelated hashes in two businesses.
    """
    message = f"{business_id}:{normalised_address(email)}"
    return salted_hmac(KEY_SALT, message, secret=secret or settings.SECRET_KEY, algorithm="sha256").hexdigest()


def _hashes_under_every_key(business_id: int, email: str) -> list[str]:
    # A hash made before SECRET_KEY was rotated was made with a key now in SECRET_KEY_FALLBACKS.
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [erased_address_hash(business_id=business_id, email=email, secret=key) for key in keys]


def erased_addresses_remember(*, customers: Iterable[Customer]) -> int:
    """Keep the hash of each customer's address that opted out or bounced. Returns how many were kept."""
    rows = [
        ErasedAddress(
            business_id=customer.business_id,
            address_hash=erased_address_hash(business_id=customer.business_id, email=customer.email),
            opted_out_at=customer.opted_out_at,
            bounced_at=customer.bounced_at,
        )
        for customer in customers
        if customer.opted_out_at or customer.bounced_at
    ]
    ErasedAddress.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def erased_suppressions_restore(*, business: Business, customers: Iterable[Customer]) -> None:
    """Put an erased address's opt-out and bounce back on the business's customer with that address.

    Called with the customers about to be asked (locked by the caller). The hash row is deleted once
    its opt-out and bounce live on the customer again, where only the customer can undo them.
    """
    unflagged = [customer for customer in customers if not customer.opted_out_at and not customer.bounced_at]
    for start in range(0, len(unflagged), LOOKUP_CHUNK):
        _restore_chunk(business, unflagged[start : start + LOOKUP_CHUNK])


def _restore_chunk(business: Business, customers: list[Customer]) -> None:
    by_hash = {
        digest: customer for customer in customers for digest in _hashes_under_every_key(business.pk, customer.email)
    }
    for erased in ErasedAddress.objects.filter(business=business, address_hash__in=list(by_hash)):
        customer = by_hash[erased.address_hash]
        customer.opted_out_at, customer.bounced_at = erased.opted_out_at, erased.bounced_at
        Customer.objects.filter(pk=customer.pk).update(opted_out_at=erased.opted_out_at, bounced_at=erased.bounced_at)
        erased.delete()
