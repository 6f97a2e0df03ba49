"""Reading YAML: positions worked out only when a problem needs them, the same either way."""

import datetime

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from jalon.core.yamlsource import (
    FileProblems,
    _compose,
    _from_events,
    _positioned,
    _Unplain,
    read_yaml,
)

GOOD = """\
jalon: 1
plan: p
on: yes
values:
  - {indicator: students, entity: imt, period: '2022', value: 1.5e+3, day: 2022-01-31}
  - indicator: staff
    value: 12
numbers: [0, 7, 010, 0x1F, 1_000, -3, +4, 12345678901234567890, '12', 1:30]
"""


def test_a_good_file_reads_the_same_and_locates_when_asked():
    located = read_yaml(GOOD, "good.yaml")
    whole = _positioned(_compose(GOOD, "good.yaml"), GOOD, "good.yaml")
    assert located.data == whole.data
    assert located.data["on"] is True and "on" in located.data  # keys as written
    # YAML 1.1's integers, as PyYAML reads them: octal, hexadecimal, "_", sexagesimal.
    assert located.data["numbers"] == [0, 7, 8, 31, 1000, -3, 4, 12345678901234567890, "12", 90]
    assert located.locate is not None  # no positions worked out yet
    assert located.at(("values", 1, "value")) == (7, 12)
    assert located.key_at(("values", 0, "entity")) == (5, 27)
    assert located.values == whole.values and located.keys == whole.keys


@pytest.mark.parametrize(
    "text, message",
    [
        ("a: 1\na: 2\n", "2:1: the key 'a' is repeated"),
        ("a: &x {b: 1}\nc:\n  <<: *x\n", "3:3: YAML merge keys are not allowed"),
        ("? [a]\n: 1\n", "1:3: a key must be plain text"),
        ("a: 2018-02-30\n", "1:4: unreadable value '2018-02-30'"),
        ("a: !!int nope\n", "1:4: unreadable value 'nope'"),
        ("a: &x [*x]\n", "an alias refers to a node that contains it"),
        (
            "a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
            "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n",
            "aliases (* and &) make this file far larger than it is",
        ),
    ],
)
def test_every_problem_is_said_where_it_is(text, message):
    with pytest.raises(FileProblems) as raised:
        read_yaml(text, "p.yaml")
    assert message in str(raised.value)


def _whole(text: str):
    return _positioned(_compose(text, "t.yaml"), text, "t.yaml").data


@pytest.mark.parametrize(
    "text",
    [
        GOOD,
        "12\n",
        "'12'\n",
        "[]\n",
        "a:\nb: ~\nc: {}\nd: []\ne: ''\n",
        'a: !!str 12\nb: ! 12\nc: !!float 1\nd: !!binary aGk=\ne: "yes"\nf: yes\n',
        "a: 2022-01-31\nb: 2022-01-31 10:00:00\nc: 1:30\nd: -.inf\ne: 0o17\n",
        "- [a, [b, [c, {d: [e]}]]]\n- {x: {y: {z: 1}}}\n",
        "--- \na: |\n  two\n  lines\nb: >\n  folded\n  text\n...\n",
        "1: one\ntrue: t\nnull: n\n",
    ],
)
def test_the_parser_s_events_read_as_the_nodes_do(text):
    assert _from_events(text) == _whole(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # repeated key
        "a: &x {b: 1}\nc:\n  <<: *x\n",  # anchor, merge
        "a: &x 1\n",  # an anchor alone
        "? [a]\n: 1\n",  # a key that is not text
        "a: 2018-02-30\n",
        "a: !!int nope\n",
        "a: !!map x\n",  # a collection's tag on a scalar
        "a: 1\n---\nb: 2\n",  # two documents
        "",
        "[" * 300 + "]" * 300 + "\n",  # deeper than the events way reads
    ],
)
def test_anything_to_say_leaves_the_events_for_the_nodes(text):
    with pytest.raises((_Unplain, yaml.YAMLError)):
        _from_events(text)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 300 + "1" + "]" * 300 + "\n",
        "x: " + "[" * 900 + "1" + "]" * 900 + "\n",  # below libyaml's own limit (1,000)
        # Aliases nest what the text does not: each line 150 levels deeper than the last.
        "".join(
            f"a{k}: &a{k} " + "[" * 150 + (f"*a{k - 1}" if k else "1") + "]" * 150 + "\n"
            for k in range(4)
        ),
    ],
)
def test_a_document_nested_too_deep_is_said_not_a_traceback(text):
    with pytest.raises(FileProblems, match="nests values more than 200 levels deep"):
        read_yaml(text, "deep.yaml")


def test_a_document_nested_200_deep_still_reads():
    text = "[" * 199 + "1" + "]" * 199 + "\n"
    assert read_yaml(text, "deep.yaml").data == _whole(text)


_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.dates(min_value=datetime.date(1900, 1, 1))
    | st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8)
)
_documents = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=6).filter(lambda k: k != "<<"), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(document=_documents, flow=st.sampled_from([None, True, False]))
def test_any_document_reads_the_same_by_events_as_by_nodes(document, flow):
    text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True)
    assert _from_events(text) == _whole(text) == read_yaml(text, "t.yaml").data


@pytest.mark.parametrize(
    "text",
    ["[" * 10_000 + "]" * 10_000, "a:\n" + "".join(f"{' ' * k}b{k}:\n" for k in range(1, 3000))],
)
def test_a_file_nested_too_deep_is_said_without_libyaml_too(monkeypatch, text):
    # PyYAML built without libyaml composes a call per level of nesting: it ran out of
    # Python's stack (RecursionError) where libyaml says "exceeded maximum nesting depth".
    from jalon.core import yamlsource

    monkeypatch.setattr(yamlsource, "LOADER", yaml.SafeLoader)
    with pytest.raises(FileProblems) as caught:
        read_yaml(text, "deep.yaml")
    assert [p.format("deep.yaml") for p in caught.value.problems] == [
        "deep.yaml:1:1: this file nests values more than 200 levels deep"
    ]
