"""The owner's moderation queue: reviews, judged by their content, never by their rating.

Scoped to the user's businesses by `BusinessScopedAdmin`. Every change goes through
reviews/services/moderation.py, so each step is checked there and written to the moderation log:
bulk publish, bulk reject (through a page that requires a content-policy reason), and from the
change page the status, the public reply and the featured mark. A customer's edit of a published
review waits in the queue, shown as a diff against the public words, until it is published or
rejected (bulk actions again). The customer's words are shown as they wrote them and can't be
edited; the moderation log is shown, never edited. Reviews come from
customers only (no "add"); only an operator (superuser) may delete one, e.g. to erase a customer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import linebreaks_filter
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from businesses.admin_scoping import BusinessScopedAdmin, ReadOnlyInline
from reviews.diff import edit_diff_html
from reviews.models import ModerationLogEntry, Review
from reviews.services.congratulations import review_congratulate
from reviews.services.moderation import (
    Actor,
    review_edit_publish,
    review_edit_reject,
    review_moderate,
    review_publish,
    review_publish_refusal,
    review_reject,
)

__all__ = ["ModerationLogInline", "ReviewAdmin"]

Status = Review.Status
EXCERPT_CHARS = 240  # two or three lines of the comment column
REJECT_TEMPLATE = "admin/reviews/review/reject_selected_confirmation.html"
REASON_REQUIRED = _("Choose a content-policy reason: a review is rejected for what it says, never for its rating.")


def stars(rating: int) -> str:
    return "★" * rating + "☆" * (5 - rating)


def out_of_five(rating: int) -> str:
    return gettext("%(rating)s of 5") % {"rating": rating}


def when(moment: datetime | None) -> str:
    return localize(timezone.localtime(moment)) if moment else "—"


def paragraphs(text: str) -> SafeString | str:
    """The customer's text with its line breaks, escaped: shown as written."""
    return linebreaks_filter(text, autoescape=True) if text else "—"


def flag_labels(flags: list[str]) -> str:
    labels = dict(Review.Flag.choices)
    return ", ".join(str(labels.get(flag, flag)) for flag in flags)


# --- list filters ---------------------------------------------------------------------------------


class StatusFilter(admin.SimpleListFilter):
    """Opens on the reviews awaiting moderation: new ones, and published ones whose edit waits.

    "All" shows every status.
    """

    title = _("status")
    parameter_name = "status"
    ALL = "all"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [*Status.choices, (self.ALL, gettext("All"))]

    def selected(self) -> str:
        value = self.value()
        return value if value in (*Status.values, self.ALL) else Status.PENDING

    def queryset(self, request: HttpRequest, queryset: QuerySet[Review]) -> QuerySet[Review]:
        selected = self.selected()
        if selected == Status.PENDING:
            return queryset.awaiting_moderation()
        return queryset if selected == self.ALL else queryset.filter(status=selected)

    def choices(self, changelist):
        # No "All" that removes the parameter: without it, the queue shows pending reviews.
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.selected() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class FlagFilter(admin.SimpleListFilter):
    title = _("content flag")
    parameter_name = "flag"
    NONE = "none"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [*Review.Flag.choices, (self.NONE, gettext("No flag"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Review]) -> QuerySet[Review]:
        value = self.value()
        if value == self.NONE:
            return queryset.filter(flags=[])
        if value in Review.Flag.values:
            # The JSON text of the list, searched for the quoted flag: works on SQLite and PostgreSQL
            # alike (JSON containment is PostgreSQL-only).
            return queryset.annotate(flags_text=Cast("flags", TextField())).filter(flags_text__contains=f'"{value}"')
        return queryset


class RatingFilter(admin.SimpleListFilter):
    title = _("rating")
    parameter_name = "rating"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [(str(rating), stars(rating)) for rating in range(5, 0, -1)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Review]) -> QuerySet[Review]:
        value = self.value()
        if value in {str(rating) for rating in range(1, 6)}:
            return queryset.filter(feedback__rating=int(value))
        return queryset


