"""The notes Raves itself writes into a request's status history.

Stored in English, as written (the API shows the history as stored, and stored text never changes
with the language of whoever caused it); the admin shows a note of this fixed set, or a reason for
holding a request back, in the reader's language.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from feedback.models import FeedbackRequest

OPEN_LINK = gettext_noop("Open link")
SENT_AGAIN = gettext_noop("Sent again from the admin after failing.")
GAVE_UP = gettext_noop("Gave up: every attempt to send stopped before the mail server answered.")
FIXED_NOTES = frozenset({OPEN_LINK, SENT_AGAIN, GAVE_UP})


def history_note_shown(note: str) -> str:
    """`note` in the active language when Raves wrote it (a fixed note, a suppression reason), else as written."""
    if note in FIXED_NOTES:
        return gettext(note)
    # Suppression reasons are stored as their label in the install's language.
    with translation.override(settings.LANGUAGE_CODE):
        reasons = {str(label): label for label in FeedbackRequest.SuppressionReason.labels}
    return str(reasons.get(note, note))
