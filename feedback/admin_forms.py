"""Forms of the owner's admin that do not edit a model directly: they feed a service."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.admin.widgets import AdminSplitDateTime
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from businesses.models import Business, StaffMember
from feedback.services.csv_import import COLUMNS, CsvFileError, ParsedCsv, parse_customers_csv, read_csv_text
from feedback.services.requests import TEAM_MAX_LENGTH, RequestInput


def _limit_business_choice(form: forms.Form, businesses: QuerySet[Business]) -> None:
    """Offer only the user's businesses; someone who runs one never picks it (it is fixed)."""
    field = form.fields["business"]
    field.queryset = businesses
    if len(businesses) == 1:
        field.widget = forms.HiddenInput()
        field.initial = businesses[0].pk
        field.disabled = True


class FeedbackRequestAddForm(forms.Form):
    """One request, typed in by the owner; created by `feedback_request_create`."""

    business = forms.ModelChoiceField(label=_("Business"), queryset=Business.objects.none())
    customer_name = forms.CharField(label=_("Customer name"), max_length=200, required=False)
    customer_email = forms.EmailField(label=_("Customer email"), max_length=254)
    external_id = forms.CharField(
        label=_("External id"), max_length=100, required=False, help_text=_("Their id in your CRM or booking system.")
    )
    staff = forms.ModelChoiceField(
        label=_("Served by"),
        queryset=StaffMember.objects.none(),
        required=False,
        help_text=_("An active staff member."),
    )
    interaction_at = forms.SplitDateTimeField(
        label=_("Interaction time"),
        required=False,
        widget=AdminSplitDateTime,
        help_text=_("In the business's own time zone. Leave empty for now."),
    )
    reference = forms.CharField(
        label=_("Reference"),
        max_length=100,
        required=False,
        help_text=_("Your id for the interaction (order, booking). A reference already used returns its request."),
    )
    internal = forms.BooleanField(
        label=_("Internal"), required=False, help_text=_("One team serving another: never published.")
    )
    team = forms.CharField(
        label=_("Team"),
        max_length=TEAM_MAX_LENGTH,
        required=False,
        help_text=_("For an internal request: the team that was served (e.g. Finance)."),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_("The customer's language for the email and the form; empty is the business's default."),
    )

    def __init__(self, *args, businesses: QuerySet[Business], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        businesses = businesses.order_by("name")
        _limit_business_choice(self, businesses)
        staff = self.fields["staff"]
        staff.queryset = StaffMember.objects.active().filter(business__in=businesses).select_related("business")
        if len(businesses) > 1:
            staff.label_from_instance = lambda member: f"{member.name} ({member.business.name})"
        self.fields["language"].choices = [("", _("The business's default")), *settings.LANGUAGES]

    def clean(self) -> dict:
        data = super().clean()
        business, staff = data.get("business"), data.get("staff")
        if business and staff and staff.business_id != business.pk:
            self.add_error(
                "staff",
                gettext("%(staff)s does not work for %(business)s.") % {"staff": staff.name, "business": business.name},
            )
        if data.get("team") and not data.get("internal"):
            self.add_error(
                "team", gettext("A team is only for internal requests: tick “Internal” or leave the team empty.")
            )
        offered = business.offered_languages() if business else []
        if business and data.get("language") and data["language"] not in offered:
            self.add_error(
                "language",
                gettext("%(business)s offers %(languages)s: choose one of them or leave it empty.")
                % {"business": business.name, "languages": ", ".join(offered)},
            )
        if business and data.get("interaction_at"):
            # The widget gives a time in the server's zone; the owner typed their business's time.
            typed = timezone.make_naive(data["interaction_at"])
            data["interaction_at"] = typed.replace(tzinfo=zoneinfo.ZoneInfo(business.timezone))
            if data["interaction_at"] > timezone.now():
                self.add_error(
                    "interaction_at", gettext("This time is in the future; use the time the customer was served.")
                )
        return data

    def request_input(self) -> RequestInput:
        data = self.cleaned_data
        return RequestInput(
            email=data["customer_email"],
            name=data["customer_name"].strip(),
            external_id=data["external_id"].strip(),
            staff=data["staff"],
            interaction_at=data["interaction_at"],
            reference=data["reference"].strip(),
            internal=data["internal"],
            team=data["team"],
            language=data.get("language", ""),
        )


class CustomerCsvUploadForm(forms.Form):
    """Step 1 of the import: the file, read and checked against the chosen business."""

    business = forms.ModelChoiceField(label=_("Business"), queryset=Business.objects.none())
    file = forms.FileField(
        label=_("CSV file"),
        help_text=format_lazy(
            _(
                "A header row naming the columns (in any order): {columns}. Only name and email are "
                "required. Times as 2025-03-31 or 2025-03-31 14:30, in the business's time zone. "
                "internal is yes or no (one team serving another); team names the team an internal row served. "
                "Up to 10,000 rows and 5 MB, saved as CSV UTF-8."
            ),
            columns=", ".join(COLUMNS),
        ),
    )

    def __init__(self, *args, businesses: QuerySet[Business], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _limit_business_choice(self, businesses.order_by("name"))
        self.parsed: ParsedCsv | None = None

    def clean(self) -> dict:
        data = super().clean()
        if data.get("business") and data.get("file"):
            try:
                text = read_csv_text(data["file"])
                self.parsed = parse_customers_csv(business=data["business"], text=text)
            except CsvFileError as error:
                self.add_error("file", str(error))
        return data
