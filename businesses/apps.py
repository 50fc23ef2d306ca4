from django.apps import AppConfig


class BusinessesConfig(AppConfig):
    """Tenancy: businesses, the people who run them, their staff and their customers."""

    name = "businesses"
    verbose_name = "Business"
