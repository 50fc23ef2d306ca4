"""What a printed table card or counter flyer says: the open link as a QR code and in words.

The wording asks everyone the same way ("Tell us how we did"), whatever they thought of the visit.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from businesses.models import Business, StaffMember
from feedback.links import open_feedback_url
from feedback.models import OpenFeedbackLink
from feedback.qr import qr_svg

# Printed in the business's language (the sheet is rendered in it).
DEFAULT_FLYER_LINE = gettext_lazy("Good or bad, we read every answer. It takes a minute, and no app is needed.")


@dataclass(frozen=True)
class Flyer:
    business: Business
    staff: StaffMember | None
    url: str
    qr_svg: SafeString
    line: str | Promise

    @property
    def staff_first_name(self) -> str:
        """ "Maya" for Maya Lindqvist: how the customer knew them at the counter."""
        if self.staff is None:
            return ""
        return self.staff.name.split()[0] if self.staff.name.strip() else self.staff.name

    @property
    def shown_url(self) -> str:
        """The link as a customer types it: browsers add the https:// themselves."""
        return self.url.removeprefix("https://")

    @property
    def website(self) -> str:
        return self.business.website.removeprefix("https://").removeprefix("http://").removesuffix("/")


def flyer_for(link: OpenFeedbackLink) -> Flyer:
    url = open_feedback_url(link)
    return Flyer(
        business=link.business,
        staff=link.staff,
        url=url,
        # segno writes the markup and escapes its one text (the title); the URL is ours.
        qr_svg=mark_safe(qr_svg(url, inline=True)),  # noqa: S308
        line=link.business.flyer_line.strip() or DEFAULT_FLYER_LINE,
    )
