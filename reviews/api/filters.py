"""Filters of the review list (`?status=`) and the case list (`?status=&overdue=`)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from core.filters import StrictBooleanFilter, StrictFilterSet
from reviews.models import Case, Review


class ReviewFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=Review.Status.choices, help_text="Every status without it.")
    edit_pending = StrictBooleanFilter(
        help_text="true: published reviews whose customer's edit awaits moderation; false: every other review."
    )

    class Meta(StrictFilterSet.Meta):
        model = Review
        fields = ["status", "edit_pending"]


class CaseFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=Case.Status.choices)
    overdue = StrictBooleanFilter(
        method="filter_overdue",
        help_text="true: open cases past their deadline with no response yet; false: every other case.",
    )

    class Meta(StrictFilterSet.Meta):
        model = Case
        fields = ["status", "overdue"]

    def filter_overdue(self, queryset: QuerySet[Case], name: str, value: bool | None) -> QuerySet[Case]:
        overdue = Case.objects.overdue().values("pk")
        return queryset.filter(pk__in=overdue) if value else queryset.exclude(pk__in=overdue)
