"""The owner's admin for complaint cases: worked to a resolution before a deadline.

Scoped to the user's businesses by `BusinessScopedAdmin`. Every change goes through
reviews/services/cases.py (`case_update`, `case_follow_up_send`): the status, the assignee and the
resolution are edited here, a note is added (never edited), and the customer's feedback is shown
as they wrote it. Open cases past their deadline without a response come first, marked "Overdue".
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.contrib import admin, messages
from django.db.models import Case as Conditional
from django.db.models import Q, QuerySet, Value, When
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from businesses.admin_scoping import BusinessScopedAdmin, ReadOnlyInline
from reviews.models import Case, CaseMessage, CaseNote, RatingChange
from reviews.services.cases import case_follow_up_send, case_update, may_email
from reviews.services.conversation import BODY_MAX_LENGTH, case_message_send, customer_emailable
from reviews.services.staff_cases import case_staff_link_revoke, case_staff_owner_set

Status = Case.Status
RELATED = ["feedback__customer", "feedback__staff", "assignee", "business"]
FOLLOW_UP_LABEL = _("Ask the customer “did we make it right?”")
SYSTEM_PROBLEM_CHOICES = [("", _("Not said")), ("True", _("A system problem (how we work)")), ("False", _("A one-off"))]
MESSAGE_KINDS = [
    (CaseMessage.Kind.MESSAGE, _("Email it to the customer")),
    (CaseMessage.Kind.CALL, _("Log a phone call with the customer (not emailed)")),
]


def overdue_label() -> SafeString:
    """The "Overdue" mark, styled by admin-cases.css."""
    return format_html('<span class="case-overdue">{}</span>', gettext("Overdue"))


def on_day(moment: datetime, with_time: bool = True) -> str:
    """A moment in the reader's language: “3 Dec 2026, 14:30”, “3. Dez. 2026, 14:30”."""
    return date_format(timezone.localtime(moment), gettext("d M Y, H:i") if with_time else gettext("d M Y"))


def urgency(now: datetime) -> Conditional:
    """0 for an open case past its deadline with no response, 1 for other open cases, 2 for resolved ones."""
    still_open = ~Q(status=Status.RESOLVED)
    return Conditional(
        When(still_open & Q(first_response_at__isnull=True, deadline__lt=now), then=Value(0)),
        When(still_open, then=Value(1)),
        default=Value(2),
    )


