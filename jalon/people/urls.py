from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from jalon.people import views

urlpatterns = [
    path("plans/<slug:plan>/access/", views.access_page, name="access"),
    # Setting a password from an invitation, or after forgetting it: Django's machinery.
    path(
        "password/forgotten/",
        auth_views.PasswordResetView.as_view(
            template_name="people/password_forgotten.html",
            email_template_name="people/password_reset_email.txt",
            subject_template_name="people/password_reset_subject.txt",
            success_url=reverse_lazy("password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="people/password_sent.html"),
        name="password_reset_done",
    ),
    path(
        "password/set/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="people/password_set.html",
            success_url=reverse_lazy("password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="people/password_done.html"),
        name="password_reset_complete",
    ),
]
