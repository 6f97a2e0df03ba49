from django.urls import path

from jalon.collection import views

urlpatterns = [
    path("plans/<slug:plan>/rounds/", views.round_list, name="rounds"),
    path("plans/<slug:plan>/rounds/<int:year>/", views.round_detail, name="round"),
    path("plans/<slug:plan>/review/", views.review, name="review"),
]
