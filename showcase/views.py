"""Public pages: no login, nothing personal, contact details front and centre."""

from __future__ import annotations

import json

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from config.links import showcase_url
from showcase.selectors import business_get_public


@require_GET
def page(request: HttpRequest, slug: str) -> HttpResponse:
    business = business_get_public(slug=slug)
    return render(request, "showcase/page.html", {"business": business})


@require_GET
def how_reviews_work(request: HttpRequest, slug: str) -> HttpResponse:
    business = business_get_public(slug=slug)
    return render(request, "showcase/how_reviews_work.html", {"business": business})


@require_GET
@cache_control(public=True, max_age=300)
def widget_script(request: HttpRequest, slug: str) -> HttpResponse:
    """The embeddable badge: the business's data inlined (escaped) ahead of the static renderer."""
    business = business_get_public(slug=slug)
    data = {"name": business.name, "url": showcase_url(business)}
    # "<" escaped so that no value can close a surrounding script element.
    payload = json.dumps(data).replace("<", "\\u003c")
    with open(finders.find("js/widget.js"), encoding="utf-8") as renderer:
        script = f"window.__ravesWidget = {payload};\n{renderer.read()}"
    return HttpResponse(script, content_type="application/javascript; charset=utf-8")
