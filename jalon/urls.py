from django.contrib import admin
from django.urls import path

from jalon.core import views as core_views

urlpatterns = [
    path("", core_views.status_page, name="status"),
    path("admin/", admin.site.urls),
]
