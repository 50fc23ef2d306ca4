"""The owner's open feedback links: one for the business and one per active staff member.

Walk-in and phone customers answer through them. For each link the list gives the address to copy,
its QR code (SVG to scale for print, PNG for a screen or a newsletter), an A6 table card and an A4
counter flyer ready to print, and "Replace this link" for a flyer that was abused or lost (the codes
printed before stop working). The list makes the links a business is missing when it is shown.

Scoped to the user's businesses by `BusinessScopedAdmin`: another business's link is not found
(404) on every page here, its change page included.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from businesses.admin_scoping import BusinessScopedAdmin, scope_queryset
from businesses.models import Business, StaffMember
from feedback.flyers import flyer_for
from feedback.links import open_feedback_url
from feedback.models import OpenFeedbackLink
from feedback.qr import qr_png, qr_svg
from feedback.services.open_links import open_feedback_link, open_feedback_link_renew

__all__ = ["OpenFeedbackLinkAdmin"]

TEMPLATES = "admin/feedback/openfeedbacklink"
URL_NAME = "feedback_openfeedbacklink"


def admin_url(name: str, link: OpenFeedbackLink) -> str:
    return reverse(f"admin:{URL_NAME}_{name}", args=[link.pk])


@admin.register(OpenFeedbackLink)
class OpenFeedbackLinkAdmin(BusinessScopedAdmin):
    list_display = ["whose", "link_to_copy", "qr_downloads", "printables", "replace", "business"]
    list_display_links = ["whose"]
    actions = None
    list_filter = ["business"]
    list_select_related = ["business", "staff"]
    search_fields = ["staff__name", "business__name"]
    search_help_text = _("Search a staff member's or the business's name.")
    ordering = ["business__name", F("staff__name").asc(nulls_first=True)]
    fields = ["whose", "business", "link_to_copy", "qr_preview", "qr_downloads", "printables", "replace", "created_at"]
    readonly_fields = fields

    class Media:
        css = {"all": ["css/admin-open-links.css"]}
        js = ["js/copy-link.js"]

    # --- what may be seen and done ------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet[OpenFeedbackLink]:
        # An inactive staff member's link answers "not found" to customers: it is not offered here either.
        active = Q(staff__isnull=True) | Q(staff__active=True)
        return super().get_queryset(request).filter(active).select_related("business", "staff")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made by the list, one per business and per active staff member

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # nothing to edit: the key is replaced through "Replace this link"

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Asked when a staff member (or a business) is deleted: their link goes with them. By
        # hand a link is replaced, never deleted (no action, no delete page).
        return self.has_module_permission(request)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context=None):
        raise PermissionDenied

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/qr.svg", view(require_safe(self.qr_svg_view)), name=f"{URL_NAME}_qr_svg"),
            path("<path:object_id>/qr.png", view(require_safe(self.qr_png_view)), name=f"{URL_NAME}_qr_png"),
            path(
                "<path:object_id>/table-card/",
                view(require_safe(self.table_card_view)),
                name=f"{URL_NAME}_table_card",
            ),
            path(
                "<path:object_id>/counter-flyer/",
                view(require_safe(self.counter_flyer_view)),
                name=f"{URL_NAME}_counter_flyer",
            ),
            path(
                "<path:object_id>/replace/",
                view(require_http_methods(["GET", "HEAD", "POST"])(self.replace_view)),
                name=f"{URL_NAME}_replace",
            ),
            *super().get_urls(),
        ]

    def link_or_404(self, request: HttpRequest, object_id: str) -> OpenFeedbackLink:
        """The user's link with this id; another business's link, or a malformed id, is not found."""
        link = self.get_object(request, unquote(object_id))
        if link is None or not self.has_view_permission(request, link):
            raise Http404(gettext("No such open feedback link."))
        return link

    # --- the list and the page of one link ----------------------------------------------------
    def changelist_view(self, request: HttpRequest, extra_context=None):
        if request.method == "GET":
            self.make_missing_links(request)
        title = gettext("Open feedback links: QR codes for walk-in and phone customers")
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def make_missing_links(self, request: HttpRequest) -> None:
        """Each business the user runs, and each of its active staff members, gets its link."""
        businesses = scope_queryset(Business.objects.all(), request, "pk", self.allowed_roles)
        with_link = OpenFeedbackLink.objects.filter(staff=None).values("business_id")
        for business in businesses.exclude(pk__in=with_link):
            open_feedback_link(business=business)
        staff_with_link = OpenFeedbackLink.objects.filter(staff__isnull=False).values("staff_id")
        staff = StaffMember.objects.active().filter(business__in=businesses).exclude(pk__in=staff_with_link)
        for member in staff.select_related("business"):
            open_feedback_link(business=member.business, staff=member)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        self.link_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, {"show_delete": False, **(extra_context or {})})

    # --- columns and read-only fields ---------------------------------------------------------
    @admin.display(description=_("whose link"), ordering="staff__name")
    def whose(self, link: OpenFeedbackLink) -> str:
        if link.staff is None:
            return format_html(gettext("<strong>{business}</strong> (the whole business)"), business=link.business)
        return str(link.staff)

    @admin.display(description=_("link"))
    def link_to_copy(self, link: OpenFeedbackLink) -> str:
        url = open_feedback_url(link)
        return format_html(
            '<span class="open-link"><input type="text" readonly value="{url}" class="open-link-url" size="{size}" '
            'aria-label="{label}"> <button type="button" class="button" data-copy="{url}">{copy}</button> '
            '<a href="{url}" target="_blank" rel="noopener">{open}</a></span>',
            url=url,
            label=gettext("Open feedback link of %(whom)s") % {"whom": link.staff or link.business},
            size=len(url),
            copy=gettext("Copy"),
            open=gettext("Open"),
        )

    @admin.display(description=_("QR code to download"))
    def qr_downloads(self, link: OpenFeedbackLink) -> str:
        return format_html(
            gettext('<a href="{svg}" download>SVG</a> (for print) · <a href="{png}" download>PNG</a>'),
            svg=admin_url("qr_svg", link),
            png=admin_url("qr_png", link),
        )

    @admin.display(description=_("QR code"))
    def qr_preview(self, link: OpenFeedbackLink) -> str:
        return format_html('<div class="qr-preview">{}</div>', flyer_for(link).qr_svg)

    @admin.display(description=_("print"))
    def printables(self, link: OpenFeedbackLink) -> str:
        return format_html(
            gettext('<a href="{table_card}">Table card (A6)</a> · <a href="{counter_flyer}">Counter flyer (A4)</a>'),
            table_card=admin_url("table_card", link),
            counter_flyer=admin_url("counter_flyer", link),
        )

    @admin.display(description=_("replace"))
    def replace(self, link: OpenFeedbackLink) -> str:
        return format_html('<a href="{}">{}</a>', admin_url("replace", link), gettext("Replace this link…"))

    # --- QR codes and printable pages ---------------------------------------------------------
    def qr_svg_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        link = self.link_or_404(request, object_id)
        return _download(qr_svg(open_feedback_url(link)), "image/svg+xml", f"{_file_stem(link)}.svg")

    def qr_png_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        link = self.link_or_404(request, object_id)
        return _download(qr_png(open_feedback_url(link)), "image/png", f"{_file_stem(link)}.png")

    def table_card_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._printable(request, object_id, "table_card.html")

    def counter_flyer_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._printable(request, object_id, "counter_flyer.html")

    def _printable(self, request: HttpRequest, object_id: str, template: str) -> TemplateResponse:
        link = self.link_or_404(request, object_id)
        context = {"flyer": flyer_for(link), "back_url": reverse(f"admin:{URL_NAME}_changelist")}
        return TemplateResponse(request, f"{TEMPLATES}/{template}", context)

    # --- replacing the key --------------------------------------------------------------------
    def replace_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """A confirmation page (GET); only its POST, with the page's CSRF token, gives a new key."""
        link = self.link_or_404(request, object_id)
        if request.method == "POST":
            link = open_feedback_link_renew(link=link)
            self.log_change(request, link, "Replaced the link: codes printed before stop working.")
            self.message_user(
                request,
                gettext(
                    "The open feedback link of %(whom)s was replaced: print its new QR code; "
                    "the codes printed before no longer work."
                )
                % {"whom": link.staff or link.business},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse(f"admin:{URL_NAME}_changelist"))
        request.current_app = self.admin_site.name
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Replace the open feedback link of %(whom)s?") % {"whom": link.staff or link.business},
            "opts": self.opts,
            "link": link,
            "url": open_feedback_url(link),
        }
        return TemplateResponse(request, f"{TEMPLATES}/replace_confirmation.html", context)


def _file_stem(link: OpenFeedbackLink) -> str:
    if link.staff is None:
        return f"feedback-qr-{link.business.slug}"
    return f"feedback-qr-{link.business.slug}-{slugify(link.staff.name) or link.staff.pk}"


def _download(content: str | bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
