"""The data folder's secrets are its owner's alone from the moment they exist."""

import os
import stat
import subprocess
import sys

OPEN = """
import django, os
os.environ["DJANGO_SETTINGS_MODULE"] = "jalon.settings"
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE t (x)")
    cursor.execute("INSERT INTO t VALUES (1)")
    folder = os.environ["JALON_DATA_DIR"]
    print(" ".join(f"{name}={os.stat(os.path.join(folder, name)).st_mode & 0o777:o}"
                   for name in sorted(os.listdir(folder))))
"""


def test_database_wal_shm_and_secret_key_are_created_for_their_owner_only(tmp_path):
    folder = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"JALON_DATA_DIR": str(folder), "JALON_SECRET_KEY": ""}
    old = os.umask(0o022)  # the usual umask: files readable by all unless made otherwise
    try:
        out = subprocess.run(
            [sys.executable, "-c", OPEN], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
    finally:
        os.umask(old)
    modes = dict(item.split("=") for item in out)
    assert modes == {
        "jalon.sqlite3": "600",
        "jalon.sqlite3-shm": "600",
        "jalon.sqlite3-wal": "600",
        "secret_key": "600",
    }
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
