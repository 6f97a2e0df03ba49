from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Run the background worker: long imports, reminders. Tasks wait in the database;"
        " `jalon serve` starts one worker beside the server."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", action="store_true", help="Run the tasks waiting now, then stop."
        )
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")

    def handle(self, *args, batch, interval, **options):
        from jalon.collection.tasks import schedule_reminders

        if not batch and schedule_reminders() and options.get("verbosity", 1):
            self.stdout.write("The daily reminders are scheduled (7:00, the site's time).")
        extra = ["--batch"] if batch else []
        call_command(
            "db_worker",
            *extra,
            "--interval",
            str(interval),
            "--no-reload",
            "--no-startup-delay",
            verbosity=options.get("verbosity", 1),
        )
