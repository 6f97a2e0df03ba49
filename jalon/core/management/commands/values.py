from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from jalon.core.management.commands.plan import actor, read_text
from jalon.core.yamlsource import FileProblems
from jalon.plans.models import Plan
from jalon.values.valuefile import store_values, withdraw_figure


class ProgressBar:
    """Draw an import's progress on the terminal: [########------------]  40 % checking.

    On a terminal the bar redraws in place; elsewhere (a log, CI) each phase is one line.
    """

    WIDTH = 30

    def __init__(self, stream):
        self.stream = stream
        self.live = getattr(stream, "isatty", lambda: False)()
        self.last = None

    def __call__(self, phase: str, share: float) -> None:
        filled = round(share * self.WIDTH)
        line = f"[{'#' * filled}{'-' * (self.WIDTH - filled)}] {share * 100:3.0f} % {phase}"
        if self.live:
            self.stream.write("\r" + line.ljust(60) + ("\n" if phase == "done" else ""))
        elif phase != self.last:
            self.stream.write(line + "\n")
        self.stream.flush()
        self.last = phase


class Command(BaseCommand):
    help = "Import a value file, or withdraw a figure: each change a new revision, kept."
    # Figures in, figures out: the project's checks (templates, URLs) are the server's
    # business, and importing them costs a second per file imported.
    requires_system_checks = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser(
            "load", help="Import the figures of a value file: all or nothing, in their states."
        )
        load.add_argument("file", help="A YAML value file (a CSV or XLSX file: values import).")
        imported = sub.add_parser(
            "import",
            help="Import figures from a CSV, XLSX or YAML value file: all or nothing, every"
            " problem found in one pass, with its row and column.",
        )
        imported.add_argument("file", help="The CSV, XLSX or YAML file.")
        imported.add_argument("--plan", help="The plan (default: the only one; YAML names it).")
        imported.add_argument(
            "--state",
            choices=["draft", "submitted", "approved", "withdrawn"],
            help="The state of rows that give none (a spreadsheet may have a state column).",
        )
        imported.add_argument("--source", help="The source of rows that give none.")
        imported.add_argument(
            "--dry-run", action="store_true", help="Say what would change; write nothing."
        )
        withdraw = sub.add_parser(
            "withdraw",
            help="Withdraw a figure (entered by mistake, or a reporter that should not count):"
            " it stops counting and stays in the history with who, when and why.",
        )
        withdraw.add_argument("--plan", required=True, help="The plan's code.")
        withdraw.add_argument("--indicator", required=True, help="The indicator's code.")
        withdraw.add_argument("--entity", required=True, help="The entity's code.")
        withdraw.add_argument("--period", required=True, help="The period, e.g. 2021/22 or 2021.")
        withdraw.add_argument("--member", help="A breakdown member, e.g. programme/engineering.")
        withdraw.add_argument("--reason", required=True, help="Why the figure is withdrawn.")

    def handle(self, *args, action, **options):
        if action == "withdraw":
            return self.withdraw(**options)
        if action == "import":
            return self.import_file(**options)
        file = options["file"]
        if Path(file).suffix.lower() in (".csv", ".xlsx", ".ods", ".tsv"):
            raise CommandError(
                f"{file}: a spreadsheet, not a value file (YAML): import it with"
                f" `jalon values import {file}`",
                returncode=1,
            )
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

    def import_file(self, *, file, plan, state, source, dry_run, **options):
        from jalon.collection.sheets import import_figures

        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from None
        try:
            if path.suffix.casefold() in (".yaml", ".yml"):
                report = store_values(read_text(file), file, actor_label=actor(), dry_run=dry_run)
            else:
                report = import_figures(
                    file,
                    data,
                    self.plan(plan),
                    state=state,
                    source=source,
                    actor_label=actor(),
                    dry_run=dry_run,
                    progress=ProgressBar(self.stderr._out),
                )
        except FileProblems as problems:
            self.stderr.write(str(problems))
            raise CommandError(f"{file}: nothing was imported.", returncode=1) from None
        verb = "would import" if dry_run else "imported"
        self.stdout.write(f"{file}: {verb}: {report.summary()}.")

    def plan(self, code: str | None) -> Plan:
        plans = Plan.objects.select_related("organisation")
        found = list((plans.filter(code=code) if code else plans)[:2])
        if not found:
            raise CommandError(f"no plan has the code {code!r}" if code else "no plan is loaded")
        if len(found) > 1:
            raise CommandError("several plans are loaded: choose one with --plan")
        return found[0]
