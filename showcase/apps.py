from django.apps import AppConfig


class ShowcaseConfig(AppConfig):
    """The public face of a business: its page, the embeddable widget, the public JSON."""

    name = "showcase"

    def ready(self) -> None:
        from businesses.events import public_page_changed
        from feedback.events import answer_recorded
        from showcase.receivers import answer_recorded_forget_page, public_page_changed_forget_page

        answer_recorded.connect(answer_recorded_forget_page, dispatch_uid="showcase.answer_recorded")
        public_page_changed.connect(public_page_changed_forget_page, dispatch_uid="showcase.public_page_changed")
