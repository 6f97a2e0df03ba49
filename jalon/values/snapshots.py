"""Evaluations kept as files in the data folder, shared by every server process.

One file per plan and data stamp (and whether submitted figures count): a pickle
(protocol 5) whose arrays are written out of band after it, each aligned. Loading maps
the file into memory and the arrays point into the map: read-only, read from disk only
where used, and shared by every process that maps the same file. A process that starts,
or that has no evaluation of a plan in memory, takes the newest snapshot and brings it up
to date indicator by indicator (`refreshed`) instead of evaluating the plan anew. A full
evaluation is written at once; after changes, the newest evaluation is written in the
background at most once a minute, so no request waits for it.

Beside it, the evaluation's input: the plan's structure and its figures as dense
indicator × entity × period arrays. It is kept under a version of its own, that of the
code reading it and of the shape of the classes it is made of, not of the engine's
arithmetic: after an upgrade that changes how plans are evaluated, a process evaluates
from this file instead of reading every figure from the database again.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import logging
import mmap
import os
import pickle
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)
MAGIC = b"JALON-SNAPSHOT-1\n"
ALIGN = 64
# What a snapshot keeps of an evaluation: with what was worked out from it for the pages
# (outlooks seen from a period, examples derived), so that a process mapping it does not
# work them out again, reading every entity's arrays to show one entity.
KEPT = ("evaluation", "example", "unapproved", "include_submitted", "structure", "figures",
        "derived", "outlooks")  # fmt: skip


def folder() -> Path:
    return Path(settings.SNAPSHOT_DIR)


def _code_version() -> str:
    """Return a digest of the code that makes and reads evaluations: a snapshot written by
    other code (before an upgrade) is never read."""
    import jalon

    root = Path(jalon.__file__).parent
    digest = hashlib.sha256(getattr(jalon, "__version__", "").encode())
    for path in sorted([*root.glob("engine/*.py"), *root.glob("values/*.py")]):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


CODE = _code_version()


def _input_version() -> str:
    """Return a digest of what the saved input depends on: the code that reads it from
    the database and builds its parts, and the fields of the engine's classes it holds."""
    import dataclasses
    import importlib
    import pkgutil

    import jalon
    import jalon.engine

    root = Path(jalon.__file__).parent
    digest = hashlib.sha256(getattr(jalon, "__version__", "").encode())
    for name in ("values/evaluation.py", "values/columns.py", "engine/periods.py",
                 "engine/tree.py", "plans/models.py", "organisation/models.py"):  # fmt: skip
        digest.update(name.encode() + (root / name).read_bytes())
    for info in sorted(pkgutil.iter_modules(jalon.engine.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"jalon.engine.{info.name}")
        for name, value in sorted(vars(module).items()):
            if dataclasses.is_dataclass(value) and value.__module__ == module.__name__:
                fields = [field.name for field in dataclasses.fields(value)]
                digest.update(f"{module.__name__}.{name}{fields}".encode())
    return digest.hexdigest()[:12]


INPUT_CODE = _input_version()


def _plan_part(plan) -> str:
    # The database's name is in it: one data folder may serve several databases (the
    # demo's and the benchmark's), whose plans have the same ids.
    db = connection.settings_dict
    where = hashlib.sha256(f"{db['ENGINE']}|{db['HOST']}|{db['PORT']}|{db['NAME']}".encode())
    return f"{where.hexdigest()[:12]}-plan{plan.pk}-"


def _prefix(plan, include_submitted: bool) -> str:
    variant = "submitted" if include_submitted else "approved"
    return f"{_plan_part(plan)}{variant}-{CODE}-"


def path_for(plan, include_submitted: bool, stamp: str | None = None) -> Path:
    """Return the snapshot file of ``plan``'s evaluation at ``stamp`` (default: now)."""
    return folder() / f"{_prefix(plan, include_submitted)}{stamp or plan.data_stamp}.snapshot"


def _input_prefix(plan, include_submitted: bool) -> str:
    variant = "submitted" if include_submitted else "approved"
    return f"{_plan_part(plan)}{variant}.input-{INPUT_CODE}-"


def input_path_for(plan, include_submitted: bool, stamp: str | None = None) -> Path:
    """Return the file of ``plan``'s evaluation input at ``stamp`` (default: now)."""
    name = f"{_input_prefix(plan, include_submitted)}{stamp or plan.data_stamp}.snapshot"
    return folder() / name


def save(pe, stamp: str) -> Path:
    """Write ``pe`` (of the data at ``stamp``) as the plan's snapshot; remove older ones.

    Another process may have written it already, or be writing it: then there is nothing
    to do but wait for it.
    """
    path = path_for(pe.plan, pe.include_submitted, stamp)
    given = input_path_for(pe.plan, pe.include_submitted, stamp)
    variant = "submitted" if pe.include_submitted else "approved"
    path.parent.mkdir(parents=True, exist_ok=True)
    if pe.structure is not None and not given.exists():
        with _writing(given) as mine:
            if mine and not _newer_written(pe, stamp, input_path_for):
                state = {"structure": pe.structure, "figures": pe.figures, "stamps": pe.stamps}
                _write_file(state, given, f"{_plan_part(pe.plan)}{variant}.input-")
    if not path.exists():
        with _writing(path) as mine:
            if mine and not _newer_written(pe, stamp, path_for):
                # A copy of each memo: requests may add to them while this is written.
                state = {name: _copied(getattr(pe, name)) for name in KEPT}
                state["stamps"] = pe.stamps
                _write_file(state, path, f"{_plan_part(pe.plan)}{variant}-")
    return path


def _stamp_now(plan) -> str | None:
    """Return the plan's data stamp in the database now; None where it cannot say (a
    test's transaction seen from another thread, a lost connection)."""
    try:
        return type(plan).objects.filter(pk=plan.pk).values_list("data_stamp", flat=True).first()
    except Exception:  # noqa: BLE001 - only a copy is at stake: it is written as before
        return None


def _newer_written(pe, stamp: str, path_of) -> bool:
    """Whether the file of the plan's data as it now is, newer than ``stamp``, is written
    already (by another process; asked under the file's lock, which every writer of it
    takes): then ``pe``'s is not, for writing it would remove that newer one, and every
    process would bring the older one up to date again."""
    now = _stamp_now(pe.plan)
    return now not in (None, stamp) and path_of(pe.plan, pe.include_submitted, now).exists()


def _copied(value):
    return dict(value) if isinstance(value, dict) else value


@contextlib.contextmanager
def _writing(path: Path):
    """Yield whether this process is to write ``path``: one writer at a time (the server's
    processes see the same changes). A process that finds another writing waits for it,
    then writes only if the file is still missing, so that once `save` returns, the file
    is there to be mapped (measured: a process that left it to the other writer mapped
    nothing, and kept its own copies of the changes for another minute)."""
    with open(os.open(_lock_for(path), os.O_WRONLY | os.O_CREAT, 0o600), "wb") as handle:
        try:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX)
        except ImportError:  # not POSIX: writers may meet, each rename is whole anyway
            pass
        yield not path.exists()


