from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from businesses.admin_scoping import BusinessScopedAdmin
from businesses.models import Membership
from outbox.models import OutboxEmail, WebhookDelivery
from outbox.webhook_http import redact_url

Status = WebhookDelivery.Status


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    """For operators (superusers): what went out to owners and staff, and what is stuck."""

    list_display = ["subject", "to", "business", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "business"]
    search_fields = ["to", "subject", "key"]
    readonly_fields = [field.name for field in OutboxEmail._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


class DeliveryOutcome(admin.SimpleListFilter):
    """Delivered, retrying (an attempt failed, another is due later), failed (gave up), or waiting."""

    title = "outcome"
    parameter_name = "outcome"
    OUTCOMES = {
        "delivered": Q(status=Status.DELIVERED),
        "retrying": Q(status=Status.QUEUED, attempts__gt=0),
        "failed": Q(status=Status.FAILED),
        "waiting": Q(status=Status.QUEUED, attempts=0) | Q(status=Status.SENDING),
    }

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [(value, value.capitalize()) for value in self.OUTCOMES]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        outcome = self.OUTCOMES.get(self.value() or "")
        return queryset if outcome is None else queryset.filter(outcome)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(BusinessScopedAdmin):
    """For owners: every webhook delivery of their business, how it ended and why. Read-only."""

    allowed_roles = frozenset({Membership.Role.OWNER})
    list_display = [
        "event",
        "business",
        "receiver",
        "outcome",
        "attempts",
        "last_status_code",
        "last_error",
        "created_at",
    ]
    list_filter = [DeliveryOutcome, "event", "business"]
    fields = [
        "business",
        "event",
        "receiver",
        "outcome",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "created_at",
        "delivered_at",
        "body",
    ]
    readonly_fields = fields
    date_hierarchy = "created_at"

    @admin.display(description="receiver")
    def receiver(self, delivery: WebhookDelivery) -> str:
        return redact_url(delivery.url)  # a URL may carry a password or a token

    @admin.display(description="outcome")
    def outcome(self, delivery: WebhookDelivery) -> str:
        if delivery.status == Status.QUEUED:
            return "Retrying" if delivery.attempts else "Waiting"
        return delivery.get_status_display()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
