from django.apps import AppConfig


class ValuesConfig(AppConfig):
    name = "jalon.values"
    label = "values"
