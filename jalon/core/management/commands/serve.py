import contextlib
import ctypes
import errno
import gc
import os
import signal
import socket
import subprocess
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# Beyond these, a server process or thread would only wait for a core and hold memory (a
# mistyped --workers 100000 forked processes until the machine ran out).
MAX_WORKERS_PER_CORE = 4
MAX_THREADS = 64


class Command(BaseCommand):
    help = (
        "Serve Jalon over HTTP, on an existing, migrated database: gunicorn with one process"
        " per core (waitress, one process, where gunicorn cannot run: Windows)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="The address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="The port to listen on.")
        parser.add_argument(
            "--workers",
            type=int,
            default=_cores(),
            help="Server processes (default: one per core, here %(default)s). They share"
            " evaluations through the snapshots in the data folder.",
        )
        parser.add_argument(
            "--threads", type=int, default=4, help="Threads per process (default: 4)."
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not start a background worker beside the server (run `jalon worker`).",
        )

    def handle(self, *args, host, port, workers, threads, no_worker=False, **options):
        if workers < 1 or threads < 1:
            raise CommandError("--workers and --threads take a whole number of 1 or more.")
        most = MAX_WORKERS_PER_CORE * _cores()
        if workers > most:
            raise CommandError(
                f"--workers {workers} is more than this machine can serve with: at most {most}"
                f" ({MAX_WORKERS_PER_CORE} per core; each process holds its own memory)."
            )
        if threads > MAX_THREADS:
            raise CommandError(f"--threads takes at most {MAX_THREADS}.")
        ensure_free(host, port)
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError(
                "the database is not up to date: run `jalon migrate` (or `jalon demo`)."
            )
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
        try:
            gunicorn = _gunicorn(application, host, port, workers, threads)
        except ImportError:
            gunicorn = None
        if gunicorn:
            how = f"{workers} processes of {threads} threads"
        else:
            how = f"one process of {threads} threads (waitress: gunicorn does not run here"
            how += f", so --workers {workers} is not followed)" if workers > 1 else ")"
        self.stdout.write(f"Jalon is served on http://{host}:{port}/ by {how} (Ctrl-C to stop).")
        self.stdout.flush()
        connection.close()  # each server process opens its own
        _memory_given_back()
        # What is loaded by now lasts as long as the server: out of the cycle collector's
        # sight, it is not walked at each collection in every process, nor copied into
        # each process's own memory when the collector marks it.
        gc.collect()
        gc.freeze()
        try:
            if gunicorn is not None:
                gunicorn.run()
            else:
                import waitress

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


def _gunicorn(application, host: str, port: int, workers: int, threads: int):
    """Return a gunicorn server of ``application`` (ImportError where there is none)."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("proc_name", "jalon")
            self.cfg.set("accesslog", "-")
            self.cfg.set("graceful_timeout", 10)
            # gunicorn 25 and later open a control socket in ~/.gunicorn, which Jalon does
            # not use: a second server took it from the first, and a home that cannot be
            # written to logged an error at every start.
            if "control_socket_disable" in self.cfg.settings:
                self.cfg.set("control_socket_disable", True)

        def load(self):
            return application

    return Server()


def _memory_given_back() -> None:
    """Ask glibc for two memory arenas, not eight per core: with threads, each arena keeps
    the memory a large evaluation freed, and a process would grow with every change.

    And to keep blocks of 64 KiB or more (an indicator's arrays) in mappings of their own,
    given back when freed. By default glibc raises that threshold to the largest block
    freed, up to 32 MiB, so that an evaluation's arrays land among the server's long-lived
    objects, and what they leave cannot be given back: a process's own memory grew 20-26 MB
    over 20 changes in about one run of five, malloc's bytes in use flat and its free bytes
    growing. Measured over the same 20 changes: 1-12 MB with the threshold at 128 KiB,
    1-3 MB at 64 KiB, with no change in the time a change takes to show."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, 2)  # M_ARENA_MAX
        libc.mallopt(-3, MMAP_THRESHOLD)  # M_MMAP_THRESHOLD, which also stops its rise


MMAP_THRESHOLD = 64 * 1024  # bytes


def _cores() -> int:
    """Return the cores this process may use (a container's share, not the host's)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def ensure_free(host: str, port: int) -> None:
    """Raise a CommandError saying so if ``host:port`` cannot be listened on (in use)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            reason = "in use" if error.errno == errno.EADDRINUSE else error.strerror
            raise CommandError(
                f"cannot listen on {host}:{port}: {reason}. Choose another port with"
                " --port (make demo PORT=…)."
            ) from None