def _lock_for(path: Path) -> Path:
    """Return the lock file of a snapshot: one per plan, variant and code version."""
    return path.parent / (path.name.rsplit("-", 1)[0] + ".lock")


def _write_file(state: dict, path: Path, family: str) -> None:
    """Write a snapshot file: the pickle, then its arrays, each aligned; whole or not.
    Then remove the files of the same ``family`` (name prefix) that it replaces."""
    buffers: list[pickle.PickleBuffer] = []
    data = pickle.dumps(state, protocol=5, buffer_callback=buffers.append)
    views = [b.raw() for b in buffers]
    temporary = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    offsets, at = [], 0
    for view in views:
        at += -at % ALIGN
        offsets.append([at, view.nbytes])
        at += view.nbytes
    header = json.dumps({"pickle": len(data), "buffers": offsets}).encode() + b"\n"
    start = len(MAGIC) + len(header) + len(data)
    start += -start % ALIGN
    try:
        with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            out.write(MAGIC + header + data)
            out.write(b"\0" * (start - out.tell()))
            for (offset, _), view in zip(offsets, views, strict=True):
                out.write(b"\0" * (start + offset - out.tell()))
                out.write(view)
            out.flush()
            os.fsync(out.fileno())  # on disk before it takes the name
        os.replace(temporary, path)  # whole or not at all, for readers in other processes
    finally:
        temporary.unlink(missing_ok=True)
    lock = _lock_for(path)
    for older in path.parent.glob(f"{family}*"):
        if older not in (path, lock) and older.suffix in (".snapshot", ".lock"):
            older.unlink(missing_ok=True)  # older data, or written by other code


