"""The plan file: its schema (pydantic, exported as JSON Schema) and its strict check.

A plan is a YAML file a person writes and keeps in git. ``read_plan`` returns the
validated plan or raises FileProblems listing every problem with line and column.
"""

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)
from pydantic import Strict as Strict_
from pydantic import ValidationError as PydanticValidationError

from jalon.core.yamlsource import FileProblems, Located, Problem, read_yaml, unfit
from jalon.engine.formula import Formula, FormulaError, formula_name
from jalon.engine.graphs import find_cycle
from jalon.engine.periods import Period, PeriodError
from jalon.organisation.choices import EntityKind, LineageKind
from jalon.plans import choices
from jalon.plans.links import web_address

SCHEMA_VERSION = 1
LONGEST_HORIZON = 50  # years a plan covers at most: longer is a mistake in the file

Code = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$", max_length=64),
    Field(description="A short code: letters, digits, '-' and '_'."),
]
Name = Annotated[str, StringConstraints(min_length=1, max_length=300, strip_whitespace=True)]


def _text(longest: int):
    """Return a text type that holds at most what its database column holds."""
    return Annotated[str, StringConstraints(max_length=longest, strip_whitespace=True)]


def _web_address(text: str) -> str:
    if text and not web_address(text):
        raise ValueError("only a web address starting with http:// or https:// is accepted")
    return text


WebAddress = Annotated[
    str,
    StringConstraints(max_length=500, strip_whitespace=True),
    AfterValidator(_web_address),
    Field(description="The document's web address: http:// or https:// only."),
]


def _name(longest: int):
    return Annotated[
        str, StringConstraints(min_length=1, max_length=longest, strip_whitespace=True)
    ]


def _period_code(value):
    # YAML reads 2018 as a number; a period code is text.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


PeriodCode = Annotated[
    str,
    BeforeValidator(_period_code),
    Field(description="2018 (year), 2018/19 (academic year), 2018-Q1 (quarter), 2018-03 (month)."),
]


def _no_bool(value):
    # YAML reads `true` as a boolean, which Python would take for 1: it is no figure.
    if isinstance(value, bool):
        raise ValueError("Input should be a valid number, not true or false")
    return value


LARGEST_FIGURE = 1e15  # a figure beyond this is a typing slip, not a measurement


def _not_huge(value: float) -> float:
    if abs(value) > LARGEST_FIGURE:
        raise ValueError(f"{value:g} is too large to be a figure")
    return value


Number = Annotated[float, BeforeValidator(_no_bool), AfterValidator(_not_huge)]


def _enum(choices_class):
    return Literal[tuple(choices_class.values)]


class Strict(BaseModel):
    # Infinity and NaN are no figures a plan can hold.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class Bilingual(Strict):
    name: Name
    name_en: Name | None = Field(None, description="The name in English, when it differs.")


class Thresholds(Strict):
    on_track: float = Field(0.95, gt=0, le=1)
    at_risk: float = Field(0.85, gt=0, le=1)


class Collection(Strict):
    explain_change_above: float = Field(
        0.25,
        gt=0,
        le=100,
        description="A figure entered that moves more than this share from the previous one"
        " asks for a comment: 0.25 is a quarter up or down.",
    )


class Disclosure(Strict):
    fewest_members: int = Field(
        3,
        ge=1,
        le=1000,
        description="A total shown to a reader who may not see every member below it (a"
        " member's contributor) must rest on at least this many members' figures; else it"
        " is shown as suppressed. 1 shows every total.",
    )


class MemberNoun(Strict):
    singular: _name(60)
    plural: _name(60)
    singular_en: _name(60) | None = None
    plural_en: _name(60) | None = None


class PlanInfo(Bilingual):
    code: Code
    organisation: Code = Field(description="The root entity of the plan.")
    horizon: tuple[int, int] = Field(description="First and last year, e.g. [2018, 2022].")
    adopted_on: dt.date | None = None
    language: Literal["fr", "en"] = Field(
        "fr",
        description="The language of the plan's texts; each text's `…_en` field, when"
        " given, is the same text in English.",
    )
    adopted_by: _text(200) | None = Field(
        None,
        description="Who adopted the plan, as it reads after 'adopted by', article included:"
        " le Conseil d'administration de l'IMT (adopted_by_en: the IMT Board of Directors).",
    )
    adopted_by_en: _text(200) | None = None
    adoption_note: str | None = None
    adoption_note_en: str | None = None
    status: _enum(choices.PlanStatus) = "draft"
    description: str | None = None
    description_en: str | None = None
    announced_projects: int | None = Field(None, ge=0)
    projects_note: str | None = None
    projects_note_en: str | None = None
    thresholds: Thresholds = Thresholds()
    collection: Collection = Collection()
    disclosure: Disclosure = Disclosure()
    member_noun: MemberNoun | None = Field(
        None,
        description="The plan's word for its members, e.g. {singular: école, plural: écoles,"
        " singular_en: school, plural_en: schools}; default: member.",
    )


