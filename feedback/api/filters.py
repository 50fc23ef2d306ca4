"""Filters of the feedback-request list: `?status=&reference=&email=&internal=&created_after=&created_before=`."""

from __future__ import annotations

import django_filters
from django import forms

from feedback.models import FeedbackRequest


class StrictBooleanField(forms.NullBooleanField):
    """true/false (or 1/0); anything else is an error, not silently "no filter"."""

    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        result = super().to_python(value)
        if result is None:
            raise forms.ValidationError("Use true or false.", code="invalid")
        return result


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class FeedbackRequestFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=FeedbackRequest.Status.choices)
    reference = django_filters.CharFilter()
    email = django_filters.CharFilter(
        field_name="customer__email", lookup_expr="iexact", help_text="The customer's email, in any letter case."
    )
    internal = StrictBooleanFilter(help_text="true: internal feedback only (one team serving another); false: none.")
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after this time (ISO 8601)."
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lte", help_text="Created at or before this time (ISO 8601)."
    )

    class Meta:
        model = FeedbackRequest
        fields = ["status", "reference", "email", "internal", "created_after", "created_before"]
