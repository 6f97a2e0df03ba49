from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "jalon.access"
    label = "access"
