"""Reads behind the staff reports: the weekly email, the meeting sheet and the monthly scorecard.

Each function reads one section of a report (comments, staff named, saves and savers, ideas,
open complaints, causes, a staff member's monthly figures, who gets the email) and returns rows;
none of them writes. Every one is a single bounded query, whatever the amount of feedback; the
builders in insights.services compose them. The business-wide figures (answers, ratings,
complaints) are read by insights.metrics, shared with the dashboard and the metrics API.

Internal feedback (one team serving another) is left out everywhere: these reports are about
customers. Nothing here reads a customer's email address or phone number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import models
from django.db.models import Avg, Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from businesses.models import Business, StaffMember
from feedback.models import Feedback, FeedbackRequest, Idea
from insights.dashboard import duration_label
from insights.emails import change_label
from insights.metrics import case_causes, period_bounds, sent_requests
from insights.periods import DigestWeek, ScorecardPeriod, month_end
from reviews.models import Case

# The weekly email's lists.
LIST_LENGTH = 5
NAMED_STAFF_LENGTH = 10
# The meeting sheet's own lists, capped so the sheet prints on one A4 page.
SHEET_SAVES_LENGTH = 4
SHEET_OPEN_LENGTH = 5
SHEET_CAUSES_LENGTH = 3
SHEET_IDEAS_LENGTH = 5
# The scorecard: a 4–5 star answer is a happy one; its kind words list.
HAPPY_RATING = 4
KIND_WORDS_LENGTH = 5


# --- A week's answers: the weekly email, and the meeting sheet's wins ----------------------------


def _week_feedback(business: Business, week: DigestWeek) -> QuerySet[Feedback]:
    """Customers' answers first given this week (internal feedback is reported on its own, not here)."""
    return Feedback.objects.filter(
        business=business, internal=False, submitted_at__gte=week.start, submitted_at__lt=week.end
    )


def digest_feedback_count(*, business: Business, week: DigestWeek) -> int:
    """How many customers answered this week: none makes the short, encouraging email."""
    return _week_feedback(business, week).count()


def digest_best_comments(*, business: Business, week: DigestWeek, limit: int = LIST_LENGTH) -> list[dict]:
    """The week's 4–5 star comments, best rated and newest first, with the name the customer chose."""
    rows = (
        _week_feedback(business, week)
        .filter(rating__gte=4)
        .exclude(comment="")
        .order_by("-rating", "-submitted_at", "-id")
        .values("rating", "comment", "display_name", staff_name=F("staff__name"))
    )
    return list(rows[:limit])


def digest_named_staff(*, business: Business, week: DigestWeek, limit: int = NAMED_STAFF_LENGTH) -> list[dict]:
    """Staff named in 4–5 star answers: how often, and one quote each (the best with a comment)."""
    has_no_comment = models.Case(models.When(comment="", then=1), default=0, output_field=models.IntegerField())
    rows = (
        _week_feedback(business, week)
        .filter(rating__gte=4, staff__isnull=False)
        .annotate(
            mentions=Window(Count("id"), partition_by=[F("staff_id")]),
            place=Window(
                RowNumber(),
                partition_by=[F("staff_id")],
                order_by=[has_no_comment.asc(), F("rating").desc(), F("submitted_at").desc(), F("id").desc()],
            ),
        )
        .filter(place=1)
        .order_by("-mentions", "staff__name", "staff_id")
        .values("staff_id", "mentions", "rating", "comment", "display_name", name=F("staff__name"))
    )
    return list(rows[:limit])


def digest_ideas(*, business: Business, week: DigestWeek, limit: int = LIST_LENGTH) -> list[dict]:
    """Customers' ideas to do better, newest first; `total` counts them all."""
    rows = (
        _week_feedback(business, week)
        .exclude(improvement="")
        .annotate(total=Window(Count("id")))
        .order_by("-submitted_at", "-id")
        .values("improvement", "rating", "display_name", "total")
    )
    return list(rows[:limit])


def digest_recipients(*, business: Business) -> list[StaffMember]:
    """The staff members who get the digest, each with the business their language falls back to."""
    return list(
        StaffMember.objects.filter(business=business, active=True, wants_digest=True)
        .select_related("business")
        .order_by("id")
    )


# --- Saves: complaints resolved, as every report counts them -------------------------------------


def _resolved_cases(business: Business | int, start: datetime, end: datetime, **conditions: object) -> QuerySet[Case]:
    """Customers' complaints resolved in [start, end), and meeting `conditions`: the weekly email's, the
    sheet's and the scorecard's saves."""
    return Case.objects.filter(
        business=business,
        feedback__internal=False,
        status=Case.Status.RESOLVED,
        resolved_at__gte=start,
        resolved_at__lt=end,
        **conditions,
    )


