from django.core.management.base import BaseCommand, CommandError

from jalon.core.management.commands.plan import actor, read_text
from jalon.core.yamlsource import FileProblems
from jalon.values.valuefile import store_values


class Command(BaseCommand):
    help = "Import a value file: all figures or none, each a new revision with its source."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="Import the figures of a value file.")
        load.add_argument("file")

    def handle(self, *args, action, file, **options):
        text = read_text(file)
        try:
            report = store_values(text, file, actor_label=actor())
        except FileProblems as problems:
            self.stderr.write(str(problems))
            raise CommandError(f"{file}: nothing was imported.", returncode=1) from None
        self.stdout.write(f"{file}: {report.summary()}.")
