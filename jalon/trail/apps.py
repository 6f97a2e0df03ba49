from django.apps import AppConfig


class TrailConfig(AppConfig):
    name = "jalon.trail"
    label = "trail"
