"""The owner's admin for feedback requests (the form, the CSV import) and the customers' answers.

Both admins are scoped to the user's businesses by `BusinessScopedAdmin`. Requests are created
only through `feedback_requests_create`; their history and the customers' answers are read-only
(the customer's words are never edited). Exports are CSV files safe to open in a spreadsheet.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from businesses.admin_scoping import BusinessScopedAdmin, ReadOnlyInline, scope_queryset
from businesses.models import Business
from core.csv_safe import write_csv
from feedback import admin_open_links  # noqa: F401 — the open feedback links (QR codes, flyers)
from feedback.admin_forms import CustomerCsvUploadForm, FeedbackRequestAddForm
from feedback.exports import FEEDBACK_COLUMNS, REQUEST_COLUMNS, feedback_rows, header, request_rows
from feedback.models import BusinessIdeaSettings, CustomerImport, Feedback, FeedbackRequest, FeedbackRequestEvent, Idea
from feedback.services.csv_import import (
    MAX_KEPT_ERRORS,
    PREVIEW_LIFETIME,
    customer_import_confirm,
    customer_import_create,
    existing_references,
    row_error_shown,
)
from feedback.services.history_notes import history_note_shown
from feedback.services.ideas import business_idea_settings, idea_state_set
from feedback.services.requests import feedback_request_create
from feedback.services.sending import feedback_requests_send_again
from outbox.admin import report_sent_again

PREVIEW_SAMPLE_ROWS = 10
# How often the page of an import being created reloads itself to show its progress.
IMPORT_REFRESH_SECONDS = 2


def _today() -> str:
    return timezone.localdate().isoformat()


class FeedbackRequestEventInline(ReadOnlyInline):
    """The request's status history: shown, never added to, edited or deleted here."""

    model = FeedbackRequestEvent
    fields = ["status", "note_shown", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = _("status change")
    verbose_name_plural = _("status history")

    @admin.display(description=_("note"))
    def note_shown(self, event: FeedbackRequestEvent) -> str:
        """The note as written, but one Raves wrote (kept in English: the API shows the history) in
        the reader's language."""
        return history_note_shown(event.note)


class ReadOnlyRecordMixin:
    """History and answers are never edited; only an operator (superuser) may delete, e.g. to erase."""

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser


@admin.register(FeedbackRequest)
class FeedbackRequestAdmin(ReadOnlyRecordMixin, BusinessScopedAdmin):
    list_display = [
        "customer_email",
        "staff",
        "status",
        "suppression_reason",
        "created_at",
        "sent_at",
        "responded_at",
        "reference",
        "internal",
        "business",
    ]
    list_filter = [
        "status",
        "channel",
        "suppression_reason",
        "internal",
        ("staff", admin.RelatedOnlyFieldListFilter),
        "business",
    ]
    list_select_related = ["customer", "staff", "business"]
    search_fields = ["customer__email", "customer__name", "reference"]
    date_hierarchy = "created_at"
    actions = ["export_csv", "send_again"]
    inlines = [FeedbackRequestEventInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "business",
                    "channel",
                    "customer",
                    "respondent_name",
                    "staff",
                    "interaction_at",
                    "reference",
                    "internal",
                    "team",
                ]
            },
        ),
        (_("Status"), {"fields": ["status", "suppression_reason", "answer"]}),
        (
            _("Steps"),
            {
                # The request's steps in order, with when the reminder is due beside the first two.
                "fields": [*FeedbackRequest.STEP_FIELDS[:2], "reminder_due_at", *FeedbackRequest.STEP_FIELDS[2:]]
            },
        ),
        (
            _("Sending"),
            {"fields": ["attempts", "last_error", "next_attempt_at", "lease_until"], "classes": ["collapse"]},
        ),
    ]

    @admin.action(description=_("Send again (failed ones)"))
    def send_again(self, request: HttpRequest, queryset: QuerySet[FeedbackRequest]) -> None:
        report_sent_again(self, request, feedback_requests_send_again(requests=queryset), "requests")

    @admin.display(description=_("customer email"), ordering="customer__email")
    def customer_email(self, obj: FeedbackRequest) -> str:
        return obj.contact.email or gettext("— (open link, no email)")

    @admin.display(description=_("answer"))
    def answer(self, obj: FeedbackRequest) -> str:
        feedback = Feedback.objects.filter(request=obj).first()
        if feedback is None:
            return gettext("No answer yet.")
        return format_html(
            '<a href="{}">{}★</a> {}',
            reverse("admin:feedback_feedback_change", args=[feedback.pk]),
            feedback.rating,
            Truncator(feedback.comment).chars(200),
        )

    # --- URLs: the CSV import lives beside the list -----------------------------------------
    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_upload_view), name="feedback_feedbackrequest_import"),
            path(
                "import/<int:import_id>/",
                view(self.import_preview_view),
                name="feedback_feedbackrequest_import_preview",
            ),
            *super().get_urls(),
        ]

    def user_businesses(self, request: HttpRequest) -> QuerySet[Business]:
        return scope_queryset(Business.objects.all(), request, "pk", self.allowed_roles)

    # --- adding one request: through the service, never a bare save() --------------------------
    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        businesses = self.user_businesses(request)
        if request.method == "POST":
            form = FeedbackRequestAddForm(request.POST, businesses=businesses)
            if form.is_valid():
                return self._create_from(request, form)
        else:
            form = FeedbackRequestAddForm(businesses=businesses)
        admin_form = helpers.AdminForm(form, [(None, {"fields": list(form.fields)})], {}, model_admin=self)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Add feedback request"),
            "subtitle": None,
            "adminform": admin_form,
            "object_id": None,
            "original": None,
            "is_popup": False,
            "to_field": None,
            "media": self.media + admin_form.media,
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(form, []),
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        return self.render_change_form(request, context, add=True, form_url=form_url)

    def _create_from(self, request: HttpRequest, form: FeedbackRequestAddForm) -> HttpResponse:
        business, item = form.cleaned_data["business"], form.request_input()
        already_used = existing_references(business=business, references=[item.reference])
        created = feedback_request_create(business=business, item=item)
        if already_used:
            messages.warning(
                request,
                gettext(
                    "A request with the reference “%(reference)s” already exists, shown here; nothing new was created."
                )
                % {"reference": item.reference},
            )
        else:
            self.log_addition(request, created, [{"added": {}}])
            self._report_created(request, created)
        if "_addanother" in request.POST:
            return HttpResponseRedirect(request.path)
        if "_continue" in request.POST or already_used:
            return HttpResponseRedirect(reverse("admin:feedback_feedbackrequest_change", args=[created.pk]))
        return HttpResponseRedirect(reverse("admin:feedback_feedbackrequest_changelist"))

    def _report_created(self, request: HttpRequest, created: FeedbackRequest) -> None:
        email = created.customer.email
        if created.status == FeedbackRequest.Status.SUPPRESSED:
            reason = created.get_suppression_reason_display()
            messages.warning(
                request,
                gettext("The request to %(email)s was kept but will not be sent: %(reason)s.")
                % {"email": email, "reason": reason},
            )
        else:
            messages.success(
                request,
                gettext("The request to %(email)s was created; the email goes out in a moment.") % {"email": email},
            )

    # --- export ---------------------------------------------------------------------------
    @admin.action(description=_("Export selected as CSV"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[FeedbackRequest]) -> HttpResponse:
        rows = request_rows(queryset)
        return write_csv(rows, header(REQUEST_COLUMNS), filename=f"feedback-requests-{_today()}.csv")

    # --- the CSV import: upload, preview, confirm ----------------------------------------------
    def import_upload_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        businesses = self.user_businesses(request)
        if request.method == "POST":
            form = CustomerCsvUploadForm(request.POST, request.FILES, businesses=businesses)
            if form.is_valid():
                customer_import = customer_import_create(
                    business=form.cleaned_data["business"],
                    user=request.user,
                    filename=form.cleaned_data["file"].name,
                    parsed=form.parsed,
                )
                return HttpResponseRedirect(self._import_url(customer_import))
        else:
            form = CustomerCsvUploadForm(businesses=businesses)
        return self._render_import(request, "import_upload.html", gettext("Import customers from CSV"), form=form)

    def import_preview_view(self, request: HttpRequest, import_id: int) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        # Another business's import is simply not found.
        imports = scope_queryset(CustomerImport.objects.all(), request, "business", self.allowed_roles)
        customer_import = get_object_or_404(imports, pk=import_id)
        if customer_import.confirmed_at:
            return self._import_progress(request, customer_import)
        if customer_import.created_at < timezone.now() - PREVIEW_LIFETIME:
            messages.warning(request, gettext("This preview has expired. Upload the file again."))
            return HttpResponseRedirect(reverse("admin:feedback_feedbackrequest_import"))
        if request.method == "POST":
            return self._confirm_import(request, customer_import, cancel="cancel" in request.POST)
        return self._render_import(
            request,
            "import_preview.html",
            gettext("Check the import of %(filename)s") % {"filename": customer_import.filename},
            customer_import=customer_import,
            sample=_sample_rows(customer_import),
            valid_count=len(customer_import.rows) - customer_import.rows_done,
            errors_cut=len(customer_import.errors) >= MAX_KEPT_ERRORS,
            row_errors=[{**error, "message": row_error_shown(error)} for error in customer_import.errors],
        )

    def _confirm_import(self, request: HttpRequest, customer_import: CustomerImport, cancel: bool) -> HttpResponse:
        if cancel:
            # Only while unconfirmed: another tab may have confirmed it since this one loaded it.
            if CustomerImport.objects.filter(pk=customer_import.pk, confirmed_at=None).delete()[0]:
                messages.info(request, gettext("Import cancelled; nothing was created."))
                return HttpResponseRedirect(reverse("admin:feedback_feedbackrequest_changelist"))
            return HttpResponseRedirect(self._import_url(customer_import))
        if customer_import_confirm(customer_import=customer_import):
            messages.success(request, gettext("The requests are being created; this page shows how far it got."))
        return HttpResponseRedirect(self._import_url(customer_import))

    def _import_progress(self, request: HttpRequest, customer_import: CustomerImport) -> HttpResponse:
        """A confirmed import: how far the worker got (the page reloads itself), then the result."""
        if request.method == "POST":  # a second click, another tab: it is already on its way
            messages.warning(request, gettext("This import was already confirmed; nothing more was created."))
            return HttpResponseRedirect(self._import_url(customer_import))
        return self._render_import(
            request,
            "import_progress.html",
            gettext("Import of %(filename)s") % {"filename": customer_import.filename},
            customer_import=customer_import,
            total=customer_import.row_count - customer_import.invalid_row_count,
            summary=_import_summary(customer_import) if customer_import.finished_at else "",
            refresh_seconds=IMPORT_REFRESH_SECONDS,
        )

    def _import_url(self, customer_import: CustomerImport) -> str:
        return reverse("admin:feedback_feedbackrequest_import_preview", args=[customer_import.pk])

    def _render_import(self, request: HttpRequest, template: str, title: str, **context) -> TemplateResponse:
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            f"admin/feedback/feedbackrequest/{template}",
            {**self.admin_site.each_context(request), "opts": self.opts, "title": title, **context},
        )


