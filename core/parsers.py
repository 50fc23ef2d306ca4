"""The API's JSON parser: any unparseable or oversized body answers 4xx, never 500."""

from __future__ import annotations

from django.conf import settings
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"
    default_detail = "The body is too large; send fewer items per call."


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        length = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        if limit is not None and length > limit:
            # DRF reads the stream itself, past Django's own body-size check.
            raise RequestTooLarge()
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # DRF turns only ValueError into a 400; a body nested thousands of levels deep blows the stack.
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
