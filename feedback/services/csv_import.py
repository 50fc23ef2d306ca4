"""Importing customers from a CSV file in the admin: read, check every row, preview, then create.

Nothing is created until the owner confirms the preview. The checked rows wait in a
`CustomerImport` (so the file is not uploaded twice), and confirming creates the requests through
the one creation service, 1,000 at a time. Cell values are kept as written; spreadsheet formulas
are neutralised when anything is exported again (config/csv_safe.py), not here.
"""

from __future__ import annotations

import csv
import io
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from businesses.models import Business, StaffMember
from feedback.models import CustomerImport, FeedbackRequest
from feedback.services.requests import RequestInput, feedback_requests_create

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
CREATE_CHUNK = 1_000
# The preview keeps this many row errors; the counts stay exact beyond it.
MAX_KEPT_ERRORS = 1_000
PREVIEW_LIFETIME = timedelta(hours=24)

COLUMNS = ("name", "email", "external_id", "staff_email", "interaction_at", "reference")
REQUIRED_COLUMNS = ("name", "email")
MAX_LENGTHS = {"name": 200, "email": 254, "external_id": 100, "reference": 100}
DELIMITERS = (",", ";", "\t")  # spreadsheets in many locales save with ";"


class CsvFileError(Exception):
    """The file as a whole cannot be imported; the message says why and what to do."""


@dataclass
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str
    message: str


@dataclass
class ParsedCsv:
    rows: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    row_count: int = 0
    invalid_row_count: int = 0
    ignored_columns: list[str] = field(default_factory=list)


# --- reading the file -------------------------------------------------------------------------


def read_csv_text(upload) -> str:
    """The text of an uploaded CSV file, or CsvFileError for a file too big or of the wrong kind."""
    name = getattr(upload, "name", "") or ""
    if not name.lower().endswith(".csv"):
        raise CsvFileError("Choose a .csv file (in your spreadsheet: File › Save as › CSV UTF-8).")
    if upload.size > MAX_FILE_BYTES:
        raise CsvFileError(
            f"This file is {upload.size / 1024 / 1024:.1f} MB; the limit is 5 MB. Split it into smaller files."
        )
    data = upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise CsvFileError("This file is over the 5 MB limit. Split it into smaller files.")
    if b"\x00" in data:
        raise CsvFileError("This is not a CSV text file (it holds binary data). Save your sheet as CSV UTF-8.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvFileError(
            "This file is not UTF-8 text. In your spreadsheet choose File › Save as › CSV UTF-8, then upload it again."
        ) from error


def parse_customers_csv(*, business: Business, text: str, now: datetime | None = None) -> ParsedCsv:
    """Read every row of `text` and check it; CsvFileError when the header row is unusable."""
    now = now or timezone.now()
    records = _records(text)
    _, header = next(records, (0, None))
    if not header:
        raise CsvFileError("This file is empty. The first row must name the columns: " + ", ".join(COLUMNS) + ".")
    positions, ignored = _column_positions(header)
    checker = _RowChecker(business, now)
    parsed = ParsedCsv(ignored_columns=ignored)
    for number, cells in records:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, often left at the end by spreadsheets
        parsed.row_count += 1
        if parsed.row_count > MAX_ROWS:
            raise CsvFileError(f"This file has more than {MAX_ROWS:,} rows. Split it into smaller files.")
        row, errors = checker.check(number, cells, positions, len(header))
        if errors:
            parsed.invalid_row_count += 1
            parsed.errors.extend(errors[: max(0, MAX_KEPT_ERRORS - len(parsed.errors))])
        else:
            parsed.rows.append(row)
    if not parsed.row_count:
        raise CsvFileError("This file has a header row but no customers in it.")
    return parsed


