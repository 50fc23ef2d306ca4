"""Everything the owner's dashboard shows, read with a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.dateformat import format as date_format
from django.utils.translation import gettext, npgettext, pgettext

from businesses.models import Business
from feedback.models import FeedbackRequest
from insights import metrics
from insights.charts import Point, bar_chart, line_chart
from insights.emails import as_percent, change_label
from insights.periods import local_today
from outbox.models import OutboxEmail, WebhookDelivery
from reviews.models import Case

WEEKS = 12


@dataclass(frozen=True)
class FailedDeliveries:
    """Deliveries given up on (outbox/engine.py), at any time: each one waits for "Send again"."""

    requests: int
    emails: int
    webhooks: int

    @property
    def total(self) -> int:
        return self.requests + self.emails + self.webhooks


def failed_deliveries(*, business: Business) -> FailedDeliveries:
    return FailedDeliveries(
        requests=FeedbackRequest.objects.filter(business=business, status=FeedbackRequest.Status.FAILED).count(),
        emails=OutboxEmail.objects.filter(business=business, status=OutboxEmail.Status.FAILED).count(),
        webhooks=WebhookDelivery.objects.filter(business=business, status=WebhookDelivery.Status.FAILED).count(),
    )


@dataclass(frozen=True)
class Dashboard:
    business: Business
    since: date
    until: date
    figures: metrics.Figures
    internal: metrics.Figures
    teams: list[dict]  # the internal figures per team served
    complaints: dict
    causes: list[dict]
    open_cases: int
    overdue_cases: int
    staff: list[dict]
    weeks: list[dict]
    failed_deliveries: FailedDeliveries
    today: date  # in the business's time zone: the week that holds it is not over yet

    def is_partial(self, week: dict) -> bool:
        """The week (Monday to Sunday) is still running: its figures are not final."""
        return date.fromisoformat(week["week"]) + timedelta(days=6) >= self.today

    @property
    def charts(self) -> dict:
        # Translators: a week's Monday under a chart, e.g. "7 Dec" (Django's date format characters).
        labels = [date_format(date.fromisoformat(week["week"]), gettext("j M")) for week in self.weeks]
        series = {
            key: [
                Point(label, week[key], partial=self.is_partial(week))
                for label, week in zip(labels, self.weeks, strict=True)
            ]
            for key in ("average_rating", "response_rate", "requests_sent")
        }
        # A week still running has invitations its customers have not had the time to answer: its
        # rate would read as a fall (0 % on a Monday). It is left out of the line; the table shows it.
        rates = [
            Point(point.label, None if point.value is None or point.partial else round(100 * point.value, 1))
            for point in series["response_rate"]
        ]
        distribution = [Point(f"{stars}★", self.figures.distribution[str(stars)]) for stars in range(1, 6)]
        return {
            # Ratings run from 1 to 5 stars: an axis from 0 would squash every change into its top fifth.
            "rating": line_chart(
                series["average_rating"], minimum=1, maximum=5, title=gettext("Average rating by week")
            ),
            "response_rate": line_chart(
                rates, maximum=100, shown_as=as_percent, title=gettext("Response rate by week")
            ),
            "volume": bar_chart(series["requests_sent"], title=gettext("Requests sent by week")),
            "distribution": bar_chart(distribution, title=gettext("Ratings by number of stars"), show_values=True),
        }

    @property
    def week_rows(self) -> list[dict]:
        """The weekly figures with each week's Monday as a date, for the table under the charts."""
        return [
            {**week, "monday": date.fromisoformat(week["week"]), "partial": self.is_partial(week)}
            for week in self.weeks
        ]

    @property
    def partial_week(self) -> date | None:
        """The Monday of the week still running, when the chart shows it."""
        return next((row["monday"] for row in self.week_rows if row["partial"]), None)

    @property
    def first_response(self) -> str | None:
        """The median time to first response on complaints, in the largest units that read well."""
        minutes = self.complaints["median_minutes_to_first_response"]
        return None if minutes is None else duration_label(minutes)

    @property
    def resolution(self) -> str | None:
        """The median time from opening to resolution on complaints."""
        hours = self.complaints["median_resolution_hours"]
        return None if hours is None else duration_label(hours * 60)

    @property
    def cause_rows(self) -> list[dict]:
        """The period's causes with their trend: "Waiting time 5 (+2)"."""
        return [{**row, "trend": change_label(row["change"])} for row in self.causes]


def duration_label(minutes: float) -> str:
    """'45 min', '1 h 52 min', '3 d 4 h': precise enough to act on, short enough for a card.

    A no-break space ties each number to its unit, so a narrow card wraps between the pairs only.
    """
    minutes = round(minutes)
    if minutes < 60:
        return _minutes(minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{_hours(hours)} {_minutes(minutes)}" if minutes else _hours(hours)
    days, hours = divmod(hours, 24)
    return f"{_days(days)} {_hours(hours)}" if hours else _days(days)


def _minutes(count: int) -> str:
    unit = pgettext("a unit of time, after a number", "min")
    return f"{count}\u00a0{unit}"


def _hours(count: int) -> str:
    unit = pgettext("a unit of time, after a number", "h")
    return f"{count}\u00a0{unit}"


def _days(count: int) -> str:
    unit = npgettext("a unit of time, after a number", "d", "d", count)
    return f"{count}\u00a0{unit}"


def dashboard_for(*, business: Business, since: date, until: date) -> Dashboard:
    start, end = metrics.period_bounds(business, since, until)
    cases = Case.objects.filter(business=business)
    return Dashboard(
        business=business,
        since=since,
        until=until,
        figures=metrics.figures(business=business, start=start, end=end),
        internal=metrics.figures(business=business, start=start, end=end, internal=True),
        teams=metrics.team_table(business=business, start=start, end=end),
        complaints=metrics.complaint_figures(business=business, start=start, end=end),
        causes=metrics.case_causes(
            business=business,
            start=start,
            end=end,
            previous_start=metrics.previous_period_start(business, since, until),
        ),
        open_cases=cases.open().count(),
        overdue_cases=cases.overdue().count(),
        staff=metrics.staff_table(business=business, start=start, end=end),
        weeks=metrics.weekly_series(business=business, weeks=WEEKS, until=until),
        failed_deliveries=failed_deliveries(business=business),
        today=local_today(business),
    )


def default_period(business: Business) -> tuple[date, date]:
    """The last 30 days, today included, in the business's own time zone."""
    today = local_today(business)
    return today - timedelta(days=29), today
