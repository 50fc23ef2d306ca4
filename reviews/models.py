"""Reviews (consented feedback, moderated by content) and complaint cases (low ratings, worked to a resolution)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from businesses.models import Business, StaffMember
from core.verbose_names import translatable_names
from feedback.models import Feedback
from reviews.acknowledgement import Acknowledgement, case_acknowledgement


class ReviewQuerySet(models.QuerySet):
    def published(self) -> ReviewQuerySet:
        return self.filter(status=Review.Status.PUBLISHED)

    def pending(self) -> ReviewQuerySet:
        return self.filter(status=Review.Status.PENDING)

    def awaiting_moderation(self) -> ReviewQuerySet:
        """New reviews awaiting a decision, and published reviews whose customer's edit awaits one."""
        return self.filter(models.Q(status=Review.Status.PENDING) | models.Q(edit_pending=True))


class Review(models.Model):
    """Feedback whose customer consented to publish it. The customer's words stay in `feedback`, unedited.

    The public sees only words a moderator approved (or Raves, for a business that publishes
    unflagged reviews automatically): `published_comment` and `published_display_name`, copied from
    the feedback when the review or an edit of it is published. When the customer edits a published
    review, the new words wait in `feedback` (`edit_pending`) and the approved ones stay public.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting moderation")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Rejected")

    class RejectionReason(models.TextChoices):
        """The content policy. A rating is never a reason."""

        PERSONAL_DATA = "personal_data", _("Contains personal or confidential data")
        OFFENSIVE = "offensive", _("Offensive, harassing or obscene")
        DISCRIMINATORY = "discriminatory", _("Discriminatory")
        FALSE_OR_FAKE = "false_or_fake", _("Clearly false or fake")
        UNRELATED_OR_SPAM = "unrelated_or_spam", _("Unrelated to the business, or spam")
        CUSTOMER_ASKED = "customer_asked", _("The customer asked us not to publish it")
        LEGAL = "legal", _("Legal reason (e.g. defamatory, court order)")

    class Flag(models.TextChoices):
        LINK = "link", _("Contains a link")
        CONTACT = "contact", _("Contains an email address or phone number")
        PROFANITY = "profanity", _("Contains profanity")
        SHORT = "short", _("Empty or very short text")

    feedback = models.OneToOneField(Feedback, on_delete=models.CASCADE, related_name="review")
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="reviews")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    flags = models.JSONField(default=list, blank=True, help_text=_("Content flags found on submit and on edit."))
    rejection_reason = models.CharField(max_length=20, choices=RejectionReason.choices, blank=True)
    featured = models.BooleanField(default=False)
    reply = models.TextField(_("public reply"), blank=True, max_length=5000)
    replied_at = models.DateTimeField(null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verified = models.BooleanField(_("verified customer"), default=True, help_text=_("It came from an invitation."))
    from_team_member = models.BooleanField(default=False, help_text=_("The customer is also on the staff."))
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    published_comment = models.TextField(blank=True, help_text=_("The approved words the public sees."))
    published_display_name = models.CharField(max_length=120, blank=True, help_text=_("The approved name shown."))
    edit_pending = models.BooleanField(
        default=False, help_text=_("The customer changed this published review's words; a moderator must decide.")
    )
    edited_at = models.DateTimeField(null=True, blank=True, help_text=_("When the pending edit was made."))
    rejected_edit_digest = models.CharField(
        max_length=64, blank=True, help_text=_("SHA-256 of the words of the edit a moderator last turned down.")
    )

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["business", "status", "published_at"], name="review_business_status")]

    def __str__(self) -> str:
        return gettext("Review #%(id)s (%(status)s)") % {"id": self.pk, "status": self.get_status_display()}

    @property
    def rating(self) -> int:
        return self.feedback.rating


class ModerationLogEntry(models.Model):
    """One moderation step: who, when, from which status to which, and why. Never edited."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        EDITED = "edited", _("Edited by the customer")
        EDIT_PUBLISHED = "edit_published", _("Edit published")
        EDIT_AUTO_PUBLISHED = "edit_auto_published", _("Edit published automatically")
        EDIT_REJECTED = "edit_rejected", _("Edit rejected (the approved version stays public)")
        PUBLISHED = "published", _("Published")
        AUTO_PUBLISHED = "auto_published", _("Published automatically")
        REJECTED = "rejected", _("Rejected")
        RETURNED = "returned", _("Returned to moderation")  # older entries: an edit now waits as `edit_pending`
        REPLIED = "replied", _("Replied")
        FEATURED = "featured", _("Featured")
        UNFEATURED = "unfeatured", _("No longer featured")
        WITHDRAWN = "withdrawn", _("Consent withdrawn by the customer")

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="log")
    action = models.CharField(max_length=20, choices=Action.choices)
    from_status = models.CharField(max_length=10, choices=Review.Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=Review.Status.choices, blank=True)
    reason = models.CharField(max_length=20, choices=Review.RejectionReason.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=120, help_text=_("Who acted: a login, an API key, the customer, Raves."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = _("moderation log entries")

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor_label}"


class CaseQuerySet(models.QuerySet):
    def open(self) -> CaseQuerySet:
        return self.exclude(status=Case.Status.RESOLVED)

    def overdue(self, now=None) -> CaseQuerySet:
        return self.open().filter(first_response_at__isnull=True, deadline__lt=now or timezone.now())


class Case(models.Model):
    """A complaint: a low rating, worked by a person to a resolution before a deadline."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CONTACTED = "contacted", _("Customer contacted")
        RESOLVED = "resolved", _("Resolved")

    feedback = models.OneToOneField(Feedback, on_delete=models.CASCADE, related_name="case")
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="cases")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_cases"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField(help_text=_("When the first response is due."))
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)
    overdue_reminded_at = models.DateTimeField(null=True, blank=True)
    follow_up_sent_at = models.DateTimeField(_("“did we make it right?” sent"), null=True, blank=True)
    original_rating = models.PositiveSmallIntegerField(help_text=_("The rating that opened the case."))
    cause = models.CharField(
        max_length=50, blank=True, help_text=_("Why it went wrong: a slug from the business's list of causes.")
    )
    system_problem = models.BooleanField(
        null=True, blank=True, help_text=_("True: a system problem; False: a one-off; empty: not said.")
    )
    reopened_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When a customer's reply last reopened this case after it was resolved.")
    )
    staff_owner = models.ForeignKey(
        StaffMember,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_cases",
        help_text=_("A staff member without a login who works the case through an emailed link."),
    )
    staff_link_version = models.PositiveIntegerField(
        default=0, help_text=_("Part of every staff link to this case: bumped to revoke the links already sent.")
    )
    resolved_by_staff = models.ForeignKey(
        StaffMember,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resolved_cases",
        help_text=_("The staff member who resolved it through their link: credited in the weekly wins."),
    )

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["deadline"]
        indexes = [models.Index(fields=["business", "status", "deadline"], name="case_business_status")]

    def __str__(self) -> str:
        return gettext("Case #%(id)s: %(rating)s★ from %(name)s") % {
            "id": self.pk,
            "rating": self.original_rating,
            "name": self.feedback.display_name or gettext("a customer"),
        }

    @property
    def is_overdue(self) -> bool:
        return self.status != self.Status.RESOLVED and self.first_response_at is None and self.deadline < timezone.now()

    @property
    def acknowledgement(self) -> Acknowledgement | None:
        """What the customer is told while the case is worked (None once resolved: the promise is kept)."""
        return None if self.status == self.Status.RESOLVED else case_acknowledgement(self)


class CaseNote(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return gettext("Note on case #%(id)s") % {"id": self.case_id}


class CaseMessage(models.Model):
    """One message of the conversation between the business and the customer on a case, or a logged call."""

    class Direction(models.TextChoices):
        TO_CUSTOMER = "to_customer", _("To the customer")
        FROM_CUSTOMER = "from_customer", _("From the customer")

    class Kind(models.TextChoices):
        MESSAGE = "message", _("Message")
        CALL = "call", _("Phone call")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=15, choices=Direction.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MESSAGE)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_label = models.CharField(max_length=120, help_text=_("Who wrote it: a login, an API key, the customer."))
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="case_message_case_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_direction_display().lower()} on case #{self.case_id}"


class RatingChange(models.Model):
    """The history of a feedback's rating: every value it had, kept when the customer changes it."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="rating_history")
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    after_case = models.BooleanField(default=False, help_text=_("Given after a complaint was resolved."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.rating}★ at {self.created_at:%Y-%m-%d}"


class Congratulation(models.Model):
    """A personal line from an owner or manager to the staff member a review names, with the customer's words."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="congratulations")
    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="congratulations")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    note = models.TextField(max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Congratulations to {self.staff} on review #{self.review_id}"

    def author_label(self) -> str:
        """Who signed it: the author's full name, else their email."""
        if self.author is None:
            return gettext("A former manager")
        return self.author.get_full_name() or self.author.email or self.author.get_username()


# The names the admin shows for what Django names itself (see core/verbose_names.py).
translatable_names(
    Review,
    verbose_name=_("review"),
    verbose_name_plural=_("reviews"),
    business=_("business"),
    status=_("status"),
    rejection_reason=_("rejection reason"),
    featured=_("featured"),
    replied_at=_("replied at"),
    replied_by=_("replied by"),
    from_team_member=_("from team member"),
    created_at=_("created at"),
    published_at=_("published at"),
    edit_pending=_("edit pending"),
    edited_at=_("edited at"),
)
translatable_names(
    ModerationLogEntry,
    action=_("action"),
    from_status=_("from status"),
    to_status=_("to status"),
    reason=_("reason"),
)
translatable_names(
    Case,
    verbose_name=_("case"),
    verbose_name_plural=_("cases"),
    business=_("business"),
    status=_("status"),
    assignee=_("assignee"),
    opened_at=_("opened at"),
    deadline=_("deadline"),
    first_response_at=_("first response at"),
    resolved_at=_("resolved at"),
    resolution=_("resolution"),
    cause=_("cause"),
    system_problem=_("system problem"),
    reopened_at=_("reopened at"),
    staff_owner=_("staff owner"),
)
translatable_names(
    CaseNote, verbose_name=_("case note"), author=_("author"), created_at=_("created at"), text=_("text")
)
