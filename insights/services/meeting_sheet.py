"""The meeting sheet: one printable page for the team's weekly meeting, for one local Monday–Sunday week.

What: the week's figures against the week before (from insights.metrics, so they agree with the
dashboard, the metrics API and the weekly email), the wins with the staff named, the saves and who
saved them, the complaints still open, the top causes and the new ideas.
Open and overdue complaints are the ones open when the sheet is made: the meeting acts on them now.
A complaint is overdue when its first response is late (open, nobody has answered the customer, and
the deadline has passed), as on the dashboard and in the overdue reminders; a complaint answered in
time but not yet resolved is open, not overdue.
Every list is capped so the sheet prints on one A4 page, and every section is one query (or three
for the complaint figures), whatever the amount of feedback: the sections are read in
insights.selectors, the week is insights.periods.meeting_sheet_week. Nothing on the sheet names a
customer by more than a first name, nor shows an email address or a phone number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from businesses.models import Business
from insights.emails import NO_FIGURE, duration, percent, recommend_score, stars
from insights.metrics import complaint_figures, figures
from insights.periods import DigestWeek
from insights.selectors import (
    OpenComplaint,
    digest_best_comments,
    digest_named_staff,
    digest_savers,
    meeting_sheet_causes,
    meeting_sheet_complaint_counts,
    meeting_sheet_new_ideas,
    meeting_sheet_open_complaints,
    meeting_sheet_saves,
)

# The sheet's caps on the weekly email's lists, so it prints on one A4 page (the caps of its own
# lists are their selectors' defaults).
WINS_LENGTH = 5
NAMED_STAFF_LENGTH = 5
SAVERS_LENGTH = 5


# --- What it holds -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureChange:
    """One figure this week against the week before, and which way it went."""

    label: str  # lazy: shown in the language of the page that shows it
    this_week: float | int | None
    week_before: float | int | None
    kind: str  # "count", "rate", "stars", "score" or "minutes": how it is shown
    higher_is_better: bool | None = True  # None: neither way is good or bad in itself

    @property
    def direction(self) -> str | None:
        """Which way it went: "up", "down" or "same"; None when either week has no value."""
        if self.this_week is None or self.week_before is None:
            return None
        if self.this_week == self.week_before:
            return "same"
        return "up" if self.this_week > self.week_before else "down"

    @property
    def verdict(self) -> str | None:
        """Whether that is good news: "better", "worse" or "same"; None when it cannot be said."""
        if self.direction in (None, "same"):
            return self.direction
        if self.higher_is_better is None:
            return None
        return "better" if (self.direction == "up") == self.higher_is_better else "worse"

    @property
    def shown(self) -> str:
        return _shown(self.kind, self.this_week)

    @property
    def shown_before(self) -> str:
        return _shown(self.kind, self.week_before)


def _shown(kind: str, value: float | int | None) -> str:
    if value is None:
        return NO_FIGURE
    return {
        "count": str,
        "rate": percent,
        "stars": stars,
        "score": recommend_score,
        "minutes": duration,
    }[kind](value)


@dataclass(frozen=True)
class MeetingSheet:
    business: Business
    week: DigestWeek
    made_at: datetime
    figures: list[FigureChange]
    wins: list[dict]
    named_staff: list[dict]
    saves: list[dict]
    saves_total: int
    savers: list[dict]
    open_count: int
    overdue_count: int
    open_complaints: list[OpenComplaint]
    causes: list[dict]
    ideas: list[dict]
    ideas_total: int

    @property
    def more_saves(self) -> int:
        return self.saves_total - len(self.saves)

    @property
    def more_open(self) -> int:
        return self.open_count - len(self.open_complaints)

    @property
    def more_ideas(self) -> int:
        return self.ideas_total - len(self.ideas)


def meeting_sheet_build(*, business: Business, week: DigestWeek, now: datetime | None = None) -> MeetingSheet:
    """Everything one business's sheet shows for `week` (see meeting_sheet_week), in a fixed number of queries."""
    now = now or timezone.now()
    saves = meeting_sheet_saves(business=business, week=week)
    ideas = meeting_sheet_new_ideas(business=business, week=week)
    counts = meeting_sheet_complaint_counts(business=business, now=now)
    return MeetingSheet(
        business=business,
        week=week,
        made_at=now,
        figures=meeting_sheet_figures(business=business, week=week),
        wins=digest_best_comments(business=business, week=week, limit=WINS_LENGTH),
        named_staff=digest_named_staff(business=business, week=week, limit=NAMED_STAFF_LENGTH),
        saves=saves,
        saves_total=saves[0]["total"] if saves else 0,
        savers=digest_savers(business=business, week=week, limit=SAVERS_LENGTH),
        open_count=counts["open"],
        overdue_count=counts["overdue"],
        open_complaints=meeting_sheet_open_complaints(business=business, now=now) if counts["open"] else [],
        causes=meeting_sheet_causes(business=business, week=week),
        ideas=ideas,
        ideas_total=ideas[0]["total"] if ideas else 0,
    )


def meeting_sheet_figures(*, business: Business, week: DigestWeek) -> list[FigureChange]:
    """The week's figures against the week before: answers, ratings, NPS where asked, complaints."""
    this = figures(business=business, start=week.start, end=week.end)
    before = figures(business=business, start=week.previous_start, end=week.previous_end)
    cases = complaint_figures(business=business, start=week.start, end=week.end)
    cases_before = complaint_figures(business=business, start=week.previous_start, end=week.previous_end)
    rows = [
        FigureChange(_("Responses"), this.responses, before.responses, "count"),
        FigureChange(_("Response rate"), this.response_rate, before.response_rate, "rate"),
        FigureChange(_("Average rating"), this.average_rating, before.average_rating, "stars"),
        FigureChange(_("4–5 star answers (CSAT)"), this.csat, before.csat, "rate"),
    ]
    if business.ask_recommend_score or this.nps is not None or before.nps is not None:
        rows.append(FigureChange(_("Recommend score (NPS)"), this.nps, before.nps, "score"))
    first_response = "median_minutes_to_first_response"
    return [
        *rows,
        # Fewer complaints is better news, though every complaint heard is a chance to make it right.
        FigureChange(_("Complaints opened"), cases["opened"], cases_before["opened"], "count", higher_is_better=False),
        FigureChange(
            _("Median first response"),
            cases[first_response],
            cases_before[first_response],
            "minutes",
            higher_is_better=False,
        ),
        FigureChange(_("Won back (recovery rate)"), cases["recovery_rate"], cases_before["recovery_rate"], "rate"),
    ]
