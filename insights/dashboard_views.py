"""The owner's dashboard: figures, charts and tables for one business, behind the admin login."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from businesses.models import Business
from core.csv_safe import write_csv
from feedback.exports import FEEDBACK_COLUMNS, feedback_rows, header
from feedback.models import Feedback
from insights import metrics
from insights.dashboard import dashboard_for, default_period


def validate_period_day(day: date) -> None:
    if not metrics.day_in_range(day):
        raise forms.ValidationError(
            gettext("Choose a date between %(earliest)s and %(latest)s.")
            % {"earliest": metrics.EARLIEST_DAY.isoformat(), "latest": metrics.LATEST_DAY.isoformat()},
            code="out_of_range",
        )


class BusinessChoiceForm(forms.Form):
    """One of the user's businesses, chosen in a select shown only when they run several."""

    business = forms.ModelChoiceField(
        label=_("Business"), queryset=Business.objects.none(), required=False, empty_label=None
    )

    def __init__(self, *args, businesses, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["business"].queryset = businesses
        if businesses.count() < 2:
            self.fields["business"].widget = forms.HiddenInput()


class PeriodForm(BusinessChoiceForm):
    # A date input takes ISO dates only, whatever the language's own date format.
    # No longest period: an owner may ask for all time, and every figure is one query whatever its length.
    since = forms.DateField(
        label=_("From"),
        required=False,
        validators=[validate_period_day],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    until = forms.DateField(
        label=_("To"),
        required=False,
        validators=[validate_period_day],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("since", gettext("The start must be on or before the end."))
        return data


def _period(request: HttpRequest) -> tuple[Business, date, date, PeriodForm]:
    businesses = Business.objects.for_user(request.user).order_by("name")
    form = PeriodForm(request.GET or None, businesses=businesses)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    business = data.get("business") or businesses.first()
    if business is None:
        raise Http404(gettext("You do not run a business here yet."))
    default_since, default_until = default_period(business)
    since, until = data.get("since") or default_since, data.get("until") or default_until
    # Without a chosen period the inputs show the one in use, not empty boxes.
    form.initial = {"business": business.pk, "since": since, "until": until}
    return business, since, until, form


@staff_member_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    business, since, until, form = _period(request)
    context = {
        **admin.site.each_context(request),
        "title": gettext("Dashboard — %(business)s") % {"business": business.name},
        "form": form,
        "dashboard": dashboard_for(business=business, since=since, until=until),
    }
    return render(request, "insights/dashboard.html", context, status=400 if form.errors else 200)


@staff_member_required
@require_GET
def feedback_csv(request: HttpRequest) -> HttpResponse:
    """Every answer of the period (requests sent in it), formula-injection safe."""
    business, since, until, _ = _period(request)
    start, end = metrics.period_bounds(business, since, until)
    answers = Feedback.objects.filter(business=business, request__sent_at__gte=start, request__sent_at__lt=end)
    rows = feedback_rows(answers.order_by("submitted_at"))
    return write_csv(rows, header(FEEDBACK_COLUMNS), f"{business.slug}-feedback-{since}-{until}.csv")
