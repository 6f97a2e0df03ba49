import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from jalon.core.yamlsource import LARGEST, FileProblems, too_large
from jalon.plans.models import Plan
from jalon.plans.planfile import json_schema, read_plan
from jalon.plans.planstore import dump_yaml, existing, export_plan, store_plan


def read_text(filename: str) -> str:
    """Return the file's text, or raise a CommandError that names it (one larger than
    any plan or value file is refused before it is read)."""
    try:
        if Path(filename).stat().st_size > LARGEST:
            raise CommandError(str(too_large(filename)))
        return Path(filename).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(f"{filename}: no such file") from None
    except UnicodeDecodeError as error:
        raise CommandError(f"{filename}: not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise CommandError(f"{filename}: {error.strerror}") from None


class Command(BaseCommand):
    help = "Check, load or export a plan file, or print its JSON Schema."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="Validate a plan file; list every problem.")
        check.add_argument("file", help="The plan file (YAML).")
        sub.add_parser("schema", help="Print the JSON Schema of plan files.")
        load = sub.add_parser("load", help="Store a plan file (updates in place by code).")
        load.add_argument("file", help="The plan file (YAML).")
        load.add_argument("--reason", default="", help="Why this version of the plan.")
        load.add_argument(
            "--change-shared",
            action="store_true",
            help="Let the file change entities, sources, groupings and lineage links that"
            " other plans use too (refused otherwise).",
        )
        export = sub.add_parser("export", help="Write a plan as a file that loads back.")
        export.add_argument("code", nargs="?", help="The plan's code (default: the only plan).")
        export.add_argument("--output", "-o", help="File to write (default: standard output).")

    def handle(self, *args, action, **options):
        getattr(self, f"handle_{action}")(**options)

    def validated(self, filename: str):
        text = read_text(filename)
        try:
            known = existing()  # a plan may refer to the federation's entities and sources
        except DatabaseError:  # no database yet: the file alone
            known = None
        try:
            plan, located = read_plan(text, filename, known)
        except FileProblems as problems:
            self.stderr.write(str(problems))
            count = len(problems.problems)
            raise CommandError(
                f"{filename}: {count} problem{'s' if count > 1 else ''}; nothing was loaded.",
                returncode=1,
            ) from None
        return text, plan, located

    def handle_check(self, file, **_):
        _, plan, _ = self.validated(file)
        self.stdout.write(
            f"{file}: valid — plan {plan.plan.code}, {len(plan.entities)} entities, "
            f"{len(plan.axes)} axes, {len(plan.levers)} levers, {len(plan.indicators)} indicators, "
            f"{len(plan.targets)} targets, {len(plan.projects)} projects."
        )

    def handle_schema(self, **_):
        self.stdout.write(json.dumps(json_schema(), indent=2, ensure_ascii=False))

    def handle_load(self, file, reason, change_shared, **_):
        text, plan, located = self.validated(file)
        try:
            report = store_plan(
                plan, located, text, file, reason=reason, actor_label=actor(),
                change_shared=change_shared,
            )  # fmt: skip
        except FileProblems as problems:
            self.stderr.write(str(problems))
            raise CommandError(f"{file}: nothing was loaded.", returncode=1) from None
        revision = (
            f" (revision {report.revision})" if report.revision else " (no change to the file)"
        )
        self.stdout.write(f"Loaded plan {report.plan.code}{revision}: {report.summary()}.")
        for change in report.target_changes:
            self.stdout.write(f"  target {change}")

    def handle_export(self, code, output, **_):
        plans = Plan.objects.all()
        if code:
            plans = plans.filter(code=code)
        found = list(plans[:2])
        if not found:
            raise CommandError(f"no plan has the code {code!r}" if code else "no plan is loaded")
        if len(found) > 1:
            raise CommandError("several plans are loaded: name one")
        text = dump_yaml(export_plan(found[0]))
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {output}.")
        else:
            sys.stdout.write(text)


def actor() -> str:
    """Return who runs the command, for the audit trail."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"
