"""Top-level URL routing. Each app's URLs are namespaced; the API lives in config.api_router."""

from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from businesses.views import healthz
from core.language import language_switch
from showcase.sitemaps import ShowcaseSitemap

admin.site.site_header = "Raves"
admin.site.site_title = "Raves"
admin.site.index_title = _("Your business")

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/dashboard/", include("insights.dashboard_urls")),
    path("admin/", admin.site.urls),
    # The language switch of the admin's header: Django's set_language, with a limit per address.
    path("i18n/setlang/", language_switch, name="set_language"),
    path("api/v1/", include("config.api_router")),
    path("anymail/", include("anymail.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("b/", include("showcase.urls")),
    path("sitemap.xml", sitemap, {"sitemaps": {"showcase": ShowcaseSitemap}}, name="sitemap"),
    path("", include("reviews.urls")),  # the customer's conversation on a case, behind their /f/<token>/ link
    path("", include("feedback.urls")),
    path("", include("insights.urls")),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

# A path under /api/ that names no endpoint (`/api/v1/cases/0.5/`) answers JSON like every API error.
handler404 = "core.api_exceptions.not_found"
handler400 = "core.api_exceptions.bad_request"
