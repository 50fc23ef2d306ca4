"""The meeting sheet's two doors: the admin page (the owner's businesses only) and the read-only
page behind the signed link in the weekly email (one business, one week). Neither changes anything."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from businesses.models import Business
from feedback.throttles import token_limit_response
from insights.dashboard_views import BusinessChoiceForm, validate_period_day
from insights.meeting_sheet_links import meeting_sheet_by_token
from insights.periods import meeting_sheet_last_full_week, meeting_sheet_week
from insights.services.meeting_sheet import meeting_sheet_build
from insights.views import private_page

BAD_WEEK = _("Give the week as a date, YYYY-MM-DD (any day of the week you want, e.g. 2026-11-16).")


class WeekForm(BusinessChoiceForm):
    week = forms.DateField(
        required=False,
        validators=[validate_period_day],
        error_messages={"invalid": BAD_WEEK},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Any day of the week: the sheet covers its Monday to Sunday."),
    )


@staff_member_required
@require_GET
def meeting_sheet(request: HttpRequest) -> HttpResponse:
    """`?business=` one of the user's businesses (another one is a 404); `?week=` any day of the week
    wanted (default: the last full week; a date that cannot be read is a 400 that says why)."""
    businesses = Business.objects.for_user(request.user).order_by("name")
    form = WeekForm(request.GET or None, businesses=businesses)
    valid = form.is_valid() if form.is_bound else True
    if "business" in form.errors:
        raise Http404("No business of yours has this id.")
    data = form.cleaned_data if form.is_bound else {}
    business = data.get("business") or businesses.first()
    if business is None:
        raise Http404(gettext("You do not run a business here yet."))
    title = gettext("Meeting sheet — %(business)s") % {"business": business.name}
    context = {**admin.site.each_context(request), "title": title, "form": form}
    if not valid:
        form.initial = {"business": business.pk}
        return render(request, "insights/meeting_sheet_admin.html", {**context, "business": business}, status=400)
    week = (
        meeting_sheet_week(business, day=data["week"]) if data.get("week") else meeting_sheet_last_full_week(business)
    )
    form.initial = {"business": business.pk, "week": week.first_day}
    context.update(
        business=business,
        sheet=meeting_sheet_build(business=business, week=week),
        previous_week=week.first_day - timedelta(weeks=1),
        next_week=week.first_day + timedelta(weeks=1),
    )
    return render(request, "insights/meeting_sheet_admin.html", context)


@never_cache
@private_page
@require_http_methods(["GET", "HEAD"])
def shared_meeting_sheet(request: HttpRequest, token: str) -> HttpResponse:
    """The sheet behind the weekly email's link: read-only, for staff without a login, in the
    business's default language (the whole team reads the one sheet).

    A tampered or expired link is a 404, counted against the address's guesses.
    """
    found = meeting_sheet_by_token(token)
    too_many = token_limit_response(request, token, known=found is not None)
    if too_many is not None:
        return too_many
    if found is None:
        raise Http404("This link is not valid: it may have expired. The next weekly email brings a new one.")
    business, monday = found
    sheet = meeting_sheet_build(business=business, week=meeting_sheet_week(business, day=monday))
    with translation.override(business.default_language):
        response = render(request, "insights/meeting_sheet_shared.html", {"business": business, "sheet": sheet})
    response["Content-Language"] = business.default_language
    return response
