"""The owner's admin for their business, staff, customers and API keys."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
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
