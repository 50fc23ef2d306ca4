from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BusinessesConfig(AppConfig):
    """Tenancy: businesses, the people who run them, their staff and their customers."""

    name = "businesses"
    verbose_name = _("Business")
