from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from businesses.admin_scoping import BusinessScopedAdmin
from businesses.models import Membership
from outbox.models import OutboxEmail, WebhookDelivery
from outbox.services import outbox_emails_send_again
from outbox.webhook_http import redact_url
from outbox.webhooks import webhooks_send_again

Status = WebhookDelivery.Status


def report_sent_again(modeladmin: admin.ModelAdmin, request: HttpRequest, requeued: list[int], kind: str) -> None:
    """Say what "Send again" did: how many it requeued, or that there was nothing (left) to requeue.

    `kind` is what was selected: "requests", "emails" or "deliveries".
    """
    if requeued:
        count = len(requeued)
        sent = {
            "requests": ngettext(
                "%(count)d failed request queued to be sent again.",
                "%(count)d failed requests queued to be sent again.",
                count,
            ),
            "emails": ngettext(
                "%(count)d failed email queued to be sent again.",
                "%(count)d failed emails queued to be sent again.",
                count,
            ),
            "deliveries": ngettext(
                "%(count)d failed delivery queued to be sent again.",
                "%(count)d failed deliveries queued to be sent again.",
                count,
            ),
        }[kind]
        modeladmin.message_user(request, sent % {"count": count}, messages.SUCCESS)
        return
    nothing = {
        "requests": gettext(
            "Nothing sent again: none of the selected requests has failed (those already sent again are queued)."
        ),
        "emails": gettext(
            "Nothing sent again: none of the selected emails has failed (those already sent again are queued)."
        ),
        "deliveries": gettext(
            "Nothing sent again: none of the selected deliveries has failed (those already sent again are queued)."
        ),
    }[kind]
    modeladmin.message_user(request, nothing, messages.WARNING)


class ReadOnlyRecordAdmin(BusinessScopedAdmin):
    """A record of what was sent: looked at and sent again, never written by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReadOnlyRecordAdmin):
    """For owners: the emails sent to them and their staff (alerts, follow-ups, kudos, digests), how
    each ended, and "Send again" for those that failed. Read-only otherwise."""

    allowed_roles = frozenset({Membership.Role.OWNER})
    list_display = ["subject", "to", "business", "status", "attempts", "last_error", "created_at", "sent_at"]
    list_filter = ["status", "business"]
    search_fields = ["to", "subject", "key"]
    readonly_fields = [field.name for field in OutboxEmail._meta.fields]
    actions = ["send_again"]

    @admin.action(description=_("Send again (failed ones)"))
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutboxEmail]) -> None:
        report_sent_again(self, request, outbox_emails_send_again(emails=queryset), "emails")


class DeliveryOutcome(admin.SimpleListFilter):
    """Delivered, retrying (an attempt failed, another is due later), failed (gave up), or waiting."""

    title = _("outcome")
    parameter_name = "outcome"
    OUTCOMES = {
        "delivered": Q(status=Status.DELIVERED),
        "retrying": Q(status=Status.QUEUED, attempts__gt=0),
        "failed": Q(status=Status.FAILED),
        "waiting": Q(status=Status.QUEUED, attempts=0) | Q(status=Status.SENDING),
    }

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        labels = {
            "delivered": gettext("Delivered"),
            "retrying": gettext("Retrying"),
            "failed": gettext("Failed"),
            "waiting": gettext("Waiting"),
        }
        return [(value, labels[value]) for value in self.OUTCOMES]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        outcome = self.OUTCOMES.get(self.value() or "")
        return queryset if outcome is None else queryset.filter(outcome)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyRecordAdmin):
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

    @admin.action(description=_("Send again (failed ones)"))
    def send_again(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        report_sent_again(self, request, webhooks_send_again(deliveries=queryset), "deliveries")

    @admin.display(description=_("receiver"))
    def receiver(self, delivery: WebhookDelivery) -> str:
        return redact_url(delivery.url)  # a URL may carry a password or a token

    @admin.display(description=_("outcome"))
    def outcome(self, delivery: WebhookDelivery) -> str:
        if delivery.status == Status.QUEUED:
            return gettext("Retrying") if delivery.attempts else gettext("Waiting")
        return delivery.get_status_display()
