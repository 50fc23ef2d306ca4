"""Reviews and complaint cases through the API: list, show one, moderate or work it with PATCH.

Every query is scoped to the key's business (another business's object answers 404) and every
change goes through the services, with the key named as the actor in the moderation log.
"""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from businesses.api.views import BusinessScopedMixin
from reviews.api.filters import CaseFilter, ReviewFilter
from reviews.api.serializers import (
    CaseMessageInput,
    CaseMessageOutput,
    CaseOutput,
    CasePatchInput,
    ReviewOutput,
    ReviewPatchInput,
)
from reviews.selectors import case_list, review_list
from reviews.services.cases import case_update
from reviews.services.conversation import case_message_send
from reviews.services.moderation import Actor, review_moderate
from reviews.services.staff_cases import case_staff_owner_set

BAD_INPUT = OpenApiResponse(description="Invalid input: the JSON names each bad field and what to send instead.")


class ReviewViewSet(BusinessScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reviews of the key's business (consented feedback), newest first, every status unless filtered."""

    serializer_class = ReviewOutput
    filterset_class = ReviewFilter

    def get_queryset(self):
        return review_list(business=self.business)

    @extend_schema(summary="List reviews, newest first (`?status=pending|published|rejected`, `?edit_pending=true`)")
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One review")
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Moderate a review: publish, reject for a content-policy reason, decide on an edit, reply, feature",
        description=(
            "Rejecting requires a `rejection_reason` from the content policy (the enum lists them); "
            "the rating is never a reason. An empty `reply` removes the public reply. "
            "`edit` publishes or rejects the customer's pending edit of a published review (`pending_edit`); "
            "until it is published the public keeps seeing the approved words. "
            "Every change is recorded in the review's moderation log under the API key's name."
        ),
        request=ReviewPatchInput,
        responses={200: ReviewOutput, 400: BAD_INPUT},
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        review = self.get_object()
        patch = ReviewPatchInput(data=request.data, context={"review": review})
        patch.is_valid(raise_exception=True)
        review_moderate(review=review, actor=Actor(label=f"API key {request.auth.name}"), **patch.validated_data)
        return Response(ReviewOutput(self.get_queryset().get(pk=review.pk)).data)


class CaseViewSet(BusinessScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Complaint cases of the key's business: open ones first by deadline, then the latest resolved."""

    serializer_class = CaseOutput
    filterset_class = CaseFilter

    def get_queryset(self):
        return case_list(business=self.business)

    @extend_schema(summary="List complaint cases (`?status=open|contacted|resolved`, `?overdue=true`)")
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One complaint case, with its notes and its conversation with the customer")
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Work a case: status, assignee, resolution, a new note",
        description=(
            "Resolving needs a `resolution` and a `cause` (in the same call or before). Only a message or "
            "logged call to the customer (POST …/messages/) is the first response; a note or a status change "
            "is not. `assignee` is the user id of an owner or manager of the business; `staff_owner` the id "
            "of a staff member (no login), emailed a link to that one case."
        ),
        request=CasePatchInput,
        responses={200: CaseOutput, 400: BAD_INPUT},
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        patch = CasePatchInput(data=request.data, context={"business": self.business})
        patch.is_valid(raise_exception=True)
        changes = dict(patch.validated_data)
        staff_owner = changes.pop("staff_owner", ...)
        with transaction.atomic():
            case_update(case=case, actor=None, **changes)
            if staff_owner is not ...:
                case_staff_owner_set(case=case, staff=staff_owner)
        return Response(CaseOutput(self.get_queryset().get(pk=case.pk)).data)

    @extend_schema(
        summary="Write to the customer of a case (emailed to them), or log a phone call",
        description=(
            "A `message` is emailed to the customer, with a link to their conversation page where they answer "
            "(no login); a `call` is recorded on the case only. The first message or call is the case's first "
            "response. The message's `author` is the API key's name."
        ),
        request=CaseMessageInput,
        responses={201: CaseMessageOutput, 400: BAD_INPUT},
    )
    @action(detail=True, methods=["post"], url_path="messages")
    def messages(self, request: Request, pk: str | None = None) -> Response:
        case = self.get_object()
        message_input = CaseMessageInput(data=request.data)
        message_input.is_valid(raise_exception=True)
        message = case_message_send(
            case=case, author=None, author_label=f"API key {request.auth.name}", **message_input.validated_data
        )
        return Response(CaseMessageOutput(message).data, status=status.HTTP_201_CREATED)
