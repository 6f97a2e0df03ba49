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
    from jalon.plans.planstore import store_plan

    plan, located = read_plan(text, filename)
    return store_plan(plan, located, text, filename, reason=reason, actor_label="test")


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