def week_saves(*, business: Business, week: DigestWeek) -> QuerySet[Case]:
    """Complaints resolved this week ("saves"), newest first, each with `total` counting them all."""
    return (
        _resolved_cases(business, week.start, week.end)
        .annotate(total=Window(Count("id")))
        .order_by("-resolved_at", "-id")
    )


def _week_saves_values(business: Business, week: DigestWeek, *fields: str, **expressions: F) -> QuerySet:
    """The saves with what every list of them shows, plus the `fields` and `expressions` one list adds."""
    return week_saves(business=business, week=week).values(
        "original_rating",
        "resolution",
        "total",
        *fields,
        rating=F("feedback__rating"),
        display_name=F("feedback__display_name"),
        staff_name=F("feedback__staff__name"),
        **expressions,
    )


def digest_saves(*, business: Business, week: DigestWeek, limit: int = LIST_LENGTH) -> list[dict]:
    """Complaints resolved this week ("saves"), newest first; `total` counts them all."""
    return list(_week_saves_values(business, week)[:limit])


def digest_savers(*, business: Business, week: DigestWeek, limit: int = NAMED_STAFF_LENGTH) -> list[dict]:
    """Staff members who resolved complaints through their case link this week, and how many (most first)."""
    rows = (
        _resolved_cases(business, week.start, week.end, resolved_by_staff__isnull=False)
        .values("resolved_by_staff_id", name=F("resolved_by_staff__name"))
        .annotate(saves=Count("id"))
        .order_by("-saves", "name", "resolved_by_staff_id")
    )
    return list(rows[:limit])


def meeting_sheet_saves(*, business: Business, week: DigestWeek, limit: int = SHEET_SAVES_LENGTH) -> list[dict]:
    """The digest's saves (complaints resolved this week, newest first, `total` counting them all),
    each with who saved it: the staff member who resolved it through their link, else its assignee."""
    rows = _week_saves_values(
        business, week, "cause", saved_by_staff=F("resolved_by_staff__name"), **_assignee_fields()
    )
    return [{**row, "saved_by": row["saved_by_staff"] or _login_name(row)} for row in rows[:limit]]


# --- The meeting sheet: complaints still open, causes, new ideas ---------------------------------


@dataclass(frozen=True)
class OpenComplaint:
    """An open complaint as the sheet lists it: no contact details, the customer's first name at most."""

    rating: int  # the rating that opened it
    first_name: str  # "" when unknown: shown as "a customer"
    opened_at: datetime
    age: timedelta
    assignee: str  # "" when nobody has it yet
    overdue: bool

    @property
    def age_label(self) -> str:
        return duration_label(max(self.age, timedelta()).total_seconds() / 60)


def meeting_sheet_complaint_counts(*, business: Business, now: datetime) -> dict:
    """How many complaints are open now, and how many of them are overdue (one query)."""
    open_cases = Case.objects.filter(business=business).open()
    return open_cases.aggregate(
        open=Count("id"), overdue=Count("id", filter=Q(first_response_at__isnull=True, deadline__lt=now))
    )


def meeting_sheet_open_complaints(
    *, business: Business, now: datetime, limit: int = SHEET_OPEN_LENGTH
) -> list[OpenComplaint]:
    """The oldest complaints still open, oldest first: the ones the meeting should not leave waiting."""
    rows = (
        Case.objects.filter(business=business)
        .open()
        .order_by("opened_at", "id")
        .values(
            "original_rating",
            "opened_at",
            "deadline",
            "first_response_at",
            customer_name=F("feedback__customer__name"),
            respondent_name=F("feedback__request__respondent_name"),
            staff_owner_name=F("staff_owner__name"),
            **_assignee_fields(),
        )
    )
    return [
        OpenComplaint(
            rating=row["original_rating"],
            first_name=_first_word(row["customer_name"] or row["respondent_name"] or ""),
            opened_at=row["opened_at"],
            age=now - row["opened_at"],
            assignee=row["staff_owner_name"] or _login_name(row),
            overdue=row["first_response_at"] is None and row["deadline"] < now,
        )
        for row in rows[:limit]
    ]


def meeting_sheet_causes(*, business: Business, week: DigestWeek, limit: int = SHEET_CAUSES_LENGTH) -> list[dict]:
    """The top causes of the complaints resolved this week, each with its change against the week before."""
    causes = case_causes(business=business, start=week.start, end=week.end, previous_start=week.previous_start)
    return [{**cause, "trend": change_label(cause["change"])} for cause in causes[:limit]]


