from django.urls import path

from jalon.dashboard import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("plans/<slug:plan>/", views.overview, name="overview"),
    path("plans/<slug:plan>/indicators/", views.indicator_list, name="indicator_list"),
    path("plans/<slug:plan>/indicators/<slug:code>/", views.indicator_detail, name="indicator"),
    path("plans/<slug:plan>/schools/", views.entity_list, name="entity_list"),
    path("plans/<slug:plan>/schools/<slug:code>/", views.entity_detail, name="entity"),
    path("plans/<slug:plan>/projects/", views.project_list, name="project_list"),
    path("plans/<slug:plan>/projects/<slug:code>/", views.project_detail, name="project"),
    path("plans/<slug:plan>/axes/<slug:code>/", views.axis_detail, name="axis"),
    path("plans/<slug:plan>/levers/<slug:code>/", views.lever_detail, name="lever"),
    path("plans/<slug:plan>/search/", views.search, name="search"),
]