class SourceDoc(Strict):
    code: Code
    title: Name
    title_en: Name | None = None
    publisher: _text(200) | None = None
    url: WebAddress | None = None
    published: _text(120) | None = Field(None, description="Date or approximate date, as text.")
    note: str | None = None
    note_en: str | None = None
    example: bool = Field(False, description="Generated example data, not a real source.")


class EntityDef(Bilingual):
    name: _name(200)
    name_en: _name(200) | None = None
    code: Code
    kind: _enum(EntityKind)
    parent: Code | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    note: str | None = None
    note_en: str | None = None


class MembershipDef(Strict):
    entity: Code
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


class GroupingDef(Bilingual):
    name: _name(200)
    name_en: _name(200) | None = None
    code: Code
    members: list[MembershipDef] = []
    note: str | None = None
    note_en: str | None = None


class LineageDef(Strict):
    predecessor: Code
    successor: Code
    kind: _enum(LineageKind)
    date: dt.date
    share: float = Field(1.0, gt=0, le=1)
    note: str | None = None
    note_en: str | None = None


class AxisDef(Bilingual):
    code: Code
    description: str | None = None
    description_en: str | None = None


class MemberDef(Bilingual):
    code: Code


class BreakdownDef(Bilingual):
    code: Code
    members: list[MemberDef] = Field(min_length=1)


class BreakDef(Strict):
    period: PeriodCode = Field(description="The first period measured the new way.")
    note: Name = Field(description="What changed in the method.")
    note_en: Name | None = None


class IndicatorDef(Bilingual):
    code: Code
    unit: _name(40) = Field(description="In the plan's language; '%' for shares (see written_as).")
    unit_en: _name(40) | None = None
    written_as: Literal["percent", "fraction"] | None = Field(
        None,
        description="For shares (unit '%'), how figures are written: percent (78.1) or"
        " fraction (0.781). Required for shares.",
    )
    count: bool = Field(False, description="Figures count things: whole, never negative.")
    fractions: bool = Field(False, description="A count that may have fractions (FTE).")
    bounds: tuple[Number | None, Number | None] | None = Field(
        None,
        description="[lowest, highest] figure, null for open; default: never below 0 (none for"
        " a formula), and at most 100 % for a share.",
    )
    decimals: int | None = Field(
        None, ge=0, le=6, description="Decimals shown; default: 0 for counts, else 1."
    )
    carry_forward: int = Field(
        0,
        ge=0,
        le=12,
        description="For a stock: carry a member's last figure forward up to this many periods"
        " where it has not reported (marked 'carried'); 0 counts it as missing.",
    )
    breaks: list[BreakDef] = Field(
        [], description="Breaks in series: from this period the figures are measured anew."
    )
    frequency: _enum(choices.Frequency)
    start_month: int | None = Field(None, ge=1, le=12, description="Academic years only.")
    polarity: _enum(choices.Polarity)
    band: tuple[Number, Number] | None = Field(None, description="[low, high] for 'band'.")
    kind: _enum(choices.IndicatorKind)
    across: _enum(choices.Across)
    over_time: _enum(choices.OverTime)
    numerator: Code | None = None
    denominator: Code | None = None
    weight: Code | None = None
    formula: _text(500) | None = None
    definition: str | None = None
    definition_en: str | None = None
    data_source: _text(300) | None = None
    data_source_en: _text(300) | None = None
    owner: _text(200) | None = None
    owner_en: _text(200) | None = None
    headline: bool = False
    figures_from: Code | None = Field(
        None,
        description="The code of another plan of the federation with the same indicator"
        " (same code, frequency and rules): its figures are this one's, entered once for both.",
    )
    thresholds: Thresholds | None = None
    axes: list[Code] = []
    levers: list[Code] = []
    breakdowns: list[BreakdownDef] = []


class BaselineDef(Strict):
    period: PeriodCode
    value: Number | None = Field(None, description="Omit to take the measured value then.")
    measured: bool = Field(False, description="true: the baseline is the measured figure.")


class TargetPointDef(Strict):
    period: PeriodCode
    value: Number | None = None
    relative: Number | None = Field(None, description="+0.60 means +60 % of the baseline.")


