from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from jalon.people.views import Logout

urlpatterns = [
    path("", include("jalon.dashboard.urls")),
    path("", include("jalon.people.urls")),
    path("", include("jalon.collection.urls")),
    path("", include("jalon.exports.urls")),
    path("", include("jalon.trail.urls")),
    path("", include("jalon.api.urls")),
    path("", include("jalon.reports.urls")),
    path(
        "login/", auth_views.LoginView.as_view(template_name="dashboard/login.html"), name="login"
    ),
    path("logout/", Logout.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Browsers ask for it on pages that name no icon (the admin's).
    path(
        "favicon.ico",
        RedirectView.as_view(
            url=static("dashboard/favicon.svg"), permanent=True, http_method_names=["get", "head"]
        ),
    ),
]

handler403 = "jalon.dashboard.errors.forbidden"
handler404 = "jalon.dashboard.errors.not_found"
handler500 = "jalon.dashboard.errors.server_error"
