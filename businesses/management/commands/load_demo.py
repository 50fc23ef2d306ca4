from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from businesses.demo import demo_load, demo_parts_load
from core.links import absolute_url, showcase_url


class Command(BaseCommand):
    help = "Load a demo business with staff, customers and feedback. Safe to run again."

    def handle(self, *args, **options) -> None:
        logins = demo_load()
        demo_parts_load(business=logins.business)
        self.stdout.write(self.style.SUCCESS(f"Demo business ready: {logins.business.name}"))
        self.stdout.write(f"Public page:  {showcase_url(logins.business)}")
        self.stdout.write(f"Admin:        {absolute_url('/admin/')}")
        self.stdout.write(f"  owner login:      {logins.owner_username} / {_shown(logins.owner_password)}")
        self.stdout.write(f"  superuser login:  {logins.admin_username} / {_shown(logins.admin_password)}")
        if not settings.DEBUG and (logins.owner_password or logins.admin_password):
            self.stdout.write("New random passwords are shown this once; change them in the admin.")


def _shown(password: str | None) -> str:
    return password or "(password unchanged; `manage.py changepassword` sets a new one)"