def duration_text(delta: timedelta) -> str:
    """“2 d 3 h”, “5 h 12 min”, “4 min”: precise enough to compare, short enough for a column."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return gettext("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return gettext("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return gettext("%(minutes)d min") % {"minutes": minutes}


def may_follow_up(case: Case) -> bool:
    """Whether the customer can still be asked “did we make it right?” (once, and only if emailable)."""
    return not case.follow_up_sent_at and may_email(case.feedback.contact)


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", gettext("Overdue")), ("no", gettext("Not overdue"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Case]) -> QuerySet[Case]:
        if self.value() == "yes":
            return queryset.overdue()
        if self.value() == "no":
            return queryset.exclude(pk__in=Case.objects.overdue().values("pk"))
        return queryset


class CaseForm(forms.ModelForm):
    cause = forms.ChoiceField(
        label=_("Cause"),
        required=False,
        help_text=_("What caused the complaint, from your business's list. Required to resolve the case."),
    )
    system_problem = forms.ChoiceField(
        label=_("System problem or one-off?"),
        required=False,
        choices=SYSTEM_PROBLEM_CHOICES,
        help_text=_("A system problem comes from how the business works and will happen again until it changes."),
    )
    message_to_customer = forms.CharField(
        label=_("Write to the customer"),
        required=False,
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Emailed to the customer with a link to answer on their conversation page; or the summary of a "
            "phone call. The first message or call counts as the first response."
        ),
    )
    message_kind = forms.ChoiceField(
        label=_("This is"), required=False, choices=MESSAGE_KINDS, initial=CaseMessage.Kind.MESSAGE
    )
    new_note = forms.CharField(
        label=_("New note"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What you did or learned, for the team. Kept as written; not a response to the customer."),
    )
    ask_follow_up = forms.BooleanField(
        label=FOLLOW_UP_LABEL,
        required=False,
        help_text=_("Emails the customer once, with their link open again for 7 days to update their rating."),
    )

    class Meta:
        model = Case
        fields = ["status", "assignee", "staff_owner", "resolution", "cause", "system_problem"]
        help_texts = {
            "resolution": _("How the complaint was resolved. Required to resolve the case."),
            "staff_owner": _(
                "A staff member without a login: emailed the case with a link to work it (changing "
                "them revokes the link sent before)."
            ),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        assignee = self.fields.get("assignee")
        if assignee is not None and self.instance.business_id:
            # Narrowed further than the admin's scoping: the owners and managers of this case's business.
            assignee.queryset = assignee.queryset.filter(
                memberships__business_id=self.instance.business_id, is_active=True
            ).distinct()
        staff_owner = self.fields.get("staff_owner")
        if staff_owner is not None and self.instance.business_id:
            staff_owner.queryset = self.instance.business.staff.active()
        if self.instance.pk and not may_follow_up(self.instance):
            del self.fields["ask_follow_up"]
        if self.instance.business_id:
            causes = self.instance.business.case_cause_choices()
            if self.instance.cause and self.instance.cause not in dict(causes):
                causes.append((self.instance.cause, self.instance.cause))  # a cause since taken off the list
            self.fields["cause"].choices = [("", "—"), *causes]

    def clean_system_problem(self) -> bool | None:
        return {"True": True, "False": False}.get(self.cleaned_data.get("system_problem"))

    def clean(self) -> dict:
        data = super().clean()
        resolved = data.get("status") == Status.RESOLVED
        if resolved and not (data.get("resolution") or "").strip():
            self.add_error("resolution", gettext("Say how the complaint was resolved before resolving the case."))
        if resolved and not data.get("cause") and {"status", "cause"} & set(self.changed_data):
            self.add_error("cause", gettext("Choose what caused the complaint before resolving the case."))
        if data.get("ask_follow_up") and not resolved:
            self.add_error("ask_follow_up", gettext("Resolve the case first (with a resolution) to ask the customer."))
        return data


class CaseNoteInline(ReadOnlyInline):
    """The case's notes: shown below the case, added through the “New note” field, never edited."""

    model = CaseNote
    fields = ["author", "created_at", "text"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("notes")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseNote]:
        return super().get_queryset(request).select_related("author")


# When the case was opened and answered, shown read-only.
TIMING_FIELDS = [
    "opened_at",
    "deadline",
    "overdue_label",
    "first_response_at",
    "first_response_time",
    "resolved_at",
    "resolution_time",
    "reopened_at",
    "follow_up_sent_at",
]


