from __future__ import annotations

from django.db import models
from rest_framework import serializers

from businesses.models import Business, StaffMember
from core.links import absolute_reverse, showcase_url, widget_url
from core.serializer_fields import OptionalURLField, StrictBooleanField, TextField


class BusinessOutput(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.URLField: OptionalURLField,
    }
    showcase_url = serializers.SerializerMethodField()
    widget_url = serializers.SerializerMethodField()
    open_feedback_url = serializers.SerializerMethodField(
        help_text="The business's open feedback link, for walk-in and phone customers (its QR code); "
        "answers through it are not verified."
    )

    class Meta:
        model = Business
        fields = [
            "slug",
            "name",
            "timezone",
            "phone",
            "email",
            "website",
            "address",
            "review_url",
            "showcase_url",
            "widget_url",
            "open_feedback_url",
            "quiet_period_days",
            "reminder_delay_days",
            "link_lifetime_days",
            "low_rating_threshold",
            "complaint_response_hours",
            "auto_publish",
            "ask_recommend_score",
            "showcase_enabled",
            "digest_weekday",
            "digest_hour",
        ]
        read_only_fields = fields

    def get_showcase_url(self, business: Business) -> str:
        return showcase_url(business)

    def get_widget_url(self, business: Business) -> str:
        return widget_url(business)

    def get_open_feedback_url(self, business: Business) -> str | None:
        return open_link_url(business.open_feedback_links.filter(staff__isnull=True))


def open_link_url(links) -> str | None:
    """The URL of the first of `links` (OpenFeedbackLink rows, made with every business and staff member)."""
    link = next(iter(links), None)
    return absolute_reverse("feedback:open", key=link.key) if link is not None else None


class StaffLanguageField(TextField):
    """Takes the staff member's own language ("" for the business's default); shows the one in effect."""

    def get_attribute(self, staff: StaffMember) -> str:
        return staff.preferred_language


class StaffMemberSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: TextField,
        models.BooleanField: StrictBooleanField,
    }
    wants_digest = StrictBooleanField(default=True)
    language = StaffLanguageField(
        required=False,
        allow_blank=True,
        default="",
        help_text="The language of their emails and pages: a code the business offers (e.g. de). "
        "Default: the business's default language, which is then shown.",
    )
    open_feedback_url = serializers.SerializerMethodField(
        help_text="This staff member's open feedback link (their QR code): answers through it name them."
    )

    class Meta:
        model = StaffMember
        fields = ["id", "name", "email", "wants_digest", "active", "language", "created_at", "open_feedback_url"]
        read_only_fields = ["id", "created_at", "open_feedback_url"]

    def get_open_feedback_url(self, staff: StaffMember) -> str | None:
        return open_link_url(staff.open_feedback_links.all())

    def validate_email(self, email: str) -> str:
        business = self.context["business"]
        if StaffMember.objects.filter(business=business, email__iexact=email).exists():
            raise serializers.ValidationError("This business already has a staff member with this email.")
        return email

    def validate_language(self, language: str) -> str:
        offered = self.context["business"].offered_languages()
        if language and language not in offered:
            raise serializers.ValidationError(f"Choose one of: {', '.join(offered)}.")
        return language
