"""Serializer fields of the API's inputs that take JSON at its word."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class TextField(serializers.CharField):
    """A JSON string; a number or a boolean is refused, not quietly turned into text."""

    def to_internal_value(self, data) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


# A model's `URLField(blank=True)` holds "" when unset, which `format: uri` alone would forbid.
@extend_schema_field({"type": "string", "anyOf": [{"format": "uri"}, {"maxLength": 0}]})
class OptionalURLField(serializers.CharField):
    """A URL, or "" when none was given (read only: the URL was validated when it was saved)."""


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false; 0, 1, "yes" and the like are refused rather than guessed at."""

    def to_internal_value(self, data) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class BlankAsNullChoiceField(serializers.ChoiceField):
    """A choice stored as "" when unset, shown as null."""

    def to_representation(self, value):
        return super().to_representation(value) if value else None
