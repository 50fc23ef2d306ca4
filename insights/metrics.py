"""The figures the dashboard, the metrics API and the weekly email share — computed in one place.

Definitions (one cohort: the requests SENT in the period):
- requests_sent: requests whose invitation went out in the period;
- responses: those of them the customer answered (whenever they answered);
- response_rate: responses / requests_sent (0–1);
- average_rating, csat (share of 4–5 stars, 0–1) and nps (promoters 9–10 minus detractors 0–6,
  in percent, −100–100) over those answers; nps only over answers that gave a score.
A figure nobody's answer can define is None. Internal feedback (one team serving another) is
kept apart: the top-level figures leave it out, `internal` holds the same figures for it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, FilteredRelation, Q, QuerySet
from django.db.models.functions import TruncWeek

from businesses.models import Business
from feedback.models import FeedbackRequest
from reviews.models import Case

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
    stars = {f"stars_{n}": Count("id", filter=answered & Q(answer__rating=n)) for n in range(1, 6)}
    return {
        "sent": Count("id"),
        "responses": Count("id", filter=answered),
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
        response_rate=round(responses / sent, 4) if sent else None,
        average_rating=round(row["average"], 2) if row["average"] is not None else None,
        csat=round(row["happy"] / responses, 4) if responses else None,
        nps=round(100 * (row["promoters"] - row["detractors"]) / scored, 1) if scored else None,
        distribution={str(n): row[f"stars_{n}"] for n in range(1, 6)},
    )


def complaint_figures(*, business: Business, start: datetime, end: datetime) -> dict:
    """Complaints opened and turned around in the period, and how fast people answered them.

    Two queries whatever the period's length (an owner may ask for all time): the counts, then
    only the one or two middle waits, sorted by the database.
    """
    cases = Case.objects.filter(business=business, feedback__internal=False, opened_at__gte=start, opened_at__lt=end)
    answered = Q(first_response_at__isnull=False)
    counts = cases.order_by().aggregate(
        opened=Count("id"),
        resolved=Count("id", filter=Q(status=Case.Status.RESOLVED)),
        answered=Count("id", filter=answered),
    )
    return {
        "opened": counts["opened"],
        "resolved": counts["resolved"],
        "median_minutes_to_first_response": _median_wait_minutes(cases.filter(answered), counts["answered"]),
    }


def _median_wait_minutes(answered_cases: QuerySet, count: int) -> float | None:
    if not count:
        return None
    wait = ExpressionWrapper(F("first_response_at") - F("opened_at"), output_field=DurationField())
    middle = answered_cases.annotate(wait=wait).order_by("wait").values_list("wait", flat=True)
    waits = list(middle[(count - 1) // 2 : count // 2 + 1])
    return round(sum(one.total_seconds() for one in waits) / len(waits) / 60, 1)


def staff_table(*, business: Business, start: datetime, end: datetime) -> list[dict]:
    """Per staff member: requests they served, responses, average rating, times customers named them."""
    cohort = sent_requests(business=business, start=start, end=end)
    served = (
        cohort.filter(staff__isnull=False)
        .values("staff_id", name=F("staff__name"))
        .annotate(
            requests=Count("id"),
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
