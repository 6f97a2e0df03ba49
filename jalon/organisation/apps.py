from django.apps import AppConfig


class OrganisationConfig(AppConfig):
    name = "jalon.organisation"
    label = "organisation"
