"""The customer's answer on their conversation page, and the staff member's forms on their case page."""

from __future__ import annotations

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from businesses.models import Business
from reviews.services.conversation import BODY_MAX_LENGTH


def _body_field(label: str | Promise, required_message: str | Promise, rows: int = 5) -> forms.CharField:
    """The text of one message in a case's conversation."""
    return forms.CharField(
        label=label,
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": required_message},
    )


class CustomerReplyForm(forms.Form):
    body = _body_field(_("Your answer"), _("Write your answer before sending it."))


class StaffMessageForm(forms.Form):
    """Write to the customer (emailed to them)."""

    body = _body_field(_("Your message"), _("Write the message (it cannot be empty)."))


class StaffCallForm(forms.Form):
    body = _body_field(_("What you talked about"), _("Write down what you talked about on the call."), rows=3)


class StaffResolveForm(forms.Form):
    """How the complaint was made right, its cause, and whether it was a system problem or a one-off."""

    SYSTEM_CHOICES = [
        ("", "—"),
        ("system", _("A system problem (it could happen again)")),
        ("one_off", _("A one-off")),
    ]

    resolution = forms.CharField(
        label=_("How was it made right?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say how the complaint was resolved.")},
    )
    cause = forms.ChoiceField(
        label=_("What caused it?"),
        error_messages={
            "required": _("Say what caused the complaint before resolving the case. Choose it from the list.")
        },
    )
    system_problem = forms.ChoiceField(label=_("System problem or one-off?"), choices=SYSTEM_CHOICES, required=False)

    def __init__(self, *args, business: Business, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cause"].choices = [("", "—"), *business.case_cause_choices()]

    def clean_system_problem(self) -> bool | None:
        return {"system": True, "one_off": False}.get(self.cleaned_data["system_problem"])
