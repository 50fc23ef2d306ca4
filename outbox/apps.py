from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    """Emails to owners and staff (alerts, kudos, digests), kept in the database until sent.

    Customers' invitations have their own outbox (the feedback request row); everything else
    goes through here: queued in the same transaction as the event that causes it, claimed
    before sending, deduplicated by a key so it is never sent twice.
    """

    name = "outbox"
    verbose_name = _("Outbox")
