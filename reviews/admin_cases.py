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
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from businesses.admin_scoping import BusinessScopedAdmin, ReadOnlyInline
from reviews.models import Case, CaseMessage, CaseNote, RatingChange
from reviews.services.cases import case_follow_up_send, case_update, may_email
from reviews.services.conversation import BODY_MAX_LENGTH, case_message_send, customer_emailable
from reviews.services.staff_cases import case_staff_link_revoke, case_staff_owner_set

Status = Case.Status
RELATED = ["feedback__customer", "feedback__staff", "assignee", "business"]
OVERDUE_LABEL = mark_safe('<span class="case-overdue">Overdue</span>')  # a constant, styled by admin-cases.css
FOLLOW_UP_LABEL = "Ask the customer “did we make it right?”"
SYSTEM_PROBLEM_CHOICES = [("", "Not said"), ("True", "A system problem (how we work)"), ("False", "A one-off")]
MESSAGE_KINDS = [
    (CaseMessage.Kind.MESSAGE, "Email it to the customer"),
    (CaseMessage.Kind.CALL, "Log a phone call with the customer (not emailed)"),
]


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
        return f"{days} d {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def may_follow_up(case: Case) -> bool:
    """Whether the customer can still be asked “did we make it right?” (once, and only if emailable)."""
    return not case.follow_up_sent_at and may_email(case.feedback.contact)


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Case]) -> QuerySet[Case]:
        if self.value() == "yes":
            return queryset.overdue()
        if self.value() == "no":
            return queryset.exclude(pk__in=Case.objects.overdue().values("pk"))
        return queryset