def _records(text: str):
    """(row number, cells) for each record; a quoted cell may span lines and still be one row."""
    first_line = io.StringIO(text).readline()
    delimiter = max(DELIMITERS, key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as error:
        raise CsvFileError(f"Line {reader.line_num} cannot be read as CSV ({error}). Check its quotes.") from error


def _column_positions(header: list[str]) -> tuple[dict[str, int], list[str]]:
    """{column: its position} from the header row, and the header's columns we do not use."""
    names = [cell.strip().lower().replace(" ", "_").replace("-", "_") for cell in header]
    duplicates = sorted({name for name in names if name in COLUMNS and names.count(name) > 1})
    if duplicates:
        raise CsvFileError(f"The header row names the column “{duplicates[0]}” twice; keep one.")
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        quoted = " and ".join(f"“{name}”" for name in missing)
        raise CsvFileError(
            f"The header row has no {quoted} column. The first row must name the columns "
            f"(in any order): {', '.join(COLUMNS)}; only name and email are required."
        )
    positions = {name: index for index, name in enumerate(names) if name in COLUMNS}
    ignored = [cell.strip() for cell, name in zip(header, names, strict=True) if name not in COLUMNS and cell.strip()]
    return positions, ignored


class _RowChecker:
    """Checks one row at a time against the business (its staff, its time zone)."""

    def __init__(self, business: Business, now: datetime):
        self.now = now
        self.zone = zoneinfo.ZoneInfo(business.timezone)
        self.business_name = business.name
        self.staff = {
            member.email.lower(): member
            for member in StaffMember.objects.filter(business=business).only("email", "active")
        }

    def check(
        self, number: int, cells: list[str], positions: dict[str, int], width: int
    ) -> tuple[dict, list[RowError]]:
        values = {name: cells[index].strip() if index < len(cells) else "" for name, index in positions.items()}
        errors = [RowError(number, name, message) for name, message in self._problems(values)]
        if any(cell.strip() for cell in cells[width:]):
            errors.append(RowError(number, "", "This row has more cells than the header row has columns."))
        if errors:
            return {}, errors
        staff = self.staff.get(values.get("staff_email", "").lower())
        row = {name: values.get(name, "") for name in ("name", "email", "external_id", "reference")}
        interaction_at = self._when(values.get("interaction_at", ""))
        row.update(
            row=number,
            staff_id=staff.pk if staff else None,
            interaction_at=interaction_at.isoformat() if interaction_at else None,
        )
        return row, []

    def _problems(self, values: dict[str, str]):
        for name, limit in MAX_LENGTHS.items():
            if len(values.get(name, "")) > limit:
                yield name, f"Too long: {len(values[name])} characters, the limit is {limit}."
        email = values["email"]
        if not email:
            yield "email", "The email is missing."
        elif len(email) <= MAX_LENGTHS["email"]:
            try:
                validate_email(email)
            except ValidationError:
                yield "email", f"“{email}” is not a valid email address."
        yield from self._staff_problems(values.get("staff_email", ""))
        yield from self._time_problems(values.get("interaction_at", ""))

    def _staff_problems(self, staff_email: str):
        if not staff_email:
            return
        member = self.staff.get(staff_email.lower())
        if member is None:
            yield "staff_email", f"No staff member of {self.business_name} has the email “{staff_email}”."
        elif not member.active:
            yield "staff_email", f"The staff member with the email “{staff_email}” is no longer active."

    def _time_problems(self, value: str):
        if not value:
            return
        try:
            when = self._when(value)
        except ValueError:
            yield "interaction_at", f"“{value}” is not a date; use one like 2025-03-31 or 2025-03-31 14:30."
            return
        if when > self.now:
            yield "interaction_at", f"{value} is in the future; use the time the customer was served."

    def _when(self, value: str) -> datetime | None:
        """An ISO date or date-time; without an offset, in the business's own time zone."""
        if not value:
            return None
        parsed = datetime.fromisoformat(value)  # a date alone is its midnight
        return parsed.replace(tzinfo=self.zone) if timezone.is_naive(parsed) else parsed


# --- the preview and the confirmation ----------------------------------------------------------


def customer_import_create(*, business: Business, user, filename: str, parsed: ParsedCsv) -> CustomerImport:
    """Keep a checked file's rows for its preview. Unconfirmed previews past their lifetime go."""
    CustomerImport.objects.filter(
        business=business, confirmed_at=None, created_at__lt=timezone.now() - PREVIEW_LIFETIME
    ).delete()
    return CustomerImport.objects.create(
        business=business,
        created_by=user,
        filename=filename[:255],
        rows=parsed.rows,
        errors=[error.__dict__ for error in parsed.errors],
        ignored_columns=parsed.ignored_columns,
        row_count=parsed.row_count,
        invalid_row_count=parsed.invalid_row_count,
    )


def customer_import_confirm(*, customer_import: CustomerImport) -> CustomerImport | None:
    """Create the requests of a previewed import, 1,000 to a transaction; None if already confirmed.

    The import is claimed first, so a double click or a second tab never creates twice. If a chunk
    fails, the claim is released: confirming again carries on after the chunks already created.
    """
    claimed = CustomerImport.objects.filter(pk=customer_import.pk, confirmed_at=None, finished_at=None).update(
        confirmed_at=timezone.now()
    )
    if not claimed:
        return None
    customer_import.refresh_from_db()
    business, rows = customer_import.business, customer_import.rows
    staff = {member.pk: member for member in StaffMember.objects.filter(business=business)}
    try:
        for start in range(customer_import.rows_done, len(rows), CREATE_CHUNK):
            _create_chunk(customer_import, [_request_input(row, staff) for row in rows[start : start + CREATE_CHUNK]])
    except Exception:
        CustomerImport.objects.filter(pk=customer_import.pk).update(confirmed_at=None)
        raise
    CustomerImport.objects.filter(pk=customer_import.pk).update(rows=[], finished_at=timezone.now())
    customer_import.refresh_from_db()
    return customer_import


def _create_chunk(customer_import: CustomerImport, items: list[RequestInput]) -> None:
    business = customer_import.business
    with transaction.atomic():
        taken = existing_references(business=business, references=[item.reference for item in items])
        requests = feedback_requests_create(business=business, items=items)
        created, existing, suppressed = _tally(items, requests, taken)
        CustomerImport.objects.filter(pk=customer_import.pk).update(
            rows_done=F("rows_done") + len(items),
            created_count=F("created_count") + created,
            existing_count=F("existing_count") + existing,
            suppressed_count=F("suppressed_count") + suppressed,
        )


def _tally(items: Sequence[RequestInput], requests: Sequence[FeedbackRequest], taken: set[str]) -> tuple[int, int, int]:
    """(created, returned for a reference already used, created but suppressed)."""
    created = existing = suppressed = 0
    seen = set(taken)
    for item, request in zip(items, requests, strict=True):
        if item.reference and item.reference in seen:
            existing += 1
            continue
        seen.add(item.reference)
        created += 1
        suppressed += request.status == FeedbackRequest.Status.SUPPRESSED
    return created, existing, suppressed


def _request_input(row: dict, staff: dict[int, StaffMember]) -> RequestInput:
    return RequestInput(
        email=row["email"],
        name=row["name"],
        external_id=row["external_id"],
        staff=staff.get(row["staff_id"]),
        interaction_at=datetime.fromisoformat(row["interaction_at"]) if row["interaction_at"] else None,
        reference=row["reference"],
    )


def existing_references(*, business: Business, references: Sequence[str]) -> set[str]:
    """The references among `references` that the business's requests already carry."""
    wanted = {reference for reference in references if reference}
    if not wanted:
        return set()
    return set(
        FeedbackRequest.objects.filter(business=business, reference__in=wanted).values_list("reference", flat=True)
    )
