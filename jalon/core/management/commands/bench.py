from django.core.management.base import BaseCommand

from jalon.core import bench, bench_fresh, bench_imports
from jalon.plans.models import Plan


class Command(BaseCommand):
    help = (
        "Time a full evaluation of a synthetic federation of about a million figures, the"
        " pages, and the imports of 1M figures from CSV and 100k from XLSX against a bare"
        " bulk insert."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--only",
            choices=["evaluation", "fresh", "imports"],
            help="Run one part of the benchmark: the evaluation and pages, freshness after a"
            " change and the server's processes (builds the federation too), or the imports.",
        )

    def handle(self, *args, only=None, **options):
        if only != "imports":
            figures = bench.run(self.stdout)
            if only != "evaluation":
                plan = Plan.objects.get(code=bench.PLAN)
                bench_fresh.run(plan, figures["reference_s"], self.stdout.write)
        if only in (None, "imports"):
            bench_imports.run(self.stdout)