def _sample_rows(customer_import: CustomerImport) -> list[dict]:
    """The first rows to create, with the name of the staff member each one names."""
    sample = customer_import.rows[customer_import.rows_done : customer_import.rows_done + PREVIEW_SAMPLE_ROWS]
    staff_names = dict(customer_import.business.staff.values_list("pk", "name"))
    return [{**row, "staff_name": staff_names.get(row["staff_id"], "")} for row in sample]


def _import_summary(done: CustomerImport) -> str:
    parts = [
        ngettext("%(count)d feedback request created", "%(count)d feedback requests created", done.created_count)
        % {"count": done.created_count}
    ]
    if done.suppressed_count:
        parts.append(
            ngettext(
                "%(count)d of them kept but not sent (opted out, bounced or asked recently)",
                "%(count)d of them kept but not sent (opted out, bounced or asked recently)",
                done.suppressed_count,
            )
            % {"count": done.suppressed_count}
        )
    if done.existing_count:
        parts.append(
            ngettext(
                "%(count)d row had a reference already used and created nothing",
                "%(count)d rows had a reference already used and created nothing",
                done.existing_count,
            )
            % {"count": done.existing_count}
        )
    return "; ".join(parts) + "."


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyRecordMixin, BusinessScopedAdmin):
    """The customers' answers, as they wrote them."""

    list_display = [
        "rating",
        "short_comment",
        "staff",
        "consent_to_publish",
        "display_name",
        "verified",
        "internal",
        "submitted_at",
        "business",
    ]
    list_filter = [
        "rating",
        ("staff", admin.RelatedOnlyFieldListFilter),
        "verified",
        "internal",
        "consent_to_publish",
        "business",
    ]
    list_select_related = ["staff", "business"]
    search_fields = ["comment", "improvement", "display_name", "customer__email"]
    date_hierarchy = "submitted_at"
    actions = ["export_csv"]
    fieldsets = [
        (None, {"fields": ["business", "request", "customer", "staff", "verified", "internal"]}),
        (_("The answer"), {"fields": ["rating", "comment", "improvement", "recommend_score"]}),
        (
            _("Consent to publish"),
            {"fields": ["consent_to_publish", "consent_text", "consent_at", "display_name_choice", "display_name"]},
        ),
        (_("Times"), {"fields": ["submitted_at", "updated_at", "editable_until"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # only a customer answers, through their link

    @admin.display(description=_("comment"))
    def short_comment(self, obj: Feedback) -> str:
        return Truncator(obj.comment).chars(80)

    @admin.action(description=_("Export selected as CSV"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Feedback]) -> HttpResponse:
        return write_csv(feedback_rows(queryset), header(FEEDBACK_COLUMNS), filename=f"feedback-{_today()}.csv")


@admin.register(Idea)
class IdeaAdmin(BusinessScopedAdmin):
    """Customers' ideas for improvement: the business follows each one up (state and note)."""

    list_display = ["idea_words", "state", "note", "created_at", "customer_first_name", "told_customer_at", "business"]
    list_display_links = ["idea_words"]
    list_editable = ["state", "note"]
    list_filter = ["state", "business"]
    list_select_related = ["feedback__customer", "feedback__request", "business"]
    search_fields = ["feedback__improvement", "note"]
    date_hierarchy = "created_at"
    fields = ["idea_words", "customer_first_name", "business", "state", "note", "state_changed_at", "told_customer_at"]
    readonly_fields = ["idea_words", "customer_first_name", "business", "state_changed_at", "told_customer_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # an idea comes from a customer's answer

    def changelist_view(self, request: HttpRequest, extra_context=None):
        if request.method == "GET":
            self._say_whether_customers_are_told(request)
        return super().changelist_view(request, extra_context)

    def _say_whether_customers_are_told(self, request: HttpRequest) -> None:
        # The switch lives in "Idea settings"; said here so nobody marks ideas done unaware of it.
        business_id = self.single_business_id(request)
        if business_id is None:
            return
        business = Business.objects.get(pk=business_id)
        told = business_idea_settings(business=business).tell_customers_when_done
        where = reverse("admin:feedback_businessideasettings_changelist")
        if told:
            said = gettext('Customers are emailed once when their idea is marked done (<a href="{url}">change</a>).')
        else:
            said = gettext('Customers are not emailed when their idea is marked done (<a href="{url}">change</a>).')
        messages.info(request, format_html(said, url=where))

    def save_model(self, request: HttpRequest, obj: Idea, form, change: bool) -> None:
        # Through the service, so a move to done tells the customer (once) when the business wants it.
        idea_state_set(idea=obj, state=obj.state, note=obj.note, actor=request.user)

    @admin.display(description=_("idea"))
    def idea_words(self, obj: Idea) -> str:
        return Truncator(obj.feedback.improvement).chars(200)

    @admin.display(description=_("customer"))
    def customer_first_name(self, obj: Idea) -> str:
        return obj.feedback.contact.first_name or "—"


@admin.register(BusinessIdeaSettings)
class BusinessIdeaSettingsAdmin(BusinessScopedAdmin):
    """Whether the customer hears ("you said, we did") when their idea is marked done."""

    list_display = ["business", "tell_customers_when_done"]
    fields = ["business", "tell_customers_when_done"]
