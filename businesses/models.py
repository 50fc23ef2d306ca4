"""Tenancy: a `Business` and everything that belongs to exactly one business.

Every model outside this app that holds customer data points at a business (directly or through
a parent), and the admin and the API scope every query by it.
"""

from __future__ import annotations

import re
import secrets
import string
import zoneinfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.text import capfirst, format_lazy, slugify
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey, APIKeyManager

from core.verbose_names import translatable_names


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            gettext("“%(value)s” is not a time zone name; use one like Europe/Paris.") % {"value": value}
        )


# The causes a resolved case is filed under when the business keeps no list of its own.
DEFAULT_CASE_CAUSES: list[tuple[str, str]] = [
    ("waiting_time", _("Waiting time")),
    ("quality", _("Product or service quality")),
    ("staff_manner", _("Staff manner")),
    ("billing", _("Billing")),
    ("communication", _("Communication")),
    ("policy", _("A policy")),
    ("other", _("Other")),
]

# The words an owner may use in the acknowledgement sent to an unhappy customer, and the default
# wording (used when the business has written none).
ACKNOWLEDGEMENT_PLACEHOLDERS = frozenset({"customer_first_name", "business", "who", "deadline"})
# Marked for translation: a customer reads it in their own language (reviews/acknowledgement.py).
DEFAULT_ACKNOWLEDGEMENT_TEMPLATE = gettext_noop(
    "We're sorry your visit fell short, {customer_first_name}. Thank you for telling us: "
    "{who} will get back to you by {deadline}."
)


def cause_slug(label: str) -> str:
    """The stable key of a cause label, as stored on a case: "Parking lot" -> "parking_lot"."""
    return slugify(label).replace("-", "_")


def validate_acknowledgement_template(value: str) -> None:
    """Refuse placeholders we cannot fill and braces str.format cannot read, naming the problem."""
    allowed = ", ".join(f"{{{name}}}" for name in sorted(ACKNOWLEDGEMENT_PLACEHOLDERS))
    try:
        fields = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(value)
            if name is not None
        ]
    except ValueError:
        raise ValidationError(
            gettext(
                "A “{” or “}” is unmatched: write placeholders like {who}, or double a brace ({{ or }}) to show one."
            )
        ) from None
    unknown = sorted({name for name, _, _ in fields if name not in ACKNOWLEDGEMENT_PLACEHOLDERS})
    if unknown:
        named = ", ".join(f"{{{name}}}" for name in unknown)
        raise ValidationError(
            gettext("Unknown placeholder %(named)s: use only %(allowed)s.") % {"named": named, "allowed": allowed}
        )
    if any(spec or conversion for _, spec, conversion in fields):
        raise ValidationError(
            gettext("Write placeholders plainly, with nothing after the name: %(allowed)s.") % {"allowed": allowed}
        )


def language_choices() -> list[tuple[str, str]]:
    """The languages of this install (settings.LANGUAGES), as (code, name)."""
    return list(settings.LANGUAGES)


def installed_language_codes() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def validate_language_codes(value: object) -> None:
    codes = installed_language_codes()
    if not isinstance(value, list) or any(code not in codes for code in value):
        raise ValidationError(
            gettext("Choose among the languages of this install: %(codes)s.") % {"codes": ", ".join(codes)}
        )


class LanguagesField(models.JSONField):
    """A list of language codes, edited as one checkbox per language of the install."""

    def formfield(self, **kwargs):
        return forms.MultipleChoiceField(
            choices=language_choices,
            required=not self.blank,
            widget=forms.CheckboxSelectMultiple,
            label=capfirst(self.verbose_name),
            help_text=self.help_text,
        )


DEFAULT_ACCENT_COLOR = "#1d4ed8"
HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def relative_luminance(color: str) -> float:
    """WCAG 2 relative luminance of a #rrggbb colour."""
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_with_white(color: str) -> float:
    """The WCAG contrast ratio of white text on `color` (1 to 21)."""
    return 1.05 / (relative_luminance(color) + 0.05)


