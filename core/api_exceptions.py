"""API errors: a model's own validation (raised by services) answers 400 naming each field, and a
call without a key is told how to send one."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.views import defaults
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from core.parsers import RequestTooLarge


def exception_handler(error: Exception, context: dict):
    if isinstance(error, DjangoValidationError):
        detail = (
            error.message_dict if hasattr(error, "error_dict") else {api_settings.NON_FIELD_ERRORS_KEY: error.messages}
        )
        if NON_FIELD_ERRORS in detail:
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
        error = exceptions.ValidationError(detail)
    elif isinstance(error, RequestDataTooBig):
        error = RequestTooLarge()
    elif isinstance(error, exceptions.NotAuthenticated):
        # DRF drops the permission's message when no key was sent; tell the caller how to send one, in
        # the permission's own words. Changed in place: DRF has set the WWW-Authenticate header on it.
        view = context.get("view")
        told = [getattr(permission, "message", None) for permission in view.get_permissions()] if view else []
        if any(told):
            error.detail = exceptions.ErrorDetail(next(filter(None, told)), code=error.default_code)
    return drf_exception_handler(error, context)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 for a URL no route matches: JSON under /api/, the friendly page everywhere else."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found: no endpoint or object at this address."}, status=404)
    # Mostly a customer with a mistyped or cut link: the page speaks their browser's language.
    with translation.override(translation.get_language_from_request(request)):
        return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 page (a form post too large or malformed), in the browser's language."""
    with translation.override(translation.get_language_from_request(request)):
        return defaults.bad_request(request, exception)
