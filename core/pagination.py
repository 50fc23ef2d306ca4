"""Paging shared by every list in the API: `?page=N`, 20 a page, `page_size` up to 100."""

from __future__ import annotations

from rest_framework import pagination
from rest_framework.exceptions import ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_number(self, request, paginator) -> int | str:
        # DRF reads `?page=` as page 1 and `?page=abc` as "no such page" (404); both are typos.
        value = request.query_params.get(self.page_query_param)
        if value is None:
            return super().get_page_number(request, paginator)
        if not _whole_number(value) or _number(value) < 1:
            raise ValidationError({self.page_query_param: ["Use a whole number from 1."]})
        return _number(value)

    def get_page_size(self, request) -> int:
        # DRF silently falls back to 20 on `?page_size=false`; a caller should learn of the typo.
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        if not _whole_number(value) or _number(value) < 1:
            raise ValidationError({self.page_size_query_param: ["Use a whole number from 1 (at most 100 are used)."]})
        return min(_number(value), self.max_page_size)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters


def _whole_number(value: str) -> bool:
    # str.isdigit() alone accepts "²" and Arabic-Indic digits, which int() then refuses or misreads.
    return value.isascii() and value.isdigit()


def _number(digits: str) -> int:
    # A number too long for int() (4,300 digits) is beyond any page anyway: the largest that is not.
    return int(digits) if len(digits) <= 18 else 10**18
