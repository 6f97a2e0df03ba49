"""The demo: a real public plan with its sourced figures (and example values where the real
ones are not public), and three personas to read it as."""

import secrets
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command

import jalon
from jalon.access.choices import Role
from jalon.access.models import Access
from jalon.audit.models import AuditEvent
from jalon.collection.examples import open_demo_round
from jalon.core.translations import compile_translations
from jalon.organisation.models import Entity
from jalon.plans.models import Plan

DEFAULT = "imt-2018-2022"
# The member each demo plan's contributor reports for; another plan's is its first member.
CONTRIBUTOR_OF = {
    "imt-2018-2022": "imt-mines-ales",
    "csu-gi-2025": "csu-san-francisco",
    "uoe-climate-2016-2026": "uoe",
}
# The three personas: who they are, their role.
ACCOUNTS = (("steward", Role.STEWARD), ("contributor", Role.CONTRIBUTOR), ("viewer", Role.VIEWER))


def plans_dir() -> Path:
    """Return the folder of the demo's plan files (in the source tree, else the working dir)."""
    for candidate in (Path(jalon.__file__).resolve().parent.parent / "plans", Path.cwd() / "plans"):
        if (candidate / f"{DEFAULT}.yaml").exists():
            return candidate
    raise FileNotFoundError(f"cannot find plans/{DEFAULT}.yaml next to the jalon package or here")


def demo_plans() -> list[str]:
    """Return the codes of the plans shipped in plans/, each a file CODE.yaml."""
    return sorted(
        p.name[: -len(".yaml")] for p in plans_dir().glob("*.yaml") if p.name.count(".") == 1
    )


def files_of(code: str) -> tuple[Path, list[Path]]:
    """Return a demo plan's file and its value files: sourced figures, then examples."""
    folder = plans_dir()
    plan = folder / f"{code}.yaml"
    if not plan.exists():
        known = ", ".join(demo_plans())
        raise FileNotFoundError(f"no demo plan {code!r}: the plans are {known}")
    values = [folder / f"{code}.{kind}.yaml" for kind in ("values", "examples")]
    return plan, [path for path in values if path.exists()]


def prepare(stdout, code: str = DEFAULT) -> dict[str, tuple]:
    """Migrate, load a demo plan and its figures, and return the accounts and passwords."""
    plan_file, value_files = files_of(code)
    compile_translations()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("plan", "load", str(plan_file), stdout=stdout)
    for path in value_files:
        call_command("values", "load", str(path), stdout=stdout)
    plan = Plan.objects.select_related("organisation").get(code=_plan_code(plan_file))
    member = CONTRIBUTOR_OF.get(plan.code)
    if member is None:
        first = Entity.objects.within(plan.organisation).exclude(pk=plan.organisation_id)
        member = (first.order_by("code").first() or plan.organisation).code
    accounts = {}
    for username, role in ACCOUNTS:
        entity = member if role == Role.CONTRIBUTOR else None
        accounts[username] = (role, entity, _reset_account(username, plan, role, entity))
    round_ = open_demo_round(plan, keep_missing=member)
    if round_ is not None:
        stdout.write(
            f"Opened the demo's collection round {round_.year}: members done, awaiting"
            f" approval, returned and missing ({member}'s figures, for the contributor)."
        )
    return accounts


def _plan_code(path: Path) -> str:
    from jalon.plans.planfile import read_plan

    return read_plan(path.read_text(), str(path))[0].plan.code


def _reset_account(username: str, plan, role: str, entity_code: str | None) -> str:
    """Return a fresh password for the demo account ``username`` (created if missing)."""
    password = secrets.token_urlsafe(9)
    user, _ = get_user_model().objects.get_or_create(username=username)
    # No persona is an administrator: the steward works on Jalon's own pages.
    user.is_staff = user.is_superuser = False
    user.set_password(password)
    user.save()
    entity = Entity.objects.get(code=entity_code) if entity_code else None
    Access.objects.update_or_create(user=user, plan=plan, defaults={"role": role, "entity": entity})
    AuditEvent.record(
        "account.reset",
        "user",
        username,
        label="jalon demo",
        role=role,
        entity=entity_code,
        plan=plan.code,
    )
    return password
