"""CSV files for people to open in a spreadsheet, safe against formula injection.

A cell that starts with =, +, -, @, a tab or a carriage return is run as a formula by Excel,
LibreOffice and Google Sheets (OWASP "CSV injection"): a customer named `=HYPERLINK(...)` would
become a live link in the owner's spreadsheet. Every export writes its cells through `safe_cell`,
which puts a single quote before such a text, so it shows as typed and never runs.

The file is written with commas, but a spreadsheet set up for another separator (`;` in much of
Europe, tab, `|`) may cut a text into several cells: `Great;=HYPERLINK(...)` would start a cell
with a formula. So every field is quoted (a quote-aware reader keeps it whole), and a formula
trigger that follows any of those separators, or a line break, is neutralised as well, for readers
that split without regard to quotes. Stored data is never altered: this is applied on the way out.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from django.http import StreamingHttpResponse

# Where a spreadsheet may start a cell inside our text: the start, or after a separator it might use
# (comma, semicolon, tab, pipe) or a line break, then any spaces or quotes, then a formula trigger.
_CELL_START_FORMULA = re.compile(r"""(^|[,;\t|\r\n])([ "]*)(?=[=+\-@\t\r])""")


def safe_cell(value: Any) -> Any:
    """`value`, with a ' before every place where a spreadsheet could read the text as a formula."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return _CELL_START_FORMULA.sub(r"\1\2'", value)
    return value


class _Echo:
    """A file-like object whose write() hands the line back, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Sequence[Any]], header: Sequence[str]) -> Iterator[str]:
    """The CSV text of `header` and `rows`, line by line, every cell made safe."""
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL)
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
