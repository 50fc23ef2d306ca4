"""The metrics an integrator reads: the same figures as the dashboard."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from insights.api.serializers import MetricsQuery, MetricsSerializer
from insights.metrics import (
    case_causes,
    case_metrics,
    complaint_figures,
    figures,
    period_bounds,
    previous_period_start,
    team_table,
)


class MetricsView(generics.GenericAPIView):
    serializer_class = MetricsSerializer

    @extend_schema(
        summary="Response rate, average rating, CSAT, NPS and complaint figures over a period",
        parameters=[MetricsQuery],
    )
    def get(self, request: Request) -> Response:
        business = request.auth.business
        query = MetricsQuery(data=request.query_params, context={"zone": ZoneInfo(business.timezone)})
        query.is_valid(raise_exception=True)
        since, until = query.validated_data["since"], query.validated_data["until"]
        start, end = period_bounds(business, since, until)
        external = figures(business=business, start=start, end=end)
        internal = figures(business=business, start=start, end=end, internal=True)
        complaints = complaint_figures(business=business, start=start, end=end)
        previous_start = previous_period_start(business, since, until)
        causes = case_causes(business=business, start=start, end=end, previous_start=previous_start)
        body = {"since": since, "until": until, **external.as_dict(), **case_metrics(complaints), "causes": causes}
        teams = team_table(business=business, start=start, end=end)
        return Response(MetricsSerializer({**body, "internal": {**internal.as_dict(), "teams": teams}}).data)
