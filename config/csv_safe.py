"""CSV files for people to open in a spreadsheet, safe against formula injection.

A cell that starts with =, +, -, @, a tab or a carriage return is run as a formula by Excel,
LibreOffice and Google Sheets (OWASP "CSV injection"): a customer named `=HYPERLINK(...)` would
become a live link in the owner's spreadsheet. Every export writes its cells through `safe_cell`,
which prefixes such a text with a single quote, so it shows as typed and never runs. Stored data is
never altered: the protection is applied on the way out.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value`, with a leading ' when it is a text a spreadsheet would run as a formula."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class _Echo:
    """A file-like object whose write() hands the line back, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Sequence[Any]], header: Sequence[str]) -> Iterator[str]:
    """The CSV text of `header` and `rows`, line by line, every cell made safe."""
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a byte-order mark, so Excel reads the file as UTF-8
    yield writer.writerow([safe_cell(name) for name in header])
    for row in rows:
        yield writer.writerow([safe_cell(value) for value in row])


def write_csv(rows: Iterable[Sequence[Any]], header: Sequence[str], filename: str) -> StreamingHttpResponse:
    """A download of `rows` as `filename`, streamed (an export of many rows never sits in memory)."""
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_lines(rows, header)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
