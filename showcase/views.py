"""Public pages: no login, nothing personal, contact details front and centre. Cached per business.

Each page speaks the visitor's language among those the business offers: `?lang=`, else the
browser's Accept-Language, else the business's default. The language is part of every cache key.
When the business offers more than one, every link from one of its pages to another names the
page's language, the default one too: a bare link would let the browser's language choose again.
Only the canonical addresses (and hreflang x-default) leave the default language bare.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from csp.decorators import csp_replace
from django.contrib.staticfiles import finders
from django.core.paginator import EmptyPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import etag, require_safe

from businesses.models import Business
from core.links import absolute_url, showcase_url
from feedback.languages import browser_language, chosen_language, language_choices
from showcase.cache import cached, public_business
from showcase.jsonld import business_jsonld
from showcase.look import accent_color, palette, stylesheet
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
SORT_LABELS = {
    "newest": gettext_lazy("Newest first"),
    "highest": gettext_lazy("Highest rated"),
    "lowest": gettext_lazy("Lowest rated"),
}
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
    lang: str = ""  # the value of ?lang kept in every URL made from this query ("" for none)

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
        values = {
            "stars": self.stars,
            "verified": int(self.verified),
            "sort": self.sort,
            "page": self.page,
            "lang": self.lang,
            **changes,
        }
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


@dataclass(frozen=True)
class Language:
    """The language a public page speaks, and whether the browser's Accept-Language chose it."""

    code: str
    by_browser: bool  # so the answer varies with Accept-Language

    @classmethod
    def of(cls, request: HttpRequest, business: Business) -> Language:
        offered = business.offered_languages()
        default = business.customer_language()
        chosen = chosen_language(request, business)
        if chosen:
            return cls(chosen, by_browser=False)
        return cls(browser_language(request, offered) or default, by_browser=len(offered) > 1)

    def respond(self, response: HttpResponse) -> HttpResponse:
        response["Content-Language"] = self.code
        if self.by_browser:
            patch_vary_headers(response, ["Accept-Language"])
        return response


def _with_lang(url: str, lang: str) -> str:
    return f"{url}?{urlencode({'lang': lang})}" if lang else url


@require_safe
@cache_control(public=True, max_age=60)
def page(request: HttpRequest, slug: str) -> HttpResponse:
    business, fresh = public(slug)
    language = Language.of(request, business)
    query = PageQuery.from_request(request)
    with translation.override(language.code):
        html = cached(business.pk, f"page:{language.code}:{query.key}", lambda: _render_page(fresh(), query))
    return language.respond(_allowing_logo(HttpResponse(html), business))


def _allowing_logo(response: HttpResponse, business: Business) -> HttpResponse:
    if business.logo_url:
        # The logo is the one thing the page may load from elsewhere: the business's own image.
        response._csp_update = {"img-src": [_origin(business.logo_url)]}
    return response


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _render_page(business: Business, query: PageQuery) -> str:
    default = business.customer_language()
    offered = business.offered_languages()
    current = translation.get_language()
    # ?lang from the business loaded afresh (its languages may have just changed): the canonical
    # address of this page, and the links within it.
    address = replace(query, lang=_param(current, default))
    query = replace(query, lang=_link_param(current, offered))
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
    canonical = absolute_url(address.url(base))
    context = {
        "business": business,
        "summary": summary,
        "page_obj": page_obj,
        "reviews": reviews_shown(ids=page_obj.object_list, order=order),
        "query": query,
        "shoutouts": staff_shoutouts(business=business),
        "canonical_url": canonical,
        "page_address": absolute_url(_with_lang(base, _param(current, default))),  # printed under the name
        "noindex": query.is_variant,
        "how_url": _with_lang(
            reverse("showcase:how-reviews-work", kwargs={"slug": business.slug}), _link_param(current, offered)
        ),
        "language_links": language_choices(
            offered, current, lambda code: query.url(base, lang=_link_param(code, offered))
        ),
        "alternates": _alternates(
            offered, default, lambda code: absolute_url(address.url(base, lang=_param(code, default)))
        ),
        **_navigation(query, address, base, page_obj),
    }
    context["jsonld"] = business_jsonld(business=business, summary=summary, reviews=context["reviews"], url=canonical)
    return render_to_string("showcase/page.html", context)


