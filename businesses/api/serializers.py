from __future__ import annotations

from django.db import models
from rest_framework import serializers

from businesses.models import Business, StaffMember
from config.links import showcase_url, widget_url
from config.serializer_fields import OptionalURLField, StrictBooleanField, TextField


class BusinessOutput(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.URLField: OptionalURLField,
    }
    showcase_url = serializers.SerializerMethodField()
    widget_url = serializers.SerializerMethodField()

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


class StaffMemberSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: TextField,
        models.BooleanField: StrictBooleanField,
    }
    wants_digest = StrictBooleanField(default=True)

    class Meta:
        model = StaffMember
        fields = ["id", "name", "email", "wants_digest", "active", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_email(self, email: str) -> str:
        business = self.context["business"]
        if StaffMember.objects.filter(business=business, email__iexact=email).exists():
            raise serializers.ValidationError("This business already has a staff member with this email.")
        return email
