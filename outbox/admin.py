from django.contrib import admin

from outbox.models import OutboxEmail, WebhookDelivery


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    """For operators (superusers): what went out to owners and staff, and what is stuck."""

    list_display = ["subject", "to", "business", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "business"]
    search_fields = ["to", "subject", "key"]
    readonly_fields = [field.name for field in OutboxEmail._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """For operators (superusers): webhook deliveries, their attempts and last answers."""

    list_display = ["event", "business", "url", "status", "attempts", "last_status_code", "created_at"]
    list_filter = ["status", "event", "business"]
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
