from django.apps import AppConfig


class PeopleConfig(AppConfig):
    """Who may do what with a plan, on the web: access, invitations, passwords."""

    name = "jalon.people"
    label = "people"

    def ready(self):
        from jalon.people import accounts

        accounts.connect()