def _param(code: str, default: str) -> str:
    """The value of ?lang in the canonical address of `code`'s version: none for the business's default language."""
    return "" if code == default else code


def _link_param(code: str, offered: list[str]) -> str:
    """The value of ?lang in a link to `code`'s version: always, when the business offers more than one language."""
    return code if len(offered) > 1 else ""


def _alternates(offered: list[str], default: str, url: Callable[[str], str]) -> list[tuple[str, str]]:
    """(hreflang, absolute URL) of each language's version of the page, and x-default (none for one language)."""
    if len(offered) < 2:
        return []
    return [(code, url(code)) for code in offered] + [("x-default", url(default))]


def _navigation(query: PageQuery, address: PageQuery, base: str, page_obj) -> dict:
    """Links of the filter chips, the sort chips and the pager (a long list is elided around the current page).

    `query` makes the links a visitor follows; `address` the canonical ones in the head (rel=prev/next).
    """

    def link(**changes) -> str:
        return query.url(base, **changes) + REVIEWS_ANCHOR

    def head(number: int) -> str:
        return absolute_url(address.url(base, page=number))

    paginator = page_obj.paginator
    return {
        "star_filters": [(stars, link(stars=stars, page=1), stars == query.stars) for stars in range(5, 0, -1)],
        "all_stars_url": link(stars=None, page=1),
        "verified_url": link(verified=0 if query.verified else 1, page=1),
        "sorts": [(value, label, link(sort=value, page=1), value == query.sort) for value, label in SORTS_SHOWN],
        "previous_url": link(page=page_obj.previous_page_number()) if page_obj.has_previous() else "",
        "next_url": link(page=page_obj.next_page_number()) if page_obj.has_next() else "",
        # rel=prev/next in the head: plain URLs, no fragment.
        "previous_head_url": head(page_obj.number - 1) if page_obj.has_previous() else "",
        "next_head_url": head(page_obj.number + 1) if page_obj.has_next() else "",
        "page_links": [
            (number, "" if number == paginator.ELLIPSIS else link(page=number))
            for number in paginator.get_elided_page_range(page_obj.number, on_each_side=2, on_ends=1)
        ],
    }


@require_safe
@cache_control(public=True, max_age=300)
def how_reviews_work(request: HttpRequest, slug: str) -> HttpResponse:
    business, fresh = public(slug)
    language = Language.of(request, business)
    with translation.override(language.code):
        html = cached(business.pk, f"how:{language.code}", lambda: _render_how_reviews_work(fresh()))
    return language.respond(_allowing_logo(HttpResponse(html), business))


def _render_how_reviews_work(business: Business) -> str:
    base = reverse("showcase:how-reviews-work", kwargs={"slug": business.slug})
    offered = business.offered_languages()
    default = business.customer_language()
    current = translation.get_language()
    context = {
        "business": business,
        "canonical_url": absolute_url(_with_lang(base, _param(current, default))),
        "page_url": _with_lang(reverse("showcase:page", kwargs={"slug": business.slug}), _link_param(current, offered)),
        "language_links": language_choices(offered, current, lambda code: _with_lang(base, _link_param(code, offered))),
        "alternates": _alternates(offered, default, lambda code: absolute_url(_with_lang(base, _param(code, default)))),
    }
    return render_to_string("showcase/how_reviews_work.html", context)


@require_safe
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})  # any site may frame this page (and only this one)
@cache_control(public=True, max_age=60)
def embed(request: HttpRequest, slug: str) -> HttpResponse:
    """The iframe version of the widget: the rating badge and the latest reviews, nothing else."""
    business, fresh = public(slug)
    language = Language.of(request, business)
    with translation.override(language.code):
        html = cached(
            business.pk,
            f"embed:{language.code}",
            lambda: render_to_string("showcase/embed.html", _widget_context(fresh())),
        )
    response = HttpResponse(html)
    response["Cross-Origin-Resource-Policy"] = "cross-origin"  # framed by pages that require it (COEP)
    return language.respond(response)


