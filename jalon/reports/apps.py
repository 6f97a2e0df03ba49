from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "jalon.reports"
    verbose_name = "Board reports"
