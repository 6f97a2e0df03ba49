from django.apps import AppConfig


class CollectionConfig(AppConfig):
    """Collecting the figures: spreadsheets in and out, entry on the web, rounds, approval."""

    name = "jalon.collection"
    label = "collection"
