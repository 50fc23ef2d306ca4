from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from businesses.services import business_create
from core.links import absolute_url


class Command(BaseCommand):
    help = "Create a business and its owner, who logs in to the admin with their email as the username."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", help="Short name used in the public page's address, e.g. harbour-coffee.")
        parser.add_argument("--name", required=True, help="The business's name as customers know it.")
        parser.add_argument("--owner-email", required=True, help="The owner's email: their admin username.")
        parser.add_argument("--owner-password", help="The owner's password; generated and printed when left out.")
        parser.add_argument("--review-url", default="", help="The business's public review profile elsewhere.")
        parser.add_argument(
            "--quiet-period-days",
            type=int,
            help="Do not ask the same customer again within this many days (at least 1; 30 when left out).",
        )

    def handle(
        self,
        *args,
        slug: str,
        name: str,
        owner_email: str,
        owner_password: str | None,
        review_url: str,
        quiet_period_days: int | None,
        **options,
    ) -> None:
        chosen = {} if quiet_period_days is None else {"quiet_period_days": quiet_period_days}
        try:
            business, owner, generated = business_create(
                slug=slug,
                name=name,
                owner_email=owner_email,
                owner_password=owner_password,
                review_url=review_url,
                **chosen,
            )
        except ValidationError as error:
            raise CommandError(_describe(error)) from error
        except IntegrityError as error:
            raise CommandError(f"Could not create {slug!r}: {error}") from error
        self.stdout.write(self.style.SUCCESS(f"Created business {business.name} ({business.slug})."))
        self.stdout.write(f"Admin: {absolute_url('/admin/')}")
        self.stdout.write(f"Username: {owner.username}")
        if generated:
            self.stdout.write(f"Password: {generated}")


def _describe(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
    return " ".join(error.messages)
