from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "jalon.access"
    label = "access"

    def ready(self):
        from django.db.models.signals import post_delete

        from jalon.access.models import Access, _gone

        post_delete.connect(_gone, sender=Access, dispatch_uid="jalon.access.gone")
