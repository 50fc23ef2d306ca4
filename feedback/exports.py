"""The CSV exports of feedback: one definition of each, its columns named once.

Used by the admin's "Export selected as CSV" actions and the dashboard's download; cells are made
formula-safe by core.csv_safe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

from feedback.models import Feedback, FeedbackRequest

Column = tuple[str, Callable[[Any], object]]

FEEDBACK_COLUMNS: list[Column] = [
    ("submitted_at", lambda f: f.submitted_at),
    ("rating", lambda f: f.rating),
    ("comment", lambda f: f.comment),
    ("improvement", lambda f: f.improvement),
    ("recommend_score", lambda f: f.recommend_score),
    ("staff", lambda f: f.staff.name if f.staff else ""),
    ("consent_to_publish", lambda f: f.consent_to_publish),
    ("consent_text", lambda f: f.consent_text),
    ("consent_at", lambda f: f.consent_at),
    ("display_name", lambda f: f.display_name),
    ("internal", lambda f: f.internal),
    ("team", lambda f: f.request.team),
    ("customer_name", lambda f: f.contact.name),
    ("customer_email", lambda f: f.contact.email),
    ("reference", lambda f: f.request.reference),
    ("business", lambda f: f.business.slug),
]

REQUEST_COLUMNS: list[Column] = [
    ("name", lambda r: r.contact.name),
    ("email", lambda r: r.contact.email),
    ("external_id", lambda r: r.contact.external_id),
    ("staff_email", lambda r: r.staff.email if r.staff else ""),
    ("interaction_at", lambda r: r.interaction_at),
    ("reference", lambda r: r.reference),
    ("internal", lambda r: r.internal),
    ("team", lambda r: r.team),
    ("status", lambda r: r.status),
    ("suppression_reason", lambda r: r.suppression_reason),
    ("created_at", lambda r: r.created_at),
    ("sent_at", lambda r: r.sent_at),
    ("reminded_at", lambda r: r.reminded_at),
    ("responded_at", lambda r: r.responded_at),
    ("expires_at", lambda r: r.expires_at),
    ("business", lambda r: r.business.slug),
]


def header(columns: list[Column]) -> list[str]:
    return [name for name, _ in columns]


def _rows(columns: list[Column], objects: Iterable) -> Iterator[list[object]]:
    for obj in objects:
        yield [value(obj) for _, value in columns]


def feedback_rows(answers: QuerySet[Feedback]) -> Iterator[list[object]]:
    """One row per answer, in FEEDBACK_COLUMNS order, streamed in chunks."""
    answers = answers.select_related("customer", "staff", "request", "business")
    return _rows(FEEDBACK_COLUMNS, answers.iterator(chunk_size=2000))


def request_rows(requests: QuerySet[FeedbackRequest]) -> Iterator[list[object]]:
    """One row per feedback request, in REQUEST_COLUMNS order, streamed in chunks."""
    requests = requests.select_related("customer", "staff", "business")
    return _rows(REQUEST_COLUMNS, requests.iterator(chunk_size=2000))
