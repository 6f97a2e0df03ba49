from django.core.management.base import BaseCommand, CommandError

from jalon.core.management.commands.plan import actor, read_text
from jalon.core.yamlsource import FileProblems
from jalon.values.valuefile import store_values, withdraw_figure


class Command(BaseCommand):
    help = "Import a value file, or withdraw a figure: each change a new revision, kept."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser(
            "load", help="Import the figures of a value file: all or nothing, in their states."
        )
        load.add_argument("file")
        withdraw = sub.add_parser(
            "withdraw",
            help="Withdraw a figure (entered by mistake, or a reporter that should not count):"
            " it stops counting and stays in the history with who, when and why.",
        )
        withdraw.add_argument("--plan", required=True)
        withdraw.add_argument("--indicator", required=True)
        withdraw.add_argument("--entity", required=True)
        withdraw.add_argument("--period", required=True)
        withdraw.add_argument("--member", help="A breakdown member, e.g. programme/engineering.")
        withdraw.add_argument("--reason", required=True, help="Why the figure is withdrawn.")

    def handle(self, *args, action, **options):
        if action == "withdraw":
            return self.withdraw(**options)
        file = options["file"]
        text = read_text(file)
        try:
            report = store_values(text, file, actor_label=actor())
        except FileProblems as problems:
            self.stderr.write(str(problems))
            raise CommandError(f"{file}: nothing was imported.", returncode=1) from None
        self.stdout.write(f"{file}: {report.summary()}.")

    def withdraw(self, *, plan, indicator, entity, period, member, reason, **options):
        try:
            report = withdraw_figure(
                plan, indicator, entity, period, reason, member=member, actor_label=actor()
            )
        except FileProblems as problems:
            for problem in problems.problems:
                self.stderr.write(problem.message)
            raise CommandError("nothing was withdrawn.", returncode=1) from None
        what = f"{indicator} at {entity} for {period}" + (f" ({member})" if member else "")
        if report.counts["withdrawn"]:
            self.stdout.write(f"Withdrawn: {what}, because {reason}.")
        else:
            self.stdout.write(f"{what} was already withdrawn: nothing changed.")
