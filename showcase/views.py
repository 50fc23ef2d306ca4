"""Public pages: no login, nothing personal, contact details front and centre. Cached per business."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from csp.decorators import csp_replace
from django.contrib.staticfiles import finders
from django.core.paginator import EmptyPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from businesses.models import Business
from config.links import absolute_url, showcase_url
from showcase.cache import cached, public_business
from showcase.jsonld import business_jsonld
from showcase.selectors import (
    LATEST,
    SORTS,
    business_get_public,
    rating_summary,
    review_ids_published,
    reviews_shown,
    staff_shoutouts,
)

REVIEWS_PER_PAGE = 10
SORT_LABELS = {"newest": "Newest first", "highest": "Highest rated", "lowest": "Lowest rated"}
SORTS_SHOWN = list(SORT_LABELS.items())
# ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
PAGE_NUMBER = re.compile(r"[0-9]{1,9}")
# Filter, sort and page links land on the reviews, so the next Tab continues there, not at the top.
REVIEWS_ANCHOR = "#reviews"


@dataclass(frozen=True)
class PageQuery:
    """The page's filter, sort and page number, read leniently from the query string."""

    stars: int | None = None
    sort: str = "newest"
    page: int = 1
    verified: bool = False  # only verified customers' reviews (answers to emailed invitations)

    @classmethod
    def from_request(cls, request: HttpRequest) -> PageQuery:
        stars = request.GET.get("stars", "")
        page = request.GET.get("page", "1")
        sort = request.GET.get("sort", "newest")
        return cls(
            stars=int(stars) if stars in {"1", "2", "3", "4", "5"} else None,
            sort=sort if sort in SORTS else "newest",
            page=max(int(page), 1) if PAGE_NUMBER.fullmatch(page) else 1,
            verified=request.GET.get("verified") == "1",
        )

    @property
    def key(self) -> str:
        return f"{self.stars}:{self.sort}:{self.page}:{int(self.verified)}"

    @property
    def is_variant(self) -> bool:
        """A filtered or re-sorted view: the same reviews as the main list, so kept out of search results."""
        return self.stars is not None or self.sort != "newest" or self.verified

    def url(self, base: str, **changes) -> str:
        values = {"stars": self.stars, "verified": int(self.verified), "sort": self.sort, "page": self.page, **changes}
        query = {
            name: value
            for name, value in values.items()
            if value and not (name == "sort" and value == "newest") and not (name == "page" and value == 1)
        }
        return f"{base}?{urlencode(query)}" if query else base


def public(slug: str) -> tuple[Business, Callable[[], Business]]:
    """The business at `slug` (404 when not public), and how to load it afresh for computing an answer.

    The first may be remembered from an earlier request (no query). What is computed and cached
    uses a business loaded after the cache's version was read, so a change committed meanwhile is
    either in it or followed by a new version: a cached answer is never staler than its version.
    """
    business = public_business(slug, lambda slug: business_get_public(slug=slug))
    return business, lambda: business_get_public(slug=slug)


@require_safe
@cache_control(public=True, max_age=60)
def page(request: HttpRequest, slug: str) -> HttpResponse:
    business, fresh = public(slug)
    query = PageQuery.from_request(request)
    response = HttpResponse(cached(business.pk, f"page:{query.key}", lambda: _render_page(fresh(), query)))
    if business.logo_url:
        # The logo is the one thing the page may load from elsewhere: the business's own image.
        response._csp_update = {"img-src": [_origin(business.logo_url)]}
    return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _render_page(business: Business, query: PageQuery) -> str:
    order = SORTS[query.sort]
    ids = review_ids_published(business=business, stars=query.stars, verified_only=query.verified, order=order)
    paginator = Paginator(ids, REVIEWS_PER_PAGE)
    try:
        page_obj = paginator.page(query.page)
    except EmptyPage:
        if query.page != 1:
            raise Http404("There is no such page of reviews.") from None
        page_obj = paginator.page(1)
    summary = rating_summary(business=business)
    base = reverse("showcase:page", kwargs={"slug": business.slug})
    canonical = absolute_url(query.url(base))
    context = {
        "business": business,
        "summary": summary,
        "page_obj": page_obj,
        "reviews": reviews_shown(ids=page_obj.object_list, order=order),
        "query": query,
        "shoutouts": staff_shoutouts(business=business),
        "canonical_url": canonical,
        "noindex": query.is_variant,
        **_navigation(query, base, page_obj),
    }
    context["jsonld"] = business_jsonld(business=business, summary=summary, reviews=context["reviews"], url=canonical)
    return render_to_string("showcase/page.html", context)


