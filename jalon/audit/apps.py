from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "jalon.audit"
    label = "audit"
