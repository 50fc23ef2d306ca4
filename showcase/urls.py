from django.urls import path, re_path

from showcase import views

app_name = "showcase"
urlpatterns = [
    # Lower-case hex only: one address per colour.
    re_path(r"^accent/(?P<color>[0-9a-f]{6})\.css$", views.accent_stylesheet, name="accent"),
    path("<slug:slug>/", views.page, name="page"),
    path("<slug:slug>/how-reviews-work/", views.how_reviews_work, name="how-reviews-work"),
    path("<slug:slug>/widget.js", views.widget_script, name="widget"),
    path("<slug:slug>/embed/", views.embed, name="embed"),
]
