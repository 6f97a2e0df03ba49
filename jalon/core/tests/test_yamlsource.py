"""Reading YAML: positions worked out only when a problem needs them, the same either way."""

import pytest

from jalon.core.yamlsource import FileProblems, _compose, _positioned, read_yaml

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
