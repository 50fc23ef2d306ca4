"""send_digests [--business SLUG] [--now]: the weekly wins emails, never twice for one week."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from businesses.models import Business
from insights.services.digest import DigestOutcome, digests_send_due, digests_send_now
from outbox.services import outbox_emails_send


class Command(BaseCommand):
    help = (
        "Send the weekly wins emails that are due; with --now, at once, the digest of the seven days up to now. "
        "A week already sent (by the schedule or by this command) is never sent again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--business", metavar="SLUG", help="Only this business.")
        parser.add_argument("--now", action="store_true", help="Send this week's digest now, not at its hour.")

    def handle(self, *args, business: str | None = None, now: bool = False, **options) -> None:
        businesses = Business.objects.order_by("slug")
        if business is not None:
            businesses = businesses.filter(slug=business)
            if not businesses.exists():
                raise CommandError(f"No business has the slug “{business}”.")
        outcomes = digests_send_now(businesses=businesses) if now else digests_send_due(businesses=businesses)
        for outcome in outcomes:
            self._report(outcome)
        if not outcomes:
            self.stdout.write("No digest is due.")
        # Sent here and now (the worker, if one runs, finds them claimed and leaves them).
        email_ids = [email_id for outcome in outcomes for email_id in outcome.email_ids or []]
        if email_ids:
            sent = outbox_emails_send(email_ids=email_ids)
            self.stdout.write(f"Sent {sent} of {len(email_ids)} emails.")
        if any(outcome.error for outcome in outcomes):
            raise CommandError("Some digests failed; see above. They are retried on their next scheduled run.")

    def _report(self, outcome: DigestOutcome) -> None:
        name, week = outcome.business.slug, outcome.week.label
        if outcome.error:
            self.stderr.write(f"{name}: the digest of {week} failed: {outcome.error}")
        elif outcome.sent:
            count = len(outcome.email_ids)
            self.stdout.write(f"{name}: digest of {week} queued for {count} staff member{'s' if count != 1 else ''}.")
        else:
            self.stdout.write(f"{name}: the digest of {week} was already sent; not sending it twice.")
