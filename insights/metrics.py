"""The figures the dashboard, the metrics API and the weekly email share — computed in one place.

Definitions (one cohort: the requests SENT in the period; an answer through an open link, a QR
code on the counter, is a request sent and answered at the moment it was given):
- requests_sent: invitations emailed in the period;
- responses: the answers of the cohort, to invitations (whenever they answered) and through open
  links; open_link_responses: how many of them came through open links (not verified);
- response_rate: the answered invitations / requests_sent (0–1): an open link invites nobody;
- average_rating, csat (share of 4–5 stars, 0–1) and nps (promoters 9–10 minus detractors 0–6,
  in percent, −100–100) over those answers; nps only over answers that gave a score.
A figure nobody's answer can define is None. Internal feedback (one team serving another) is
kept apart: the top-level figures leave it out, `internal` holds the same figures for it.

The complaint figures (complaint_figures: cases opened, the median times, the recovery rate;
case_causes: the causes) have cohorts of cases of their own, defined in their docstrings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import (
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncWeek

from businesses.models import Business
from feedback.models import FeedbackRequest
from reviews.models import Case, RatingChange

# The days a period may start or end on: wide enough for "all time", narrow enough that the day
# after a period, the weeks before it and every time zone's offset stay representable (a date
# near year 1 or 9999 overflows Python's datetime).
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)
OUT_OF_RANGE = f"Choose a date between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}."


def day_in_range(day: date) -> bool:
    """Whether a period may start or end on `day` (see EARLIEST_DAY)."""
    return EARLIEST_DAY <= day <= LATEST_DAY


@dataclass(frozen=True)
class Figures:
    requests_sent: int
    responses: int
    response_rate: float | None
    average_rating: float | None
    csat: float | None
    nps: float | None
    open_link_responses: int = 0
    distribution: dict[str, int] = field(default_factory=dict)

    def as_dict(self, *, with_distribution: bool = False) -> dict:
        data = asdict(self)
        if not with_distribution:
            data.pop("distribution")
        return data


def period_bounds(business: Business, since: date, until: date) -> tuple[datetime, datetime]:
    """[start of `since`, start of the day after `until`) in the business's own time zone."""
    zone = ZoneInfo(business.timezone)
    return datetime.combine(since, time.min, zone), datetime.combine(until + timedelta(days=1), time.min, zone)


def previous_period_start(business: Business, since: date, until: date) -> datetime:
    """The start of the period of as many local days just before `since`."""
    return period_bounds(business, since - (until - since) - timedelta(days=1), since)[0]


def sent_requests(*, business: Business, start: datetime, end: datetime, internal: bool = False) -> QuerySet:
    """The cohort: requests sent in [start, end), each with its customer's `answer` (or none).

    An answer always belongs to its request's business (the answering service copies it), so the
    join names the business too: PostgreSQL then reads this business's answers by index instead of
    hashing every answer in the database (measured in benchmarks/insights.py).
    """
    return FeedbackRequest.objects.filter(
        business=business, internal=internal, sent_at__gte=start, sent_at__lt=end
    ).annotate(answer=FilteredRelation("feedback", condition=Q(feedback__business=business)))


def _aggregates() -> dict:
    """The counts every figure is made of, over `sent_requests` (one row per request)."""
    answered = Q(answer__isnull=False)
    invited = Q(channel=FeedbackRequest.Channel.EMAIL)
    stars = {f"stars_{n}": Count("id", filter=answered & Q(answer__rating=n)) for n in range(1, 6)}
    return {
        "sent": Count("id", filter=invited),
        "responses": Count("id", filter=answered),
        "invited_responses": Count("id", filter=answered & invited),
        "average": Avg("answer__rating"),
        "happy": Count("id", filter=answered & Q(answer__rating__gte=4)),
        "scored": Count("id", filter=Q(answer__recommend_score__isnull=False)),
        "promoters": Count("id", filter=Q(answer__recommend_score__gte=9)),
        "detractors": Count("id", filter=Q(answer__recommend_score__lte=6)),
        **stars,
    }


def figures(*, business: Business, start: datetime, end: datetime, internal: bool = False) -> Figures:
    """All the figures of one business over [start, end), in one query."""
    row = sent_requests(business=business, start=start, end=end, internal=internal).aggregate(**_aggregates())
    return _figures_from(row)


