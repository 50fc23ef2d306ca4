from django.urls import path

from reviews import views

app_name = "cases"
urlpatterns = [
    path("f/<str:token>/conversation/", views.conversation, name="conversation"),
    path("case/<str:token>/", views.staff_case, name="staff-case"),
]
