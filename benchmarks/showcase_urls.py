"""The product's URLs plus /bench/trivial: the cheapest answer that still goes through every middleware."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as product_urlpatterns


def trivial(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok\n", content_type="text/plain")


urlpatterns = [path("bench/trivial", trivial), *product_urlpatterns]
