"""The demo: the IMT 2018-2022 plan with its sourced figures and its example values."""

import secrets
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command

import jalon
from jalon.access.choices import Role
from jalon.access.models import Access
from jalon.audit.models import AuditEvent
from jalon.core.translations import compile_translations
from jalon.organisation.models import Entity
from jalon.plans.models import Plan

PLAN_FILES = ("imt-2018-2022.yaml", "imt-2018-2022.values.yaml", "imt-2018-2022.examples.yaml")
PLAN = "imt-2018-2022"
# The demo's three personas: who they are, their role, and the entity of a contributor.
ACCOUNTS = (
    ("steward", Role.STEWARD, None),
    ("contributor", Role.CONTRIBUTOR, "imt-mines-ales"),
    ("viewer", Role.VIEWER, None),
)


def plans_dir() -> Path:
    """Return the folder of the demo's plan files (in the source tree, else the working dir)."""
    for candidate in (Path(jalon.__file__).resolve().parent.parent / "plans", Path.cwd() / "plans"):
        if (candidate / PLAN_FILES[0]).exists():
            return candidate
    raise FileNotFoundError(f"cannot find plans/{PLAN_FILES[0]} next to the jalon package or here")


def prepare(stdout) -> dict[str, str]:
    """Migrate, load the demo plan and its figures, and return the demo accounts' passwords."""
    compile_translations()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    folder = plans_dir()
    call_command("plan", "load", str(folder / PLAN_FILES[0]), stdout=stdout)
    for name in PLAN_FILES[1:]:
        call_command("values", "load", str(folder / name), stdout=stdout)
    plan = Plan.objects.get(code=PLAN)
    return {
        username: (role, entity, _reset_account(username, plan, role, entity))
        for username, role, entity in ACCOUNTS
    }


def _reset_account(username: str, plan, role: str, entity_code: str | None) -> str:
    """Return a fresh password for the demo account ``username`` (created if missing)."""
    password = secrets.token_urlsafe(9)
    user, _ = get_user_model().objects.get_or_create(username=username)
    # Only the steward may open the (read-only) admin.
    user.is_staff = user.is_superuser = role == Role.STEWARD
    user.set_password(password)
    user.save()
    entity = Entity.objects.get(code=entity_code) if entity_code else None
    Access.objects.update_or_create(user=user, plan=plan, defaults={"role": role, "entity": entity})
    AuditEvent.record(
        "account.reset", "user", username, label="jalon demo", role=role, entity=entity_code
    )
    return password
