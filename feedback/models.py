"""Feedback requests (the invitation and its outbox state) and the customers' answers."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from businesses.models import Business, Customer, StaffMember, language_choices
from core.verbose_names import translatable_names


class FeedbackRequestQuerySet(models.QuerySet):
    def external(self) -> FeedbackRequestQuerySet:
        return self.filter(internal=False)

    def internal_only(self) -> FeedbackRequestQuerySet:
        return self.filter(internal=True)


class FeedbackRequest(models.Model):
    """One invitation to one customer after one interaction.

    The row is its own outbox: it is committed as QUEUED, and a send claims it with a conditional
    update (status SENDING with a lease) before any email leaves. The reminder and expiry due times
    are stored, so a periodic sweep finds them without long Celery countdowns.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        REMINDED = "reminded", _("Reminded")
        RESPONDED = "responded", _("Responded")
        SUPPRESSED = "suppressed", _("Suppressed")
        BOUNCED = "bounced", _("Bounced")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    class Channel(models.TextChoices):
        EMAIL = "email", _("Emailed invitation")
        OPEN_LINK = "open_link", _("Open link (walk-in, QR code)")

    class SuppressionReason(models.TextChoices):
        OPTED_OUT = "opted_out", _("The customer opted out")
        BOUNCED = "bounced", _("The customer's address bounced")
        QUIET_PERIOD = "quiet_period", _("The customer was asked recently (quiet period)")

    # No single-column indexes on business and customer: the (business, created_at) and
    # (customer, created_at) indexes below serve those lookups. Every index is rewritten each time a
    # request changes status, which happens several times per request.
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="feedback_requests", db_index=False)
    # None only for an answer given through an open link without an email address.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="feedback_requests", db_index=False
    )
    staff = models.ForeignKey(
        StaffMember,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="feedback_requests",
        verbose_name=_("served by"),
    )
    interaction_at = models.DateTimeField(_("interaction time"))
    reference = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("Your id for the interaction (order, booking). Asked once per reference."),
    )
    internal = models.BooleanField(default=False, help_text=_("One team serving another: never published."))
    team = models.CharField(
        max_length=100, blank=True, help_text=_("For internal requests: the team that was served (e.g. Finance).")
    )
    # An emailed invitation proves the customer was served (a verified customer); an answer through
    # an open link (a QR code on the counter) does not. Such a request is created answered.
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    # The name given with an open-link answer (shown as "Maya L." when they agree to be named).
    respondent_name = models.CharField(max_length=200, blank=True)
    # The language of the emails and pages the customer reads; blank: the business's default.
    language = models.CharField(max_length=10, blank=True, choices=language_choices)

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    suppression_reason = models.CharField(max_length=20, choices=SuppressionReason.choices, blank=True)

    # Links: a random salt; the tokens are derived from it with SECRET_KEY, only their hashes kept.
    token_salt = models.CharField(max_length=64, editable=False)
    # Unique through Meta.constraints: a unique=True CharField also gets a LIKE index on PostgreSQL,
    # useless for hashes.
    feedback_token_hash = models.CharField(max_length=64, editable=False)
    unsubscribe_token_hash = models.CharField(max_length=64, editable=False)

    # Outbox
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    # When the sweep may (re)try a queued request: after the fast path's grace, or a back-off.
    next_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)
    claim = models.CharField(max_length=32, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Attempts at the one reminder, counted apart: its invitation's attempts are history by then.
    reminder_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    last_error = models.TextField(blank=True)

    # The time of each step
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    reminder_due_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    suppressed_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    objects = FeedbackRequestQuerySet.as_manager()

    # The time of each step, in the order they happen: shown by the API, the admin and data exports.
    STEP_FIELDS = [
        "created_at",
        "sent_at",
        "reminded_at",
        "responded_at",
        "suppressed_at",
        "bounced_at",
        "failed_at",
        "expires_at",
        "expired_at",
    ]

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "reference"],
                condition=~Q(reference=""),
                name="feedbackrequest_unique_reference",
            ),
            models.UniqueConstraint(fields=["feedback_token_hash"], name="feedbackrequest_feedback_token"),
            models.UniqueConstraint(fields=["unsubscribe_token_hash"], name="feedbackrequest_unsubscribe_token"),
        ]
        indexes = [
            # The sweep's indexes hold only the requests in the status each one looks for, so they
            # stay small and a request leaves them as it moves on (feedback/services/sending.py).
            models.Index(fields=["next_attempt_at"], condition=Q(status="queued"), name="feedbackrequest_outbox"),
            models.Index(fields=["lease_until"], condition=Q(status="sending"), name="feedbackrequest_lease"),
            # The dashboard's count of dead letters, and the admin's list of them, per business.
            models.Index(fields=["business"], condition=Q(status="failed"), name="feedbackrequest_failed"),
            models.Index(fields=["reminder_due_at"], condition=Q(status="sent"), name="feedbackrequest_reminder"),
            models.Index(
                fields=["expires_at"], condition=Q(status__in=["sent", "reminded"]), name="feedbackrequest_expiry"
            ),
            models.Index(fields=["customer", "created_at"], name="feedbackrequest_customer"),
            models.Index(fields=["business", "created_at"], name="feedbackrequest_business"),
            # The metrics' cohort (insights.metrics): one business's requests sent in a period. Staff, id
            # and channel ride along so PostgreSQL reads the cohort from the index alone (benchmarks/insights.py).
            models.Index(
                fields=["business", "internal", "sent_at", "staff", "id", "channel"], name="feedbackrequest_cohort"
            ),
        ]

    def __str__(self) -> str:
        if self.channel == self.Channel.OPEN_LINK:
            return gettext("Open-link answer #%(id)s") % {"id": self.pk}
        return gettext("Request #%(id)s to %(email)s") % {"id": self.pk, "email": self.customer.email}

    @property
    def contact(self) -> Customer:
        """The customer, or for an open-link answer without an email address an unsaved stand-in
        with the name given and no address (see Feedback.contact)."""
        if self.customer_id is not None:
            return self.customer
        return Customer(business_id=self.business_id, name=self.respondent_name, email="")

    @property
    def answering_name(self) -> str:
        """The name the answer is signed with: the one given with an open-link answer, else the customer's."""
        if self.channel == self.Channel.OPEN_LINK:
            return self.respondent_name
        return self.customer.name if self.customer else ""

    @property
    def customer_language(self) -> str:
        """The language the customer is written to: the request's own, else the business's default."""
        return self.business.customer_language(self.language)

    @property
    def verified(self) -> bool:
        """Whether the answer came from an emailed invitation (a customer the business really served)."""
        return self.channel == self.Channel.EMAIL


