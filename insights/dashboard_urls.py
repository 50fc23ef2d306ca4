from django.urls import path

from insights import dashboard_views, meeting_sheet_views

urlpatterns = [
    path("", dashboard_views.dashboard, name="dashboard"),
    path("feedback.csv", dashboard_views.feedback_csv, name="dashboard-feedback-csv"),
    path("meeting-sheet/", meeting_sheet_views.meeting_sheet, name="meeting-sheet"),
]
