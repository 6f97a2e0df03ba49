from django.core.management.base import BaseCommand

from jalon.core import bench, bench_imports


class Command(BaseCommand):
    help = (
        "Time a full evaluation of a synthetic federation of about a million figures, the"
        " pages, and the imports of 1M figures from CSV and 100k from XLSX against a bare"
        " bulk insert."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--only", choices=["evaluation", "imports"], help="Run one part of the benchmark."
        )

    def handle(self, *args, only=None, **options):
        if only != "imports":
            bench.run(self.stdout)
        if only != "evaluation":
            bench_imports.run(self.stdout)
