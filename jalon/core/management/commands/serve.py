import contextlib
import ctypes
import signal
import subprocess
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


class Command(BaseCommand):
    help = "Serve Jalon over HTTP (waitress), on an existing, migrated database."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not start a background worker beside the server (run `jalon worker`).",
        )

    def handle(self, *args, host, port, threads, no_worker=False, **options):
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError(
                "the database is not up to date: run `jalon migrate` (or `jalon demo`)."
            )
        import waitress
        from django.core.management import call_command

        from jalon.core.translations import compile_translations

        compile_translations()
        call_command("collectstatic", interactive=False, verbosity=0)

        from jalon.wsgi import application

        worker = None
        if not no_worker:
            # The worker runs the long imports and the reminders; it stops with the server,
            # however the server stops (the kernel tells it when its parent dies).
            worker = subprocess.Popen(
                [sys.executable, "-m", "jalon.cli", "worker", "-v", "0"],
                preexec_fn=_die_with_parent,
            )
            signal.signal(signal.SIGTERM, _stop)
            self.stdout.write("A background worker runs beside the server (jalon worker).")
        self.stdout.write(f"Jalon is served on http://{host}:{port}/ (Ctrl-C to stop).")
        self.stdout.flush()
        try:
            waitress.serve(application, host=host, port=port, threads=threads, ident="jalon")
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)


def _stop(signum, frame):
    raise KeyboardInterrupt  # so that the worker is stopped on the way out


def _die_with_parent() -> None:
    """Ask Linux to end this child when its parent ends (prctl PR_SET_PDEATHSIG)."""
    # Not Linux: the server's own shutdown still stops the worker.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
