from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import translation

from jalon.core import demo


class Command(BaseCommand):
    help = "Prepare the IMT 2018-2022 demo (database, plan, figures, accounts), then serve it."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="Prepare only.")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, no_serve, host, port, **options):
        accounts = demo.prepare(self.stdout)
        self.stdout.write(
            "Example figures are marked as examples: the schools' own are not public."
        )
        with translation.override("en"):  # the terminal speaks English, like the rest of it
            for username, (role, entity, password) in accounts.items():
                scope = f" of {entity}" if entity else ""
                self.stdout.write(f"Demo account: {username} / {password}  ({role.label}{scope})")
        if not no_serve:
            call_command("serve", host=host, port=port)