class TargetDef(Strict):
    indicator: Code
    entity: Code | None = Field(None, description="Default: the plan's organisation.")
    document: Code = Field(description="The source document that sets this target.")
    primary: bool = False
    baseline: BaselineDef
    target: TargetPointDef
    shape: _enum(choices.Shape) = "linear"
    milestones: list[TargetPointDef] = []
    note: str | None = None
    note_en: str | None = None
    reason: str | None = Field(None, description="Why this version differs from the last.")
    reason_en: str | None = None
    published: dt.date | None = Field(
        None,
        description="When the target was made public (default: the plan's adoption for a first"
        " version, else the load).",
    )


class MilestoneDef(Bilingual):
    code: Code
    due: dt.date
    done_on: dt.date | None = None


class ProjectDef(Bilingual):
    code: Code
    description: str | None = None
    description_en: str | None = None
    axes: list[Code] = []
    levers: list[Code] = []
    lead: Code | None = None
    participants: list[Code] = []
    indicators: list[Code] = []
    owner: _text(200) | None = None
    owner_en: _text(200) | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    milestones: list[MilestoneDef] = []
    status_override: _enum(choices.ProjectStatus) | None = None
    override_comment: str | None = None
    override_comment_en: str | None = None
    source: Code | None = None


class PlanFile(Strict):
    """A Jalon plan file."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, allow_inf_nan=False, title="Jalon plan file"
    )

    jalon: Annotated[int, Strict_()] = Field(description="The plan-file format version: 1.")

    @field_validator("jalon")
    @classmethod
    def _version(cls, value: int) -> int:
        if value != SCHEMA_VERSION:
            raise ValueError(f"this Jalon reads plan files of version {SCHEMA_VERSION}")
        return value

    plan: PlanInfo
    sources: list[SourceDoc] = []
    entities: list[EntityDef]
    groupings: list[GroupingDef] = []
    lineage: list[LineageDef] = []
    axes: list[AxisDef] = []
    levers: list[AxisDef] = []
    indicators: list[IndicatorDef] = []
    targets: list[TargetDef] = []
    projects: list[ProjectDef] = []


YEARS = (1900, 2200)


def checked_period(code: str, frequency: str, start_month: int) -> Period:
    """Return the period ``code``; raise PeriodError for a malformed or implausible one."""
    period = Period.parse(code, frequency, start_month)
    if not YEARS[0] <= period.year <= YEARS[1]:
        raise PeriodError(f"'{code}' is outside the years Jalon accepts ({YEARS[0]}-{YEARS[1]})")
    return period


def resolved_bounds(ind: IndicatorDef) -> tuple[float | None, float | None]:
    """Return the lowest and highest figure an indicator can take, the file's or the default."""
    if ind.bounds is not None:
        return ind.bounds
    if ind.unit == "%":
        return 0.0, 1.0 if ind.written_as == "fraction" else 100.0
    return (None, None) if ind.kind == "formula" else (0.0, None)


def resolved_decimals(ind: IndicatorDef) -> int:
    """Return the decimals an indicator's figures show with, the file's or the default."""
    if ind.decimals is not None:
        return ind.decimals
    return 0 if ind.count and not ind.fractions else 1


def _calendar(indicator: IndicatorDef) -> tuple[str, int]:
    """Return an indicator's frequency with its start month (September by default)."""
    month = (indicator.start_month or 9) if indicator.frequency == "academic_year" else 1
    return indicator.frequency, month


def json_schema() -> dict:
    """Return the JSON Schema of plan files, for editors that validate as people type."""
    schema = PlanFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def _dotted(path) -> str:
    """Return a path as the file reads it: ``targets[0].target.value``."""
    return ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")


def unfit_problems(located: Located, data) -> list[Problem]:
    """Return a problem, where it is, for each text or number in ``data`` that no file may
    hold (`unfit`: control characters, huge whole numbers)."""
    return [located.problem(path, f"{_dotted(path)}: {say}") for path, say in unfit(data)]


def _pydantic_problem(located: Located, error: dict) -> Problem:
    path = tuple(error["loc"])
    where, parent = _dotted(path), _dotted(path[:-1])
    kind = error["type"]
    if kind == "extra_forbidden":
        return located.problem(
            path, f"unknown key '{path[-1]}' in {parent or 'the file'}", key=True
        )
    if kind == "missing":
        return located.problem(path[:-1], f"missing key '{path[-1]}' (in {parent or 'the file'})")
    if not path:
        return located.problem(path, f"the file must be a mapping of keys: {error['msg']}")
    given = error.get("input")
    shown = f" (got {given!r})" if not isinstance(given, dict | list) else ""
    message = error["msg"].removeprefix("Value error, ")  # our own validators' sentences
    if kind.startswith(("date_", "datetime_")) and isinstance(given, str):
        message = "write a date as YYYY-MM-DD, e.g. 2023-01-31"
    return located.problem(path, f"{where}: {message}{shown}")


