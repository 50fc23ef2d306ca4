from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

MAX_DAYS = 3 * 366


class MetricsQuery(serializers.Serializer):
    """`since` and `until` are ISO dates, both inclusive; by default the last 30 days."""

    since = serializers.DateField(required=False)
    until = serializers.DateField(required=False)

    def validate(self, data: dict) -> dict:
        today = timezone.localdate(timezone=self.context["zone"])
        until = data.get("until") or today
        since = data.get("since") or until - timedelta(days=29)
        if since > until:
            raise serializers.ValidationError({"since": ["Must be on or before until."]})
        if (until - since).days > MAX_DAYS:
            raise serializers.ValidationError({"since": ["The period can be at most three years."]})
        return {"since": since, "until": until}


class FiguresSerializer(serializers.Serializer):
    requests_sent = serializers.IntegerField()
    responses = serializers.IntegerField()
    response_rate = serializers.FloatField(allow_null=True, help_text="responses / requests_sent, 0–1")
    average_rating = serializers.FloatField(allow_null=True)
    csat = serializers.FloatField(allow_null=True, help_text="Share of 4–5 star answers, 0–1")
    nps = serializers.FloatField(allow_null=True, help_text="Promoters minus detractors in percent, −100–100")


class MetricsSerializer(FiguresSerializer):
    since = serializers.DateField()
    until = serializers.DateField()
    internal = FiguresSerializer(help_text="The same figures for internal feedback (never in the top level).")
