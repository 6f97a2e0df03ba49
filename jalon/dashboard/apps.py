from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "jalon.dashboard"
    label = "dashboard"
