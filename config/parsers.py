"""The API's JSON parser: any unparseable body answers 400, never 500."""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # DRF turns only ValueError into a 400; a body nested thousands of levels deep blows the stack.
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
