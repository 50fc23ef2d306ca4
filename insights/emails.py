"""The weekly wins email, the monthly scorecard and the kudos note, built by the shared builder.

Each is written in its staff member's language (`StaffMember.preferred_language`). The figures are
formatted here, once and in that language ("4.6" or "4,6", "73%" or "73 %"), so the plain-text and
the HTML parts show the same strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.mail import EmailMultiAlternatives
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext

from businesses.models import StaffMember
from insights.meeting_sheet_links import meeting_sheet_monday_for, meeting_sheet_url
from mail.builder import build_email, message_id, unsubscribe_headers

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
    with translation.override(staff.preferred_language):
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
    with translation.override(staff.preferred_language):
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
    """A scorecard's figures as the email and the page show them (in the active language): this
    month, the month before."""
    return [
        MonthRow(gettext("Customers you served who were asked"), str(this.requests), str(before.requests)),
        MonthRow(gettext("Their answers"), str(this.responses), str(before.responses)),
        MonthRow(gettext("Average rating"), stars(this.average_rating), stars(before.average_rating)),
        MonthRow(gettext("4–5 star answers (CSAT)"), percent(this.csat), percent(before.csat)),
        MonthRow(gettext("Named as who helped"), str(this.mentions), str(before.mentions)),
        MonthRow(gettext("Complaints you turned around"), str(this.saves), str(before.saves)),
    ]


def kudos_email(staff: StaffMember, kudos: Sequence[Kudos]) -> EmailMultiAlternatives:
    """To a staff member: the customers who named them in a 4–5 star answer, in their own words."""
    quotes = [
        {"rating": item.feedback.rating, "comment": item.feedback.comment, "display_name": item.feedback.display_name}
        for item in kudos
    ]
    context = {"staff": staff, "business": staff.business, "first_name": first_name(staff.name), "quotes": quotes}
    with translation.override(staff.preferred_language):
        return build_email(
            template="kudos",
            context=context,
            to=[staff.email],
            headers={"Message-ID": message_id("kudos", staff.pk, kudos[0].pk)},
        )


def figure_rows(digest: Digest) -> list[FigureRow]:
    """The digest's figures, this week and the week before, in the active language."""
    this, before = digest.figures, digest.figures_before
    complaints, complaints_before = digest.complaints, digest.complaints_before
    rows = [
        FigureRow(gettext("Invitations sent"), str(this.requests_sent), str(before.requests_sent)),
        FigureRow(gettext("Response rate"), percent(this.response_rate), percent(before.response_rate)),
        FigureRow(gettext("Average rating"), stars(this.average_rating), stars(before.average_rating)),
        FigureRow(gettext("4–5 star answers (CSAT)"), percent(this.csat), percent(before.csat)),
    ]
    if digest.business.ask_recommend_score or this.nps is not None or before.nps is not None:
        rows.append(FigureRow(gettext("Recommend score (NPS)"), recommend_score(this.nps), recommend_score(before.nps)))
    minutes, minutes_before = (
        complaints["median_minutes_to_first_response"],
        complaints_before["median_minutes_to_first_response"],
    )
    return [
        *rows,
        FigureRow(gettext("Complaints opened"), str(complaints["opened"]), str(complaints_before["opened"])),
        FigureRow(gettext("Complaints turned around"), str(complaints["resolved"]), str(complaints_before["resolved"])),
        FigureRow(gettext("Median time to first response"), duration(minutes), duration(minutes_before)),
        FigureRow(
            gettext("Median time to resolution"),
            duration(hours_as_minutes(complaints["median_resolution_hours"])),
            duration(hours_as_minutes(complaints_before["median_resolution_hours"])),
        ),
        FigureRow(
            gettext("Won back (re-rated higher)"),
            percent(complaints["recovery_rate"]),
            percent(complaints_before["recovery_rate"]),
        ),
    ]


def _more(rows: list[dict]) -> int:
    """How many a section leaves out (its selector counts them all in `total`)."""
    return rows[0]["total"] - len(rows) if rows else 0


def first_name(name: str) -> str:
    """The first word of a name; "" when there is none (the templates then greet without a name)."""
    return name.split()[0] if name.strip() else ""


# The figures below are formatted in the active language: "4.25 ★" / "4,25 ★", "73%" / "73 %".


def percent(fraction: float | None) -> str:
    return NO_FIGURE if fraction is None else as_percent(number_format(round(fraction * 100)))


def as_percent(number: str) -> str:
    """A number of percent, already written out ("73.5", "73,5"), with the sign where the reader's
    language puts it: "73.5%", "73,5 %" (the emails' and the dashboard's charts' percentages)."""
    # Translators: a percentage, e.g. "73%". Write the sign as your language does ("73 %").
    return gettext("%(percent)s%%") % {"percent": number}


def stars(average: float | None) -> str:
    """4.25 → "4.25 ★", 4.0 → "4 ★": as exact as the metrics, without trailing zeros."""
    if average is None:
        return NO_FIGURE
    return number_format(Decimal(f"{average:.2f}".rstrip("0").rstrip("."))) + " ★"


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
    """Minutes as a person says them: "42 min", "3 h 5 min", "2.5 days" (in German "2,5 Tage")."""
    if minutes is None:
        return NO_FIGURE
    if minutes < 60:
        return gettext("%(minutes)d min") % {"minutes": round(minutes)}
    if minutes < 48 * 60:
        hours, rest = divmod(round(minutes), 60)
        if rest:
            return gettext("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest}
        return gettext("%(hours)d h") % {"hours": hours}
    # Two days at least: always a plural.
    return gettext("%(days)s days") % {"days": number_format(minutes / 1440, decimal_pos=1)}
