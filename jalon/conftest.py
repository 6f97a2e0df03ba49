from pathlib import Path

import pytest


def pytest_configure(config):
    # The interface's translations are compiled at install; make sure they are here.
    from jalon.core.translations import compile_translations

    compile_translations()


PLANS = Path(__file__).resolve().parent.parent / "plans"
IMT_PLAN = PLANS / "imt-2018-2022.yaml"
IMT_VALUES = PLANS / "imt-2018-2022.values.yaml"
IMT_EXAMPLES = PLANS / "imt-2018-2022.examples.yaml"


def load_plan_text(text: str, filename: str = "plan.yaml", reason: str = ""):
    """Return the load report of a plan given as text."""
    from jalon.plans.planfile import read_plan
    from jalon.plans.planstore import existing, store_plan

    plan, located = read_plan(text, filename, existing())
    return store_plan(plan, located, text, filename, reason=reason, actor_label="test")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hash the tests' passwords fast: Argon2 is slow by design (its own test checks it)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def imt_plan(db):
    """Return the IMT 2018-2022 plan, loaded."""
    return load_plan_text(IMT_PLAN.read_text(), str(IMT_PLAN)).plan


@pytest.fixture
def imt_values(imt_plan):
    """Return the IMT plan with its sourced figures and its example values."""
    from jalon.values.valuefile import store_values

    for path in (IMT_VALUES, IMT_EXAMPLES):
        store_values(path.read_text(), str(path), actor_label="test")
    return imt_plan


@pytest.fixture(autouse=True)
def _close_columnar_connections():
    """Close the columnar reader's own connection after each test: a test database with
    a connection left open could not be dropped."""
    yield
    from jalon.values import columns

    columns.close()


@pytest.fixture
def own_database(tmp_path, settings):
    """Return an environment for `jalon` run as a command, with a database of its own.

    A SQLite file in ``tmp_path``, or, where the suite runs on PostgreSQL, a fresh
    database on the same server, dropped after the test.
    """
    import os
    import uuid

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["JALON_DATA_DIR"] = str(tmp_path)
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        yield env
        return
    import psycopg

    server = {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
    }
    name = f"jalon_own_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    env["DATABASE_URL"] = (
        f"postgres://{db['USER']}{password}@{server['host']}:{server['port']}/{name}"
    )
    try:
        yield env
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def _snapshots_of_their_own(settings, tmp_path_factory):
    """Each test writes its evaluations' snapshots in a folder of its own, at once."""
    settings.SNAPSHOT_DIR = tmp_path_factory.mktemp("snapshots")
    settings.SNAPSHOTS_IN_BACKGROUND = False
    from jalon.values import evaluation

    evaluation._cache.clear()  # no evaluation of another test's database
    from jalon.dashboard import pagecache

    pagecache.clear()


@pytest.fixture(scope="session", autouse=True)
def _columnar_connections_closed_before_the_databases_go(django_db_setup):
    """Close every thread's columnar connection (the live server's too) before the test
    databases are dropped: PostgreSQL refuses to drop a database in use."""
    yield
    from jalon.values import columns

    columns.close_all()
