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
urlpatterns += [
    path("plans/<slug:plan>/import/", views.import_page, name="import"),
    path("plans/<slug:plan>/import/<int:pk>/", views.upload_detail, name="upload"),
    path(
        "plans/<slug:plan>/rounds/<int:year>/grid/<slug:entity>/template.<str:kind>",
        views.grid_template,
        name="grid_template",
    ),
]
