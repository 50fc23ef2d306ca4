"""Filters of the feedback-request list: `?status=&reference=&email=&internal=&created_after=&created_before=`."""

from __future__ import annotations

import django_filters

from core.filters import StrictBooleanFilter, StrictFilterSet, UTCDateTimeFilter
from feedback.models import FeedbackRequest


class FeedbackRequestFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=FeedbackRequest.Status.choices)
    reference = django_filters.CharFilter()
    email = django_filters.CharFilter(
        field_name="customer__email", lookup_expr="iexact", help_text="The customer's email, in any letter case."
    )
    internal = StrictBooleanFilter(help_text="true: internal feedback only (one team serving another); false: none.")
    created_after = UTCDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after this time (ISO 8601)."
    )
    created_before = UTCDateTimeFilter(
        field_name="created_at", lookup_expr="lte", help_text="Created at or before this time (ISO 8601)."
    )

    class Meta(StrictFilterSet.Meta):
        model = FeedbackRequest
        fields = ["status", "reference", "email", "internal", "created_after", "created_before"]
