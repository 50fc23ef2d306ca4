from django.urls import path

from insights import views

app_name = "insights"
urlpatterns = [
    path("digest/unsubscribe/<str:token>/", views.digest_unsubscribe, name="digest-unsubscribe"),
]
