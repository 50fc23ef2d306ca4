from django.contrib import admin

from outbox.models import OutboxEmail


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    """For operators (superusers): what went out to owners and staff, and what is stuck."""

    list_display = ["subject", "to", "business", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "business"]
    search_fields = ["to", "subject", "key"]
    readonly_fields = [field.name for field in OutboxEmail._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