def _navigation(query: PageQuery, base: str, page_obj) -> dict:
    """Links of the filter chips, the sort chips and the pager (a long list is elided around the current page)."""

    def link(**changes) -> str:
        return query.url(base, **changes) + REVIEWS_ANCHOR

    paginator = page_obj.paginator
    return {
        "star_filters": [(stars, link(stars=stars, page=1), stars == query.stars) for stars in range(5, 0, -1)],
        "all_stars_url": link(stars=None, page=1),
        "verified_url": link(verified=0 if query.verified else 1, page=1),
        "sorts": [(value, label, link(sort=value, page=1), value == query.sort) for value, label in SORTS_SHOWN],
        "previous_url": link(page=page_obj.previous_page_number()) if page_obj.has_previous() else "",
        "next_url": link(page=page_obj.next_page_number()) if page_obj.has_next() else "",
        # rel=prev/next in the head: plain URLs, no fragment.
        "previous_head_url": absolute_url(query.url(base, page=page_obj.number - 1)) if page_obj.has_previous() else "",
        "next_head_url": absolute_url(query.url(base, page=page_obj.number + 1)) if page_obj.has_next() else "",
        "page_links": [
            (number, "" if number == paginator.ELLIPSIS else link(page=number))
            for number in paginator.get_elided_page_range(page_obj.number, on_each_side=2, on_ends=1)
        ],
    }


@require_safe
@cache_control(public=True, max_age=300)
def how_reviews_work(request: HttpRequest, slug: str) -> HttpResponse:
    business, fresh = public(slug)
    html = cached(business.pk, "how", lambda: _render_how_reviews_work(fresh()))
    return HttpResponse(html)


def _render_how_reviews_work(business: Business) -> str:
    canonical = absolute_url(reverse("showcase:how-reviews-work", kwargs={"slug": business.slug}))
    return render_to_string("showcase/how_reviews_work.html", {"business": business, "canonical_url": canonical})


@require_safe
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})  # any site may frame this page (and only this one)
@cache_control(public=True, max_age=60)
def embed(request: HttpRequest, slug: str) -> HttpResponse:
    """The iframe version of the widget: the rating badge and the latest reviews, nothing else."""
    business, fresh = public(slug)
    html = cached(business.pk, "embed", lambda: render_to_string("showcase/embed.html", _widget_context(fresh())))
    response = HttpResponse(html)
    response["Cross-Origin-Resource-Policy"] = "cross-origin"  # framed by pages that require it (COEP)
    return response


@require_safe
@cache_control(public=True, max_age=300)
def widget_script(request: HttpRequest, slug: str) -> HttpResponse:
    """The embeddable script: this business's badge data inlined (escaped) ahead of the renderer."""
    business, fresh = public(slug)
    script = cached(business.pk, "widget", lambda: _widget_script(fresh()))
    response = HttpResponse(script, content_type="application/javascript; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"  # loadable by pages that require it (COEP)
    return response


def _widget_context(business: Business) -> dict:
    summary = rating_summary(business=business)
    # The latest, plainly: the widget has no room for the page's "featured first" note.
    reviews = reviews_shown(ids=review_ids_published(business=business)[:3], order=LATEST)
    return {"business": business, "summary": summary, "reviews": reviews, "url": showcase_url(business)}


def _widget_script(business: Business) -> str:
    context = _widget_context(business)
    summary = context["summary"]
    data = {
        "name": business.name,
        "url": context["url"],
        "average": summary.average_rating,
        "count": summary.rating_count,
        "reviews": [
            {
                "rating": review.feedback.rating,
                "text": review.published_comment[:280],
                "name": review.published_display_name or "Anonymous",
            }
            for review in context["reviews"]
        ],
    }
    # "<" escaped so that no value can close a surrounding script element (ASCII output: no U+2028 either).
    payload = json.dumps(data).replace("<", "\\u003c")
    with open(finders.find("js/widget.js"), encoding="utf-8") as renderer:
        # The renderer is one function expression: called with the data, it leaves no global behind.
        return f"{renderer.read().strip().rstrip(';')}({payload});\n"