@require_safe
@cache_control(public=True, max_age=300)
def widget_script(request: HttpRequest, slug: str) -> HttpResponse:
    """The embeddable script: this business's badge data inlined (escaped) ahead of the renderer."""
    business, fresh = public(slug)
    language = Language.of(request, business)
    with translation.override(language.code):
        script = cached(business.pk, f"widget:{language.code}", lambda: _widget_script(fresh()))
    response = HttpResponse(script, content_type="application/javascript; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"  # loadable by pages that require it (COEP)
    return language.respond(response)


def _widget_context(business: Business) -> dict:
    summary = rating_summary(business=business)
    # The latest, plainly: the widget has no room for the page's "featured first" note.
    reviews = reviews_shown(ids=review_ids_published(business=business)[:3], order=LATEST)
    # Like the page's own links, the link to the page names the language the widget speaks.
    url = _with_lang(showcase_url(business), _link_param(translation.get_language(), business.offered_languages()))
    return {"business": business, "summary": summary, "reviews": reviews, "url": url}


def _widget_script(business: Business) -> str:
    context = _widget_context(business)
    summary = context["summary"]
    data = {
        "name": business.name,
        "url": context["url"],
        "accent": palette(accent_color(business.accent_color)).ink,  # links on the widget's white box
        "average": summary.average_rating,
        "count": summary.rating_count,
        "reviews": [
            {
                "rating": review.feedback.rating,
                "text": review.published_comment[:280],
                "name": review.published_display_name or gettext("Anonymous"),
            }
            for review in context["reviews"]
        ],
        # The renderer's words, in the page's language (the average as the language writes it).
        "texts": {
            "lang": translation.get_language(),
            "average": localize_number(summary.average_rating),
            "outOf": gettext(" out of 5"),
            "count": ngettext("from %(count)s rating", "from %(count)s ratings", summary.rating_count)
            % {"count": summary.rating_count},
            "none": gettext("No ratings yet"),
            "stars": {value: _stars_label(value) for value in range(1, 6)},
            "label": gettext("Customer reviews of %(business)s") % {"business": business.name},
            "readAll": gettext("Read all reviews of %(business)s") % {"business": business.name},
            "newTab": gettext(" (opens in a new tab)"),
        },
    }
    # "<" escaped so that no value can close a surrounding script element (ASCII output: no U+2028 either).
    payload = json.dumps(data).replace("<", "\\u003c")
    with open(finders.find("js/widget.js"), encoding="utf-8") as renderer:
        # The renderer is one function expression: called with the data, it leaves no global behind.
        return f"{renderer.read().strip().rstrip(';')}({payload});\n"


def _stars_label(value: int) -> str:
    return ngettext("%(stars)s out of 5 stars", "%(stars)s out of 5 stars", value) % {"stars": value}


def localize_number(value: float | None) -> str:
    """The average with one decimal, as the active language writes it ("4.6", "4,6")."""
    return floatformat(value, 1) if value is not None else ""


def _valid_accent(color: str) -> str | None:
    """`#color` when the model would accept it as an accent colour, else None."""
    accent = f"#{color}"
    return accent if accent_color(accent) == accent else None


def _accent_etag(request: HttpRequest, color: str) -> str | None:
    accent = _valid_accent(color)
    return hashlib.sha256(stylesheet(accent).encode()).hexdigest()[:32] if accent else None


@require_safe
@cache_control(public=True, max_age=365 * 24 * 3600, immutable=True)
@etag(_accent_etag)
def accent_stylesheet(request: HttpRequest, color: str) -> HttpResponse:
    """The colours of a business's pages, derived from its accent colour (see showcase/look.py).

    The address is the colour itself, so the answer never changes: cached for a year anywhere,
    no query, and the same for every business of that colour. A colour the model would refuse
    (too light for white text on it) is no stylesheet at all.
    """
    accent = _valid_accent(color)
    if accent is None:
        raise Http404("No such colour.")
    return HttpResponse(stylesheet(accent), content_type="text/css; charset=utf-8")