class FeedbackRequestEvent(models.Model):
    """The status history of a request: one row per step, never edited."""

    request = models.ForeignKey(FeedbackRequest, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(max_length=12, choices=FeedbackRequest.Status.choices)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_status_display()} at {self.created_at:%Y-%m-%d %H:%M}"


class FeedbackQuerySet(models.QuerySet):
    def external(self) -> FeedbackQuerySet:
        return self.filter(internal=False)


class Feedback(models.Model):
    """A customer's answer to one request. An edit through the same link replaces it."""

    class DisplayName(models.TextChoices):
        FIRST_NAME_INITIAL = "first_initial", _("First name and last initial")
        ANONYMOUS = "anonymous", _("Anonymous")

    request = models.OneToOneField(FeedbackRequest, on_delete=models.CASCADE, related_name="feedback")
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="feedback")
    # None only for an answer given through an open link without an email address.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="feedback")
    staff = models.ForeignKey(
        StaffMember,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="feedback",
        verbose_name=_("who helped"),
    )
    internal = models.BooleanField(default=False)
    # Copied from the request, like `internal`: an answer to an emailed invitation is a verified
    # customer's; one through an open link (a QR code) is not. The public summary counts both.
    verified = models.BooleanField(_("verified customer"), default=True)

    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(blank=True, validators=[MaxLengthValidator(5000)])
    improvement = models.TextField(_("idea to do better"), blank=True, validators=[MaxLengthValidator(2000)])
    recommend_score = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(10)]
    )

    consent_to_publish = models.BooleanField(default=False)
    consent_text = models.TextField(blank=True, help_text=_("The exact wording the customer agreed to."))
    consent_at = models.DateTimeField(null=True, blank=True)
    display_name_choice = models.CharField(
        max_length=16, choices=DisplayName.choices, default=DisplayName.FIRST_NAME_INITIAL
    )
    display_name = models.CharField(max_length=120, blank=True)

    submitted_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    editable_until = models.DateTimeField()

    objects = FeedbackQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name_plural = _("feedback")
        indexes = [
            models.Index(fields=["business", "internal", "submitted_at"], name="feedback_business_time"),
            # The answers the metrics join to their requests, read from the index alone (insights.metrics).
            models.Index(
                fields=["business", "request", "id", "rating", "recommend_score", "staff"], name="feedback_metrics"
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(rating)s★ from %(name)s") % {
            "rating": self.rating,
            "name": self.display_name or gettext("a customer"),
        }

    @property
    def contact(self) -> Customer:
        """Who answered, for reading and for checks: the customer, or for an open-link answer given
        without an email address an unsaved stand-in with the name they gave and no address (never
        emailable: every path that emails a customer checks for an address)."""
        if self.customer_id is not None:
            return self.customer
        return Customer(business_id=self.business_id, name=self.request.respondent_name, email="")


class ProcessedWebhookEvent(models.Model):
    """An email provider's tracking event already handled (providers deliver at least once)."""

    esp = models.CharField(max_length=40)
    event_id = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["esp", "event_id"], name="processedwebhookevent_unique")]

    def __str__(self) -> str:
        return f"{self.esp} event {self.event_id}"


