from django.urls import path

from insights import meeting_sheet_views, views

app_name = "insights"
urlpatterns = [
    path("digest/unsubscribe/<str:token>/", views.digest_unsubscribe, name="digest-unsubscribe"),
    path("scorecard/<str:token>/", views.scorecard, name="scorecard"),
    path("meeting-sheet/<str:token>/", meeting_sheet_views.shared_meeting_sheet, name="meeting-sheet"),
]