# --- forms ----------------------------------------------------------------------------------------


class RejectionForm(forms.Form):
    rejection_reason = forms.ChoiceField(
        label=_("Content-policy reason"),
        choices=[("", "---------"), *Review.RejectionReason.choices],
        error_messages={"required": REASON_REQUIRED},
    )


class ReviewModerationForm(forms.ModelForm):
    """Status (with a content-policy reason to reject), public reply and featured mark.

    The form never saves the review itself: `ReviewAdmin.save_model` hands the cleaned values to
    the moderation services, which check and log each step.
    """

    class Meta:
        model = Review
        fields = ["status", "rejection_reason", "reply", "featured"]
        widgets = {"reply": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "status": _("A review is published or rejected for what it says, whatever its rating."),
            "rejection_reason": _("Required to reject: the content policy, never the rating."),
            "reply": _("Shown under the review on your public page. Leave empty for no reply."),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "status" in self.fields and self.instance.pk and self.instance.status != Status.PENDING:
            # A moderated review is published or rejected; it goes back to the queue only on a customer's edit.
            self.fields["status"].choices = [(status, status.label) for status in (Status.PUBLISHED, Status.REJECTED)]

    def clean(self) -> dict:
        cleaned = super().clean()
        status, reason = cleaned.get("status"), cleaned.get("rejection_reason")
        if status == Status.REJECTED and not reason:
            self.add_error("rejection_reason", REASON_REQUIRED)
        if status != Status.REJECTED:
            cleaned["rejection_reason"] = ""
        # self.instance still holds the stored values here (the form copies its own in _post_clean).
        refusal = review_publish_refusal(self.instance) if self.instance.status != Status.PUBLISHED else ""
        if status == Status.PUBLISHED and refusal:
            self.add_error("status", refusal)
        return cleaned


# --- the moderation log ---------------------------------------------------------------------------


class ModerationLogInline(ReadOnlyInline):
    """Who did what to the review, when, from which status to which, and why: shown, never edited."""

    model = ModerationLogEntry
    fields = ["when", "who", "action", "from_status", "to_status", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = _("moderation step")
    verbose_name_plural = _("moderation log")

    @admin.display(description=_("when"))
    def when(self, entry: ModerationLogEntry) -> str:
        return when(entry.created_at)

    @admin.display(description=_("who"))
    def who(self, entry: ModerationLogEntry) -> str:
        return entry.actor_label


# --- the review admin -----------------------------------------------------------------------------


# The customer's own answer: shown as written, never editable.
CUSTOMER_WORDS = [
    "rating_stars",
    "comment",
    "improvement",
    "display_name",
    "customer_email",
    "staff",
    "submitted_at",
    "consent",
]


@admin.register(Review)
class ReviewAdmin(BusinessScopedAdmin):
    form = ReviewModerationForm
    # The moderator reads the comment: it gets the room (admin-reviews.css), with the rating and
    # the content flags beside it, and who wrote it (name, marks, status, date) in one column after it.
    list_display = ["rating_and_flags", "queue_comment", "written_by", "business"]
    list_display_links = ["rating_and_flags", "queue_comment"]
    list_filter = [StatusFilter, "edit_pending", FlagFilter, RatingFilter, "feedback__staff", "featured", "business"]
    list_select_related = ["feedback__staff", "feedback__customer", "business"]
    search_fields = ["feedback__comment", "feedback__display_name", "feedback__customer__email"]
    search_help_text = _("Search the comment, the display name or the customer's email.")
    actions = ["publish_selected", "reject_selected", "publish_edits_selected", "reject_edits_selected"]
    inlines = [ModerationLogInline]
    fieldsets = [
        (
            _("The customer’s words (as written; never edited)"),
            {"fields": CUSTOMER_WORDS},
        ),
        (
            _("Edit awaiting moderation (the public sees the approved words)"),
            {"fields": ["pending_edit", "edited_at"]},
        ),
        (_("Flags and marks"), {"fields": ["flag_list", "verified", "from_team_member"]}),
        (_("Moderation"), {"fields": ["status", "rejection_reason", "featured", "published_at"]}),
        (_("Public reply"), {"fields": ["reply", "replied_at", "replied_by"]}),
        (None, {"fields": ["business"]}),
    ]
    readonly_fields = [
        *CUSTOMER_WORDS,
        "pending_edit",
        "edited_at",
        "flag_list",
        "verified",
        "from_team_member",
        "published_at",
        "replied_at",
        "replied_by",
        "business",
        "congratulate",
        "congratulations_sent",
    ]

    class Media:
        css = {"all": ["css/admin-reviews.css"]}

    # --- permissions --------------------------------------------------------------------------
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # reviews come from customers, through their link

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def get_fieldsets(self, request: HttpRequest, obj: Review | None = None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.feedback.staff is not None:
            # Only a review that names someone has anyone to congratulate.
            fields = ["congratulate", "congratulations_sent"]
            title = gettext("Congratulate %(staff)s") % {"staff": obj.feedback.staff}
            return [*fieldsets, (title, {"fields": fields})]
        if obj is not None and obj.congratulations.exists():  # sent before the answer stopped naming them
            return [*fieldsets, (gettext("Congratulations"), {"fields": ["congratulations_sent"]})]
        return fieldsets

    def get_urls(self):
        congratulate = self.admin_site.admin_view(require_POST(self.congratulate_view))
        return [
            path("<path:object_id>/congratulate/", congratulate, name="reviews_review_congratulate"),
            *super().get_urls(),
        ]

    # --- columns and read-only fields ---------------------------------------------------------
    @admin.display(description=_("rating"), ordering="feedback__rating")
    def rating_stars(self, review: Review) -> str:
        return format_html('<span title="{}">{}</span>', out_of_five(review.rating), stars(review.rating))

    @admin.display(description=_("flags"))
    def flag_list(self, review: Review) -> str:
        return flag_labels(review.flags) or "—"

    @admin.display(description=_("served by"), ordering="feedback__staff__name")
    def staff(self, review: Review) -> str:
        return str(review.feedback.staff or "—")

    @admin.display(description=_("rating and flags"), ordering="feedback__rating")
    def rating_and_flags(self, review: Review) -> str:
        flags = format_html_join(
            "", '<li class="flag">{}</li>', ((label,) for label in flag_labels(review.flags).split(", ") if label)
        )
        return format_html(
            '<span class="stars" title="{}">{}</span><ul class="flags">{}</ul>',
            out_of_five(review.rating),
            stars(review.rating),
            flags,
        )

    @admin.display(description=_("comment"))
    def queue_comment(self, review: Review) -> str:
        """The whole comment as written, or, while the customer's edit waits, that edit as a diff."""
        if review.edit_pending:
            return format_html(
                '<span class="edit-waiting">{}</span>{}', gettext("Edit awaiting moderation"), self.pending_edit(review)
            )
        return Truncator(review.feedback.comment).chars(EXCERPT_CHARS) or gettext("(no comment)")

    @admin.display(description=_("written by"), ordering="created_at")
    def written_by(self, review: Review) -> str:
        """Display name, marks, who served them, status and date: stacked, so the comment keeps the room."""
        marks = [
            label
            for shown, label in (
                (review.verified, gettext("verified customer")),
                (review.from_team_member, gettext("from team member")),
                (review.featured, gettext("featured")),
            )
            if shown
        ]
        staff = review.feedback.staff
        return format_html(
            '<strong>{}</strong><span class="marks">{}</span>{}'
            '<span class="status">{}</span><span class="created">{}</span>',
            review.feedback.display_name or "—",
            ", ".join(marks),
            format_html("<span>{}</span>", gettext("served by %(staff)s") % {"staff": staff}) if staff else "",
            review.get_status_display(),
            when(review.created_at),
        )

    @admin.display(description=_("edit awaiting moderation"))
    def pending_edit(self, review: Review) -> str:
        """The customer's change to the public words: removed words struck, new ones marked."""
        if not review.edit_pending:
            return "—"
        feedback = review.feedback
        return edit_diff_html(
            comment_before=review.published_comment,
            comment_after=feedback.comment,
            name_before=review.published_display_name,
            name_after=feedback.display_name,
        )

    @admin.display(description=_("display name"), ordering="feedback__display_name")
    def display_name(self, review: Review) -> str:
        return review.feedback.display_name

    @admin.display(description=_("comment"))
    def comment(self, review: Review) -> str:
        return paragraphs(review.feedback.comment)

    @admin.display(description=_("idea to do better"))
    def improvement(self, review: Review) -> str:
        return paragraphs(review.feedback.improvement)

    @admin.display(description=_("customer email"))
    def customer_email(self, review: Review) -> str:
        return review.feedback.contact.email or gettext("— (open link, no email)")

    @admin.display(description=_("submitted"))
    def submitted_at(self, review: Review) -> str:
        return when(review.feedback.submitted_at)

    @admin.display(description=_("consent to publish"))
    def consent(self, review: Review) -> str:
        feedback = review.feedback
        if not feedback.consent_to_publish:
            return gettext("Withdrawn by the customer.")
        return format_html(
            "<p>“{}”</p><p>{}</p>",
            feedback.consent_text,
            gettext("Given %(when)s.") % {"when": when(feedback.consent_at)},
        )

    @admin.display(description=_("a personal line"))
    def congratulate(self, review: Review) -> str:
        """A note and a button posting it (with the page's CSRF token) to `congratulate_view`."""
        staff = review.feedback.staff
        if staff is None:
            return "—"
        return format_html(
            '<textarea name="congratulation_note" rows="3" cols="60" maxlength="1000" aria-label="{label}"></textarea>'
            '<br><button type="submit" formaction="{url}" formnovalidate>{button}</button>'
            '<div class="help">{help}</div>',
            label=gettext("Your note to %(staff)s") % {"staff": staff},
            url=reverse("admin:reviews_review_congratulate", args=[review.pk]),
            button=gettext("Congratulate %(staff)s") % {"staff": staff},
            help=gettext("Emailed to %(staff)s with the customer’s words, signed by you.") % {"staff": staff},
        )

    @admin.display(description=_("congratulations sent"))
    def congratulations_sent(self, review: Review) -> str:
        """Who congratulated whom, when, and the note: shown, never edited (a plain list, not an inline,
        so the change form posts no extra formset)."""
        sent = review.congratulations.select_related("author", "staff")
        if not sent:
            return gettext("None yet.")
        rows = (
            (
                format_html(
                    gettext("{when} — {author} to {staff}:"),
                    when=when(item.created_at),
                    author=item.author_label(),
                    staff=item.staff,
                ),
                paragraphs(item.note),
            )
            for item in sent
        )
        return format_html('<ul class="congratulations">{}</ul>', format_html_join("", "<li>{}{}</li>", rows))

    def congratulate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Thin: the review must be one this user may change (scoped); the service checks the rest."""
        review = self.get_object(request, object_id)
        if review is None or not self.has_change_permission(request, review):
            raise Http404(gettext("No such review."))
        try:
            congratulation = review_congratulate(
                review=review, author=request.user, note=request.POST.get("congratulation_note", "")
            )
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("Your congratulations are on their way to %(staff)s.") % {"staff": congratulation.staff},
            )
        return HttpResponseRedirect(reverse("admin:reviews_review_change", args=[review.pk]))

    # --- the change page: every change through the services -----------------------------------
    def save_model(self, request: HttpRequest, obj: Review, form: ReviewModerationForm, change: bool) -> None:
        data, actor = form.cleaned_data, Actor.of(request.user)
        review = Review.objects.get(pk=obj.pk)  # as stored: the form changed `obj` in memory only
        rejecting = data["status"] == Status.REJECTED
        try:
            review_moderate(
                review=review,
                actor=actor,
                status=data["status"],
                rejection_reason=data["rejection_reason"] if rejecting else None,
                reply=data["reply"],
                featured=data["featured"],
            )
        except ValidationError as error:  # e.g. the customer withdrew their consent meanwhile
            self.message_user(request, " ".join(error.messages), messages.ERROR)

    # --- bulk actions -------------------------------------------------------------------------
    @admin.action(description=_("Publish selected reviews"), permissions=["change"])
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        done, refused = self._each(request, queryset, lambda review, actor: review_publish(review=review, actor=actor))
        self._report(request, "published", done, refused)

    @admin.action(description=_("Reject selected reviews…"), permissions=["change"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[Review]) -> HttpResponse | None:
        """Ask for a content-policy reason on a page of its own (like "delete selected"), then reject."""
        form = RejectionForm(request.POST if request.POST.get("post") else None)
        if form.is_valid():
            reason = form.cleaned_data["rejection_reason"]
            done, refused = self._each(
                request, queryset, lambda review, actor: review_reject(review=review, reason=reason, actor=actor)
            )
            self._report(request, "rejected", done, refused)
            return None
        return self._reason_page(request, queryset, form, title=gettext("Reject the selected reviews"))

    @admin.action(description=_("Publish the pending edits of selected reviews"), permissions=["change"])
    def publish_edits_selected(self, request: HttpRequest, queryset: QuerySet[Review]) -> None:
        edited = queryset.filter(edit_pending=True)
        done, refused = self._each(
            request, edited, lambda review, actor: review_edit_publish(review=review, actor=actor)
        )
        self._report(request, "edits_published", done, refused)

    @admin.action(description=_("Reject the pending edits of selected reviews…"), permissions=["change"])
    def reject_edits_selected(self, request: HttpRequest, queryset: QuerySet[Review]) -> HttpResponse | None:
        """The edits are turned down for a content-policy reason; the approved words stay public."""
        edited = queryset.filter(edit_pending=True)
        form = RejectionForm(request.POST if request.POST.get("post") else None)
        if form.is_valid():
            reason = form.cleaned_data["rejection_reason"]
            done, refused = self._each(
                request, edited, lambda review, actor: review_edit_reject(review=review, reason=reason, actor=actor)
            )
            self._report(request, "edits_rejected", done, refused)
            return None
        return self._reason_page(request, edited, form, title=gettext("Reject the pending edits"), rejecting_edits=True)

    def _reason_page(
        self, request: HttpRequest, queryset: QuerySet[Review], form: RejectionForm, *, title: str, **extra
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "reviews": queryset.select_related("feedback"),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
            **extra,
        }
        return TemplateResponse(request, REJECT_TEMPLATE, context)

    def _each(
        self, request: HttpRequest, queryset: QuerySet[Review], step: Callable[[Review, Actor], Review]
    ) -> tuple[int, list[str]]:
        """Run one moderation step on each review; (how many done, why the others were refused)."""
        actor = Actor.of(request.user)
        done, refused = 0, []
        for review in queryset:
            try:
                step(review, actor)
                done += 1
            except ValidationError as error:
                refused.append(f"{review}: {' '.join(error.messages)}")
        return done, refused

    def _report(self, request: HttpRequest, step: str, done: int, refused: list[str]) -> None:
        """How many reviews the step changed ("published", "rejected", "edits_published", "edits_rejected")."""
        said = {
            "published": ngettext("Published %(count)d review.", "Published %(count)d reviews.", done),
            "rejected": ngettext("Rejected %(count)d review.", "Rejected %(count)d reviews.", done),
            "edits_published": ngettext(
                "Published the edits of %(count)d review.", "Published the edits of %(count)d reviews.", done
            ),
            "edits_rejected": ngettext(
                "Rejected the edits of %(count)d review.", "Rejected the edits of %(count)d reviews.", done
            ),
        }[step]
        self.message_user(request, said % {"count": done}, messages.SUCCESS)
        for reason in refused:
            self.message_user(request, reason, messages.WARNING)
