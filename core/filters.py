"""Query-string filters of the API: a malformed value answers 400 naming the parameter, never 500.

django-filter is lenient by default: `?active=-305` means "no filter" and `?status=` is ignored.
Here a boolean is true or false, a parameter given empty is an error (only text may be empty),
and a date-time is turned into UTC before it reaches the database: PostgreSQL refuses offsets
beyond ±15:59, and years 1 and 9999 overflow Python's datetime in some offsets.
"""

from __future__ import annotations

from datetime import UTC, datetime

import django_filters
from django import forms
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field


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


# Declared, because the schema cannot infer a type for a filter that calls a method (`?overdue=`).
@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class UTCDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time, in any offset Python accepts, handed to the database in UTC."""

    def to_python(self, value) -> datetime | None:
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            # Before 0001-01-01 or after 9999-12-31 in UTC: nothing was created there, so the
            # nearest representable instant filters exactly the same rows.
            return datetime.min.replace(tzinfo=UTC) if moment.year == 1 else datetime.max.replace(tzinfo=UTC)


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


class StrictFilterForm(forms.Form):
    """Refuses a parameter given empty (`?status=`) unless it is free text, where empty means "any"."""

    def clean(self) -> dict:
        data = super().clean()
        for name, field in self.fields.items():
            if name in self.data and self.data.get(name) == "" and not isinstance(field, forms.CharField):
                self.add_error(name, "Give a value, or leave the parameter out.")
        return data


class StrictFilterSet(django_filters.FilterSet):
    """The base of every API filter set, including those views declare with `filterset_fields`."""

    FILTER_DEFAULTS = {
        **django_filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
        models.DateTimeField: {"filter_class": UTCDateTimeFilter},
    }

    class Meta:
        form = StrictFilterForm


class FilterBackend(DjangoFilterBackend):
    filterset_base = StrictFilterSet