def _figures_from(row: dict) -> Figures:
    sent, responses, scored = row["sent"], row["responses"], row["scored"]
    return Figures(
        requests_sent=sent,
        responses=responses,
        response_rate=round(row["invited_responses"] / sent, 4) if sent else None,
        average_rating=round(row["average"], 2) if row["average"] is not None else None,
        csat=round(row["happy"] / responses, 4) if responses else None,
        nps=round(100 * (row["promoters"] - row["detractors"]) / scored, 1) if scored else None,
        open_link_responses=responses - row["invited_responses"],
        distribution={str(n): row[f"stars_{n}"] for n in range(1, 6)},
    )


def complaint_figures(*, business: Business, start: datetime, end: datetime) -> dict:
    """Complaints opened in the period, and how fast and how well people answered them.

    One cohort: the cases OPENED in [start, end), internal feedback left out.
    - opened: how many; resolved: how many of them are resolved now;
    - median_minutes_to_first_response: the median of (first_response_at − opened_at), in minutes,
      over those answered (the metrics API calls it `median_first_response_minutes`);
    - median_resolution_hours: the median of (resolved_at − opened_at), in hours, over those resolved;
    - recovery_rate: of those whose customer re-rated after "did we make it right?" was sent (a
      change of rating recorded at or after `follow_up_sent_at`), the share whose latest rating is
      higher than the rating that opened the case, 0–1; None where no customer re-rated.
    Each median is None where no case has the wait. Three queries at most, whatever the period's
    length (an owner may ask for all time): the counts, then only the one or two middle waits of
    each median, sorted by the database.
    """
    cases = Case.objects.filter(business=business, feedback__internal=False, opened_at__gte=start, opened_at__lt=end)
    answered, resolved = Q(first_response_at__isnull=False), Q(resolved_at__isnull=False)
    re_rated = Exists(
        RatingChange.objects.filter(feedback_id=OuterRef("feedback_id"), created_at__gte=OuterRef("follow_up_sent_at"))
    )
    counts = cases.order_by().aggregate(
        opened=Count("id"),
        resolved=Count("id", filter=Q(status=Case.Status.RESOLVED)),
        answered=Count("id", filter=answered),
        timed=Count("id", filter=resolved),
        re_rated=Count("id", filter=re_rated),
        recovered=Count("id", filter=re_rated & Q(feedback__rating__gt=F("original_rating"))),
    )
    first_response = _median_seconds(cases.filter(answered), counts["answered"], "first_response_at")
    resolution = _median_seconds(cases.filter(resolved), counts["timed"], "resolved_at")
    return {
        "opened": counts["opened"],
        "resolved": counts["resolved"],
        "median_minutes_to_first_response": None if first_response is None else round(first_response / 60, 1),
        "median_resolution_hours": None if resolution is None else round(resolution / 3600, 2),
        "re_rated": counts["re_rated"],
        "recovered": counts["recovered"],
        "recovery_rate": round(counts["recovered"] / counts["re_rated"], 4) if counts["re_rated"] else None,
    }


