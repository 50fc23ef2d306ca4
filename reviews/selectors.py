"""Reads of reviews and complaint cases that join or order, shared by the API and the pages."""

from __future__ import annotations

from django.db.models import F, QuerySet

from businesses.models import Business
from reviews.models import Case, Review


def review_list(*, business: Business) -> QuerySet[Review]:
    """The business's reviews, every status, newest first, with the staff member each names."""
    return Review.objects.filter(business=business).select_related("feedback__staff").order_by("-created_at", "-id")


def case_list(*, business: Business) -> QuerySet[Case]:
    """The business's complaint cases: open ones first by deadline, then the latest resolved, with
    their customer, people, notes and conversation."""
    return (
        Case.objects.filter(business=business)
        .select_related("feedback__customer", "feedback__staff", "assignee", "staff_owner")
        .prefetch_related("notes__author", "messages")
        .order_by(F("resolved_at").desc(nulls_first=True), "deadline", "id")
    )
