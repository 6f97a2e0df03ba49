"""The demo: the IMT 2018-2022 plan with its sourced figures and its example values."""

import secrets
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command

import jalon

PLAN_FILES = ("imt-2018-2022.yaml", "imt-2018-2022.values.yaml", "imt-2018-2022.examples.yaml")
STEWARD = "steward"


def plans_dir() -> Path:
    """Return the folder of the demo's plan files (in the source tree, else the working dir)."""
    for candidate in (Path(jalon.__file__).resolve().parent.parent / "plans", Path.cwd() / "plans"):
        if (candidate / PLAN_FILES[0]).exists():
            return candidate
    raise FileNotFoundError(f"cannot find plans/{PLAN_FILES[0]} next to the jalon package or here")


def prepare(stdout) -> dict[str, str]:
    """Migrate, load the demo plan and its figures, and return the demo accounts' passwords."""
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    folder = plans_dir()
    call_command("plan", "load", str(folder / PLAN_FILES[0]), stdout=stdout)
    for name in PLAN_FILES[1:]:
        call_command("values", "load", str(folder / name), stdout=stdout)
    return {STEWARD: _reset_account(STEWARD)}


def _reset_account(username: str) -> str:
    """Return a fresh password for the demo account ``username`` (created if missing)."""
    password = secrets.token_urlsafe(9)
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.is_staff = user.is_superuser = True
    user.set_password(password)
    user.save()
    return password
