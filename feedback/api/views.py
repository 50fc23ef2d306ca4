"""Feedback requests through the API: create one or up to 1,000 at once, list them, show one with its history."""

from __future__ import annotations

from django.db.models import prefetch_related_objects
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from businesses.api.views import BusinessScopedMixin
from feedback.api.filters import FeedbackRequestFilter
from feedback.api.serializers import (
    MAX_ITEMS,
    CheckedItem,
    FeedbackRequestBatchRefused,
    FeedbackRequestDetailOutput,
    FeedbackRequestInput,
    FeedbackRequestItemError,
    FeedbackRequestOutput,
    validated_items,
)
from feedback.selectors import feedback_request_list
from feedback.services.requests import feedback_requests_create

BODY_HINT = f"Send one feedback request as a JSON object, or a JSON list of 1 to {MAX_ITEMS:,} of them."
JSON_TYPE_NAMES = {str: "a string", int: "a number", float: "a number", bool: "true or false", type(None): "null"}

CREATE_BODY = PolymorphicProxySerializer(
    component_name="FeedbackRequestCreateBody",
    serializers=[FeedbackRequestInput, FeedbackRequestInput(many=True)],
    resource_type_field_name=None,
    many=False,
)
CREATED = PolymorphicProxySerializer(
    component_name="FeedbackRequestCreated",
    serializers=[
        FeedbackRequestOutput,
        PolymorphicProxySerializer(
            component_name="FeedbackRequestBatchItem",
            serializers=[FeedbackRequestOutput, FeedbackRequestItemError],
            resource_type_field_name=None,
            many=True,
        ),
    ],
    resource_type_field_name=None,
    many=False,
)


class FeedbackRequestViewSet(
    BusinessScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Feedback requests of the key's business, newest first."""

    filterset_class = FeedbackRequestFilter

    def get_queryset(self):
        requests = feedback_request_list(business=self.business).order_by("-created_at", "-id")
        if self.action == "retrieve":
            requests = requests.prefetch_related("events")
        return requests

    def get_serializer_class(self):
        return FeedbackRequestDetailOutput if self.action == "retrieve" else FeedbackRequestOutput

    @extend_schema(
        summary="List feedback requests, newest first",
        responses=FeedbackRequestOutput(many=True),
    )
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One feedback request, with its status history")
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Create one feedback request, or up to 1,000 at once",
        description=(
            "The body is one object or a list of up to 1,000. One object answers 201 with the request. "
            "A list answers 201 with an array in the order given: each element is the request, or "
            '`{"index": N, "errors": {...}}` for an item that was refused. An empty list, a list over 1,000 '
            "items or one with no valid item is refused whole with 400. The same `reference` for the same "
            "business never creates a second request: the first is returned. A customer who opted out, "
            "bounced or was asked within the quiet period gets a request with status `suppressed` and a "
            "`suppression_reason`, and no email."
        ),
        request=CREATE_BODY,
        responses={
            201: CREATED,
            400: OpenApiResponse(
                response=FeedbackRequestBatchRefused,
                description="Invalid input, naming each bad field; for a list with no valid item, "
                "`non_field_errors` and each item's errors under `items`.",
            ),
        },
        examples=[
            OpenApiExample(
                "One request",
                request_only=True,
                value={
                    "customer": {"name": "Ana Silva", "email": "ana@example.com", "external_id": "C-1042"},
                    "staff_email": "maya@example.com",
                    "interaction_at": "2025-03-01T14:30:00Z",
                    "reference": "booking-8812",
                },
            ),
        ],
    )
    def create(self, request: Request) -> Response:
        self._check_body(request.data)
        many = isinstance(request.data, list)
        items = request.data if many else [request.data]
        checked = validated_items(items, business=self.business)
        valid = [item.request for item in checked if item.is_valid]
        if not many and not valid:
            raise ValidationError(checked[0].errors)
        if not valid:
            return Response(
                {
                    "non_field_errors": [f"No item in the list is valid, so nothing was created ({len(items)} sent)."],
                    "items": self._item_errors(checked),
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        created = feedback_requests_create(business=self.business, items=valid)
        # Requests found by an existing reference come without their staff member: fetch them together.
        prefetch_related_objects(created, "business", "customer", "staff")
        shown = iter(FeedbackRequestOutput(created, many=True).data)
        if not many:
            return Response(next(shown), status=status.HTTP_201_CREATED)
        answer = [next(shown) if item.is_valid else self._item_error(index, item) for index, item in enumerate(checked)]
        return Response(answer, status=status.HTTP_201_CREATED)

    @staticmethod
    def _check_body(data) -> None:
        if isinstance(data, dict):
            return
        if not isinstance(data, list):
            got = JSON_TYPE_NAMES.get(type(data), "something else")
            raise ValidationError({"non_field_errors": [f"{BODY_HINT} Got {got}."]})
        if not data:
            raise ValidationError({"non_field_errors": [f"The list is empty. {BODY_HINT}"]})
        if len(data) > MAX_ITEMS:
            raise ValidationError(
                {"non_field_errors": [f"The list has {len(data):,} items; send at most {MAX_ITEMS:,} in one call."]}
            )

    @staticmethod
    def _item_error(index: int, item: CheckedItem) -> dict:
        return {"index": index, "errors": item.errors}

    @classmethod
    def _item_errors(cls, checked: list[CheckedItem]) -> list[dict]:
        return [cls._item_error(index, item) for index, item in enumerate(checked)]
