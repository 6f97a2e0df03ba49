from django.core.management.base import BaseCommand

from jalon.core import bench


class Command(BaseCommand):
    help = "Time a full evaluation of a synthetic federation of about a million figures."

    def handle(self, *args, **options):
        bench.run(self.stdout)
