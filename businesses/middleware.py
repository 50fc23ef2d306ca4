"""The health check, answered before anything else looks at the request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class HealthCheckMiddleware:
    """Answers /healthz before host validation and the HTTPS redirect.

    Load balancers and orchestrators probe by IP address over plain HTTP; that must reach the
    check, not a 400 for an unknown Host or a redirect to HTTPS.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            from businesses.views import healthz

            return healthz(request)
        return self.get_response(request)