def meeting_sheet_new_ideas(*, business: Business, week: DigestWeek, limit: int = SHEET_IDEAS_LENGTH) -> list[dict]:
    """Customers' ideas that came in this week and nobody has taken up yet (state new); `total` counts them all."""
    rows = (
        Idea.objects.filter(
            business=business,
            state=Idea.State.NEW,
            feedback__internal=False,
            created_at__gte=week.start,
            created_at__lt=week.end,
        )
        .annotate(total=Window(Count("id")))
        .order_by("-created_at", "-id")
        .values(
            "total",
            improvement=F("feedback__improvement"),
            rating=F("feedback__rating"),
            display_name=F("feedback__display_name"),
        )
    )
    return list(rows[:limit])


def _assignee_fields() -> dict:
    return {
        "assignee_first_name": F("assignee__first_name"),
        "assignee_last_name": F("assignee__last_name"),
        "assignee_username": F("assignee__username"),
    }


def _login_name(row: dict) -> str:
    """An assignee's name as printed: their full name, else their login without its domain (never an address)."""
    full_name = f"{row['assignee_first_name'] or ''} {row['assignee_last_name'] or ''}".strip()
    return full_name or (row["assignee_username"] or "").split("@")[0]


def _first_word(name: str) -> str:
    return name.split()[0] if name.strip() else ""


# --- The scorecard: one staff member's month and the month before --------------------------------


def scorecard_served_and_named(*, staff: StaffMember, period: ScorecardPeriod) -> tuple[dict, dict]:
    """Requests, responses, average, CSAT and mentions of both months, in one query."""
    cohort = sent_requests(business=staff.business, start=period.previous_start, end=period.end).filter(
        Q(staff=staff) | Q(answer__staff=staff)
    )
    months = {"this": Q(sent_at__gte=period.start), "before": Q(sent_at__lt=period.previous_end)}
    served, answered, named = Q(staff=staff), Q(answer__isnull=False), Q(answer__staff=staff)
    invited = Q(channel=FeedbackRequest.Channel.EMAIL)
    aggregates = {}
    for name, month in months.items():
        aggregates |= {
            f"{name}_requests": Count("id", filter=month & served & invited),
            f"{name}_responses": Count("id", filter=month & served & answered),
            f"{name}_average": Avg("answer__rating", filter=month & served & answered),
            f"{name}_happy": Count("id", filter=month & served & Q(answer__rating__gte=HAPPY_RATING)),
            f"{name}_mentions": Count("id", filter=month & named),
        }
    row = cohort.order_by().aggregate(**aggregates)
    return _month_figures(row, "this"), _month_figures(row, "before")


def _month_figures(row: dict, name: str) -> dict:
    responses, average = row[f"{name}_responses"], row[f"{name}_average"]
    return {
        "requests": row[f"{name}_requests"],
        "responses": responses,
        "average_rating": round(average, 2) if average is not None else None,
        "csat": round(row[f"{name}_happy"] / responses, 4) if responses else None,
        "mentions": row[f"{name}_mentions"],
    }


def scorecard_saves(*, staff: StaffMember, period: ScorecardPeriod) -> dict:
    """Complaints they resolved in each month (as the weekly email counts saves), in one query."""
    return _resolved_cases(staff.business_id, period.previous_start, period.end, resolved_by_staff=staff).aggregate(
        this=Count("id", filter=Q(resolved_at__gte=period.start)),
        before=Count("id", filter=Q(resolved_at__lt=period.previous_end)),
    )


def scorecard_kind_words(
    *, staff: StaffMember, start: datetime, end: datetime, limit: int = KIND_WORDS_LENGTH
) -> list[dict]:
    """Their customers' 4–5 star comments given in [start, end), newest first, in one query.

    Their customers: those who named them as "who helped", and those they served who named nobody
    else (a comment naming a colleague is about that colleague). Only the name the customer chose
    to show is read, never their email or full name.
    """
    rows = (
        Feedback.objects.filter(
            Q(staff=staff) | Q(staff__isnull=True, request__staff=staff),
            business=staff.business_id,
            internal=False,
            rating__gte=HAPPY_RATING,
            submitted_at__gte=start,
            submitted_at__lt=end,
        )
        .exclude(comment="")
        .order_by("-submitted_at", "-id")
        .values("rating", "comment", "display_name", "submitted_at")
    )
    return list(rows[:limit])


def scorecard_recipients(*, business: Business, month: date) -> list[StaffMember]:
    """Active staff members who want the weekly email and were on the team before the month ended."""
    _, month_over = period_bounds(business, month, month_end(month))
    return list(
        StaffMember.objects.filter(business=business, active=True, wants_digest=True, created_at__lt=month_over)
        .exclude(email="")
        .select_related("business")
        .order_by("id")
    )
