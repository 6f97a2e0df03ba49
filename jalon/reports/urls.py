from django.urls import path

from jalon.reports import views

urlpatterns = [
    path("plans/<slug:plan>/report/", views.new_report, name="new_report"),
    path("plans/<slug:plan>/report/<int:pk>/", views.report, name="report"),
    path("plans/<slug:plan>/report/<int:pk>/file", views.report_file, name="report_file"),
    path("plans/<slug:plan>/commentary/", views.commentary, name="commentary"),
]
