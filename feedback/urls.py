from django.urls import path

from feedback import views

app_name = "feedback"
urlpatterns = [
    path("f/<str:token>/", views.feedback_form, name="form"),
    path("f/<str:token>/thanks/", views.thanks, name="thanks"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("o/<str:key>/", views.open_feedback_form, name="open"),
]
