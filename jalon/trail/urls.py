from django.urls import path

from jalon.trail import views

urlpatterns = [
    path("plans/<slug:plan>/trail/", views.plan_trail, name="plan_trail"),
    path("trail/", views.whole_trail, name="trail"),
]
