from django.urls import path

from jalon.collection import views

urlpatterns = [
    path("plans/<slug:plan>/rounds/", views.round_list, name="rounds"),
    path("plans/<slug:plan>/rounds/<int:year>/", views.round_detail, name="round"),
    path("plans/<slug:plan>/review/", views.review, name="review"),
]
urlpatterns += [
    path("plans/<slug:plan>/rounds/<int:year>/grid/<slug:entity>/", views.grid, name="grid"),
    path(
        "plans/<slug:plan>/rounds/<int:year>/grid/<slug:entity>/check/",
        views.grid_check,
        name="grid_check",
    ),
]
