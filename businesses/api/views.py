"""The integrator's view of their business and staff. Every query is scoped to the key's business."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from businesses.api.serializers import BusinessOutput, StaffMemberSerializer
from businesses.models import StaffMember
from businesses.services import staff_member_create


class BusinessScopedMixin:
    """Gives API views `self.business`, the business of the calling API key."""

    @property
    def business(self):
        # drf-spectacular describes the views without a request key; an empty scope still tells it the model.
        if getattr(self, "swagger_fake_view", False):
            return None
        return self.request.auth.business


class BusinessView(BusinessScopedMixin, generics.GenericAPIView):
    serializer_class = BusinessOutput

    @extend_schema(summary="The API key's business, with its public page and widget addresses")
    def get(self, request: Request) -> Response:
        return Response(self.get_serializer(self.business).data)


class StaffMemberViewSet(
    BusinessScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Staff members who serve customers. `wants_digest` defaults to true."""

    serializer_class = StaffMemberSerializer
    filterset_fields = ["active", "wants_digest"]

    def get_queryset(self):
        return (
            StaffMember.objects.filter(business=self.business)
            .select_related("business")  # their language in effect falls back to the business's
            .prefetch_related("open_feedback_links")
            .order_by("name", "id")
        )

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "business": self.business if self.request.auth else None}

    def perform_create(self, serializer: StaffMemberSerializer) -> None:
        serializer.instance = staff_member_create(business=self.business, **serializer.validated_data)