@admin.register(Case)
class CaseAdmin(BusinessScopedAdmin):
    form = CaseForm
    list_display = [
        "__str__",
        "customer",
        "rating",
        "comment_excerpt",
        "staff",
        "status",
        "assignee",
        "deadline",
        "overdue_label",
        "business",
    ]
    list_filter = ["status", "assignee", OverdueFilter, "business"]
    search_fields = ["feedback__customer__name", "feedback__customer__email", "feedback__comment", "resolution"]
    actions = ["ask_did_we_make_it_right", "revoke_staff_link"]
    inlines = [CaseNoteInline]
    readonly_fields = ["customer_feedback", "rating_history", "customer_contact", "conversation", *TIMING_FIELDS]

    class Media:
        css = {"all": ["css/admin-cases.css"]}

    def get_ordering(self, request: HttpRequest) -> list:
        return [urgency(timezone.now()).asc(), "deadline"]

    def get_fieldsets(self, request: HttpRequest, obj: Case | None = None) -> list:
        handling = ["status", "assignee", "staff_owner", "resolution", "cause", "system_problem", "new_note"]
        if obj is not None and may_follow_up(obj):
            handling.append("ask_follow_up")
        return [
            (_("The customer's feedback"), {"fields": ["customer_feedback", "rating_history"]}),
            (_("The customer"), {"fields": ["customer_contact"]}),
            (
                _("Conversation with the customer"),
                {"fields": ["conversation", "message_to_customer", "message_kind"]},
            ),
            (_("Handling"), {"fields": handling}),
            (_("Timing"), {"fields": TIMING_FIELDS}),
        ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        # Every row and change page reads the feedback, its customer and staff member.
        return super().get_queryset(request).select_related(*RELATED)

    # --- no cases are made or destroyed here: a low rating opens them ---------------------------
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    # --- writes go through the service ----------------------------------------------------------
    def save_model(self, request: HttpRequest, obj: Case, form: CaseForm, change: bool) -> None:
        data, changed = form.cleaned_data, form.changed_data
        case = case_update(
            case=obj,
            actor=request.user,
            status=data["status"] if "status" in changed else None,
            assignee=data["assignee"] if "assignee" in changed else ...,
            resolution=data["resolution"] if "resolution" in changed else None,
            note=data.get("new_note", ""),
            cause=data["cause"] if "cause" in changed else None,
            system_problem=data["system_problem"] if "system_problem" in changed else ...,
        )
        if "staff_owner" in changed:
            case_staff_owner_set(case=case, staff=data["staff_owner"])
        if data.get("message_to_customer", "").strip():
            self._send_message(request, case, data["message_to_customer"], data["message_kind"] or "message")
        if data.get("ask_follow_up"):
            self._report_follow_ups(request, sent=int(case_follow_up_send(case=case)), asked=1)

    @admin.action(description=_("Ask the customer “did we make it right?” (resolved cases)"))
    def ask_did_we_make_it_right(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        cases = list(queryset.filter(status=Status.RESOLVED))
        sent = sum(case_follow_up_send(case=case) for case in cases)
        self._report_follow_ups(request, sent=sent, asked=queryset.count())

    @admin.action(description=_("Revoke the staff member's link (they are not emailed a new one)"))
    def revoke_staff_link(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        cases = list(queryset)
        for case in cases:
            case_staff_link_revoke(case=case)
        self.message_user(
            request,
            ngettext(
                "Revoked the staff link of %(count)d case.", "Revoked the staff links of %(count)d cases.", len(cases)
            )
            % {"count": len(cases)},
            messages.SUCCESS,
        )

    def _send_message(self, request: HttpRequest, case: Case, body: str, kind: str) -> None:
        case_message_send(case=case, author=request.user, body=body, kind=kind)
        if kind == CaseMessage.Kind.MESSAGE and not customer_emailable(case):
            self.message_user(
                request,
                gettext(
                    "Your message is on the case, but it was not emailed: emails to this customer's address bounce. "
                    "Call them; they can still read it on their conversation page."
                ),
                messages.WARNING,
            )

    def _report_follow_ups(self, request: HttpRequest, *, sent: int, asked: int) -> None:
        if sent:
            self.message_user(
                request,
                ngettext(
                    "Asked %(count)d customer “did we make it right?”.",
                    "Asked %(count)d customers “did we make it right?”.",
                    sent,
                )
                % {"count": sent},
                messages.SUCCESS,
            )
        if asked - sent:
            self.message_user(
                request,
                ngettext(
                    "%(count)d case skipped: not resolved, already asked, or the customer cannot be emailed "
                    "(opted out or bounced).",
                    "%(count)d cases skipped: not resolved, already asked, or the customer cannot be emailed "
                    "(opted out or bounced).",
                    asked - sent,
                )
                % {"count": asked - sent},
                messages.WARNING,
            )

    # --- columns and read-only fields ---------------------------------------------------------
    @admin.display(description=_("customer"), ordering="feedback__customer__name")
    def customer(self, case: Case) -> str:
        return str(case.feedback.contact) or gettext("Walk-in customer (no name)")

    @admin.display(description=_("rating"), ordering="feedback__rating")
    def rating(self, case: Case) -> str:
        now = case.feedback.rating
        return f"{now}★" if now == case.original_rating else f"{case.original_rating}★ → {now}★"

    @admin.display(description=_("comment"))
    def comment_excerpt(self, case: Case) -> str:
        return Truncator(case.feedback.comment).chars(80) or "—"

    @admin.display(description=_("staff"), ordering="feedback__staff__name")
    def staff(self, case: Case) -> str:
        return case.feedback.staff.name if case.feedback.staff else "—"

    @admin.display(description=_("overdue"))
    def overdue_label(self, case: Case) -> str:
        return overdue_label() if case.is_overdue else ""

    @admin.display(description=_("feedback"))
    def customer_feedback(self, case: Case) -> str:
        feedback = case.feedback
        parts = [
            format_html(
                gettext('<p><strong>{rating}★</strong> on {day} · <a href="{url}">the full answer</a></p>'),
                rating=feedback.rating,
                day=on_day(feedback.submitted_at),
                url=reverse("admin:feedback_feedback_change", args=[feedback.pk]),
            ),
            format_html(
                '<blockquote class="case-comment">{}</blockquote>', feedback.comment or gettext("(no comment)")
            ),
        ]
        if feedback.improvement:
            parts.append(
                format_html("<p><strong>{}</strong> {}</p>", gettext("Could do better:"), feedback.improvement)
            )
        if feedback.staff:
            parts.append(format_html("<p><strong>{}</strong> {}</p>", gettext("Served by:"), feedback.staff.name))
        return format_html_join("", "{}", ((part,) for part in parts))

    @admin.display(description=_("rating history"))
    def rating_history(self, case: Case) -> str:
        changes = RatingChange.objects.filter(feedback_id=case.feedback_id)
        return (
            format_html_join(
                ", ",
                "{}",
                (
                    (
                        (
                            gettext("%(rating)s★ on %(day)s (after the case)")
                            if change.after_case
                            else gettext("%(rating)s★ on %(day)s")
                        )
                        % {"rating": change.rating, "day": on_day(change.created_at, with_time=False)},
                    )
                    for change in changes
                ),
            )
            or "—"
        )

    @admin.display(description=_("contact"))
    def customer_contact(self, case: Case) -> str:
        customer = case.feedback.contact
        if not customer.email:
            return gettext("%(name)s — an open-link answer without an email address: no reply by email") % {
                "name": customer.name or gettext("(no name)")
            }
        status = ""
        if customer.opted_out_at:
            status = gettext(" — opted out of emails")
        elif customer.bounced_at:
            status = gettext(" — emails to this address bounce")
        return format_html(
            '{}<br><a href="mailto:{}">{}</a>{}{}',
            customer.name or gettext("(no name)"),
            customer.email,
            customer.email,
            format_html("<br>{}", gettext("Your id: %(id)s") % {"id": customer.external_id})
            if customer.external_id
            else "",
            status,
        )

    @admin.display(description=_("messages"))
    def conversation(self, case: Case) -> str:
        thread = case.messages.select_related("author") if case.pk else []
        rows = (
            (
                "case-message-in" if message.direction == CaseMessage.Direction.FROM_CUSTOMER else "case-message-out",
                gettext("The customer")
                if message.direction == CaseMessage.Direction.FROM_CUSTOMER
                else message.author_label,
                message.get_kind_display(),
                on_day(message.created_at),
                message.body,
            )
            for message in thread
        )
        html = format_html_join(
            "", '<div class="{}"><p><strong>{}</strong> · {} · {}</p><blockquote>{}</blockquote></div>', rows
        )
        return html or gettext("No messages yet.")

    @admin.display(description=_("time to first response"))
    def first_response_time(self, case: Case) -> str:
        if case.first_response_at is None:
            return gettext("No response yet")
        return duration_text(case.first_response_at - case.opened_at)

    @admin.display(description=_("time to resolution"))
    def resolution_time(self, case: Case) -> str:
        if case.resolved_at is None:
            return gettext("Not resolved yet")
        return duration_text(case.resolved_at - case.opened_at)
