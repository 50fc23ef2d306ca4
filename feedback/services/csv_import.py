"""Importing customers from a CSV file in the admin: read, check every row, preview, then create.

Nothing is created until the owner confirms the preview. The checked rows wait in a
`CustomerImport` (so the file is not uploaded twice). Confirming only claims the import and hands
it to the worker, so no web request waits on 10,000 rows: the task creates the requests through
the one creation service, a chunk per transaction, and the admin's page shows how far it got.

Exactly once, whatever stops it: each chunk is created in the same transaction that advances
`rows_done`, under a lock on the import, so a chunk is either wholly created and counted or not at
all, and two tasks on one import (a sweep's resumption beside a slow worker) take turns, the second
finding the chunk done. An import that stalls (worker killed, database error, a lost enqueue) is
resumed by `sweep_customer_imports` where it stopped.

Cell values are kept as written; spreadsheet formulas are neutralised when anything is exported
again (core/csv_safe.py), not here.
"""

from __future__ import annotations

import contextlib
import csv
import io
import time
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, transaction
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from businesses.models import Business, StaffMember
from feedback.models import CustomerImport, FeedbackRequest
from feedback.services.requests import TEAM_MAX_LENGTH, RequestInput, feedback_requests_create
from outbox.enqueue import enqueue

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
# Rows per transaction: big enough for bulk inserts to pay, small enough that a chunk takes about
# a second and a lost one costs little.
CREATE_CHUNK = 500
# A task hands the rest of an import to a new task after this long, so that bulk work never holds
# a worker process long (alerts wait for a free process).
TASK_BUDGET_SECONDS = 5.0
PROGRESS_FIELDS = ["rows_done", "created_count", "existing_count", "suppressed_count"]
# The preview keeps this many row errors; the counts stay exact beyond it.
MAX_KEPT_ERRORS = 1_000
PREVIEW_LIFETIME = timedelta(hours=24)

COLUMNS = (
    "name",
    "email",
    "external_id",
    "staff_email",
    "interaction_at",
    "reference",
    "internal",
    "team",
    "language",
)
REQUIRED_COLUMNS = ("name", "email")
MAX_LENGTHS = {"name": 200, "email": 254, "external_id": 100, "reference": 100, "team": TEAM_MAX_LENGTH}
# The `internal` column: one team serving another. Empty is no.
YES, NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0", ""}
DELIMITERS = (",", ";", "\t")  # spreadsheets in many locales save with ";"


class CsvFileError(Exception):
    """The file as a whole cannot be imported; the message says why and what to do (in the active language)."""


# What can be wrong with a row. An import keeps each problem's key and values, so its preview shows
# the message in the language of whoever reads it, whenever they do.
ROW_PROBLEMS = {
    "too_long": ngettext_lazy(
        "Too long: %(length)d character, the limit is %(limit)d.",
        "Too long: %(length)d characters, the limit is %(limit)d.",
        "length",
    ),
    "email_missing": _("The email is missing."),
    "email_invalid": _("“%(email)s” is not a valid email address."),
    "staff_unknown": _("No staff member of %(business)s has the email “%(email)s”."),
    "staff_inactive": _("The staff member with the email “%(email)s” is no longer active."),
    "internal_unclear": _("“%(value)s” is neither yes nor no; write yes for one team serving another."),
    "team_not_internal": _(
        "A team is only for internal requests: write yes in the internal column, or leave the team empty."
    ),
    "language_not_offered": _(
        "“%(language)s” is not a language %(business)s offers: write one of %(languages)s, or leave it empty."
    ),
    "not_a_date": _("“%(value)s” is not a date; use one like 2025-03-31 or 2025-03-31 14:30."),
    "in_future": _("%(value)s is in the future; use the time the customer was served."),
    "too_many_cells": _("This row has more cells than the header row has columns."),
}


@dataclass
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str
    problem: str  # a key of ROW_PROBLEMS
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        """What is wrong, in the active language."""
        return str(ROW_PROBLEMS[self.problem] % self.params)

    def kept(self) -> dict:
        """As an import keeps it: the problem and its values, and the message in English as written then."""
        with translation.override(None):  # the English of the source
            message = self.message
        return {
            "row": self.row,
            "column": self.column,
            "message": message,
            "problem": self.problem,
            "params": self.params,
        }


