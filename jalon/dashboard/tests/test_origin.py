"""A figure's history says where it came from: who, and which way, never a server path."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from jalon.conftest import IMT_VALUES
from jalon.dashboard.tests.test_pages import BASE
from jalon.values.models import Value


@pytest.mark.parametrize(
    ("via", "user", "said"),
    [
        ("grid", "alice", "alice · the entry grid"),
        ("figures-2022.xlsx", "alice", "alice · file figures-2022.xlsx"),
        ("review", "bob", "bob · the review"),
        ("imt.values.yaml · cli:root", None, "root · file imt.values.yaml, by the command line"),
        ("command line · cli:root", None, "root · the command line"),
        ("imt.values.yaml · test", None, "test · file imt.values.yaml"),
        ("", None, "—"),
    ],
)
def test_the_origin_in_words(db, via, user, said):
    person = get_user_model().objects.create_user(user) if user else None
    value = Value(recorded_via=via, recorded_by=person)
    with translation.override("en"):
        assert value.origin == said


def test_the_history_names_the_file_never_a_path(personas):
    page = (
        personas["viewer"]
        .get(f"{BASE}/indicators/students/", HTTP_ACCEPT_LANGUAGE="fr")
        .content.decode()
    )
    history = page.split('id="history-h"')[1].split("</table>")[0]
    assert "test · fichier imt-2018-2022.values.yaml" in history
    assert str(IMT_VALUES.parent) not in page  # the file was loaded from there
