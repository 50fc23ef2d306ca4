"""The owner's admin for their business, staff, customers and API keys."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import helpers
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from businesses.admin_scoping import BusinessScopedAdmin, business_roles
from businesses.models import Business, BusinessAPIKey, Customer, Membership, StaffMember
from showcase.cache import showcase_cache_invalidate

OWNERS = frozenset({Membership.Role.OWNER})


@admin.register(Business)
class BusinessAdmin(BusinessScopedAdmin):
    business_path = "pk"
    list_display = ["name", "slug", "timezone", "auto_publish", "showcase_enabled"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "logo_url", "timezone"]}),
        (
            "Contact details (shown to customers and on the public page)",
            {"fields": ["phone", "email", "website", "address", "review_url"]},
        ),
        (
            "Asking customers",
            {"fields": ["quiet_period_days", "reminder_delay_days", "link_lifetime_days", "ask_recommend_score"]},
        ),
        (
            "Complaints and reviews",
            {"fields": ["low_rating_threshold", "complaint_response_hours", "auto_publish", "showcase_enabled"]},
        ),
        ("Weekly wins email", {"fields": ["digest_weekday", "digest_hour"]}),
        ("Webhooks", {"fields": ["webhook_url", "webhook_secret"], "classes": ["collapse"]}),
    ]

    def save_model(self, request: HttpRequest, obj: Business, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        showcase_cache_invalidate(obj.pk)  # the public page shows the name, contact details and logo

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


@admin.register(StaffMember)
class StaffMemberAdmin(BusinessScopedAdmin):
    list_display = ["name", "email", "business", "active", "wants_digest"]
    list_filter = ["active", "wants_digest", "business"]
    search_fields = ["name", "email"]
    fields = ["business", "name", "email", "active", "wants_digest"]


@admin.register(Customer)
class CustomerAdmin(BusinessScopedAdmin):
    list_display = ["email", "name", "external_id", "business", "opted_out_at", "created_at"]
    list_filter = [("opted_out_at", admin.EmptyFieldListFilter), "business"]
    search_fields = ["email", "name", "external_id"]
    fields = ["business", "name", "email", "external_id", "opted_out_at"]
    date_hierarchy = "created_at"
    actions = ["export_data", "erase_selected"]

    @admin.action(description="Export selected customers' data (JSON)")
    def export_data(self, request: HttpRequest, queryset) -> HttpResponse:
        """Everything held about each selected customer, for a request to see their data."""
        from feedback.services.privacy import customer_data_export

        data = [customer_data_export(customer=customer) for customer in queryset.select_related("business")]
        response = JsonResponse(data, safe=False, encoder=DjangoJSONEncoder, json_dumps_params={"indent": 2})
        response["Content-Disposition"] = 'attachment; filename="customer-data.json"'
        return response

    @admin.action(description="Erase selected customers and all their feedback…")
    def erase_selected(self, request: HttpRequest, queryset) -> HttpResponse | None:
        """A customer's request to be forgotten: a confirmation page, then everything from them goes."""
        from feedback.services.privacy import customers_erase

        if request.POST.get("confirm") == "erase":
            erased = customers_erase(customers=queryset)
            self.message_user(request, f"Erased {erased} customer{'s' if erased != 1 else ''} and all their feedback.")
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Erase customers?",
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
