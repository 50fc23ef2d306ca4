from django.apps import AppConfig


class ShowcaseConfig(AppConfig):
    """The public face of a business: its page, the embeddable widget, the public JSON."""

    name = "showcase"
