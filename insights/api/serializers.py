from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from insights.metrics import EARLIEST_DAY, LATEST_DAY, OUT_OF_RANGE, day_in_range

# The schema states the accepted years, so a client (and a contract tester) knows 0001-01-05 is refused.
DAY_PATTERN = r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


@extend_schema_field({"type": "string", "format": "date", "pattern": DAY_PATTERN})
class PeriodDayField(serializers.DateField):
    """An ISO date between EARLIEST_DAY and LATEST_DAY; present but empty is an error, not "the default"."""

    default_error_messages = {"out_of_range": OUT_OF_RANGE, "blank": "Give a date (YYYY-MM-DD) or leave it out."}

    def get_value(self, dictionary):
        # DRF reads `?until=` as "not given"; say so instead of silently using the default.
        if self.field_name in dictionary and dictionary.get(self.field_name) == "":
            return ""
        return super().get_value(dictionary)

    def to_internal_value(self, value) -> date:
        if value == "":
            self.fail("blank")
        day = super().to_internal_value(value)
        if not day_in_range(day):
            self.fail("out_of_range")
        return day


class MetricsQuery(serializers.Serializer):
    """`since` and `until` are ISO dates, both inclusive; by default the last 30 days.

    The period has no maximum length: an owner may ask for all time.
    """

    since = PeriodDayField(required=False, help_text=f"First day, {EARLIEST_DAY} or later.")
    until = PeriodDayField(required=False, help_text=f"Last day, {LATEST_DAY} or earlier; by default today.")

    def validate(self, data: dict) -> dict:
        today = timezone.localdate(timezone=self.context["zone"])
        until = data.get("until") or today
        since = data.get("since") or until - timedelta(days=29)
        if since > until:
            raise serializers.ValidationError({"since": ["Must be on or before until."]})
        return {"since": since, "until": until}


class FiguresSerializer(serializers.Serializer):
    requests_sent = serializers.IntegerField(help_text="Invitations emailed in the period.")
    responses = serializers.IntegerField(help_text="Answers: to those invitations, and through open links.")
    open_link_responses = serializers.IntegerField(
        help_text="How many of the responses came through an open link (a QR code): not verified customers."
    )
    response_rate = serializers.FloatField(
        allow_null=True, help_text="The answered invitations / requests_sent, 0–1 (open-link answers invite nobody)"
    )
    average_rating = serializers.FloatField(allow_null=True)
    csat = serializers.FloatField(allow_null=True, help_text="Share of 4–5 star answers, 0–1")
    nps = serializers.FloatField(allow_null=True, help_text="Promoters minus detractors in percent, −100–100")


class TeamFiguresSerializer(serializers.Serializer):
    team = serializers.CharField(
        help_text='The team served, as the internal requests name it; "" for those naming none.'
    )
    requests = serializers.IntegerField(help_text="Internal invitations to this team emailed in the period.")
    responses = serializers.IntegerField()
    average_rating = serializers.FloatField(allow_null=True)
    csat = serializers.FloatField(allow_null=True, help_text="Share of 4–5 star answers, 0–1")


class InternalFiguresSerializer(FiguresSerializer):
    teams = TeamFiguresSerializer(many=True, help_text="The internal figures per team served, most responses first.")


class CauseSerializer(serializers.Serializer):
    cause = serializers.CharField(help_text="The cause's slug, from the business's list of causes.")
    label = serializers.CharField()
    count = serializers.IntegerField(help_text="Cases resolved in the period with this cause.")
    previous = serializers.IntegerField(help_text="The same count over the period of the same length before.")


class MetricsSerializer(FiguresSerializer):
    since = serializers.DateField()
    until = serializers.DateField()
    cases_opened = serializers.IntegerField(help_text="Complaint cases opened in the period.")
    median_first_response_minutes = serializers.FloatField(
        allow_null=True, help_text="Median minutes from opening to the first response, over those cases answered."
    )
    median_resolution_hours = serializers.FloatField(
        allow_null=True, help_text="Median hours from opening to resolution, over those cases resolved."
    )
    recovery_rate = serializers.FloatField(
        allow_null=True,
        help_text=(
            "Of those cases whose customer re-rated after “did we make it right?”, the share whose "
            "latest rating is higher than the one that opened the case, 0–1; null where nobody re-rated."
        ),
    )
    causes = CauseSerializer(many=True, help_text="Causes of the cases resolved in the period, most frequent first.")
    internal = InternalFiguresSerializer(
        help_text="The same figures for internal feedback (never in the top level), and per team served."
    )
