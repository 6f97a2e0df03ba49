from django.urls import path

from jalon.api import views
from jalon.api.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("tokens/", views.tokens, name="tokens"),
]