def row_error_shown(error: dict) -> str:
    """A row error an import kept, in the active language (as written when its problem is unknown)."""
    problem = ROW_PROBLEMS.get(error.get("problem", ""))
    try:
        return str(problem % error["params"]) if problem is not None else error["message"]
    except (KeyError, TypeError, ValueError):  # a message whose values have changed since
        return error["message"]


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
        raise CsvFileError(gettext("Choose a .csv file (in your spreadsheet: File › Save as › CSV UTF-8)."))
    if upload.size > MAX_FILE_BYTES:
        size = number_format(upload.size / 1024 / 1024, decimal_pos=1)
        raise CsvFileError(
            gettext("This file is %(size)s MB; the limit is 5 MB. Split it into smaller files.") % {"size": size}
        )
    data = upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise CsvFileError(gettext("This file is over the 5 MB limit. Split it into smaller files."))
    if b"\x00" in data:
        raise CsvFileError(gettext("This is not a CSV text file (it holds binary data). Save your sheet as CSV UTF-8."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvFileError(
            gettext(
                "This file is not UTF-8 text. In your spreadsheet choose File › Save as › CSV UTF-8, "
                "then upload it again."
            )
        ) from error


def parse_customers_csv(*, business: Business, text: str, now: datetime | None = None) -> ParsedCsv:
    """Read every row of `text` and check it; CsvFileError when the header row is unusable."""
    now = now or timezone.now()
    records = _records(text)
    _, header = next(records, (0, None))
    if not header:
        raise CsvFileError(
            gettext("This file is empty. The first row must name the columns: %(columns)s.")
            % {"columns": ", ".join(COLUMNS)}
        )
    positions, ignored = _column_positions(header)
    checker = _RowChecker(business, now)
    parsed = ParsedCsv(ignored_columns=ignored)
    for number, cells in records:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, often left at the end by spreadsheets
        parsed.row_count += 1
        if parsed.row_count > MAX_ROWS:
            limit = number_format(MAX_ROWS, force_grouping=True)
            raise CsvFileError(
                gettext("This file has more than %(limit)s rows. Split it into smaller files.") % {"limit": limit}
            )
        row, errors = checker.check(number, cells, positions, len(header))
        if errors:
            parsed.invalid_row_count += 1
            parsed.errors.extend(errors[: max(0, MAX_KEPT_ERRORS - len(parsed.errors))])
        else:
            parsed.rows.append(row)
    if not parsed.row_count:
        raise CsvFileError(gettext("This file has a header row but no customers in it."))
    return parsed


def _records(text: str):
    """(row number, cells) for each record; a quoted cell may span lines and still be one row."""
    first_line = io.StringIO(text).readline()
    delimiter = max(DELIMITERS, key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as error:
        message = gettext("Line %(line)s cannot be read as CSV (%(error)s). Check its quotes.")
        raise CsvFileError(message % {"line": reader.line_num, "error": error}) from error


def _column_positions(header: list[str]) -> tuple[dict[str, int], list[str]]:
    """{column: its position} from the header row, and the header's columns we do not use."""
    names = [cell.strip().lower().replace(" ", "_").replace("-", "_") for cell in header]
    duplicates = sorted({name for name in names if name in COLUMNS and names.count(name) > 1})
    if duplicates:
        message = gettext("The header row names the column “%(column)s” twice; keep one.")
        raise CsvFileError(message % {"column": duplicates[0]})
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise CsvFileError(_missing_columns(missing))
    positions = {name: index for index, name in enumerate(names) if name in COLUMNS}
    ignored = [cell.strip() for cell, name in zip(header, names, strict=True) if name not in COLUMNS and cell.strip()]
    return positions, ignored


def _missing_columns(missing: list[str]) -> str:
    if len(missing) == 1:
        lack = gettext("The header row has no “%(column)s” column.") % {"column": missing[0]}
    else:  # both required columns
        lack = gettext("The header row has no “%(first)s” and “%(second)s” column.") % {
            "first": missing[0],
            "second": missing[1],
        }
    needed = gettext(
        "The first row must name the columns (in any order): %(columns)s; only name and email are required."
    )
    return f"{lack} {needed % {'columns': ', '.join(COLUMNS)}}"


class _RowChecker:
    """Checks one row at a time against the business (its staff, its time zone)."""

    def __init__(self, business: Business, now: datetime):
        self.now = now
        self.zone = zoneinfo.ZoneInfo(business.timezone)
        self.business_name = business.name
        self.languages = business.offered_languages()
        self.staff = {
            member.email.lower(): member
            for member in StaffMember.objects.filter(business=business).only("email", "active")
        }

    def check(
        self, number: int, cells: list[str], positions: dict[str, int], width: int
    ) -> tuple[dict, list[RowError]]:
        values = {name: cells[index].strip() if index < len(cells) else "" for name, index in positions.items()}
        errors = [RowError(number, name, problem, params) for name, problem, params in self._problems(values)]
        if any(cell.strip() for cell in cells[width:]):
            errors.append(RowError(number, "", "too_many_cells"))
        if errors:
            return {}, errors
        staff = self.staff.get(values.get("staff_email", "").lower())
        row = {name: values.get(name, "") for name in ("name", "email", "external_id", "reference", "team", "language")}
        interaction_at = self._when(values.get("interaction_at", ""))
        row.update(
            row=number,
            internal=values.get("internal", "").lower() in YES,
            staff_id=staff.pk if staff else None,
            interaction_at=interaction_at.isoformat() if interaction_at else None,
        )
        return row, []

    def _problems(self, values: dict[str, str]):
        """(column, problem, its values) for each thing wrong with the row."""
        for name, limit in MAX_LENGTHS.items():
            if len(values.get(name, "")) > limit:
                yield name, "too_long", {"length": len(values[name]), "limit": limit}
        email = values["email"]
        if not email:
            yield "email", "email_missing", {}
        elif len(email) <= MAX_LENGTHS["email"]:
            try:
                validate_email(email)
            except ValidationError:
                yield "email", "email_invalid", {"email": email}
        yield from self._staff_problems(values.get("staff_email", ""))
        yield from self._time_problems(values.get("interaction_at", ""))
        yield from self._internal_problems(values.get("internal", ""), values.get("team", ""))
        yield from self._language_problems(values.get("language", ""))

    def _staff_problems(self, staff_email: str):
        if not staff_email:
            return
        member = self.staff.get(staff_email.lower())
        if member is None:
            yield "staff_email", "staff_unknown", {"business": self.business_name, "email": staff_email}
        elif not member.active:
            yield "staff_email", "staff_inactive", {"email": staff_email}

    def _internal_problems(self, internal: str, team: str):
        if internal.lower() not in YES | NO:
            yield "internal", "internal_unclear", {"value": internal}
        elif team and internal.lower() not in YES:
            yield "team", "team_not_internal", {}

    def _language_problems(self, language: str):
        if language and language not in self.languages:
            offered = {"language": language, "business": self.business_name, "languages": ", ".join(self.languages)}
            yield "language", "language_not_offered", offered

    def _time_problems(self, value: str):
        if not value:
            return
        try:
            when = self._when(value)
        except ValueError:
            yield "interaction_at", "not_a_date", {"value": value}
            return
        if when > self.now:
            yield "interaction_at", "in_future", {"value": value}

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
        errors=[error.kept() for error in parsed.errors],
        ignored_columns=parsed.ignored_columns,
        row_count=parsed.row_count,
        invalid_row_count=parsed.invalid_row_count,
    )


def customer_import_confirm(*, customer_import: CustomerImport) -> bool:
    """Hand a previewed import to the worker; False when it was confirmed before (nothing done).

    The import is claimed first, so a double click or a second tab never creates twice. The task
    is enqueued after commit, best effort: if the broker is down, the sweep starts it.
    """
    now = timezone.now()
    claimed = CustomerImport.objects.filter(pk=customer_import.pk, confirmed_at=None, finished_at=None).update(
        confirmed_at=now, progressed_at=now
    )
    if claimed:
        transaction.on_commit(lambda: enqueue_customer_import(customer_import.pk))
    return bool(claimed)


def customer_import_run(*, import_id: int, budget_seconds: float = TASK_BUDGET_SECONDS) -> CustomerImport | None:
    """Create the next chunks of a confirmed import for about `budget_seconds`, then hand on the rest.

    Returns the import as it stands, or None when it is unknown, unconfirmed or finished. A chunk
    that fails is recorded in `last_error` and raised; the sweep resumes the import later.
    """
    deadline = time.monotonic() + budget_seconds
    while True:
        try:
            customer_import = _create_next_chunk(import_id)
        except Exception as error:
            with contextlib.suppress(DatabaseError):  # the database may be what failed
                CustomerImport.objects.filter(pk=import_id).update(last_error=f"{type(error).__name__}: {error}"[:2000])
            raise
        if customer_import is None or customer_import.finished_at:
            return customer_import
        if time.monotonic() >= deadline:
            transaction.on_commit(lambda: enqueue_customer_import(import_id))
            return customer_import


def customer_imports_stalled(*, now: datetime | None = None) -> list[int]:
    """Imports confirmed, not finished, and not moved on for a while (CSV_IMPORT_STALLED_SECONDS)."""
    since = (now or timezone.now()) - timedelta(seconds=settings.CSV_IMPORT_STALLED_SECONDS)
    running = CustomerImport.objects.filter(confirmed_at__isnull=False, finished_at=None)
    return list(running.filter(progressed_at__lt=since).order_by("pk").values_list("pk", flat=True))


def enqueue_customer_import(import_id: int) -> None:
    from feedback.tasks import create_customer_import

    enqueue(create_customer_import, import_id)  # if the broker is down, the sweep resumes it


def _create_next_chunk(import_id: int) -> CustomerImport | None:
    """Create one chunk and count it, in one transaction, under a lock on the import."""
    with transaction.atomic():
        customer_import = (
            # Locks the import alone (not its business): a second task waits here, then finds the chunk done.
            CustomerImport.objects.select_for_update(of=("self",))
            .select_related("business")
            .filter(pk=import_id, confirmed_at__isnull=False, finished_at=None)
            .first()
        )
        if customer_import is None:
            return None
        start = customer_import.rows_done
        chunk = customer_import.rows[start : start + CREATE_CHUNK]
        if chunk:
            _create_chunk(customer_import, chunk)
        customer_import.progressed_at, customer_import.last_error = timezone.now(), ""
        fields = [*PROGRESS_FIELDS, "progressed_at", "last_error"]
        if customer_import.rows_done >= len(customer_import.rows):
            # The customers' data lives on in their requests, not in a forgotten upload.
            customer_import.rows, customer_import.finished_at = [], customer_import.progressed_at
            fields += ["rows", "finished_at"]
        customer_import.save(update_fields=fields)
    return customer_import


def _create_chunk(customer_import: CustomerImport, rows: list[dict]) -> None:
    business = customer_import.business
    staff = {member.pk: member for member in StaffMember.objects.filter(business=business)}
    items = [_request_input(row, staff) for row in rows]
    taken = existing_references(business=business, references=[item.reference for item in items])
    requests = feedback_requests_create(business=business, items=items)
    created, existing, suppressed = _tally(items, requests, taken)
    customer_import.rows_done += len(items)
    customer_import.created_count += created
    customer_import.existing_count += existing
    customer_import.suppressed_count += suppressed


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
        # Rows checked before these columns existed have neither.
        internal=row.get("internal", False),
        team=row.get("team", ""),
        language=row.get("language", ""),
    )


def existing_references(*, business: Business, references: Sequence[str]) -> set[str]:
    """The references among `references` that the business's requests already carry."""
    wanted = {reference for reference in references if reference}
    if not wanted:
        return set()
    return set(
        FeedbackRequest.objects.filter(business=business, reference__in=wanted).values_list("reference", flat=True)
    )
