"""Read YAML keeping where every key and value stands, so errors can name line and column."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import GeneratorType

import yaml
from yaml.constructor import SafeConstructor

from jalon.core.gcpause import paused_collection

Path = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in a file, at a line and column (1-based), in a plain sentence.

    In a spreadsheet the line is the row as the spreadsheet numbers it (the header is row
    1), and the problem names its sheet and its column's header too.
    """

    line: int
    column: int
    message: str
    sheet: str = ""
    header: str = ""  # the column's name in a spreadsheet; "" for a text file

    def format(self, filename: str) -> str:
        """Return ``file:line:column: message``, the form editors and terminals link; in a
        spreadsheet, ``file, sheet S, row R, column C (header): message``."""
        if not self.header and not self.sheet:
            return f"{filename}:{self.line}:{self.column}: {self.message}"
        sheet = f", sheet {self.sheet}" if self.sheet else ""
        header = f" ({self.header})" if self.header else ""
        letter = column_letter(self.column)
        return f"{filename}{sheet}, row {self.line}, column {letter}{header}: {self.message}"


def column_letter(column: int) -> str:
    """Return a spreadsheet's name for a column: 1 → A, 27 → AA."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters or "A"


class FileProblems(Exception):
    """Raised with every problem found in a file; nothing was written."""

    def __init__(self, filename: str, problems: list[Problem]):
        self.filename = filename
        self.problems = sorted(set(problems))
        super().__init__("\n".join(p.format(filename) for p in self.problems))


@dataclass
class Located:
    """Plain data read from YAML, with the position of each value and each mapping key.

    The positions may be worked out only when first asked for (``locate``): a file with
    nothing wrong in it never needs them.
    """

    data: object
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)
    locate: Callable[[], Located] | None = field(default=None, repr=False, compare=False)

    def _located(self) -> None:
        if self.locate is not None:
            found, self.locate = self.locate(), None
            self.values, self.keys = found.values, found.keys

    def at(self, path: Path) -> tuple[int, int]:
        """Return the position of ``path``, or of its nearest ancestor that has one."""
        self._located()
        path = tuple(path)
        while path:
            if path in self.values:
                return self.values[path]
            path = path[:-1]
        return self.values.get((), (1, 1))

    def key_at(self, path: Path) -> tuple[int, int]:
        """Return the position of the key that ends ``path`` (else of its value)."""
        self._located()
        return self.keys.get(tuple(path)) or self.at(path)

    def problem(self, path: Path, message: str, *, key: bool = False) -> Problem:
        """Return a problem located at ``path``."""
        line, column = self.key_at(path) if key else self.at(path)
        return Problem(line, column, message)


# Characters no text of a plan or a figure holds: control characters, bar tab and new
# lines. PostgreSQL refuses NUL in text outright; the others are invisible on a page.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


HUGE = 10**15  # a whole number beyond this is a typing slip, and no database column holds it


def unfit(data, path: Path = ()) -> list[tuple[Path, str]]:
    """Return where ``data`` holds what no plan or value file may: a text (key or value)
    with a control character, a whole number beyond `HUGE`; with a sentence for each."""
    found: list[tuple[Path, str]] = []
    hidden = "remove the control characters (invisible ones, such as NUL)"
    stack = [(data, path)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            if CONTROL.search(value):
                found.append((where, hidden))
        elif isinstance(value, int) and not isinstance(value, bool):
            if abs(value) > HUGE:
                found.append((where, f"{value:.6g} is too large a number"))
        elif isinstance(value, dict):
            for key, item in value.items():
                if CONTROL.search(key):
                    found.append(((*where, key), hidden))
                else:
                    stack.append((item, (*where, key)))
        elif isinstance(value, list):
            stack.extend((item, (*where, i)) for i, item in enumerate(value))
    return sorted(found, key=str)


# libyaml's parser, in C, where PyYAML was built with it: its nodes carry their line and
# column as the pure-Python one's do, and it reads a large file about twice as fast.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _position(node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


LARGEST = 50 * 2**20  # characters of a file read whole: a plan or a value file is far smaller


def too_large(filename: str) -> FileProblems:
    """Return the problem of a file larger than `LARGEST`."""
    message = f"the file is larger than {LARGEST // 2**20} MB: split it into several"
    return FileProblems(filename, [Problem(1, 1, message)])


def read_yaml(text: str, filename: str) -> Located:
    """Return the document in ``text`` with positions; raise FileProblems if it is not YAML
    or larger than `LARGEST`."""
    if len(text) > LARGEST:
        raise too_large(filename)
    with paused_collection():
        return _read_yaml(text, filename)


class _Unplain(Exception):
    """Something in the document needs saying where it is: read it with positions."""


def _read_yaml(text: str, filename: str) -> Located:
    try:
        data = _from_events(text)
    except (_Unplain, yaml.YAMLError):
        # Not YAML (FileProblems from `_compose`), or something to say where it is, or an
        # alias: the nodes, with every position.
        return _positioned(_compose(text, filename), text, filename)
    return Located(data=data, locate=lambda: _positioned(_compose(text, filename), text, filename))


_DEEPEST = 200  # levels of nesting a plan or value file may have; no honest one nears it
_PATH_RESOLVERS = bool(LOADER.yaml_path_resolvers)  # none in the safe loader: tags by text


def _from_events(text: str):
    """Return the document's data as `_positioned` would, straight from the parser's events,
    without building its nodes first (a third of the time of a large file); raise _Unplain
    on anything but one document of plain data: aliases, anchors, keys that are not plain
    text or repeated, values that do not construct. The node-building way then reads it."""
    loader = LOADER(text)
    try:
        return _build_from_events(loader.get_event, loader.resolve)
    finally:
        loader.dispose()


def _build_from_events(get, resolve):
    constructors = SafeConstructor.yaml_constructors
    constructor = SafeConstructor()
    plain_values: dict[str, object] = {}  # plain scalars repeat: codes, keys, small numbers

    def scalar(event):
        value, tag = event.value, event.tag
        plain = tag is None and event.implicit[0]
        if plain:
            if value in plain_values:
                return plain_values[value]
        elif tag is None and not _PATH_RESOLVERS:
            return value  # quoted: text, whatever it reads like
        if tag is None or tag == "!":
            tag = resolve(yaml.ScalarNode, value, event.implicit)
        if tag == _TEXT:
            made = value
        else:
            make = constructors.get(tag)
            node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
            try:
                made = make(constructor, node) if make else constructor.construct_object(node)
            except (yaml.YAMLError, ValueError, KeyError, TypeError, OverflowError):
                raise _Unplain from None
            if isinstance(made, GeneratorType):  # a collection's tag on a scalar
                raise _Unplain
        if plain:
            plain_values[value] = made
        return made

    if type(get()) is not yaml.StreamStartEvent or type(get()) is not yaml.DocumentStartEvent:
        raise _Unplain
    scalar_event = yaml.ScalarEvent
    mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
    mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
    # The collection being read, whether it is a mapping, and the key waiting for its value
    # (None while the next scalar is a key); the collections around it, on the stack.
    top, mapping, key = None, False, None
    stack: list[tuple] = []
    while True:
        event = get()
        kind = type(event)
        if kind is scalar_event:
            if event.anchor is not None:
                raise _Unplain
            if mapping and key is None:
                key = str(event.value)  # the text as written: `on:` stays "on"
                if key == "<<" or key in top:
                    raise _Unplain
                continue
            value = scalar(event)
        elif kind is mapping_start or kind is sequence_start:
            if event.anchor is not None or len(stack) >= _DEEPEST or (mapping and key is None):
                raise _Unplain  # an anchor, a document too deep, a key that is not text
            stack.append((top, mapping, key))
            mapping = kind is mapping_start
            top, key = ({} if mapping else []), None
            continue
        elif not stack or (kind is not mapping_end and kind is not sequence_end):
            raise _Unplain  # an alias, or a document of another shape
        else:  # the end of the collection being read
            value = top
            top, mapping, key = stack.pop()
        if top is None:
            break
        if mapping:
            top[key] = value
            key = None
        else:
            top.append(value)
    if type(get()) is not yaml.DocumentEndEvent or type(get()) is not yaml.StreamEndEvent:
        raise _Unplain
    return value


_TEXT = "tag:yaml.org,2002:str"


def _compose(text: str, filename: str):
    try:
        root = yaml.compose(text, Loader=LOADER)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = f"this is not valid YAML: {error.problem or error.context}"
        raise FileProblems(filename, [Problem(line, column, message)]) from None
    except yaml.YAMLError as error:
        raise FileProblems(filename, [Problem(1, 1, f"this is not valid YAML: {error}")]) from None
    except RecursionError:  # PyYAML's own composer, without libyaml, nests a call per level
        message = f"this file nests values more than {_DEEPEST} levels deep"
        raise FileProblems(filename, [Problem(1, 1, message)]) from None
    if root is None:
        raise FileProblems(filename, [Problem(1, 1, "the file is empty")])
    return root


def _positioned(root, text: str, filename: str) -> Located:
    """Return the document's data with the position of every value and key; raise
    FileProblems naming every problem where it is."""
    located = Located(data=None)
    problems: list[Problem] = []
    constructor = SafeConstructor()

    inside: set[int] = set()  # nodes on the current path: an alias back to one is a loop
    # A document has fewer nodes than characters; only aliases make more (a "billion
    # laughs" file of a few hundred bytes would otherwise build gigabytes).
    budget = [len(text) + 1000]

    def build(node, path: Path):
        budget[0] -= 1
        if len(path) > _DEEPEST:  # aliases can nest what the text does not
            message = f"this file nests values more than {_DEEPEST} levels deep"
            raise FileProblems(filename, [Problem(*_position(node), message)])
        if budget[0] < 0:
            raise FileProblems(
                filename,
                [
                    Problem(
                        *_position(node),
                        "aliases (* and &) make this file far larger than it is: write it out",
                    )
                ],
            )
        located.values[path] = _position(node)
        if id(node) in inside:
            problems.append(Problem(*_position(node), "an alias refers to a node that contains it"))
            return None
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            inside.add(id(node))
            try:
                return build_collection(node, path)
            finally:
                inside.discard(id(node))
        try:
            return constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, KeyError, TypeError, OverflowError) as error:
            # PyYAML raises plain ValueError for 2018-02-30, KeyError for `!!bool maybe`.
            problems.append(Problem(*_position(node), f"unreadable value {node.value!r}: {error}"))
            return None

    def build_collection(node, path: Path):
        if isinstance(node, yaml.MappingNode):
            result = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    problems.append(Problem(*_position(key_node), "a key must be plain text"))
                    continue
                key = str(
                    key_node.value
                )  # the text as written: `on:` stays "on", not YAML 1.1 true
                if key == "<<":
                    problems.append(
                        Problem(*_position(key_node), "YAML merge keys are not allowed")
                    )
                    continue
                if key in result:
                    problems.append(Problem(*_position(key_node), f"the key '{key}' is repeated"))
                    continue
                located.keys[(*path, key)] = _position(key_node)
                result[key] = build(value_node, (*path, key))
            return result
        return [build(item, (*path, i)) for i, item in enumerate(node.value)]

    located.data = build(root, ())
    if problems:
        raise FileProblems(filename, problems)
    return located
