"""What the businesses app announces, for the apps above it to act on (see feedback/events.py)."""

from __future__ import annotations

from django.dispatch import Signal

public_page_changed = Signal()
"""Something a visitor sees of a business changed: its details, a review published, rejected,
withdrawn, replied to or featured, customers erased.

Sent by the service that made the change, inside its transaction, with `business_id`; `sender` is
the model class changed. Received by showcase, which forgets its cached pages once the transaction
commits.
"""