def validate_accent_color(value: str) -> None:
    if not HEX_COLOR.fullmatch(value or ""):
        raise ValidationError(gettext("Write the colour as # and six hex digits, e.g. #1d4ed8."))
    if contrast_with_white(value) < 4.5:
        raise ValidationError(
            gettext(
                "White text on %(colour)s is too faint to read (contrast %(contrast)s:1; at least 4.5:1 is needed). "
                "Choose a darker colour."
            )
            % {"colour": value, "contrast": f"{contrast_with_white(value):.1f}"}
        )


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class BusinessQuerySet(models.QuerySet):
    def for_user(self, user) -> BusinessQuerySet:
        """The businesses a logged-in user may manage (all of them for a superuser)."""
        if user.is_superuser:
            return self
        return self.filter(memberships__user=user).distinct()


class Business(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True, help_text=_("Part of the public page's address."))
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    logo_url = models.URLField(blank=True, help_text=_("An image shown on the public page and in the emails."))
    accent_color = models.CharField(
        _("accent colour"),
        max_length=7,
        default=DEFAULT_ACCENT_COLOR,
        validators=[validate_accent_color],
        help_text=_(
            "Buttons, links and stars on your pages and emails, as #rrggbb; dark enough to read white text on."
        ),
    )

    # Contact details, shown front and centre on the public page and in every email.
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    address = models.TextField(blank=True)
    review_url = models.URLField(
        _("public review profile"),
        blank=True,
        help_text=_("Your profile on a review site (e.g. Google); offered to every customer who answers."),
    )
    flyer_line = models.CharField(
        _("line on the flyers"),
        max_length=160,
        blank=True,
        help_text=_("A line in your own voice, printed on the QR table cards and counter flyers."),
    )

    # Languages the customers are asked in (emails and pages).
    default_language = models.CharField(
        max_length=10,
        choices=language_choices,
        default="en",
        help_text=_("Customers are asked in this language unless their request names another."),
    )
    languages = LanguagesField(
        _("languages offered"),
        default=list,
        blank=True,
        validators=[validate_language_codes],
        help_text=_("The languages customers may choose between. None ticked: every language of this install."),
    )

    # Asking
    quiet_period_days = models.PositiveSmallIntegerField(
        default=30,
        # At least a day: with 0, every API call could email the same person again.
        validators=[MinValueValidator(1, _("The quiet period is at least 1 day."))],
        help_text=_("Do not ask the same customer again within this many days (at least 1)."),
    )
    reminder_delay_days = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_("Send one reminder after this many days without an answer."),
    )
    link_lifetime_days = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1)], help_text=_("Feedback links stop working after this many days.")
    )
    daily_invitation_limit = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1, _("The daily limit is at least 1 email."))],
        help_text=_(
            "Invitations and reminders sent per day at most (in the business's time zone); the rest wait "
            "for the next day. Empty: the server's FEEDBACK_DAILY_LIMIT. Only a superuser can change it."
        ),
    )
    ask_recommend_score = models.BooleanField(
        default=True,
        help_text=_("Ask “How likely are you to recommend us?” (0–10) for the recommend score (NPS)."),
    )

    # Complaints and moderation
    low_rating_threshold = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text=_("A rating at or below this opens a complaint case."),
    )
    complaint_response_hours = models.PositiveSmallIntegerField(
        default=24, validators=[MinValueValidator(1)], help_text=_("Deadline for the first response to a complaint.")
    )
    acknowledgement_template = models.TextField(
        _("apology to an unhappy customer"),
        blank=True,
        validators=[validate_acknowledgement_template],
        help_text=format_lazy(
            "{}“{}”",
            _(
                "Shown and emailed at once to a customer whose answer opens a case. Placeholders: "
                "{customer_first_name}, {business}, {who} (who will get back to them), {deadline}. Empty: "
            ),
            _(DEFAULT_ACKNOWLEDGEMENT_TEMPLATE),  # marked for translation where it is defined
        ),
    )
    case_causes = models.TextField(
        _("causes of complaints"),
        blank=True,
        help_text=_(
            "One cause per line, offered when a case is resolved. Empty: waiting time, product or service "
            "quality, staff manner, billing, communication, a policy, other."
        ),
    )
    auto_publish = models.BooleanField(
        _("publish unflagged reviews automatically"),
        default=False,
        help_text=_("Publish reviews with no content flag at once, whatever their rating. Flagged ones wait for you."),
    )
    showcase_enabled = models.BooleanField(_("public page on"), default=True)

    # Webhooks out: a signed POST on a new review and a new complaint case.
    webhook_url = models.URLField(
        blank=True, help_text=_("Receives a signed POST on review.created, review.published and case.opened.")
    )
    webhook_secret = models.CharField(
        max_length=64, blank=True, help_text=_("Signs each webhook (HMAC-SHA256). Filled in when left empty.")
    )

    # Weekly wins email, in the business's own time zone
    digest_weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.MONDAY)
    digest_hour = models.PositiveSmallIntegerField(default=9, validators=[MaxValueValidator(23)])

    created_at = models.DateTimeField(auto_now_add=True)

    objects = BusinessQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("businesses")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quiet_period_days__gte=1),
                name="business_quiet_period_at_least_one_day",
                violation_error_message=_("The quiet period is at least 1 day."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def invitations_per_day(self) -> int:
        """The daily cap of invitation emails: this business's own, else the server's default."""
        return self.daily_invitation_limit or settings.FEEDBACK_DAILY_LIMIT

    def case_cause_choices(self) -> list[tuple[str, str]]:
        """The (slug, label) causes a case of this business is filed under: its own list, else the defaults."""
        choices: dict[str, str] = {}
        for line in self.case_causes.splitlines():
            label = line.strip()
            if cause_slug(label) and cause_slug(label) not in choices:  # blank lines and repeats are ignored
                choices[cause_slug(label)] = label
        return list(choices.items()) or list(DEFAULT_CASE_CAUSES)

    def offered_languages(self) -> list[str]:
        """The codes of the languages customers may be asked in: the business's own list, else all."""
        installed = installed_language_codes()
        return [code for code in self.languages or installed if code in installed]

    def customer_language(self, preferred: str = "") -> str:
        """`preferred` when this business offers it, else its default language (else the install's)."""
        offered = self.offered_languages()
        for code in (preferred, self.default_language):
            if code and code in offered:
                return code
        return offered[0] if offered else settings.LANGUAGE_CODE

    def clean(self) -> None:
        if self.languages and self.default_language not in self.languages:
            raise ValidationError(
                {
                    "default_language": gettext(
                        "The default language must be one of the languages offered (or tick none)."
                    )
                }
            )
        if self.webhook_url and not self.webhook_secret:
            self.webhook_secret = secrets.token_hex(32)


class DailyInvitationCount(models.Model):
    """How many invitation emails (first invitations and reminders) a business has taken for
    sending on one day of its own calendar, against its daily cap.

    Sending reserves its slots here when it claims a batch, by a conditional update of this one
    row, so workers sending at once never pass the cap; slots of messages that did not go are
    given back.
    """

    # No index of its own: the unique (business, day) index serves lookups and cascades.
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="daily_counts", db_index=False)
    day = models.DateField(help_text=_("In the business's time zone."))
    reserved = models.PositiveIntegerField(default=0)
    limit_reached_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When something first had to wait for the next day (the owner was told).")
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business", "day"], name="dailyinvitationcount_unique_day")]

    def __str__(self) -> str:
        return f"{self.business} on {self.day}: {self.reserved}"


