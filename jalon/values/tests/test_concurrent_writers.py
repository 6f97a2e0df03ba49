"""Two imports of the same figures at once both land, one after the other, and people log
in meanwhile: on SQLite and on PostgreSQL, with `jalon` run as separate processes.

To make the two imports meet for sure, a third connection holds the database while they
start, as a long import would: on SQLite the write lock (longer than SQLite's default
5-second wait), on PostgreSQL the figures' table against writes, so that both imports
have read what is in force before either may write.
"""

import sqlite3
import subprocess
import threading
import time
from pathlib import Path

from jalon.core import synthetic
from jalon.core.tests.test_commands import JALON

MEMBERS, INDICATORS = 20, 3
TRACKS = (
    "SELECT indicator_id, entity_id, period, count(*), max(revision),"
    " sum(CASE WHEN superseded_at IS NULL THEN revision ELSE 0 END)"
    " FROM values_value WHERE member_id IS NULL GROUP BY indicator_id, entity_id, period"
)
HOLD = 10  # seconds the database is held: well past SQLite's default wait of 5

LOGIN = """
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
answer = Client().post("/login/", {"username": "admin", "password": "a-long-admin-Pl4n-9"})
print("login", answer.status_code, answer.get("Location"))
"""


def _run(env, *args, check=True):
    return subprocess.run(
        [*JALON, *args], env=env, check=check, timeout=300, capture_output=True, text=True
    )


def _prepare(env: dict, tmp_path: Path) -> tuple[Path, Path]:
    """Migrate, load a plan and a year of figures, make an account; return two revisions."""
    _run(env, "migrate", "-v0")
    plan = tmp_path / "synthetic.yaml"
    plan.write_text(synthetic.plan_text(MEMBERS, INDICATORS))
    _run(env, "plan", "load", str(plan))
    first = synthetic.figures_csv(MEMBERS, INDICATORS, 1).decode().splitlines()
    (tmp_path / "first.csv").write_text("\n".join(first) + "\n")
    _run(env, "values", "import", str(tmp_path / "first.csv"), "--state", "approved")
    _run(env | {"DJANGO_SUPERUSER_PASSWORD": "a-long-admin-Pl4n-9"},
         "createsuperuser", "--noinput", "--username", "admin", "--email", "a@example.org")  # fmt: skip
    files = []
    for name, add in (("a.csv", 1), ("b.csv", 2)):
        rows = [first[0]]
        for line in first[1:]:
            *key, number = line.split(",")
            rows.append(",".join([*key, str(int(number) + add)]))
        files.append(tmp_path / name)
        files[-1].write_text("\n".join(rows) + "\n")
    return files[0], files[1]


def _meet(env: dict, files, hold) -> tuple[list, str]:
    """Start both imports and a login while ``hold`` holds the database; return the
    imports' completed processes and the login's output."""
    started = threading.Event()
    holder = threading.Thread(target=hold, args=(started,))
    holder.start()
    started.wait(30)
    try:
        imports = [
            subprocess.Popen(
                [*JALON, "values", "import", str(f), "--state", "approved"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for f in files
        ]
        login = _run(env, "shell", "-c", LOGIN, check=False)
        for process in imports:
            process.wait(timeout=120)
    finally:
        holder.join()
    return imports, login.stdout + login.stderr


def _assert_both_landed(imports, login: str, query) -> None:
    for process in imports:
        out, err = process.communicate()
        assert process.returncode == 0, out + err
    assert "login 302 /" in login, login
    # Every figure: its first revision and both imports' after it, the last in force.
    tracks = query(TRACKS)
    assert len(tracks) == MEMBERS * INDICATORS
    assert {track[3:] for track in tracks} == {(3, 3, 3)}


def test_two_imports_at_once_both_land_in_order(tmp_path, own_database):
    env = own_database
    files = _prepare(env, tmp_path)
    if "DATABASE_URL" in env:  # a fresh PostgreSQL database of its own
        import psycopg

        def query(sql):
            with psycopg.connect(env["DATABASE_URL"], autocommit=True) as c:
                return c.execute(sql).fetchall()

        def hold(started):
            with psycopg.connect(env["DATABASE_URL"]) as c:
                c.execute("LOCK TABLE values_value IN EXCLUSIVE MODE")  # reads pass
                started.set()
                time.sleep(HOLD)
    else:
        database = tmp_path / "jalon.sqlite3"

        def query(sql):
            with sqlite3.connect(database) as c:
                return c.execute(sql).fetchall()

        def hold(started):
            c = sqlite3.connect(database, isolation_level=None)
            c.execute("BEGIN IMMEDIATE")
            started.set()
            time.sleep(HOLD)
            c.execute("COMMIT")
            c.close()

    imports, login = _meet(env, files, hold)
    _assert_both_landed(imports, login, query)


def test_a_second_figure_in_force_is_refused_as_the_database_error_django_knows(imt_values):
    """Whatever way rows are written (COPY on PostgreSQL), a broken rule is Django's
    IntegrityError, which the imports turn into a sentence."""
    import pytest
    from django.db import IntegrityError, transaction

    from jalon.values.models import Value
    from jalon.values.valuefile import INSERTED, insert_rows

    figure = Value.objects.current().filter(state="approved", member=None).first()
    row = tuple(getattr(figure, name) for name in INSERTED)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows([row])


THREADS = """
import threading
from django.db import connection
from django.test import Client
from django.test.utils import setup_test_environment
from jalon.values.valuefile import store_values

setup_test_environment()
rows = [line.split(",") for line in open({first!r}).read().splitlines()[1:]]
errors = []

def importer(n):
    try:
        text = "jalon: 1\\nplan: {plan}\\nsource: synthetic\\nstate: approved\\nvalues:\\n" + "".join(
            f"  - {{{{indicator: {{i}}, entity: {{e}}, period: '{{p}}', value: {{int(v) + n}}}}}}\\n"
            for i, e, p, v in rows
        )
        store_values(text, f"thread-{{n}}.yaml", actor_label=f"thread {{n}}")
    except Exception as error:
        errors.append(repr(error))
    finally:
        connection.close()

def logins():
    try:
        for _ in range(3):
            answer = Client().post("/login/", {{"username": "admin", "password": "a-long-admin-Pl4n-9"}})
            if answer.status_code != 302:
                errors.append(f"login answered {{answer.status_code}}")
    except Exception as error:
        errors.append(repr(error))
    finally:
        connection.close()

threads = [threading.Thread(target=importer, args=(n,)) for n in range(1, 5)]
threads += [threading.Thread(target=logins) for _ in range(3)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("errors:", errors)
"""


def test_threads_importing_and_logging_in_at_once(tmp_path, own_database):
    """Four threads import revisions of the same figures while three log in, in one
    process: every import lands, one after the other, and every login succeeds."""
    env = own_database
    _prepare(env, tmp_path)
    script = THREADS.format(first=str(tmp_path / "first.csv"), plan=synthetic.PLAN_CODE)
    done = _run(env, "shell", "-c", script, check=False)
    assert "errors: []" in done.stdout, done.stdout + done.stderr
    if "DATABASE_URL" in env:
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as c:
            tracks = c.execute(TRACKS).fetchall()
    else:
        with sqlite3.connect(tmp_path / "jalon.sqlite3") as c:
            tracks = c.execute(TRACKS).fetchall()
    assert len(tracks) == MEMBERS * INDICATORS
    assert {track[3:] for track in tracks} == {(5, 5, 5)}  # the first, then four in turn
