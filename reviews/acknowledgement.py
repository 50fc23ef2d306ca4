"""The apology a customer gets at once when their answer opens a case, in the business's voice.

The owner writes the wording (`Business.acknowledgement_template`) with a few placeholders. It is
filled with `str.format_map` from plain strings, never run as a Django template, so an owner's
text can neither reach other data nor run code; the email and page templates escape the result.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import dateformat
from django.utils.translation import gettext

from businesses.models import DEFAULT_ACKNOWLEDGEMENT_TEMPLATE, Business

if TYPE_CHECKING:
    from reviews.models import Case

# A placeholder left empty (a customer with no first name) would leave "fell short, ." behind.
_DANGLING_COMMA = re.compile(r",\s*(?=[.!?;:]|$)")


@dataclass(frozen=True)
class Acknowledgement:
    """What the customer is told: the apology, who will get back to them and by when (for people)."""

    apology: str
    who: str
    deadline: str


def case_acknowledgement(case: Case) -> Acknowledgement:
    """The acknowledgement of `case`, with its deadline in the business's time zone."""
    business = case.business
    assignee = case.assignee
    who = (assignee.first_name.strip() if assignee else "") or business.name
    deadline = deadline_for_people(case.deadline, business)
    apology = acknowledgement_render(
        template=business.acknowledgement_template,
        values={
            "customer_first_name": case.feedback.contact.first_name,
            "business": business.name,
            "who": who,
            "deadline": deadline,
        },
    )
    return Acknowledgement(apology=apology, who=who, deadline=deadline)


def acknowledgement_render(*, template: str, values: dict[str, str]) -> str:
    """Fill the owner's wording (or the default, in the active language) with plain strings; the result
    is plain text."""
    text = (template.strip() or gettext(DEFAULT_ACKNOWLEDGEMENT_TEMPLATE)).format_map(values)
    return _DANGLING_COMMA.sub("", text)


def deadline_for_people(moment: datetime, business: Business) -> str:
    """ "Tuesday 8 December, 14:30" in the business's time zone and the active language."""
    local = moment.astimezone(zoneinfo.ZoneInfo(business.timezone))
    return dateformat.format(local, gettext("l j F, H:i"))