def _median_seconds(cases: QuerySet, count: int, until: str) -> float | None:
    """The median of (`until` − opened_at) over `cases` (`count` of them), read as the middle one or two rows."""
    if not count:
        return None
    wait = ExpressionWrapper(F(until) - F("opened_at"), output_field=DurationField())
    middle = cases.annotate(wait=wait).order_by("wait").values_list("wait", flat=True)
    waits = list(middle[(count - 1) // 2 : count // 2 + 1])
    return sum(one.total_seconds() for one in waits) / len(waits)


def case_metrics(complaints: dict) -> dict:
    """The complaint figures under the names the metrics API gives them."""
    return {
        "cases_opened": complaints["opened"],
        "median_first_response_minutes": complaints["median_minutes_to_first_response"],
        "median_resolution_hours": complaints["median_resolution_hours"],
        "recovery_rate": complaints["recovery_rate"],
    }


def case_causes(*, business: Business, start: datetime, end: datetime, previous_start: datetime) -> list[dict]:
    """The causes of the cases RESOLVED in [start, end), most frequent first, against [previous_start, start).

    One row per cause given in the period: `cause` (its slug), `label` (from the business's list;
    a cause since removed from it shows its slug), `count`, `previous` (the count in the period
    before) and `change` (count − previous). Internal feedback is left out. One query.
    """
    rows = (
        Case.objects.filter(
            business=business,
            feedback__internal=False,
            status=Case.Status.RESOLVED,
            resolved_at__gte=previous_start,
            resolved_at__lt=end,
        )
        .exclude(cause="")
        .values("cause")
        .annotate(
            count=Count("id", filter=Q(resolved_at__gte=start)), previous=Count("id", filter=Q(resolved_at__lt=start))
        )
        .order_by()
    )
    labels = dict(business.case_cause_choices())
    causes = [
        {**row, "label": labels.get(row["cause"], row["cause"]), "change": row["count"] - row["previous"]}
        for row in rows
        if row["count"]
    ]
    return sorted(causes, key=lambda row: (-row["count"], row["label"]))


def staff_table(*, business: Business, start: datetime, end: datetime) -> list[dict]:
    """Per staff member: requests they served, responses, average rating, times customers named them."""
    cohort = sent_requests(business=business, start=start, end=end)
    served = (
        cohort.filter(staff__isnull=False)
        .values("staff_id", name=F("staff__name"))
        .annotate(
            requests=Count("id", filter=Q(channel=FeedbackRequest.Channel.EMAIL)),
            responses=Count("id", filter=Q(answer__isnull=False)),
            average_rating=Avg("answer__rating"),
        )
        .order_by()
    )
    mentions = dict(
        cohort.filter(answer__staff__isnull=False)
        .values_list("answer__staff_id")
        .annotate(n=Count("id"))
        .values_list("answer__staff_id", "n")
        .order_by()
    )
    rows = [
        {
            **row,
            "average_rating": round(row["average_rating"], 2) if row["average_rating"] is not None else None,
            "mentions": mentions.get(row["staff_id"], 0),
        }
        for row in served
    ]
    return sorted(rows, key=lambda row: (-row["responses"], row["name"]))


def weekly_series(*, business: Business, weeks: int, until: date) -> list[dict]:
    """Figures per week (Monday to Sunday, business time) for the last `weeks` weeks up to `until`.

    One query grouped by the local week; a week nobody was asked in has zero requests.
    """
    zone = ZoneInfo(business.timezone)
    last_monday = until - timedelta(days=until.weekday())
    mondays = [last_monday - timedelta(weeks=offset) for offset in range(weeks - 1, -1, -1)]
    start, end = period_bounds(business, mondays[0], last_monday + timedelta(days=6))
    aggregates = _aggregates()
    rows = {
        row["monday"].astimezone(zone).date(): row
        for row in sent_requests(business=business, start=start, end=end)
        .annotate(monday=TruncWeek("sent_at", tzinfo=zone))
        .values("monday")
        .annotate(**aggregates)
        .order_by()
    }
    nobody = {key: 0 for key in aggregates} | {"average": None}
    return [{"week": monday.isoformat(), **_figures_from(rows.get(monday, nobody)).as_dict()} for monday in mondays]


def team_table(*, business: Business, start: datetime, end: datetime) -> list[dict]:
    """Per team served by internal requests sent in [start, end): requests, responses, average, CSAT.

    Internal requests only, grouped by their `team` ("" for those that named none), in one query;
    the teams with the most responses first. `requests` counts invitations, as `requests_sent` does.
    """
    answered = Q(answer__isnull=False)
    rows = (
        sent_requests(business=business, start=start, end=end, internal=True)
        .values("team")
        .annotate(
            requests=Count("id", filter=Q(channel=FeedbackRequest.Channel.EMAIL)),
            responses=Count("id", filter=answered),
            average=Avg("answer__rating"),
            happy=Count("id", filter=answered & Q(answer__rating__gte=4)),
        )
        .order_by()
    )
    teams = [
        {
            "team": row["team"],
            "requests": row["requests"],
            "responses": row["responses"],
            "average_rating": round(row["average"], 2) if row["average"] is not None else None,
            "csat": round(row["happy"] / row["responses"], 4) if row["responses"] else None,
        }
        for row in rows
    ]
    return sorted(teams, key=lambda row: (-row["responses"], row["team"] == "", row["team"].lower()))
