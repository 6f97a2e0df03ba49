"""An import killed with SIGKILL while it writes: the database holds what it held before.

The import runs as `jalon values import` in its own process, on a database of its own
(a SQLite file, or a fresh PostgreSQL database on the suite's server, as the suite runs
on one or the other). The test waits until the rows are being written — SQLite's
write-ahead log growing, or PostgreSQL's COPY running — kills the process, and reads the
figures back.
"""

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from jalon.core import synthetic
from jalon.core.tests.test_commands import JALON

MEMBERS, INDICATORS, YEARS = 200, 10, 100  # 200,000 figures to import


def _wait_for(condition, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _prepare(env: dict, tmp_path: Path) -> Path:
    """Migrate, load the synthetic plan and a first year of figures; return the big file."""
    run = lambda *args: subprocess.run(  # noqa: E731
        [*JALON, *args], env=env, check=True, timeout=300, capture_output=True
    )
    run("migrate", "-v0")
    plan = tmp_path / "synthetic.yaml"
    plan.write_text(synthetic.plan_text(MEMBERS, INDICATORS))
    run("plan", "load", str(plan))
    first = tmp_path / "first.csv"
    first.write_bytes(synthetic.figures_csv(MEMBERS, INDICATORS, 1))
    run("values", "import", str(first), "--state", "approved")
    big = tmp_path / "big.csv"
    lines = synthetic.figures_csv(MEMBERS, INDICATORS, YEARS).splitlines(keepends=True)
    # The first year is in already: the big file adds the 99 others.
    big.write_bytes(
        b"".join([lines[0], *(line for line in lines[1:] if line.split(b",")[2] != b"1925")])
    )
    return big


def _kill_while_writing(env: dict, big: Path, writing) -> None:
    process = subprocess.Popen(
        [*JALON, "values", "import", str(big), "--state", "approved"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(lambda: writing() or process.poll() is not None, 300, "the rows being written")
        assert process.poll() is None, "the import ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def _figures(query) -> tuple:
    return tuple(query("SELECT count(*), sum(number), max(revision) FROM values_value"))


def test_an_import_killed_midway_leaves_the_database_as_it_was(tmp_path, own_database):
    env = own_database
    if "DATABASE_URL" in env:  # a fresh PostgreSQL database of its own
        import psycopg

        def query(sql):
            with psycopg.connect(env["DATABASE_URL"], autocommit=True) as c:
                return c.execute(sql).fetchone()

        def writing():
            row = query(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                " AND query LIKE 'COPY%%values_value%%'"
            )
            return row[0] > 0

        big = _prepare(env, tmp_path)
        before = _figures(query)
        _kill_while_writing(env, big, writing)
        # The server notices the client is gone and rolls its transaction back.
        _wait_for(lambda: not writing(), 60, "the server to end the COPY")
        assert _figures(query) == before
        assert query("SELECT count(*) FROM values_value WHERE superseded_at IS NOT NULL")[0] == 0
        return
    database = tmp_path / "jalon.sqlite3"
    big = _prepare(env, tmp_path)
    wal = Path(str(database) + "-wal")

    def query(sql):
        with sqlite3.connect(database) as c:
            return c.execute(sql).fetchone()

    before = _figures(query)
    quiet = wal.stat().st_size if wal.exists() else 0
    # Rows being written spill to the write-ahead log long before they are committed.
    _kill_while_writing(env, big, lambda: wal.exists() and wal.stat().st_size > quiet + 4 * 2**20)
    assert _figures(query) == before
    assert query("PRAGMA integrity_check") == ("ok",)
    assert query("SELECT count(*) FROM values_value WHERE superseded_at IS NOT NULL")[0] == 0
