from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from jalon.core import demo
from jalon.core.management.commands.serve import ensure_free


class Command(BaseCommand):
    help = (
        "Prepare a demo plan (database, plan, figures, accounts), then serve it. Running it"
        " again for another plan adds that plan beside the others."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--plan",
            default=demo.DEFAULT,
            help=f"The demo plan to load (default: {demo.DEFAULT}); one of plans/CODE.yaml.",
        )
        parser.add_argument("--no-serve", action="store_true", help="Prepare only.")
        parser.add_argument("--host", default="127.0.0.1", help="The address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="The port to listen on.")

    def handle(self, *args, plan, no_serve, host, port, **options):
        if not no_serve:  # before the passwords change: a demo that cannot serve says so
            ensure_free(host, port)
        try:
            accounts = demo.prepare(self.stdout, plan)
        except FileNotFoundError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Plan {plan}: figures marked as examples, if any, are generated for the demo;"
            " every other figure carries its public source."
        )
        with translation.override("en"):  # the terminal speaks English, like the rest of it
            for username, (role, entity, password) in accounts.items():
                scope = f" of {entity}" if entity else ""
                self.stdout.write(f"Demo account: {username} / {password}  ({role.label}{scope})")
        if not no_serve:
            call_command("serve", host=host, port=port)
