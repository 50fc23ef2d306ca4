"""The owner's admin for their business, staff, customers and API keys."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from businesses.admin_scoping import BusinessScopedAdmin, business_ids, business_roles
from businesses.models import Business, BusinessAPIKey, Customer, Membership, StaffMember
from businesses.privacy import customer_data_export, customers_erase
from businesses.services import business_save, business_webhook_secret_rotate

OWNERS = frozenset({Membership.Role.OWNER})
WEBHOOK_SECRET_HELP = _(
    "Each webhook is signed with a secret that is shown once, when it is made (on saving a webhook URL) "
    "or rotated (the list's action “Rotate the webhook secret”), and never again."
)


@admin.register(Business)
class BusinessAdmin(BusinessScopedAdmin):
    business_path = "pk"
    list_display = ["name", "slug", "timezone", "auto_publish", "showcase_enabled"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "logo_url", "accent_color", "timezone"]}),
        (_("Languages (emails and pages customers read)"), {"fields": ["default_language", "languages"]}),
        (
            _("Contact details (shown to customers and on the public page)"),
            {"fields": ["phone", "email", "website", "address", "review_url"]},
        ),
        (_("Walk-in and phone customers (QR codes)"), {"fields": ["flyer_line", "open_feedback_links"]}),
        (
            _("Asking customers"),
            {
                "fields": [
                    "quiet_period_days",
                    "reminder_delay_days",
                    "link_lifetime_days",
                    "ask_recommend_score",
                    "daily_invitation_limit",
                ]
            },
        ),
        (
            _("Complaints and reviews"),
            {
                "fields": [
                    "low_rating_threshold",
                    "complaint_response_hours",
                    "acknowledgement_template",
                    "case_causes",
                    "auto_publish",
                    "showcase_enabled",
                ]
            },
        ),
        (_("Weekly wins email"), {"fields": ["digest_weekday", "digest_hour"]}),
        (_("Webhooks"), {"fields": ["webhook_url"], "classes": ["collapse"], "description": WEBHOOK_SECRET_HELP}),
    ]
    readonly_fields = ["open_feedback_links"]
    actions = ["rotate_webhook_secret"]

    def get_fieldsets(self, request: HttpRequest, obj=None):
        if request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        # The daily cap protects the server's sending reputation: owners see it, only a superuser sets it.
        return [
            (name, {**options, "fields": [_shown_as_limit(field) for field in options["fields"]]})
            for name, options in super().get_fieldsets(request, obj)
        ]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return readonly if request.user.is_superuser else [*readonly, "daily_limit"]

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "accent_color":
            # The browser's colour picker; the model still checks the value (white text must read on it).
            kwargs["widget"] = forms.TextInput(attrs={"type": "color"})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("Open feedback links"))
    def open_feedback_links(self, obj: Business | None) -> str:
        if obj is None or obj.pk is None:
            return gettext("Available once the business is saved.")
        return format_html(
            gettext(
                '<a href="{url}">QR codes, table cards and counter flyers</a> of {business} and of each staff '
                "member, for walk-in and phone customers."
            ),
            url=f"{reverse('admin:feedback_openfeedbacklink_changelist')}?business__id__exact={obj.pk}",
            business=obj,
        )

    @admin.display(description=_("Daily invitation limit"))
    def daily_limit(self, obj: Business | None) -> str:
        limit = obj.invitations_per_day if obj else settings.FEEDBACK_DAILY_LIMIT
        return ngettext(
            "%(limit)s invitation or reminder a day (set by the server's administrator)",
            "%(limit)s invitations and reminders a day (set by the server's administrator)",
            limit,
        ) % {"limit": number_format(limit, force_grouping=True)}

    def save_model(self, request: HttpRequest, obj: Business, form, change: bool) -> None:
        # The form's validation (Business.clean) made a secret when a URL was set without one.
        stored = Business.objects.filter(pk=obj.pk).values_list("webhook_secret", flat=True).first() if change else ""
        business_save(business=obj)
        if obj.webhook_secret and obj.webhook_secret != stored:
            self._show_secret_once(request, obj, obj.webhook_secret)

    @admin.action(description=_("Rotate the webhook secret (shown once)"))
    def rotate_webhook_secret(self, request: HttpRequest, queryset) -> None:
        """A new signing secret for each selected business the user owns, shown in this one message."""
        if not request.user.is_superuser:
            queryset = queryset.filter(pk__in=business_ids(request, OWNERS))
        for business in queryset:
            self._show_secret_once(request, business, business_webhook_secret_rotate(business=business))

    def _show_secret_once(self, request: HttpRequest, business: Business, secret: str) -> None:
        self.message_user(
            request,
            gettext(
                "New webhook secret for %(business)s: %(secret)s — copy it into your receiver now: "
                "it is not shown again (rotate it to get a new one)."
            )
            % {"business": business, "secret": secret},
            messages.WARNING,
        )

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        # Only owners (and superusers) may see a secret: managers never get the action.
        if not request.user.is_superuser and not business_ids(request, OWNERS):
            actions.pop("rotate_webhook_secret", None)
        return actions

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if request.user.is_superuser:
            return True
        roles = business_roles(request)
        if obj is None:
            return Membership.Role.OWNER in roles.values()
        return roles.get(obj.pk) == Membership.Role.OWNER


def _shown_as_limit(field: str) -> str:
    return "daily_limit" if field == "daily_invitation_limit" else field


@admin.register(StaffMember)
class StaffMemberAdmin(BusinessScopedAdmin):
    list_display = ["name", "email", "business", "active", "wants_digest"]
    list_filter = ["active", "wants_digest", "business"]
    search_fields = ["name", "email"]
    fields = ["business", "name", "email", "language", "active", "wants_digest", "open_feedback_link"]
    readonly_fields = ["open_feedback_link"]

    @admin.display(description=_("Open feedback link"))
    def open_feedback_link(self, obj: StaffMember | None) -> str:
        if obj is None or obj.pk is None:
            return gettext("Available once the staff member is saved.")
        if not obj.active:
            return gettext("Switched off while this staff member is inactive.")
        return format_html(
            gettext('<a href="{url}">QR code, table card and counter flyer</a> for customers {staff} served.'),
            url=f"{reverse('admin:feedback_openfeedbacklink_changelist')}?staff__id__exact={obj.pk}",
            staff=obj,
        )


@admin.register(Customer)
class CustomerAdmin(BusinessScopedAdmin):
    list_display = ["email", "name", "external_id", "business", "opted_out_at", "created_at"]
    list_filter = [("opted_out_at", admin.EmptyFieldListFilter), "business"]
    search_fields = ["email", "name", "external_id"]
    fields = ["business", "name", "email", "external_id", "opted_out_at", "bounced_at"]
    # Only the customer undoes an opt-out or a bounce, through their own link (feedback/views.py).
    readonly_fields = ["opted_out_at", "bounced_at"]
    date_hierarchy = "created_at"
    actions = ["export_data", "erase_selected"]

    @admin.action(description=_("Export selected customers' data (JSON)"))
    def export_data(self, request: HttpRequest, queryset) -> HttpResponse:
        """Everything held about each selected customer, for a request to see their data."""
        data = [customer_data_export(customer=customer) for customer in queryset.select_related("business")]
        response = JsonResponse(data, safe=False, encoder=DjangoJSONEncoder, json_dumps_params={"indent": 2})
        response["Content-Disposition"] = 'attachment; filename="customer-data.json"'
        return response

    @admin.action(description=_("Erase selected customers and all their feedback…"))
    def erase_selected(self, request: HttpRequest, queryset) -> HttpResponse | None:
        """A customer's request to be forgotten: a confirmation page, then everything from them goes."""
        if request.POST.get("confirm") == "erase":
            erased = customers_erase(customers=queryset)
            self.message_user(
                request,
                ngettext(
                    "Erased %(count)d customer and all their feedback.",
                    "Erased %(count)d customers and all their feedback.",
                    erased,
                )
                % {"count": erased},
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Erase customers?"),
            "customers": queryset.annotate(
                requests=Count("feedback_requests", distinct=True), answers=Count("feedback", distinct=True)
            ),
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/businesses/customer/erase_confirmation.html", context)


@admin.register(BusinessAPIKey)
class BusinessAPIKeyAdmin(BusinessScopedAdmin, APIKeyModelAdmin):
    """Owners create and revoke their integrators' keys; the key is shown once, on creation."""

    allowed_roles = OWNERS
    list_display = [*APIKeyModelAdmin.list_display, "business"]
    list_filter = [*APIKeyModelAdmin.list_filter, "business"]

    def get_fields(self, request, obj=None):
        return ["business", *[f for f in super().get_fields(request, obj) if f != "business"]]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Who runs which business. Only superusers manage logins and their roles."""

    list_display = ["user", "business", "role", "created_at"]
    list_filter = ["role", "business"]
    search_fields = ["user__username", "business__name"]
    autocomplete_fields = ["user", "business"]


# The library registers its own, business-less key model; ours replaces it.
admin.site.unregister(APIKey)
