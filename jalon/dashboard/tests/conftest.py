import pytest
from django.contrib.auth import get_user_model

from jalon.access.models import Access
from jalon.organisation.models import Entity

PLAN = "imt-2018-2022"
INVALID = "INVALID-TEMPLATE-VARIABLE"


@pytest.fixture(autouse=True)
def strict_templates(settings):
    """Make a missing template variable visible, so tests can say there is none."""
    settings.TEMPLATES[0]["OPTIONS"]["string_if_invalid"] = INVALID + ":%s"


@pytest.fixture
def personas(imt_values):
    """Return the clients of the steward, a contributor of IMT Mines Alès, a viewer, an outsider."""
    from django.test import Client

    users = {}
    for name, role, entity in (
        ("steward", "steward", None),
        ("contributor", "contributor", "imt-mines-ales"),
        ("viewer", "viewer", None),
        ("outsider", None, None),
    ):
        user = get_user_model().objects.create_user(name, password=f"{name}-Pl4n-2026")
        if role:
            Access.objects.create(
                user=user,
                plan=imt_values,
                role=role,
                entity=Entity.objects.get(code=entity) if entity else None,
            )
        client = Client()
        client.force_login(user)
        users[name] = client
    return users
