from django.core.management.base import BaseCommand, CommandError

from jalon.core import bench, bench_fresh, bench_imports, bench_report
from jalon.plans.models import Plan


class Command(BaseCommand):
    help = (
        "Measure Jalon against references on a synthetic federation of a million figures."
        " Times a full evaluation, the pages, freshness after a change, the server's"
        " processes, the board report, and the imports of 100k figures from CSV, XLSX and"
        " YAML against a bare bulk insert."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--only",
            choices=["evaluation", "fresh", "imports"],
            help="Run one part of the benchmark: the evaluation and pages, freshness after a"
            " change and the server's processes (builds the federation too), or the imports.",
        )

        parser.add_argument(
            "--million",
            action="store_true",
            help="Also import 1M figures from CSV against a bare bulk insert (a few minutes"
            " more; `make bench MILLION=1`).",
        )
        parser.add_argument(
            "--size",
            type=int,
            default=1,
            help="Times the default federation (1,000 entities, 1M figures); above 1, only"
            " its cold evaluation is timed, with its peak memory (10: 10M figures).",
        )

    def handle(self, *args, only=None, size=1, million=False, **options):
        if size < 1:
            raise CommandError("--size takes a whole number of 1 or more.")
        if size > 1:
            bench.run_large(self.stdout, size)
            return
        if only != "imports":
            figures = bench.run(self.stdout)
            if only != "evaluation":
                plan = Plan.objects.get(code=bench.PLAN)
                # The report first: the freshness part grows the database threefold.
                bench_report.run(plan, _demo_plan(), self.stdout.write)
                bench_fresh.run(plan, figures["reference_s"], self.stdout.write)
        if only in (None, "imports"):
            bench_imports.run(self.stdout, million=million)


def _demo_plan():
    """Return the demo plan, loaded into the benchmark's database if it is not there."""
    import io

    from django.core.management import call_command

    from jalon.core.demo import DEFAULT, files_of

    plan = Plan.objects.filter(code=DEFAULT).first()
    if plan is None:
        plan_file, value_files = files_of(DEFAULT)
        quiet = io.StringIO()
        call_command("plan", "load", str(plan_file), stdout=quiet)
        for path in value_files:
            call_command("values", "load", str(path), stdout=quiet)
        plan = Plan.objects.get(code=DEFAULT)
    return plan
