from django.urls import path

from showcase import views

app_name = "showcase"
urlpatterns = [
    path("<slug:slug>/", views.page, name="page"),
    path("<slug:slug>/how-reviews-work/", views.how_reviews_work, name="how-reviews-work"),
    path("<slug:slug>/widget.js", views.widget_script, name="widget"),
    path("<slug:slug>/embed/", views.embed, name="embed"),
]
