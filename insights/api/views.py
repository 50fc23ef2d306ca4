"""The metrics an integrator reads: the same figures as the dashboard."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from insights.api.serializers import MetricsQuery, MetricsSerializer
from insights.metrics import figures, period_bounds


class MetricsView(generics.GenericAPIView):
    serializer_class = MetricsSerializer

    @extend_schema(summary="Response rate, average rating, CSAT and NPS over a period", parameters=[MetricsQuery])
    def get(self, request: Request) -> Response:
        business = request.auth.business
        query = MetricsQuery(data=request.query_params, context={"zone": ZoneInfo(business.timezone)})
        query.is_valid(raise_exception=True)
        since, until = query.validated_data["since"], query.validated_data["until"]
        start, end = period_bounds(business, since, until)
        external = figures(business=business, start=start, end=end)
        internal = figures(business=business, start=start, end=end, internal=True)
        return Response({"since": since, "until": until, **external.as_dict(), "internal": internal.as_dict()})
