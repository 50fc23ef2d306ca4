"""What the feedback app announces, for the apps above it to act on.

Lower layers never call up: an app that cares about an answer registers a receiver in its
`AppConfig.ready()`; `feedback` sends the event and does not know who listens.
"""

from __future__ import annotations

from django.dispatch import Signal

answer_recorded = Signal()
"""A customer's answer was saved: the first submit, an edit, or consent withdrawn.

Sent inside the transaction that saved it, with `feedback` (the Feedback) and `previous_rating`
(int, or None on a first answer); `sender` is the Feedback class. A receiver's exception rolls the
answer back, so receivers do their own writes in that transaction and defer side effects to
`transaction.on_commit`. Receivers run in app order (settings.INSTALLED_APPS):

- reviews: the rating history, a complaint case for a low rating, the review to moderate;
- showcase: forgets the business's cached public page (every rating counts in the average);
- insights: kudos for a staff member named in a warm answer.
"""
