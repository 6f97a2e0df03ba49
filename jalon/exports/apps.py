from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "jalon.exports"
    verbose_name = "Exports"