class CustomerImport(models.Model):
    """A CSV of customers, read and checked, waiting for the owner to confirm it (admin import).

    The valid rows wait here between the preview and the confirmation, so nothing is created
    before the owner confirms and the file is not uploaded twice. Confirming claims the import
    (`confirmed_at`) and hands it to the worker, which creates its requests chunk by chunk
    (`rows_done` marks the progress, in the same transaction as each chunk), then clears the rows:
    the customers' data lives on in their requests, not in a forgotten upload.
    """

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="customer_imports")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    filename = models.CharField(max_length=255, blank=True)
    rows = models.JSONField(default=list, help_text="The valid rows, ready to become requests.")
    errors = models.JSONField(default=list, help_text="[{row, column, message}] for the rows refused.")
    ignored_columns = models.JSONField(default=list)
    row_count = models.PositiveIntegerField(default=0)
    invalid_row_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    confirmed_at = models.DateTimeField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    existing_count = models.PositiveIntegerField(default=0)
    suppressed_count = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the worker last moved it on (or it was confirmed); the sweep resumes one that stalled.
    progressed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, help_text="Why the last chunk failed; the sweep tries again.")

    class Meta:
        indexes = [
            # The sweep's index: only the imports confirmed and still being created.
            models.Index(
                fields=["progressed_at"],
                condition=Q(confirmed_at__isnull=False, finished_at__isnull=True),
                name="customerimport_running",
            ),
        ]

    def __str__(self) -> str:
        return f"Import #{self.pk} of {self.filename or 'a CSV file'}"


class ErasedAddress(models.Model):
    """An erased customer's address that had opted out or bounced, kept only as a keyed hash.

    Erasing a customer must not forget that they asked for no more email (or that their address
    bounces): a later request to the same address in the same business is suppressed with the same
    reason. The hash is an HMAC keyed by SECRET_KEY, so the address cannot be read back from it
    (see feedback/services/erased_addresses.py).
    """

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="erased_addresses")
    address_hash = models.CharField(max_length=64, editable=False)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("erased address")
        constraints = [
            models.UniqueConstraint(fields=["business", "address_hash"], name="erasedaddress_unique_per_business"),
        ]

    def __str__(self) -> str:
        return f"Erased address #{self.pk}"


class Idea(models.Model):
    """A customer's idea for improvement (their answer's `improvement`), followed up by the business."""

    class State(models.TextChoices):
        NEW = "new", _("New")
        CONSIDERING = "considering", _("Considering")
        DONE = "done", _("Done")
        NOT_NOW = "not_now", _("Not now")

    feedback = models.OneToOneField(Feedback, on_delete=models.CASCADE, related_name="idea")
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="ideas")
    state = models.CharField(max_length=12, choices=State.choices, default=State.NEW)
    note = models.TextField(blank=True, help_text=_("What you did or decided; quoted to the customer when it is done."))
    state_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set once, when the "you said, we did" email is queued: it never goes twice for one idea.
    told_customer_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["business", "state"], name="idea_business_state")]

    def __str__(self) -> str:
        return gettext("Idea #%(id)s (%(state)s)") % {"id": self.pk, "state": self.get_state_display()}


