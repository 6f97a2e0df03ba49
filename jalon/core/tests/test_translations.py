"""Every interface string has its French translation (the docs-match-the-code kind of test)."""

import io
from pathlib import Path

from babel.messages.extract import extract_python
from babel.messages.pofile import read_po
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parents[3]
PO = ROOT / "jalon" / "locale" / "fr" / "LC_MESSAGES" / "django.po"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
}


def messages(code: str) -> set:
    found = set()
    for _, _, message, _ in extract_python(io.BytesIO(code.encode()), KEYWORDS, [], {}):
        found.add(message if isinstance(message, str) else tuple(m for m in message if m))
    return found


def test_every_interface_string_is_translated_into_french():
    with PO.open("rb") as source:
        catalog = read_po(source)
    translated = set()
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(strings) and not message.fuzzy:  # a fuzzy entry is not compiled
            translated.add(message.id if isinstance(message.id, str) else tuple(message.id))
    used = set()
    for template in (ROOT / "jalon").rglob("templates/**/*.html"):
        code = templatize(template.read_text(), origin=str(template))
        # templatize keeps the template's layout; Python's tokenizer wants no indentation.
        used |= messages("\n".join(line.lstrip() for line in code.splitlines()))
    for module in (ROOT / "jalon").rglob("*.py"):
        if {"tests", "engine", "migrations"} & set(module.parts):
            continue
        used |= messages(module.read_text())
    missing = sorted(map(str, used - translated))
    assert not missing, (
        "Add these to the French catalogue (jalon makemessages -l fr):\n" + "\n".join(missing)
    )
    assert len(used) > 150


def test_french_typography_keeps_its_spaces_unbroken():
    """Before « : » a no-break space, before « ; ! ? » a narrow one, and « 80 % » whole: a
    line never starts with a colon or a per cent sign."""
    import re

    with PO.open("rb") as source:
        catalog = read_po(source)
    loose = []
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            if text and (re.search(r" [:;!?]", text) or re.search(r"\d %(?![(a-z%])", text)):
                loose.append(text)
    assert loose == []
