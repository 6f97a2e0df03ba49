import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from jalon.values.examples import render


class Command(BaseCommand):
    help = "Write the demo's example values (seeded, deterministic, marked as examples)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed", type=int, default=2018, help="The same seed writes the same values (2018)."
        )
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")

    def handle(self, *args, seed, output, **options):
        text = render(seed)
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {output}.")
        else:
            sys.stdout.write(text)
