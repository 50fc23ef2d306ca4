"""Public pages: no login, nothing personal, contact details front and centre. Cached per business."""

from __future__ import annotations

import json
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
from django.views.decorators.http import require_GET

from config.links import absolute_url, showcase_url
from showcase.cache import cached
from showcase.jsonld import business_jsonld
from showcase.selectors import SORTS, business_get_public, rating_summary, review_list_published, staff_shoutouts

REVIEWS_PER_PAGE = 10
SORT_LABELS = {"newest": "Newest first", "highest": "Highest rated", "lowest": "Lowest rated"}


@dataclass(frozen=True)
class PageQuery:
    """The page's filter, sort and page number, read leniently from the query string."""

    stars: int | None = None
    sort: str = "newest"
    page: int = 1

    @classmethod
    def from_request(cls, request: HttpRequest) -> PageQuery:
        stars = request.GET.get("stars", "")
        page = request.GET.get("page", "1")
        sort = request.GET.get("sort", "newest")
        return cls(
            stars=int(stars) if stars in {"1", "2", "3", "4", "5"} else None,
            sort=sort if sort in SORTS else "newest",
            page=int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1,
        )

    @property
    def key(self) -> str:
        return f"{self.stars}:{self.sort}:{self.page}"

    def url(self, base: str, **changes) -> str:
        values = {"stars": self.stars, "sort": self.sort, "page": self.page, **changes}
        query = {
            name: value
            for name, value in values.items()
            if value and not (name == "sort" and value == "newest") and not (name == "page" and value == 1)
        }
        return f"{base}?{urlencode(query)}" if query else base


@require_GET
@cache_control(public=True, max_age=60)
def page(request: HttpRequest, slug: str) -> HttpResponse:
    business = business_get_public(slug=slug)
    query = PageQuery.from_request(request)
    response = HttpResponse(cached(business.pk, f"page:{query.key}", lambda: _render_page(business, query)))
    if business.logo_url:
        # The logo is the one thing the page may load from elsewhere: the business's own image.
        response._csp_update = {"img-src": [_origin(business.logo_url)]}
    return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _render_page(business, query: PageQuery) -> str:
    reviews = review_list_published(business=business, stars=query.stars, sort=query.sort)
    paginator = Paginator(reviews, REVIEWS_PER_PAGE)
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
        "reviews": list(page_obj.object_list),
        "query": query,
        "shoutouts": staff_shoutouts(business=business),
        "canonical_url": canonical,
        "star_filters": [
            (stars, query.url(base, stars=stars, page=1), stars == query.stars) for stars in range(5, 0, -1)
        ],
        "all_stars_url": query.url(base, stars=None, page=1),
        "sorts": [
            (value, label, query.url(base, sort=value, page=1), value == query.sort)
            for value, label in SORT_LABELS.items()
        ],
        "previous_url": query.url(base, page=page_obj.previous_page_number()) if page_obj.has_previous() else "",
        "next_url": query.url(base, page=page_obj.next_page_number()) if page_obj.has_next() else "",
        "page_links": [(number, query.url(base, page=number)) for number in paginator.page_range],
    }
    context["jsonld"] = business_jsonld(business=business, summary=summary, reviews=context["reviews"], url=canonical)
    return render_to_string("showcase/page.html", context)


@require_GET
@cache_control(public=True, max_age=300)
def how_reviews_work(request: HttpRequest, slug: str) -> HttpResponse:
    business = business_get_public(slug=slug)
    html = cached(
        business.pk, "how", lambda: render_to_string("showcase/how_reviews_work.html", {"business": business})
    )
    return HttpResponse(html)


@require_GET
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})  # any site may frame this page (and only this one)
@cache_control(public=True, max_age=60)
def embed(request: HttpRequest, slug: str) -> HttpResponse:
    """The iframe version of the widget: the rating badge and the latest reviews, nothing else."""
    business = business_get_public(slug=slug)
    html = cached(business.pk, "embed", lambda: render_to_string("showcase/embed.html", _widget_context(business)))
    return HttpResponse(html)


@require_GET
@cache_control(public=True, max_age=300)
def widget_script(request: HttpRequest, slug: str) -> HttpResponse:
    """The embeddable script: this business's badge data inlined (escaped) ahead of the renderer."""
    business = business_get_public(slug=slug)
    script = cached(business.pk, "widget", lambda: _widget_script(business))
    response = HttpResponse(script, content_type="application/javascript; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _widget_context(business) -> dict:
    summary = rating_summary(business=business)
    reviews = list(review_list_published(business=business)[:3])
    return {"business": business, "summary": summary, "reviews": reviews, "url": showcase_url(business)}


def _widget_script(business) -> str:
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
                "text": review.feedback.comment[:280],
                "name": review.feedback.display_name or "Anonymous",
            }
            for review in context["reviews"]
        ],
    }
    # "<" escaped so that no value can close a surrounding script element.
    payload = json.dumps(data).replace("<", "\\u003c")
    with open(finders.find("js/widget.js"), encoding="utf-8") as renderer:
        # The renderer is one function expression: called with the data, it leaves no global behind.
        return f"{renderer.read().strip().rstrip(';')}({payload});\n"