class CaseForm(forms.ModelForm):
    cause = forms.ChoiceField(
        required=False, help_text="What caused the complaint, from your business's list. Required to resolve the case."
    )
    system_problem = forms.ChoiceField(
        label="System problem or one-off?",
        required=False,
        choices=SYSTEM_PROBLEM_CHOICES,
        help_text="A system problem comes from how the business works and will happen again until it changes.",
    )
    message_to_customer = forms.CharField(
        label="Write to the customer",
        required=False,
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Emailed to the customer with a link to answer on their conversation page; or the summary of a "
        "phone call. The first message or call counts as the first response.",
    )
    message_kind = forms.ChoiceField(
        label="This is", required=False, choices=MESSAGE_KINDS, initial=CaseMessage.Kind.MESSAGE
    )
    new_note = forms.CharField(
        label="New note",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you did or learned, for the team. Kept as written; not a response to the customer.",
    )
    ask_follow_up = forms.BooleanField(
        label=FOLLOW_UP_LABEL,
        required=False,
        help_text="Emails the customer once, with their link open again for 7 days to update their rating.",
    )

    class Meta:
        model = Case
        fields = ["status", "assignee", "staff_owner", "resolution", "cause", "system_problem"]
        help_texts = {
            "resolution": "How the complaint was resolved. Required to resolve the case.",
            "staff_owner": "A staff member without a login: emailed the case with a link to work it (changing "
            "them revokes the link sent before).",
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
            self.add_error("resolution", "Say how the complaint was resolved before resolving the case.")
        if resolved and not data.get("cause") and {"status", "cause"} & set(self.changed_data):
            self.add_error("cause", "Choose what caused the complaint before resolving the case.")
        if data.get("ask_follow_up") and not resolved:
            self.add_error("ask_follow_up", "Resolve the case first (with a resolution) to ask the customer.")
        return data


class CaseNoteInline(ReadOnlyInline):
    """The case's notes: shown below the case, added through the “New note” field, never edited."""

    model = CaseNote
    fields = ["author", "created_at", "text"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "notes"

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
            ("The customer's feedback", {"fields": ["customer_feedback", "rating_history"]}),
            ("The customer", {"fields": ["customer_contact"]}),
            ("Conversation with the customer", {"fields": ["conversation", "message_to_customer", "message_kind"]}),
            ("Handling", {"fields": handling}),
            ("Timing", {"fields": TIMING_FIELDS}),
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

    @admin.action(description=f"{FOLLOW_UP_LABEL} (resolved cases)")
    def ask_did_we_make_it_right(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        cases = list(queryset.filter(status=Status.RESOLVED))
        sent = sum(case_follow_up_send(case=case) for case in cases)
        self._report_follow_ups(request, sent=sent, asked=queryset.count())

    @admin.action(description="Revoke the staff member's link (they are not emailed a new one)")
    def revoke_staff_link(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        cases = list(queryset)
        for case in cases:
            case_staff_link_revoke(case=case)
        self.message_user(request, f"Revoked the staff links of {len(cases)} case(s).", messages.SUCCESS)

    def _send_message(self, request: HttpRequest, case: Case, body: str, kind: str) -> None:
        case_message_send(case=case, author=request.user, body=body, kind=kind)
        if kind == CaseMessage.Kind.MESSAGE and not customer_emailable(case):
            self.message_user(
                request,
                "Your message is on the case, but it was not emailed: emails to this customer's address bounce. "
                "Call them; they can still read it on their conversation page.",
                messages.WARNING,
            )

    def _report_follow_ups(self, request: HttpRequest, *, sent: int, asked: int) -> None:
        if sent:
            self.message_user(request, f"Asked {sent} customer(s) “did we make it right?”.", messages.SUCCESS)
        if asked - sent:
            self.message_user(
                request,
                f"{asked - sent} case(s) skipped: not resolved, already asked, or the customer cannot be emailed "
                "(opted out or bounced).",
                messages.WARNING,
            )

    # --- columns and read-only fields ---------------------------------------------------------
    @admin.display(description="customer", ordering="feedback__customer__name")
    def customer(self, case: Case) -> str:
        return str(case.feedback.contact) or "Walk-in customer (no name)"

    @admin.display(description="rating", ordering="feedback__rating")
    def rating(self, case: Case) -> str:
        now = case.feedback.rating
        return f"{now}★" if now == case.original_rating else f"{case.original_rating}★ → {now}★"

    @admin.display(description="comment")
    def comment_excerpt(self, case: Case) -> str:
        return Truncator(case.feedback.comment).chars(80) or "—"

    @admin.display(description="staff", ordering="feedback__staff__name")
    def staff(self, case: Case) -> str:
        return case.feedback.staff.name if case.feedback.staff else "—"

    @admin.display(description="overdue")
    def overdue_label(self, case: Case) -> str:
        return OVERDUE_LABEL if case.is_overdue else ""

    @admin.display(description="feedback")
    def customer_feedback(self, case: Case) -> str:
        feedback = case.feedback
        parts = [
            format_html(
                '<p><strong>{}★</strong> on {} · <a href="{}">the full answer</a></p>',
                feedback.rating,
                timezone.localtime(feedback.submitted_at).strftime("%d %b %Y, %H:%M"),
                reverse("admin:feedback_feedback_change", args=[feedback.pk]),
            ),
            format_html('<blockquote class="case-comment">{}</blockquote>', feedback.comment or "(no comment)"),
        ]
        if feedback.improvement:
            parts.append(format_html("<p><strong>Could do better:</strong> {}</p>", feedback.improvement))
        if feedback.staff:
            parts.append(format_html("<p><strong>Served by:</strong> {}</p>", feedback.staff.name))
        return format_html_join("", "{}", ((part,) for part in parts))

    @admin.display(description="rating history")
    def rating_history(self, case: Case) -> str:
        changes = RatingChange.objects.filter(feedback_id=case.feedback_id)
        return (
            format_html_join(
                ", ",
                "{}★ on {}{}",
                (
                    (
                        change.rating,
                        timezone.localtime(change.created_at).strftime("%d %b %Y"),
                        " (after the case)" if change.after_case else "",
                    )
                    for change in changes
                ),
            )
            or "—"
        )

    @admin.display(description="contact")
    def customer_contact(self, case: Case) -> str:
        customer = case.feedback.contact
        if not customer.email:
            return f"{customer.name or '(no name)'} — an open-link answer without an email address: no reply by email"
        status = ""
        if customer.opted_out_at:
            status = " — opted out of emails"
        elif customer.bounced_at:
            status = " — emails to this address bounce"
        return format_html(
            '{}<br><a href="mailto:{}">{}</a>{}{}',
            customer.name or "(no name)",
            customer.email,
            customer.email,
            format_html("<br>Your id: {}", customer.external_id) if customer.external_id else "",
            status,
        )

    @admin.display(description="messages")
    def conversation(self, case: Case) -> str:
        thread = case.messages.select_related("author") if case.pk else []
        rows = (
            (
                "case-message-in" if message.direction == CaseMessage.Direction.FROM_CUSTOMER else "case-message-out",
                "The customer" if message.direction == CaseMessage.Direction.FROM_CUSTOMER else message.author_label,
                message.get_kind_display(),
                timezone.localtime(message.created_at).strftime("%d %b %Y, %H:%M"),
                message.body,
            )
            for message in thread
        )
        html = format_html_join(
            "", '<div class="{}"><p><strong>{}</strong> · {} · {}</p><blockquote>{}</blockquote></div>', rows
        )
        return html or "No messages yet."

    @admin.display(description="time to first response")
    def first_response_time(self, case: Case) -> str:
        if case.first_response_at is None:
            return "No response yet"
        return duration_text(case.first_response_at - case.opened_at)

    @admin.display(description="time to resolution")
    def resolution_time(self, case: Case) -> str:
        if case.resolved_at is None:
            return "Not resolved yet"
        return duration_text(case.resolved_at - case.opened_at)
