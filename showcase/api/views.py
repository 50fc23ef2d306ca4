"""The public JSON: no key, readable from any site, cached per business, with ETags."""

from __future__ import annotations

import hashlib
import json
import re

from django.core.paginator import EmptyPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import urlencode
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from core.links import absolute_url
from core.throttles import PublicAPIRateThrottle
from showcase.api.serializers import PublicReviewPageSerializer, PublicReviewSerializer, PublicSummarySerializer
from showcase.cache import cached
from showcase.selectors import rating_summary, review_ids_published, reviews_shown
from showcase.views import public

PAGE_SIZE = 20
POSITIVE = re.compile(r"0*[1-9][0-9]{0,8}")
MAX_PAGE_SIZE = 100
VERIFIED_VALUES = {"true": True, "1": True, "false": False, "0": False}


class PublicView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    # No key to count against: a budget per client address instead (PUBLIC_API_THROTTLE_RATE).
    throttle_classes = [PublicAPIRateThrottle]

    def initial(self, request, *args, **kwargs) -> None:
        """No key to read and JSON bytes to send: skip authentication and content negotiation (the hot path).

        Permissions and throttles still apply; an error answer negotiates its renderer on its own.
        """
        self.format_kwarg = None
        self.check_permissions(request)
        self.check_throttles(request)

    def cached_json(self, request: HttpRequest, slug: str, name: str, build) -> HttpResponse:
        business, fresh = public(slug)
        body, etag = cached(business.pk, name, lambda: _with_etag(json.dumps(build(fresh())).encode()))
        response = get_conditional_response(request, etag=etag) or HttpResponse(body, content_type="application/json")
        response["ETag"] = etag
        # Always, not only when the request has an Origin: a shared cache may hand this answer to any site.
        response["Access-Control-Allow-Origin"] = "*"
        patch_cache_control(response, public=True, max_age=60)
        return response


class PublicSummaryView(PublicView):
    @extend_schema(
        summary="A business's rating over every rating received (internal feedback excluded)",
        responses=PublicSummarySerializer,
        auth=[{}],  # an empty requirement: no key needed (an empty list would inherit the global key)
    )
    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        return self.cached_json(request, slug, "api:summary", _summary)


class PublicReviewsView(PublicView):
    @extend_schema(
        summary="A business's published reviews, newest first",
        parameters=[
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description="Up to 100."),
            OpenApiParameter(
                "verified",
                bool,
                description="true: only verified customers' reviews (answers to an emailed invitation).",
            ),
        ],
        responses=PublicReviewPageSerializer,
        auth=[{}],  # an empty requirement: no key needed (an empty list would inherit the global key)
    )
    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        page, page_size = (
            _positive(request.GET.get("page"), 1),
            min(_positive(request.GET.get("page_size"), PAGE_SIZE), MAX_PAGE_SIZE),
        )
        verified = request.GET.get("verified", "false").lower()
        if verified not in VERIFIED_VALUES:
            refused = JsonResponse({"verified": ["Use true or false."]}, status=400)
            refused["Access-Control-Allow-Origin"] = "*"
            return refused
        only = VERIFIED_VALUES[verified]
        return self.cached_json(
            request,
            slug,
            f"api:reviews:{page}:{page_size}:{int(only)}",
            lambda business: _review_page(business, page, page_size, verified_only=only),
        )


def _with_etag(body: bytes) -> tuple[bytes, str]:
    return body, f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def _summary(business) -> dict:
    return rating_summary(business=business).as_dict()


def _positive(value: str | None, default: int) -> int:
    """A positive whole number from the query string, else `default` (ASCII digits: "²".isdigit() is true)."""
    return int(value) if value and POSITIVE.fullmatch(value) else default


def _review_page(business, number: int, page_size: int, *, verified_only: bool = False) -> dict:
    paginator = Paginator(review_ids_published(business=business, verified_only=verified_only), page_size)
    try:
        page = paginator.page(number)
    except EmptyPage:
        if number != 1:
            raise Http404("There is no such page of reviews.") from None
        page = paginator.page(1)
    base = absolute_url(reverse("api:public-reviews", kwargs={"slug": business.slug}))

    def link(to: int) -> str:
        query = {
            "page": to,
            **({"page_size": page_size} if page_size != PAGE_SIZE else {}),
            **({"verified": "true"} if verified_only else {}),
        }
        return f"{base}?{urlencode(query)}"

    return {
        "count": paginator.count,
        "next": link(page.next_page_number()) if page.has_next() else None,
        "previous": link(page.previous_page_number()) if page.has_previous() else None,
        "results": PublicReviewSerializer(reviews_shown(ids=page.object_list), many=True).data,
    }