class Membership(models.Model):
    """A login user who runs a business, as its owner or one of its managers."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MANAGER = "manager", _("Manager")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MANAGER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "business"], name="membership_unique_user_business")]

    def __str__(self) -> str:
        return gettext("%(user)s — %(role)s of %(business)s") % {
            "user": self.user,
            "role": self.get_role_display(),
            "business": self.business,
        }


class StaffMemberQuerySet(models.QuerySet):
    def active(self) -> StaffMemberQuerySet:
        return self.filter(active=True)


class StaffMember(models.Model):
    """Someone who serves customers; named in feedback, celebrated in the weekly wins email."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="staff")
    name = models.CharField(max_length=120)
    email = models.EmailField()
    active = models.BooleanField(default=True)
    wants_digest = models.BooleanField(_("wants the weekly wins email"), default=True)
    language = models.CharField(
        max_length=10,
        choices=language_choices,
        blank=True,
        help_text=_("Their emails and pages are in this language. Blank: the business's default language."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StaffMemberQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("staff member")
        constraints = [
            models.UniqueConstraint(Lower("email"), "business", name="staffmember_unique_email_per_business"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def preferred_language(self) -> str:
        """The language of their emails and pages: their own, else the business's default (else the install's)."""
        installed = installed_language_codes()
        for code in (self.language, self.business.default_language):
            if code and code in installed:
                return code
        return settings.LANGUAGE_CODE

    def clean(self) -> None:
        """Their own language must be one their business offers (blank follows the business's default)."""
        if not self.language or self.business_id is None:
            return
        offered = self.business.offered_languages()
        if self.language in installed_language_codes() and self.language not in offered:
            names = dict(settings.LANGUAGES)
            message = gettext(
                "Choose a language %(business)s offers (%(languages)s), or leave it blank for the business's default."
            )
            languages = ", ".join(str(names[code]) for code in offered)
            raise ValidationError({"language": message % {"business": self.business.name, "languages": languages}})

    def validate_constraints(self, exclude=None) -> None:
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            raise ValidationError(
                {"email": gettext("This business already has a staff member with this email.")}
            ) from error


class Customer(models.Model):
    """A person a business asks for feedback. One row per business and email (any letter case)."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="customers")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField()
    external_id = models.CharField(max_length=100, blank=True, help_text=_("Their id in your CRM or booking system."))
    opted_out_at = models.DateTimeField(null=True, blank=True, help_text=_("When they asked not to be emailed again."))
    bounced_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When an email to them bounced or was reported.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(Lower("email"), "business", name="customer_unique_email_per_business"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else ""

    def validate_constraints(self, exclude=None) -> None:
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            raise ValidationError(
                {"email": gettext("This business already has a customer with this email.")}
            ) from error


class BusinessAPIKeyManager(APIKeyManager):
    def get_usable_keys(self) -> models.QuerySet:
        return super().get_usable_keys().select_related("business")


class BusinessAPIKey(AbstractAPIKey):
    """An integrator's key. Only its hash is stored; every API call is scoped to its business."""

    objects = BusinessAPIKeyManager()
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="api_keys")

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")


# The names the admin shows for what Django names itself (see core/verbose_names.py).
translatable_names(
    Business,
    verbose_name=_("business"),
    name=_("name"),
    slug=_("slug"),
    timezone=_("timezone"),
    logo_url=_("logo url"),
    phone=_("phone"),
    email=_("email"),
    website=_("website"),
    address=_("address"),
    default_language=_("default language"),
    quiet_period_days=_("quiet period days"),
    reminder_delay_days=_("reminder delay days"),
    link_lifetime_days=_("link lifetime days"),
    daily_invitation_limit=_("daily invitation limit"),
    ask_recommend_score=_("ask recommend score"),
    low_rating_threshold=_("low rating threshold"),
    complaint_response_hours=_("complaint response hours"),
    webhook_url=_("webhook url"),
    webhook_secret=_("webhook secret"),
    digest_weekday=_("digest weekday"),
    digest_hour=_("digest hour"),
    created_at=_("created at"),
)
translatable_names(
    Membership,
    verbose_name=_("membership"),
    verbose_name_plural=_("memberships"),
    user=_("user"),
    business=_("business"),
    role=_("role"),
    created_at=_("created at"),
)
translatable_names(
    StaffMember,
    verbose_name_plural=_("staff members"),
    business=_("business"),
    name=_("name"),
    email=_("email"),
    active=_("active"),
    language=_("language"),
    created_at=_("created at"),
)
translatable_names(
    Customer,
    verbose_name=_("customer"),
    verbose_name_plural=_("customers"),
    business=_("business"),
    name=_("name"),
    email=_("email"),
    external_id=_("external id"),
    opted_out_at=_("opted out at"),
    bounced_at=_("bounced at"),
    created_at=_("created at"),
)
translatable_names(BusinessAPIKey, business=_("business"))
