from django.urls import path

from jalon.exports import views

urlpatterns = [
    path("plans/<slug:plan>/download/figures.<str:kind>", views.figures, name="download_figures"),
    path("plans/<slug:plan>/download/history.<str:kind>", views.history, name="download_history"),
]