def load(plan, include_submitted: bool, *, latest: bool = False):
    """Return the plan's evaluation from its snapshot at its data stamp, or None.

    With ``latest``, the newest snapshot of the plan whatever its stamp (to be brought up
    to date by the caller). A damaged or foreign file is ignored.
    """
    from jalon.values.evaluation import PlanEvaluation

    path = path_for(plan, include_submitted)
    if latest and not path.exists():
        path = _newest(_prefix(plan, include_submitted))
    state = _read_file(path) if path is not None else None
    if state is None or state.get("include_submitted") != include_submitted:
        return None
    # Taken now, as good as written now: the next write of this process waits its
    # interval from here. (Counted from never, a process's first change after it took a
    # snapshot wrote the whole evaluation at once, 145 MB at 1M figures, a second of a
    # thread holding up the requests that came meanwhile, for one changed indicator.)
    _written[(plan.pk, include_submitted)] = time.monotonic()
    stamps = state.pop("stamps")
    structure = state["structure"]
    return PlanEvaluation(
        plan=plan,
        tree=structure.tree,
        indicators=structure.indicators,
        as_of=None,
        stamps=stamps,
        base=path.name,
        **state,
    )


def newest_name(plan, include_submitted: bool) -> str | None:
    """Return the name of the plan's newest evaluation snapshot, or None."""
    path = _newest(_prefix(plan, include_submitted))
    return path.name if path is not None else None


def load_input(plan, include_submitted: bool):
    """Return the newest saved input of the plan's evaluation, whatever its stamp, as
    (structure, figures, stamps of the figures), or None."""
    path = input_path_for(plan, include_submitted)
    if not path.exists():
        path = _newest(_input_prefix(plan, include_submitted))
    state = _read_file(path) if path is not None else None
    if state is None:
        return None
    return state["structure"], state["figures"], state["stamps"]


def _newest(prefix: str) -> Path | None:
    found = []
    for candidate in folder().glob(prefix + "*.snapshot"):
        try:
            found.append((candidate.stat().st_mtime, candidate))
        except OSError:  # removed by another process meanwhile
            continue
    return max(found)[1] if found else None


def _read_file(path: Path) -> dict | None:
    """Return the state kept in the snapshot file at ``path``, its arrays mapped from the
    file; None where there is none. A damaged file is removed."""
    inode = None
    try:
        with open(path, "rb") as handle:
            inode = os.fstat(handle.fileno()).st_ino
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        view = memoryview(mapped)
        if bytes(view[: len(MAGIC)]) != MAGIC:
            raise ValueError("not a snapshot")
        end = mapped.find(b"\n", len(MAGIC))
        header = json.loads(bytes(view[len(MAGIC) : end]))
        data = view[end + 1 : end + 1 + header["pickle"]]
        start = end + 1 + header["pickle"]
        start += -start % ALIGN
        buffers = [view[start + o : start + o + n] for o, n in header["buffers"]]
        return pickle.loads(data, buffers=buffers)
    except FileNotFoundError:
        return None
    except Exception:  # a snapshot is only a copy: a bad one is evaluated anew
        logger.warning("Removing the damaged snapshot %s", path, exc_info=True)
        with contextlib.suppress(OSError):
            if os.stat(path).st_ino == inode:  # not one another process put in its place
                path.unlink()
        return None


def save_now(pe, stamp: str) -> bool:
    """Write ``pe``'s snapshot; return whether it could be (a read-only data folder)."""
    _written[(pe.plan.pk, pe.include_submitted)] = time.monotonic()
    try:
        save(pe, stamp)
    except Exception as error:  # noqa: BLE001 - a full disk, or caches filled while pickling
        # Its traceback once per kind of failure: a folder that cannot be written fails
        # every write the same way, and the pages are right meanwhile.
        kind = (type(error), getattr(error, "errno", None))
        logger.warning(
            "Could not write the snapshot of plan %s: %s",
            pe.plan.pk,
            error,
            exc_info=kind not in _failures,
        )
        _failures.add(kind)
        return False
    return True


