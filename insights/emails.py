"""The weekly wins email and the kudos note, built by the shared builder.

The figures are formatted here, once, so the plain-text and the HTML parts show the same strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.mail import EmailMultiAlternatives

from businesses.models import StaffMember
from config.emails import build_email, message_id, unsubscribe_headers
from insights.meeting_sheet_links import meeting_sheet_monday_for, meeting_sheet_url

if TYPE_CHECKING:
    from insights.models import Kudos
    from insights.services.digest import Digest
    from insights.services.scorecards import Scorecard, StaffFigures

NO_FIGURE = "—"


@dataclass(frozen=True)
class FigureRow:
    label: str
    this_week: str
    week_before: str


def digest_email(
    digest: Digest, staff: StaffMember, *, unsubscribe_url: str, scorecard_url: str = ""
) -> EmailMultiAlternatives:
    """To a staff member: the week's wins at their business, with a one-click way to stop them
    and the link to their own scorecard."""
    business = digest.business
    context = {
        "digest": digest,
        "week": digest.week,
        "business": business,
        "staff": staff,
        "first_name": first_name(staff.name),
        "rows": figure_rows(digest),
        "more_saves": _more(digest.saves),
        "more_ideas": _more(digest.ideas),
        "top_cause_trend": change_label(digest.top_cause["change"]) if digest.top_cause else "",
        "unsubscribe_url": unsubscribe_url,
        "scorecard_url": scorecard_url,
        "meeting_sheet_url": meeting_sheet_url(
            business=business, monday=meeting_sheet_monday_for(digest.week.last_day)
        ),
    }
    return build_email(
        template="digest",
        context=context,
        to=[staff.email],
        headers={
            "Message-ID": message_id("digest", business.pk, digest.week.label, staff.pk),
            **unsubscribe_headers(unsubscribe_url),
        },
    )


def scorecard_email(scorecard: Scorecard, *, scorecard_url: str, unsubscribe_url: str) -> EmailMultiAlternatives:
    """To a staff member: their own figures of the month just ended against their month before.

    It goes with the weekly email, so the weekly email's one-click opt-out stops both.
    """
    staff, period = scorecard.staff, scorecard.period
    context = {
        "scorecard": scorecard,
        "period": period,
        "business": scorecard.business,
        "staff": staff,
        "first_name": first_name(staff.name),
        "rows": scorecard_rows(scorecard.figures, scorecard.figures_before),
        "scorecard_url": scorecard_url,
        "unsubscribe_url": unsubscribe_url,
    }
    return build_email(
        template="scorecard",
        context=context,
        to=[staff.email],
        headers={
            "Message-ID": message_id("scorecard", staff.pk, period.label),
            **unsubscribe_headers(unsubscribe_url),
        },
    )


@dataclass(frozen=True)
class MonthRow:
    label: str
    this_month: str
    month_before: str


def scorecard_rows(this: StaffFigures, before: StaffFigures) -> list[MonthRow]:
    """A scorecard's figures as the email and the page show them: this month, the month before."""
    return [
        MonthRow("Customers you served who were asked", str(this.requests), str(before.requests)),
        MonthRow("Their answers", str(this.responses), str(before.responses)),
        MonthRow("Average rating", stars(this.average_rating), stars(before.average_rating)),
        MonthRow("4–5 star answers (CSAT)", percent(this.csat), percent(before.csat)),
        MonthRow("Named as who helped", str(this.mentions), str(before.mentions)),
        MonthRow("Complaints you turned around", str(this.saves), str(before.saves)),
    ]


def kudos_email(staff: StaffMember, kudos: Sequence[Kudos]) -> EmailMultiAlternatives:
    """To a staff member: the customers who named them in a 4–5 star answer, in their own words."""
    quotes = [
        {"rating": item.feedback.rating, "comment": item.feedback.comment, "display_name": item.feedback.display_name}
        for item in kudos
    ]
    context = {"staff": staff, "business": staff.business, "first_name": first_name(staff.name), "quotes": quotes}
    return build_email(
        template="kudos",
        context=context,
        to=[staff.email],
        headers={"Message-ID": message_id("kudos", staff.pk, kudos[0].pk)},
    )


def figure_rows(digest: Digest) -> list[FigureRow]:
    this, before = digest.figures, digest.figures_before
    complaints, complaints_before = digest.complaints, digest.complaints_before
    rows = [
        FigureRow("Invitations sent", str(this.requests_sent), str(before.requests_sent)),
        FigureRow("Response rate", percent(this.response_rate), percent(before.response_rate)),
        FigureRow("Average rating", stars(this.average_rating), stars(before.average_rating)),
        FigureRow("4–5 star answers (CSAT)", percent(this.csat), percent(before.csat)),
    ]
    if digest.business.ask_recommend_score or this.nps is not None or before.nps is not None:
        rows.append(FigureRow("Recommend score (NPS)", recommend_score(this.nps), recommend_score(before.nps)))
    minutes, minutes_before = (
        complaints["median_minutes_to_first_response"],
        complaints_before["median_minutes_to_first_response"],
    )
    return [
        *rows,
        FigureRow("Complaints opened", str(complaints["opened"]), str(complaints_before["opened"])),
        FigureRow("Complaints turned around", str(complaints["resolved"]), str(complaints_before["resolved"])),
        FigureRow("Median time to first response", duration(minutes), duration(minutes_before)),
        FigureRow(
            "Median time to resolution",
            duration(hours_as_minutes(complaints["median_resolution_hours"])),
            duration(hours_as_minutes(complaints_before["median_resolution_hours"])),
        ),
        FigureRow(
            "Won back (re-rated higher)",
            percent(complaints["recovery_rate"]),
            percent(complaints_before["recovery_rate"]),
        ),
    ]


def _more(rows: list[dict]) -> int:
    """How many a section leaves out (its selector counts them all in `total`)."""
    return rows[0]["total"] - len(rows) if rows else 0


def first_name(name: str) -> str:
    return name.split()[0] if name.strip() else "there"


def percent(fraction: float | None) -> str:
    return NO_FIGURE if fraction is None else f"{round(fraction * 100)}%"


def stars(average: float | None) -> str:
    """4.25 → "4.25 ★", 4.0 → "4 ★": as exact as the metrics, without trailing zeros."""
    return NO_FIGURE if average is None else f"{average:.2f}".rstrip("0").rstrip(".") + " ★"


def recommend_score(nps: float | None) -> str:
    if nps is None:
        return NO_FIGURE
    return f"{nps:+.0f}" if round(nps) else "0"


def change_label(change: int) -> str:
    """+2, −1 (a true minus sign), ±0: a count against the period before."""
    if change > 0:
        return f"+{change}"
    return f"\u2212{-change}" if change < 0 else "\u00b10"


def hours_as_minutes(hours: float | None) -> float | None:
    return None if hours is None else hours * 60


def duration(minutes: float | None) -> str:
    """Minutes as a person says them: "42 min", "3 h 5 min", "2.5 days"."""
    if minutes is None:
        return NO_FIGURE
    if minutes < 60:
        return f"{round(minutes)} min"
    if minutes < 48 * 60:
        hours, rest = divmod(round(minutes), 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{minutes / 1440:.1f} days"