@dataclass(frozen=True)
class Existing:
    """What the database holds that a plan file may refer to without listing it: the
    entities (code → parent's code) and the sources (codes)."""

    entities: Mapping[str, str | None] = field(default_factory=dict)
    sources: frozenset[str] = frozenset()


def read_plan(
    text: str, filename: str, existing: Existing | None = None
) -> tuple[PlanFile, Located]:
    """Return the validated plan in ``text``; raise FileProblems listing every problem.

    With ``existing``, references to those entities and sources hold too (a second plan
    of the same federation need not repeat the first's)."""
    located = read_yaml(text, filename)
    found = unfit_problems(located, located.data)
    if found:
        raise FileProblems(filename, found)
    try:
        plan = PlanFile.model_validate(located.data)
    except PydanticValidationError as error:
        raise FileProblems(
            filename, [_pydantic_problem(located, e) for e in error.errors()]
        ) from None
    problems = PlanChecker(plan, located, existing or Existing()).problems()
    if problems:
        raise FileProblems(filename, problems)
    return plan, located


class PlanChecker:
    """Check what a schema cannot: references, cycles, coherent kinds, possible targets."""

    def __init__(self, plan: PlanFile, located: Located, existing: Existing):
        self.plan = plan
        self.located = located
        self.existing = existing
        self.found: list[Problem] = []

    def say(self, path, message: str, *, key: bool = False) -> None:
        self.found.append(self.located.problem(tuple(path), message, key=key))

    def problems(self) -> list[Problem]:
        """Return every problem found."""
        plan = self.plan
        listed = self.codes("entities", plan.entities, "entity")
        known = dict.fromkeys(self.existing.entities) | listed
        entities = self.federation(known)  # what the plan's records may name
        sources = dict.fromkeys(self.existing.sources) | self.codes(
            "sources", plan.sources, "source"
        )
        axes = self.codes("axes", plan.axes, "axis")
        levers = self.codes("levers", plan.levers, "lever")
        indicators = self.codes("indicators", plan.indicators, "indicator")
        self.codes("groupings", plan.groupings, "grouping")
        self.codes("projects", plan.projects, "project")

        self.ref(("plan", "organisation"), plan.plan.organisation, entities, "entity")
        first, last = plan.plan.horizon
        if not (1 <= first <= 9998 and 1 <= last <= 9998):
            self.say(
                ("plan", "horizon"),
                f"the horizon's years must be written YYYY (got {first} to {last})",
            )
        elif last < first:
            self.say(("plan", "horizon"), f"the horizon ends ({last}) before it starts ({first})")
        elif last - first + 1 > LONGEST_HORIZON:
            self.say(
                ("plan", "horizon"),
                f"the horizon spans {last - first + 1} years ({first} to {last}): a plan covers"
                f" at most {LONGEST_HORIZON}",
            )
        self.check_entities(known)
        if plan.plan.organisation in known:
            for i, entity in enumerate(plan.entities):
                if entity.code not in entities and entity.parent in known:
                    self.say(
                        ("entities", i, "parent"),
                        f"'{entity.code}' is not in the federation of"
                        f" '{plan.plan.organisation}': its parents do not lead there",
                    )
        for g, grouping in enumerate(plan.groupings):
            for m, member in enumerate(grouping.members):
                self.ref(
                    ("groupings", g, "members", m, "entity"), member.entity, entities, "entity"
                )
                self.interval(("groupings", g, "members", m), member.valid_from, member.valid_to)
        lineage_graph: dict[str, list[str]] = {}
        shares: Counter = Counter()
        for n, link in enumerate(plan.lineage):
            self.ref(("lineage", n, "predecessor"), link.predecessor, entities, "entity")
            self.ref(("lineage", n, "successor"), link.successor, entities, "entity")
            if link.predecessor == link.successor:
                self.say(("lineage", n), "an entity cannot be its own predecessor")
            lineage_graph.setdefault(link.predecessor, []).append(link.successor)
            shares[link.predecessor] += link.share
            if shares[link.predecessor] > 1 + 1e-9:
                self.say(
                    (("lineage", n, "share")),
                    f"the shares of '{link.predecessor}' that went to its successors add up to more than 1",
                )
        cycle = find_cycle(lineage_graph)
        if cycle:
            where = next(n for n, link in enumerate(plan.lineage) if link.predecessor == cycle[0])
            self.say(("lineage", where), "the lineage has a cycle: " + " → ".join(cycle))
        for g, grouping in enumerate(plan.groupings):
            seen = Counter((m.entity, m.valid_from) for m in grouping.members)
            for m, member in enumerate(grouping.members):
                if seen[(member.entity, member.valid_from)] > 1:
                    self.say(
                        ("groupings", g, "members", m),
                        f"'{member.entity}' is listed twice in '{grouping.code}' from the same date",
                    )
        self.check_indicators(indicators, axes, levers)
        self.check_targets(indicators, entities, sources)
        self.check_projects(entities, axes, levers, indicators, sources)
        return self.found

    def federation(self, known: dict) -> dict:
        """Return the entities of ``known`` under the plan's organisation (itself included),
        as the file and the database put them together."""
        parents = dict(self.existing.entities) | {e.code: e.parent for e in self.plan.entities}
        root = self.plan.plan.organisation

        def under(code) -> bool:
            seen = set()
            while code is not None and code not in seen:
                if code == root:
                    return True
                seen.add(code)
                code = parents.get(code)
            return False

        return {code: item for code, item in known.items() if under(code)}

    def codes(self, section: str, items, what: str) -> dict:
        counts = Counter(item.code for item in items)
        for i, item in enumerate(items):
            if counts[item.code] > 1:
                self.say(
                    (section, i, "code"), f"the {what} code '{item.code}' is used more than once"
                )
        return {item.code: item for item in items}

    def ref(self, path, code, known: dict, what: str) -> None:
        if code is not None and code not in known:
            self.say(path, f"no {what} has the code '{code}'")

    def interval(self, path, start, end) -> None:
        if start and end and end < start:
            self.say(path, f"this interval ends ({end}) before it starts ({start})")

    def check_entities(self, entities: dict) -> None:
        # The existing tree, as the file's entities would change it.
        graph = {c: [p] if p else [] for c, p in self.existing.entities.items()}
        for i, entity in enumerate(self.plan.entities):
            self.ref(("entities", i, "parent"), entity.parent, entities, "entity")
            self.interval(("entities", i), entity.valid_from, entity.valid_to)
            graph[entity.code] = [entity.parent] if entity.parent in entities else []
        cycle = find_cycle(graph)
        where = next((i for i, e in enumerate(self.plan.entities) if e.code in (cycle or ())), None)
        if where is not None:
            self.say(
                ("entities", where, "parent"),
                "the reporting tree has a cycle: " + " → ".join(cycle),
            )
        organisation = self.plan.plan.organisation
        for i, entity in enumerate(self.plan.entities):
            if entity.code == organisation and entity.parent:
                self.say(
                    ("entities", i, "parent"),
                    f"'{organisation}' is the plan's organisation: the root of the tree has no parent",
                )
            elif entity.code != organisation and not entity.parent:
                self.say(
                    ("entities", i),
                    f"'{entity.code}' has no parent: every entity but the organisation '{organisation}' belongs to the tree",
                )

    def check_indicators(self, indicators: dict, axes: dict, levers: dict) -> None:
        depends: dict[str, list[str]] = {}
        for i, ind in enumerate(self.plan.indicators):
            at = ("indicators", i)
            for a, code in enumerate(ind.axes):
                self.ref((*at, "axes", a), code, axes, "axis")
            for a, code in enumerate(ind.levers):
                self.ref((*at, "levers", a), code, levers, "lever")
            operands = []
            for part in ("numerator", "denominator", "weight"):
                code = getattr(ind, part)
                self.ref((*at, part), code, indicators, "indicator")
                if code in indicators:
                    operands.append(code)
                    other = indicators[code]
                    if other.kind == "qualitative":
                        self.say(
                            (*at, part),
                            f"'{code}' is qualitative: it has no figures to compute with",
                        )
                    if _calendar(other) != _calendar(ind):
                        self.say(
                            (*at, part),
                            f"'{code}' is reported by {other.frequency.replace('_', ' ')}, '{ind.code}' by {ind.frequency.replace('_', ' ')}: they must match",
                        )
            if ind.frequency != "academic_year" and ind.start_month is not None:
                self.say(
                    (*at, "start_month"), "start_month applies to academic years only", key=True
                )
            self.check_kind(at, ind)
            if ind.formula:
                try:
                    formula = Formula.parse(ind.formula)
                except FormulaError as error:
                    line, column = self.located.at((*at, "formula"))
                    self.found.append(
                        Problem(line, column, f"formula, at character {error.column}: {error}")
                    )
                else:
                    by_name = {formula_name(c): c for c in indicators}
                    for name in sorted(formula.names):
                        code = name if name in indicators else by_name.get(name)
                        if code is None:
                            self.say(
                                (*at, "formula"),
                                f"the formula uses '{name}', which is not an indicator"
                                " (write a code's '-' as '_': own_resources)",
                            )
                            continue
                        operands.append(code)
                        if _calendar(indicators[code]) != _calendar(ind):
                            self.say(
                                (*at, "formula"),
                                f"the formula uses '{code}', reported by {indicators[code].frequency.replace('_', ' ')}, not by {ind.frequency.replace('_', ' ')} like '{ind.code}'",
                            )
                        if indicators[code].kind == "qualitative":
                            self.say(
                                (*at, "formula"), f"the formula uses '{code}', which is qualitative"
                            )
            depends[ind.code] = operands
            for b, breakdown in enumerate(ind.breakdowns):
                counts = Counter(m.code for m in breakdown.members)
                for m, member in enumerate(breakdown.members):
                    if counts[member.code] > 1:
                        self.say(
                            (*at, "breakdowns", b, "members", m, "code"),
                            f"the member code '{member.code}' is used more than once",
                        )
            if ind.polarity == "band":
                if ind.band is None:
                    self.say(at, "a 'band' indicator needs band: [low, high]")
                elif ind.band[0] >= ind.band[1]:
                    self.say((*at, "band"), "the band's low bound must be below its high bound")
            elif ind.band is not None:
                self.say((*at, "band"), "band applies to the 'band' polarity only", key=True)
            self.check_numbers(at, ind)
            if ind.thresholds and ind.thresholds.at_risk > ind.thresholds.on_track:
                self.say(
                    (*at, "thresholds"), "the at-risk threshold must not exceed the on-track one"
                )
        cycle = find_cycle(depends)
        if cycle:
            where = next(i for i, d in enumerate(self.plan.indicators) if d.code == cycle[0])
            self.say(
                ("indicators", where),
                "indicators depend on each other in a cycle: " + " → ".join(cycle),
            )
        thresholds = self.plan.plan.thresholds
        if thresholds.at_risk > thresholds.on_track:
            self.say(
                ("plan", "thresholds"), "the at-risk threshold must not exceed the on-track one"
            )

    def check_numbers(self, at, ind: IndicatorDef) -> None:
        """Check how figures are written, what they can be, carry-forward and breaks."""
        share = ind.unit == "%"
        if share and ind.written_as is None:
            self.say(
                at,
                f"'{ind.code}' is a share: say how its figures are written, written_as: percent"
                " (78.1) or fraction (0.781)",
            )
        if not share and ind.written_as is not None:
            self.say((*at, "written_as"), "written_as applies to shares (unit '%') only", key=True)
        if ind.count and share:
            self.say((*at, "count"), "a share is not a count", key=True)
        if ind.fractions and not ind.count:
            self.say((*at, "fractions"), "fractions applies to counts only", key=True)
        if ind.count and ind.kind not in ("amount", "formula"):
            self.say((*at, "count"), f"a '{ind.kind}' indicator does not count things", key=True)
        low, high = resolved_bounds(ind)
        if ind.bounds is not None:
            if low is not None and high is not None and not low < high:
                self.say((*at, "bounds"), "the lowest figure must be below the highest")
            if ind.count and (low is None or low < 0):
                self.say(
                    (*at, "bounds"), "a count is never negative: its lowest figure is 0 or more"
                )
        if ind.carry_forward and ind.over_time != "stock":
            self.say(
                (*at, "carry_forward"),
                f"only a stock's last figure can be carried forward, not a {ind.over_time}'s"
                " (a missing flow is missing)",
                key=True,
            )
        previous = None
        for b, brk in enumerate(ind.breaks):
            period = self.period((*at, "breaks", b, "period"), brk.period, ind)
            if period and previous and not previous < period:
                self.say((*at, "breaks", b, "period"), "breaks in series must come in order")
            previous = period or previous

    def in_bounds(self, path, value: float | None, ind: IndicatorDef, what: str) -> None:
        """Say so when a target figure lies outside what the indicator's figures can be."""
        if value is None:
            return
        low, high = resolved_bounds(ind)
        scale = "fraction" if ind.written_as == "fraction" else "percent"
        written = f" ({ind.code}'s figures are written as {scale}s)" if ind.unit == "%" else ""
        if low is not None and value < low:
            self.say(path, f"the {what} {value:g} is below {low:g}, the lowest figure{written}")
        elif high is not None and value > high:
            self.say(path, f"the {what} {value:g} is above {high:g}, the highest figure{written}")

    def check_kind(self, at, ind: IndicatorDef) -> None:
        needs = {
            "ratio": ({"numerator", "denominator"}, {"ratio_of_sums"}),
            "weighted_average": ({"weight"}, {"weighted_mean", "none", "min", "max"}),
            "formula": ({"formula"}, {"none"}),
            "amount": (set(), {"sum", "min", "max", "none"}),
            "qualitative": (set(), {"none"}),
        }
        required, across = needs[ind.kind]
        for part in sorted(required):
            if not getattr(ind, part):
                self.say(at, f"a '{ind.kind}' indicator needs '{part}'")
        for part in sorted({"numerator", "denominator", "weight", "formula"} - required):
            if getattr(ind, part):
                self.say(
                    (*at, part), f"'{part}' does not apply to a '{ind.kind}' indicator", key=True
                )
        if ind.across not in across:
            allowed = ", ".join(sorted(across))
            self.say(
                (*at, "across"),
                f"a '{ind.kind}' indicator consolidates across entities by {allowed}, not '{ind.across}'",
            )
        if ind.over_time == "rate" and ind.kind not in {"ratio", "formula", "weighted_average"}:
            self.say(
                (*at, "over_time"),
                f"'rate' recomputes from parts; a '{ind.kind}' indicator has none",
            )
        if ind.over_time == "cumulative" and ind.kind != "amount":
            self.say((*at, "over_time"), "only an additive amount can be cumulative")

    def period(self, path, code: str, ind: IndicatorDef) -> Period | None:
        try:
            return checked_period(code, ind.frequency, ind.start_month or 9)
        except PeriodError as error:
            self.say(
                path,
                f"{error} (the indicator '{ind.code}' is reported by {ind.frequency.replace('_', ' ')})",
            )
            return None

    def check_targets(self, indicators: dict, entities: dict, sources: dict) -> None:
        primaries = Counter()
        identities = Counter(
            (t.indicator, t.entity or self.plan.plan.organisation, t.document)
            for t in self.plan.targets
        )
        # An entity's only target drives its headline; of several, one must say it does.
        per_entity = Counter(
            (t.indicator, t.entity or self.plan.plan.organisation) for t in self.plan.targets
        )
        led = {
            (t.indicator, t.entity or self.plan.plan.organisation)
            for t in self.plan.targets
            if t.primary
        }
        told = set()
        for i, target in enumerate(self.plan.targets):
            key = (target.indicator, target.entity or self.plan.plan.organisation)
            if per_entity[key] > 1 and key not in led and key not in told:
                told.add(key)
                self.say(
                    ("targets", i),
                    f"'{key[0]}' at '{key[1]}' has {per_entity[key]} targets and none is primary:"
                    " say primary: true on the one that drives the headline",
                )
        for i, target in enumerate(self.plan.targets):
            at = ("targets", i)
            entity = target.entity or self.plan.plan.organisation
            self.ref((*at, "indicator"), target.indicator, indicators, "indicator")
            self.ref((*at, "entity"), target.entity, entities, "entity")
            self.ref((*at, "document"), target.document, sources, "source")
            if identities[(target.indicator, entity, target.document)] > 1:
                self.say(
                    at,
                    f"'{target.document}' sets more than one target for '{target.indicator}' at '{entity}'",
                )
            if target.primary:
                primaries[(target.indicator, entity)] += 1
                if primaries[(target.indicator, entity)] == 2:
                    self.say(
                        (*at, "primary"),
                        f"'{target.indicator}' at '{entity}' has more than one primary target",
                    )
            ind = indicators.get(target.indicator)
            if ind is None:
                continue
            if ind.kind == "qualitative":
                self.say(at, "a qualitative indicator cannot carry a quantified target")
                continue
            base = self.period((*at, "baseline", "period"), target.baseline.period, ind)
            end = self.period((*at, "target", "period"), target.target.period, ind)
            self.check_target_values(at, target, ind, base, end)

    def check_target_values(self, at, target: TargetDef, ind: IndicatorDef, base, end) -> None:
        baseline, goal = target.baseline, target.target
        if baseline.measured and baseline.value is not None:
            self.say((*at, "baseline"), "the baseline is either measured or given, not both")
        if not baseline.measured and baseline.value is None:
            self.say((*at, "baseline"), "give the baseline value, or say measured: true")
        if goal.value is not None and goal.relative is not None:
            self.say(
                (*at, "target"),
                "the target is either a value or relative to the baseline, not both",
            )
        if goal.value is None and goal.relative is None and ind.polarity != "band":
            self.say((*at, "target"), "give the target value, or relative: (e.g. 0.60 for +60 %)")
        if base and end and not base < end:
            self.say(
                (*at, "target", "period"),
                f"the target period {end.code} must come after the baseline period {base.code}",
            )
        self.in_bounds((*at, "baseline", "value"), baseline.value, ind, "baseline")
        self.in_bounds((*at, "target", "value"), goal.value, ind, "target")
        if ind.unit == "%" and ind.written_as == "percent":
            # 0.7 beside 85 is a fraction among percentages: one of them is written wrong.
            written = [
                ((*at, "baseline", "value"), baseline.value),
                ((*at, "target", "value"), goal.value),
                *(
                    ((*at, "milestones", m, "value"), x.value)
                    for m, x in enumerate(target.milestones)
                ),
            ]
            if any(v is not None and abs(v) > 1 for _, v in written):
                for path, v in written:
                    if v is not None and 0 < abs(v) < 1:
                        self.say(
                            path,
                            f"{v:g} looks like a fraction, but '{ind.code}' writes its figures"
                            " as percentages (78.1 for 78.1 %)",
                        )
        if baseline.value is not None and goal.value is not None:
            if ind.polarity == "up" and goal.value < baseline.value:
                self.say(
                    (*at, "target", "value"),
                    f"'{ind.code}' should go up, but the target {goal.value:g} is below the baseline {baseline.value:g}",
                )
            if ind.polarity == "down" and goal.value > baseline.value:
                self.say(
                    (*at, "target", "value"),
                    f"'{ind.code}' should go down, but the target {goal.value:g} is above the baseline {baseline.value:g}",
                )
        if goal.relative is not None:
            if goal.relative <= -1:
                self.say(
                    (*at, "target", "relative"), "a relative target of -100 % or less is impossible"
                )
            elif (
                ind.polarity == "up"
                and goal.relative < 0
                or ind.polarity == "down"
                and goal.relative > 0
            ):
                self.say(
                    (*at, "target", "relative"),
                    f"the relative target {goal.relative:+.0%} goes against the '{ind.polarity}' polarity",
                )
        if target.shape == "compound" and baseline.value is not None and baseline.value <= 0:
            self.say((*at, "shape"), "compound growth needs a baseline above zero")
        if target.shape == "milestones" and not target.milestones:
            self.say((*at, "shape"), "the shape 'milestones' needs milestones")
        if target.milestones and target.shape not in ("milestones", "step"):
            self.say(
                (*at, "milestones"),
                f"milestones shape the trajectory 'milestones' or 'step', not '{target.shape}'",
                key=True,
            )
        previous = base
        for m, milestone in enumerate(target.milestones):
            period = self.period((*at, "milestones", m, "period"), milestone.period, ind)
            if milestone.value is None and milestone.relative is None:
                self.say((*at, "milestones", m), "a milestone needs a value or relative:")
            # A milestone may be stricter than the final target (−20 % by 2020, −15 % by
            # 2025): it binds at its period. It only has to be a figure the indicator can take.
            self.in_bounds((*at, "milestones", m, "value"), milestone.value, ind, "milestone")
            if milestone.value is not None and milestone.relative is not None:
                self.say(
                    (*at, "milestones", m), "a milestone is either a value or relative, not both"
                )
            if milestone.relative is not None and baseline.value is None:
                self.say(
                    (*at, "milestones", m, "relative"),
                    "a relative milestone needs a given baseline value",
                )
            if period and previous and not previous < period:
                self.say(
                    (*at, "milestones", m, "period"),
                    "milestones must come in order, after the baseline",
                )
            if period and end and not period < end:
                self.say(
                    (*at, "milestones", m, "period"),
                    "a milestone must come before the target period",
                )
            previous = period or previous

    def check_projects(self, entities, axes, levers, indicators, sources) -> None:
        for p, project in enumerate(self.plan.projects):
            at = ("projects", p)
            for part, known, what in (
                ("axes", axes, "axis"),
                ("levers", levers, "lever"),
                ("participants", entities, "entity"),
                ("indicators", indicators, "indicator"),
            ):
                for n, code in enumerate(getattr(project, part)):
                    self.ref((*at, part, n), code, known, what)
            self.ref((*at, "lead"), project.lead, entities, "entity")
            self.ref((*at, "source"), project.source, sources, "source")
            self.interval(at, project.start, project.end)
            if project.status_override and not project.override_comment:
                self.say(
                    (*at, "status_override"), "a manual status needs an override_comment saying why"
                )
            counts = Counter(m.code for m in project.milestones)
            for m, milestone in enumerate(project.milestones):
                if counts[milestone.code] > 1:
                    self.say(
                        (*at, "milestones", m, "code"),
                        f"the milestone code '{milestone.code}' is used more than once",
                    )
