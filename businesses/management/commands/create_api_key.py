from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from businesses.models import Business
from businesses.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for a business. The key is printed alone on the last line, once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("slug", help="The business's slug.")
        parser.add_argument("--name", default="API key", help="What the key is for, e.g. 'Booking system'.")

    def handle(self, *args, slug: str, name: str, **options) -> None:
        business = Business.objects.filter(slug=slug).first()
        if business is None:
            raise CommandError(f"No business with the slug {slug!r}.")
        _, key = api_key_create(business=business, name=name)
        self.stdout.write(f"API key {name!r} for {business.name}. Store it now; it cannot be shown again:")
        self.stdout.write(key)