_failures: set = set()  # the kinds of failure to write a snapshot this process has told


_pending: dict = {}  # per plan and variant: the newest evaluation not yet written
_due: dict = {}  # per plan and variant: when its write is due (time.monotonic)
_written: dict = {}  # per plan and variant: when this process last wrote or took its snapshot
_timers: dict = {}  # per plan and variant: the timer of its write to come
_pending_lock = threading.Lock()
INTERVAL = 60.0  # seconds: at most one snapshot a minute per plan, whatever the changes
SOON = 5.0  # seconds: at most one every five when a process holds many changes of its own


def save_later(pe, stamp: str, *, soon: bool = False, then=None) -> None:
    """Write ``pe``'s snapshot in the background: at most once a minute per plan, or once
    in five seconds when ``soon``; then call ``then()`` if it was written, by this process
    or by another (of the same data and code), which ends the wait within a second.

    A change is applied to a process's own evaluation at once; the snapshot is for the
    processes that start later, and for every process to map what changed rather than
    keep its own copy (`soon`, once the copies add up). Writing a snapshot at every
    change would only churn the disk.
    """
    if not settings.SNAPSHOTS_IN_BACKGROUND:
        if save_now(pe, stamp) and then is not None:
            then()
        return
    key = (pe.plan.pk, pe.include_submitted)
    with _pending_lock:
        _pending[key] = (pe, stamp, then)
        due = _written.get(key, -INTERVAL) + (SOON if soon else INTERVAL)
        if key in _due and _due[key] <= due:
            return  # a write comes soon enough, and will take this evaluation
        _due[key] = due
        timer = _Wait(key, due)
        superseded, _timers[key] = _timers.get(key), timer
    if superseded is not None:
        superseded.cancel()  # its thread ends now, not when it was due (up to a minute)
    timer.start()


class _Wait(threading.Thread):
    """The wait for a snapshot's write, which ends when it is due or, sooner, once another
    process has written the snapshot of the same data: every process sees the same
    changes, and one that waited its minute kept its own copies of them all that time
    (seen in a probe: the copies of 4 changed indicators, about 1.2 MB of arrays each,
    kept 57 s after the other process had written the same data)."""

    LOOK = 1.0  # seconds between looks for the other processes' snapshot

    def __init__(self, key, due: float):
        super().__init__(daemon=True)
        self.key, self.due = key, due
        self.cancelled = threading.Event()

    def cancel(self) -> None:
        self.cancelled.set()

    def run(self) -> None:
        try:
            while not self.cancelled.wait(max(0.0, min(self.LOOK, self.due - time.monotonic()))):
                if time.monotonic() >= self.due or self._written_elsewhere():
                    _write(self.key, self.due)
                    return
        finally:
            connection.close()  # this thread's, opened if the write asked the database

    def _written_elsewhere(self) -> bool:
        with _pending_lock:
            pending = _pending.get(self.key)
        if pending is None:
            return False
        pe, stamp, _ = pending
        try:
            return path_for(pe.plan, pe.include_submitted, stamp).exists()
        except Exception:  # noqa: BLE001 - a folder gone unreadable: the write, when due, says
            return False


def _write(key, due: float) -> None:
    with _pending_lock:
        if _due.get(key) != due or key not in _pending:
            return  # superseded by a sooner write
        pe, stamp, then = _pending.pop(key)
        del _due[key]
        _timers.pop(key, None)
        _written[key] = time.monotonic()
    if save_now(pe, stamp) and then is not None:
        then()
    del pe
    # The evaluation this process let go at its last change is not always freed by its
    # count of references: measured, one was still alive minutes after the change, its
    # older snapshot mapped, in a process too idle for Python's collector to come round
    # (a probe listed only lists as its referrers; the cycle itself was not found). With
    # a collection here, at most once per write, none was.
    gc.collect()
    release_memory()


def release_memory() -> None:
    """Give the memory freed by a large evaluation back to the system (glibc keeps it
    otherwise, and a server process would grow with every change); so does Arrow's
    allocator, which keeps the columns read from the database for reuse."""
    import sys

    if "pyarrow" in sys.modules:
        sys.modules["pyarrow"].default_memory_pool().release_unused()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass
