"""A customer's data on request: everything held about them, gathered from every app, and its erasure.

Each app that keeps something about a customer registers it in its `AppConfig.ready()`:

- `export_part_register(name, part)`: `part(customer=...)` returns plain data, shown under `name` in
  the export (after `customer`, in app order);
- `erasure_step_register(step)`: `step(customers=...)` forgets what the app holds beyond what cascades
  from the customer rows (copies of their words, their addresses); it runs in the erasing
  transaction, before the customers and everything hanging off them are deleted.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.contrib.admin.models import LogEntry
from django.db import transaction
from django.db.models import Q, QuerySet

from businesses.events import public_page_changed
from businesses.models import Customer

ERASED = "[erased customer]"

ExportPart = Callable[..., object]  # part(customer=...)
ErasureStep = Callable[..., None]  # step(customers=...)

_export_parts: dict[str, ExportPart] = {}
_erasure_steps: list[ErasureStep] = []


def export_part_register(name: str, part: ExportPart) -> None:
    _export_parts[name] = part


def erasure_step_register(step: ErasureStep) -> None:
    if step not in _erasure_steps:
        _erasure_steps.append(step)


def customer_data_export(*, customer: Customer) -> dict:
    """Everything held about one customer of one business, as plain data (for a JSON download)."""
    return {
        "customer": {
            "name": customer.name,
            "email": customer.email,
            "external_id": customer.external_id,
            "opted_out_at": customer.opted_out_at,
            "bounced_at": customer.bounced_at,
            "created_at": customer.created_at,
            "business": customer.business.name,
        },
        **{name: part(customer=customer) for name, part in _export_parts.items()},
    }


@transaction.atomic
def customers_erase(*, customers: QuerySet[Customer]) -> int:
    """Erase customers and everything that came from them (requests, answers, reviews, complaints).

    Their ratings leave the public average with them. Returns how many customers were erased.
    """
    business_ids = set(customers.values_list("business_id", flat=True))
    erased = customers.count()
    for step in _erasure_steps:
        step(customers=customers)
    _forget_in_admin_log(customers)
    customers.delete()
    for business_id in business_ids:
        public_page_changed.send(sender=Customer, business_id=business_id)
    return erased


def _forget_in_admin_log(customers: QuerySet[Customer]) -> None:
    """Replace the customers' addresses and names in the admin's change log (the “History” pages).

    The entries stay, so who did what remains known, but no longer say to whom.
    """
    for customer in customers:
        patterns = [re.escape(customer.email)] + ([rf"\b{re.escape(customer.name)}\b"] if customer.name.strip() else [])
        pattern = re.compile("|".join(patterns), re.IGNORECASE)
        mentions = Q(object_repr__icontains=customer.email) | Q(change_message__icontains=customer.email)
        if customer.name.strip():
            mentions |= Q(object_repr__icontains=customer.name) | Q(change_message__icontains=customer.name)
        for entry in LogEntry.objects.filter(mentions):
            entry.object_repr = pattern.sub(ERASED, entry.object_repr)[:200]
            entry.change_message = pattern.sub(ERASED, entry.change_message)
            entry.save(update_fields=["object_repr", "change_message"])
