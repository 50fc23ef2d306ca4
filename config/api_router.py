"""Every API endpoint under /api/v1/, registered in one router."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from businesses.api.views import BusinessView, StaffMemberViewSet
from feedback.api.views import FeedbackRequestViewSet
from insights.api.views import MetricsView
from reviews.api.views import CaseViewSet, ReviewViewSet
from showcase.api.views import PublicReviewsView, PublicSummaryView

router = SimpleRouter()
router.register("staff", StaffMemberViewSet, basename="staff")
router.register("feedback-requests", FeedbackRequestViewSet, basename="feedback-request")
router.register("reviews", ReviewViewSet, basename="review")
router.register("cases", CaseViewSet, basename="case")

app_name = "api"
urlpatterns = [
    path("business/", BusinessView.as_view(), name="business"),
    path("metrics/", MetricsView.as_view(), name="metrics"),
    path("public/<slug:slug>/reviews/", PublicReviewsView.as_view(), name="public-reviews"),
    path("public/<slug:slug>/summary/", PublicSummaryView.as_view(), name="public-summary"),
    *router.urls,
]