class BusinessIdeaSettings(models.Model):
    """A business's choice about ideas, kept on the feedback side (businesses' table left alone)."""

    business = models.OneToOneField(Business, on_delete=models.CASCADE, related_name="idea_settings")
    tell_customers_when_done = models.BooleanField(
        default=False, help_text=_('Email the customer once ("you said, we did") when their idea is marked done.')
    )

    class Meta:
        verbose_name_plural = _("business idea settings")

    def __str__(self) -> str:
        return gettext("Idea settings of %(business)s") % {"business": self.business}


def new_open_link_key() -> str:
    return secrets.token_urlsafe(9)  # 12 characters, 72 random bits


class OpenFeedbackLink(models.Model):
    """The open feedback link of a business, or of one staff member: printed as a QR code.

    Anyone holding it may answer (walk-in and phone customers), so its answers are not verified.
    The key is random rather than the business's slug, so an abused flyer can be replaced by a
    new key without renaming the business (`open_feedback_link_renew`).
    """

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="open_feedback_links")
    staff = models.ForeignKey(
        StaffMember, on_delete=models.CASCADE, null=True, blank=True, related_name="open_feedback_links"
    )
    key = models.CharField(max_length=32, default=new_open_link_key, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key"], name="openfeedbacklink_key"),
            models.UniqueConstraint(
                fields=["business"], condition=Q(staff__isnull=True), name="openfeedbacklink_one_per_business"
            ),
            models.UniqueConstraint(
                fields=["staff"], condition=Q(staff__isnull=False), name="openfeedbacklink_one_per_staff"
            ),
        ]

    def __str__(self) -> str:
        return gettext("Open feedback link of %(whom)s") % {"whom": self.staff or self.business}


# The names the admin shows for what Django names itself (see core/verbose_names.py).
translatable_names(
    FeedbackRequest,
    verbose_name=_("feedback request"),
    verbose_name_plural=_("feedback requests"),
    business=_("business"),
    customer=_("customer"),
    reference=_("reference"),
    internal=_("internal"),
    team=_("team"),
    channel=_("channel"),
    respondent_name=_("respondent name"),
    language=_("language"),
    status=_("status"),
    suppression_reason=_("suppression reason"),
    attempts=_("attempts"),
    last_error=_("last error"),
    created_at=_("created at"),
    sent_at=_("sent at"),
    reminder_due_at=_("reminder due at"),
    reminded_at=_("reminded at"),
    responded_at=_("responded at"),
    suppressed_at=_("suppressed at"),
    bounced_at=_("bounced at"),
    failed_at=_("failed at"),
    expires_at=_("expires at"),
    expired_at=_("expired at"),
    lease_until=_("lease until"),
    next_attempt_at=_("next attempt at"),
)
translatable_names(FeedbackRequestEvent, status=_("status"), note=_("note"), created_at=_("created at"))
translatable_names(
    Feedback,
    verbose_name=_("feedback"),
    business=_("business"),
    request=_("request"),
    customer=_("customer"),
    internal=_("internal"),
    rating=_("rating"),
    comment=_("comment"),
    recommend_score=_("recommend score"),
    consent_to_publish=_("consent to publish"),
    consent_text=_("consent text"),
    consent_at=_("consent at"),
    display_name_choice=_("display name choice"),
    display_name=_("display name"),
    submitted_at=_("submitted at"),
    updated_at=_("updated at"),
    editable_until=_("editable until"),
)
translatable_names(
    Idea,
    verbose_name=_("idea"),
    verbose_name_plural=_("ideas"),
    business=_("business"),
    state=_("state"),
    note=_("note"),
    state_changed_at=_("state changed at"),
    told_customer_at=_("told customer at"),
    created_at=_("created at"),
)
translatable_names(
    BusinessIdeaSettings,
    verbose_name=_("business idea settings"),
    business=_("business"),
    tell_customers_when_done=_("tell customers when done"),
)
translatable_names(
    OpenFeedbackLink,
    verbose_name=_("open feedback link"),
    verbose_name_plural=_("open feedback links"),
    business=_("business"),
    staff=_("staff"),
    created_at=_("created at"),
)
