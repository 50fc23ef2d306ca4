"""What integrators send to create feedback requests, and what they get back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models.functions import Lower
from django.utils import timezone
from rest_framework import serializers

from businesses.models import Business, StaffMember
from core.serializer_fields import BlankAsNullChoiceField, StrictBooleanField, TextField
from feedback.models import FeedbackRequest, FeedbackRequestEvent
from feedback.services.requests import TEAM_MAX_LENGTH, TEAM_ONLY_INTERNAL, RequestInput

MAX_ITEMS = 1000
# Clocks drift: an interaction "now" on the integrator's server may be a little ahead of ours.
FUTURE_TOLERANCE = timedelta(minutes=5)


# --- Input ---------------------------------------------------------------------------------------


class CustomerInput(serializers.Serializer):
    name = TextField(max_length=200, required=False, allow_blank=True, default="")
    email = serializers.EmailField(max_length=254)
    external_id = TextField(max_length=100, required=False, allow_blank=True, default="")


@dataclass(frozen=True)
class CheckedItem:
    """An item of a body after validation: the request to create, or its errors by field."""

    request: RequestInput | None = None
    errors: dict = field(default_factory=dict)

    @property
    def is_valid(self) -> bool:
        return self.request is not None


class FeedbackRequestInput(serializers.Serializer):
    """One feedback request to create."""

    # The context carries `staff_by_email` ({lower-cased email: active staff member}), found for all items at once.

    customer = CustomerInput()
    staff_email = serializers.EmailField(
        max_length=254,
        default="",
        allow_blank=True,
        allow_null=True,
        help_text="The email of the active staff member who served the customer (any letter case).",
    )
    interaction_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="When the interaction happened (ISO 8601); default now."
    )
    reference = TextField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Your id for the interaction. A reference already used returns the existing request.",
    )
    internal = StrictBooleanField(default=False, help_text="One team serving another: never published.")
    team = TextField(
        max_length=TEAM_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="Internal requests only (with internal: true): the team that was served, e.g. Finance.",
    )
    language = TextField(
        required=False,
        allow_blank=True,
        default="",
        help_text="The language of the emails and pages the customer reads: a code the business offers "
        "(e.g. de). Default: the business's default language.",
    )

    def validate_staff_email(self, email: str | None) -> str:
        if email and email.lower() not in self.context["staff_by_email"]:
            raise serializers.ValidationError("No active staff member of this business has this email.")
        return email or ""

    def validate_language(self, language: str) -> str:
        offered = self.context["business"].offered_languages()
        if language and language not in offered:
            raise serializers.ValidationError(f"Choose one of: {', '.join(offered)}.")
        return language

    def validate_interaction_at(self, interaction_at):
        if interaction_at and interaction_at > timezone.now() + FUTURE_TOLERANCE:
            raise serializers.ValidationError("The interaction time cannot be more than 5 minutes in the future.")
        return interaction_at

    def validate(self, data: dict) -> dict:
        if data.get("team") and not data.get("internal"):
            raise serializers.ValidationError({"team": [TEAM_ONLY_INTERNAL]})
        return data

    def check(self, item) -> CheckedItem:
        """Validate one item. One serializer checks every item of a body, as a ListSerializer's child does."""
        try:
            return CheckedItem(request=self.to_request_input(self.run_validation(item)))
        except serializers.ValidationError:
            return CheckedItem(errors=self._errors_of(item))

    def _errors_of(self, item) -> dict:
        # A serializer of the item's own words the errors exactly as is_valid() does (it rewords a few,
        # e.g. "No data provided" for a null item). Refused items are few: checking them twice costs little.
        serializer = FeedbackRequestInput(data=item, context=self.context)
        serializer.is_valid()
        return serializer.errors

    def to_request_input(self, data: dict) -> RequestInput:
        customer = data["customer"]
        return RequestInput(
            email=customer["email"],
            name=customer["name"],
            external_id=customer["external_id"],
            staff=self.context["staff_by_email"].get(data["staff_email"].lower()) if data["staff_email"] else None,
            interaction_at=data.get("interaction_at"),
            reference=data["reference"],
            internal=data["internal"],
            team=data["team"],
            language=data["language"],
        )


def active_staff_by_email(*, business: Business, emails: Iterable[str]) -> dict[str, StaffMember]:
    """{lower-cased email: active staff member} for these emails, in one query."""
    # Read before each item is validated: leave out what the field refuses anyway (the database
    # cannot even compare a text holding NUL or a lone surrogate, and would answer 500).
    wanted = {email.lower() for email in emails if email.isprintable() and len(email) <= 254}
    if not wanted:
        return {}
    staff = (
        StaffMember.objects.active()
        .annotate(email_lower=Lower("email"))
        .filter(business=business, email_lower__in=wanted)
    )
    return {member.email_lower: member for member in staff}


def validated_items(items: list, *, business: Business) -> list[CheckedItem]:
    """Each item checked, in order; every item's staff member found in a single query."""
    staff_emails = [
        item["staff_email"] for item in items if isinstance(item, dict) and isinstance(item.get("staff_email"), str)
    ]
    context = {"staff_by_email": active_staff_by_email(business=business, emails=staff_emails), "business": business}
    # One serializer for all: building a serializer's fields (deep copies of each declared field) costs
    # more than validating an item with them.
    serializer = FeedbackRequestInput(context=context)
    return [serializer.check(item) for item in items]


# --- Output --------------------------------------------------------------------------------------


class CustomerOutput(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.EmailField()
    external_id = serializers.CharField()


class StaffOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()


class FeedbackRequestOutput(serializers.ModelSerializer):
    suppression_reason = BlankAsNullChoiceField(
        choices=FeedbackRequest.SuppressionReason.choices,
        allow_null=True,
        read_only=True,
        help_text="Why no email is sent; set when the status is suppressed, else null. "
        "An opted-out customer is reported as opted_out even when the quiet period applies too.",
    )
    customer = CustomerOutput(read_only=True)
    staff = StaffOutput(read_only=True, allow_null=True)
    language = serializers.CharField(
        source="customer_language",
        read_only=True,
        help_text="The language the customer is written to: the request's own, else the business's default.",
    )

    class Meta:
        model = FeedbackRequest
        fields = [
            "id",
            "status",
            "suppression_reason",
            "customer",
            "staff",
            "reference",
            "internal",
            "team",
            "language",
            "interaction_at",
            *FeedbackRequest.STEP_FIELDS,
        ]
        read_only_fields = fields


class FeedbackRequestEventOutput(serializers.ModelSerializer):
    at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = FeedbackRequestEvent
        fields = ["status", "note", "at"]
        read_only_fields = fields


class FeedbackRequestDetailOutput(FeedbackRequestOutput):
    history = FeedbackRequestEventOutput(source="events", many=True, read_only=True)

    class Meta(FeedbackRequestOutput.Meta):
        fields = [*FeedbackRequestOutput.Meta.fields, "history"]
        read_only_fields = fields


class FeedbackRequestItemError(serializers.Serializer):
    """An item of a list that was refused, in the place of the request it would have been."""

    index = serializers.IntegerField(help_text="The item's position in the list sent, from 0.")
    errors = serializers.DictField(help_text='The item\'s errors by field, e.g. {"customer": {"email": [...]}}.')


class FeedbackRequestBatchRefused(serializers.Serializer):
    """A list refused whole (no item valid): nothing was created."""

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)
    items = FeedbackRequestItemError(many=True, required=False)
