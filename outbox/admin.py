from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from businesses.admin_scoping import BusinessScopedAdmin
from businesses.models import Membership
from outbox.models import OutboxEmail, WebhookDelivery
from outbox.services import outbox_emails_send_again
from outbox.webhook_http import redact_url
from outbox.webhooks import webhooks_send_again

Status = WebhookDelivery.Status


def report_sent_again(modeladmin: admin.ModelAdmin, request: HttpRequest, requeued: list[int], noun: str) -> None:
    """Say what "Send again" did: how many it requeued, or that there was nothing (left) to requeue."""
    if requeued:
        modeladmin.message_user(request, f"{len(requeued)} failed {noun} queued to be sent again.", messages.SUCCESS)
    else:
        modeladmin.message_user(
            request,
            f"Nothing sent again: none of the selected {noun} has failed (those already sent again are queued).",
            messages.WARNING,
        )


@admin.register(OutboxEmail)
class OutboxEmailAdmin(BusinessScopedAdmin):
    """For owners: the emails sent to them and their staff (alerts, follow-ups, kudos, digests), how
    each ended, and "Send again" for those that failed. Read-only otherwise."""

    allowed_roles = frozenset({Membership.Role.OWNER})
    list_display = ["subject", "to", "business", "status", "attempts", "last_error", "created_at", "sent_at"]
    list_filter = ["status", "business"]
    search_fields = ["to", "subject", "key"]
    readonly_fields = [field.name for field in OutboxEmail._meta.fields]
    actions = ["send_again"]

    @admin.action(description="Send again (failed ones)")
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutboxEmail]) -> None:
        report_sent_again(self, request, outbox_emails_send_again(emails=queryset), "emails")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
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
    """For owners: every webhook delivery of their business, how it ended and why; "Send again" for
    those that failed. Read-only otherwise."""

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
    actions = ["send_again"]

    @admin.action(description="Send again (failed ones)")
    def send_again(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        report_sent_again(self, request, webhooks_send_again(deliveries=queryset), "deliveries")

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
