"""Load a region's data set (`data/<region>/`): the unit tree, the plan and the measures.

A data set is a folder such as ``data/gavleborg/`` with ``organisation.toml``, ``plan.toml`` and
``measures.toml`` (``demo.toml``, the synthetic values, is `followup.demo`'s). Every key is
checked, every reference resolved, and each record states its provenance: from the plan, an
example the region must confirm, or the region's own. Loading is idempotent: rows are matched on
their natural keys (codes, names, numbers) and saved only when a field differs, so a rerun adds
no rows, not even to the history tables. The `LoadReport` says, per kind and row by row, what
was created, updated, deleted or left unchanged: `dataset_import(dry_run=True)` returns it and
keeps nothing, which is what an import preview shows.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TypeVar

from django.db import models, transaction

from base.history import DATASET_CHANGE_REASON, changes_by
from goals.models import Goal
from organisation.models import Unit, UnitClosure, UnitKind
from organisation.services import unit_create_trusted, unit_save_trusted, unit_tree_rebuild
from programmes.models import (
    Phase,
    PhaseEvent,
    ProgrammeArea,
    ProgrammeAreaProcess,
    Provenance,
    SupportingProcess,
    WorkingMethod,
    record_process_links,
)

from . import triggers
from .models import Measure

DEFAULT_DATASET = "data/gavleborg"
REQUIRED_FILES = ("organisation.toml", "plan.toml", "measures.toml")
DEMO_FILE = "demo.toml"
ALL = "alla"  # "every programme area" / "every supporting process" in a link entry

ERROR_NOT_A_DATASET = (
    "{path} är ingen datamängd: {name} saknas. / {path} is not a data set: {name} is missing."
)
ERROR_BAD_TOML = "{file}: ogiltig TOML / invalid TOML: {error}"
ERROR_UNKNOWN_KEYS = "{where}: okända nycklar / unknown keys: {keys}"
ERROR_MISSING_KEYS = "{where}: saknade nycklar / missing keys: {keys}"
ERROR_BAD_VALUE = "{where}: ogiltigt värde / invalid value {value!r}"
ERROR_UNKNOWN_REF = "{where}: okänd referens / unknown reference {kind} {value!r}"
ERROR_EXAMPLE_WITHOUT_NOTE = (
    "{where}: ett exempel behöver en provenance_note som säger vad regionen ska fastställa. / "
    "an example needs a provenance_note saying what the region must confirm."
)

M = TypeVar("M", bound=models.Model)
E = TypeVar("E")
State = Literal["created", "updated", "unchanged", "deleted"]


class DatasetError(ValueError):
    """The data set folder or one of its files is missing or inconsistent."""


# --- the report -------------------------------------------------------------------------------


@dataclass
class Tally:
    """How many rows of one kind were created, updated, deleted or left unchanged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0


@dataclass(frozen=True)
class RowChange:
    """One row a load created, updated or deleted, and the fields that differed."""

    kind: str
    key: str
    state: State
    fields: tuple[str, ...] = ()


@dataclass
class LoadReport:
    """What a load did (or, in a dry run, would do): counts per kind, each changed row, notes."""

    dataset: Path
    tallies: dict[str, Tally] = field(default_factory=dict)
    changes: list[RowChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False

    def tally(self, model: type[models.Model], detail: str = "") -> Tally:
        """The tally for a model (and an optional detail such as an m2m field)."""
        return self.tallies.setdefault(_kind_label(model, detail), Tally())

    def record(
        self,
        model: type[models.Model],
        key: str,
        state: State,
        fields: Iterable[str] = (),
        detail: str = "",
    ) -> None:
        """Count one row and, unless unchanged, list it with the fields that differed."""
        tally = self.tally(model, detail)
        setattr(tally, state, getattr(tally, state) + 1)
        if state != "unchanged":
            self.changes.append(RowChange(_kind_label(model, detail), key, state, tuple(fields)))

    @property
    def changed(self) -> bool:
        """Whether any row was created, updated or deleted."""
        return any(t.created or t.updated or t.deleted for t in self.tallies.values())


def _kind_label(model: type[models.Model], detail: str = "") -> str:
    """A kind of row as the report names it, e.g. "mål (Goal)"."""
    name = str(model._meta.verbose_name_plural)
    return f"{name} ({model.__name__}{'.' + detail if detail else ''})"


def _key_label(lookup: Mapping[str, Any]) -> str:
    """A row's natural key in words, e.g. "code=po1-teamarbete"."""
    return ", ".join(
        f"{name}={value.pk if isinstance(value, models.Model) else value}"
        for name, value in lookup.items()
    )


# --- reading and checking the data set --------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    """The parsed TOML files of one data set folder."""

    path: Path
    organisation: dict[str, Any]
    plan: dict[str, Any]
    measures: dict[str, Any]
    demo: dict[str, Any] | None


def _read_toml(path: Path) -> dict[str, Any]:
    """Parse one TOML file."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise DatasetError(ERROR_BAD_TOML.format(file=path, error=exc)) from exc


def dataset_read(path: Path) -> Dataset:
    """Read a data set folder; demo.toml is optional."""
    for name in REQUIRED_FILES:
        if not (path / name).is_file():
            raise DatasetError(ERROR_NOT_A_DATASET.format(path=path, name=name))
    demo_path = path / DEMO_FILE
    return Dataset(
        path=path,
        organisation=_read_toml(path / "organisation.toml"),
        plan=_read_toml(path / "plan.toml"),
        measures=_read_toml(path / "measures.toml"),
        demo=_read_toml(demo_path) if demo_path.is_file() else None,
    )


def check_keys(
    item: Mapping[str, Any], where: str, required: Iterable[str], optional: Iterable[str] = ()
) -> None:
    """Fail loudly on a typo in the data set rather than silently ignoring a key."""
    needed = set(required)
    missing = needed - item.keys()
    if missing:
        raise DatasetError(ERROR_MISSING_KEYS.format(where=where, keys=", ".join(sorted(missing))))
    unknown = item.keys() - needed - set(optional)
    if unknown:
        raise DatasetError(ERROR_UNKNOWN_KEYS.format(where=where, keys=", ".join(sorted(unknown))))


def ref(mapping: Mapping[Any, M], key: Any, where: str, kind: str) -> M:
    """Look up a referenced row loaded earlier, or explain which reference is wrong."""
    try:
        return mapping[key]
    except KeyError:
        raise DatasetError(ERROR_UNKNOWN_REF.format(where=where, kind=kind, value=key)) from None


def enum_value(kind: Callable[[str], E], value: str, where: str) -> E:
    """A choice from the data set (a role, a status, a quarter), or a DatasetError."""
    try:
        return kind(value)
    except ValueError:
        raise DatasetError(ERROR_BAD_VALUE.format(where=where, value=value)) from None


def _decimal(value: float | int | str | None) -> Decimal | None:
    """A TOML number as a Decimal (via str, so 0.1 stays 0.1)."""
    return None if value is None else Decimal(str(value))


PROVENANCE_KEYS = ("provenance", "provenance_note")


def provenance_values(item: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A record's provenance from the data set: the region's own unless it says plan/exempel."""
    provenance = enum_value(Provenance, item.get("provenance", Provenance.REGION), where)
    note = item.get("provenance_note", "")
    if provenance == Provenance.EXAMPLE and not note.strip():
        raise DatasetError(ERROR_EXAMPLE_WITHOUT_NOTE.format(where=where))
    return {"provenance": provenance, "provenance_note": note}


# --- compare-then-save helpers ----------------------------------------------------------------


def _differs(obj: models.Model, name: str, value: Any) -> bool:
    """Whether a field of a saved row differs from the wanted value."""
    model_field = obj._meta.get_field(name)
    if isinstance(model_field, models.ForeignKey):
        wanted = value.pk if isinstance(value, models.Model) else value
        return bool(getattr(obj, model_field.attname) != wanted)
    return bool(getattr(obj, name) != value)


def _default(model: type[models.Model], name: str) -> Any:
    """A concrete field's default, for a key the data set leaves out."""
    model_field = model._meta.get_field(name)
    assert isinstance(model_field, models.Field)  # noqa: S101 - names of concrete fields only
    return model_field.get_default()


def sync_row(
    report: LoadReport, model: type[M], lookup: Mapping[str, Any], values: Mapping[str, Any]
) -> tuple[M, State]:
    """Create the row or update only the fields that differ; returns it and what happened."""
    key = _key_label(lookup)
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.full_clean()
        obj.save()
        report.record(model, key, "created")
        return obj, "created"
    changed = [name for name, value in values.items() if _differs(obj, name, value)]
    if not changed:
        report.record(model, key, "unchanged")
        return obj, "unchanged"
    for name in changed:
        setattr(obj, name, values[name])
    obj.full_clean()
    obj.save()
    report.record(model, key, "updated", changed)
    return obj, "updated"


def _sync_m2m(obj: models.Model, name: str, wanted: Iterable[models.Model]) -> bool:
    """Set an m2m field only when its members differ (m2m history records every change)."""
    wanted_ids = {related.pk for related in wanted}
    manager = getattr(obj, name)
    if set(manager.values_list("pk", flat=True)) == wanted_ids:
        return False
    manager.set(wanted_ids)
    return True


def _count_m2m_change(
    report: LoadReport, obj: models.Model, state: State, changed: Iterable[str]
) -> None:
    """Count a row whose only change was in its m2m fields as updated."""
    names = tuple(changed)
    if names and state == "unchanged":
        tally = report.tally(type(obj))
        tally.unchanged -= 1
        tally.updated += 1
        report.changes.append(RowChange(_kind_label(type(obj)), str(obj.pk), "updated", names))


# --- loading ----------------------------------------------------------------------------------


@dataclass
class LoadContext:
    """Rows loaded so far, by the keys the data set refers to them with."""

    report: LoadReport
    kinds: dict[str, UnitKind] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    units_by_kind: dict[str, list[Unit]] = field(default_factory=dict)
    phase: Phase | None = None
    areas: dict[int, ProgrammeArea] = field(default_factory=dict)
    processes: dict[str, SupportingProcess] = field(default_factory=dict)
    methods: dict[str, WorkingMethod] = field(default_factory=dict)
    measures: dict[str, Measure] = field(default_factory=dict)
    measure_kinds: dict[str, list[str]] = field(default_factory=dict)
    goals: dict[str, Goal] = field(default_factory=dict)


def _closure_is_complete() -> bool:
    """Whether the closure table holds exactly one row per (ancestor, descendant) pair."""
    parents = dict(Unit.objects.values_list("pk", "parent_id"))
    expected = 0
    for unit_id in parents:
        current: int | None = unit_id
        while current is not None:
            expected += 1
            current = parents.get(current)
    return UnitClosure.objects.count() == expected


def load_organisation(data: Mapping[str, Any], ctx: LoadContext) -> None:
    """Unit kinds and the unit tree, created through the organisation services."""
    check_keys(data, "organisation.toml", [], ["unit_kinds", "units"])
    for i, item in enumerate(data.get("unit_kinds", [])):
        check_keys(
            item, f"organisation.toml unit_kinds[{i}]", ["code", "name", "name_plural"], ["is_vo"]
        )
        kind: dict[str, Any] = {"name": item["name"], "name_plural": item["name_plural"]}
        if "is_vo" in item:  # left as it is when the file does not say
            kind["is_vo"] = bool(item["is_vo"])
        ctx.kinds[item["code"]], _ = sync_row(ctx.report, UnitKind, {"code": item["code"]}, kind)
    existing = {unit.code: unit for unit in Unit.objects.all()}
    for i, item in enumerate(data.get("units", [])):
        where = f"organisation.toml units[{i}]"
        check_keys(
            item, where, ["code", "name", "kind"], ["hsa_id", "parent", "valid_from", "valid_to"]
        )
        values: dict[str, Any] = {
            "name": item["name"],
            "hsa_id": item.get("hsa_id"),
            "kind": ref(ctx.kinds, item["kind"], where, "unit kind"),
            # A parent must come earlier in the file, which also rules out cycles.
            "parent": ref(ctx.units, item["parent"], where, "parent") if "parent" in item else None,
            "valid_from": item.get("valid_from"),
            "valid_to": item.get("valid_to"),
        }
        unit = existing.get(item["code"])
        key = f"code={item['code']}"
        if unit is None:
            unit = unit_create_trusted(code=item["code"], **values)
            ctx.report.record(Unit, key, "created")
        elif changed := [name for name, value in values.items() if _differs(unit, name, value)]:
            for name, value in values.items():
                setattr(unit, name, value)
            unit = unit_save_trusted(unit=unit)
            ctx.report.record(Unit, key, "updated", changed)
        else:
            ctx.report.record(Unit, key, "unchanged")
        ctx.units[item["code"]] = unit
        ctx.units_by_kind.setdefault(item["kind"], []).append(unit)
    # The closure table is delete+insert, so rebuild only when it is out of step.
    if not _closure_is_complete():
        unit_tree_rebuild()


_PLAN_SECTIONS = (
    "dataset", "supporting_processes", "supporting_process_links", "working_methods", "goals",
    "timeline",
)  # fmt: skip


def load_plan(data: Mapping[str, Any], ctx: LoadContext) -> None:
    """Phases, supporting processes, programme areas and their links, working methods."""
    check_keys(data, "plan.toml", ["phases", "programme_areas"], _PLAN_SECTIONS)
    for i, item in enumerate(data["phases"]):
        check_keys(
            item,
            f"plan.toml phases[{i}]",
            ["code", "name", "start_date", "end_date"],
            ["description", "governance"],
        )
        ctx.phase, _ = sync_row(
            ctx.report,
            Phase,
            {"code": item["code"]},
            {
                "name": item["name"],
                "description": item.get("description", ""),
                "governance": item.get("governance", ""),
                "start_date": item["start_date"],
                "end_date": item["end_date"],
            },
        )
    phase = ctx.phase
    if phase is None:
        raise DatasetError(ERROR_MISSING_KEYS.format(where="plan.toml", keys="phases"))

    for i, item in enumerate(data.get("supporting_processes", [])):
        check_keys(item, f"plan.toml supporting_processes[{i}]", ["name"], ["description"])
        ctx.processes[item["name"]], _ = sync_row(
            ctx.report,
            SupportingProcess,
            {"name": item["name"]},
            {"description": item.get("description", "")},
        )

    for i, item in enumerate(data["programme_areas"]):
        where = f"plan.toml programme_areas[{i}]"
        optional = ["description", "start_date", "requests_activity_plans"]
        check_keys(item, where, ["number", "name"], optional)
        ctx.areas[item["number"]], _ = sync_row(
            ctx.report,
            ProgrammeArea,
            {"phase": phase, "number": item["number"]},
            {
                "name": item["name"],
                "description": item.get("description", ""),
                "start_date": item.get("start_date"),
                # Only PO 1 (Teamrond) asks each VO for an activity plan in the plan.
                "requests_activity_plans": bool(item.get("requests_activity_plans", False)),
            },
        )
    load_process_links(data.get("supporting_process_links", []), ctx)

    for i, item in enumerate(data.get("working_methods", [])):
        where = f"plan.toml working_methods[{i}]"
        check_keys(
            item,
            where,
            ["code", "name", "programme_area"],
            ["description", "direction", "target_unit_kinds", *PROVENANCE_KEYS],
        )
        method, state = sync_row(
            ctx.report,
            WorkingMethod,
            {"code": item["code"]},
            {
                "name": item["name"],
                "description": item.get("description", ""),
                "programme_area": ref(ctx.areas, item["programme_area"], where, "programme area"),
                "direction": item.get("direction", WorkingMethod.Direction.INTRODUCE),
                **provenance_values(item, where),
            },
        )
        kinds = [
            ref(ctx.kinds, code, where, "unit kind") for code in item.get("target_unit_kinds", [])
        ]
        changed = _sync_m2m(method, "target_unit_kinds", kinds)
        _count_m2m_change(ctx.report, method, state, ["target_unit_kinds"] if changed else [])
        ctx.methods[item["code"]] = method


def load_process_links(items: Iterable[Mapping[str, Any]], ctx: LoadContext) -> None:
    """Which supporting processes each programme area links to, each link with its provenance.

    An entry names areas and processes (or "alla" for every one in the data set); the links of
    the loaded areas become exactly the listed ones.
    """
    wanted: dict[tuple[int, int], dict[str, Any]] = {}
    for i, item in enumerate(items):
        where = f"plan.toml supporting_process_links[{i}]"
        check_keys(item, where, ["programme_areas", "supporting_processes"], PROVENANCE_KEYS)
        numbers = item["programme_areas"]
        names = item["supporting_processes"]
        areas = (
            list(ctx.areas.values())
            if numbers == ALL
            else [ref(ctx.areas, number, where, "programme area") for number in numbers]
        )
        processes = (
            list(ctx.processes.values())
            if names == ALL
            else [ref(ctx.processes, name, where, "supporting process") for name in names]
        )
        values = provenance_values(item, where)
        for area in areas:
            for process in processes:
                wanted[(area.pk, process.pk)] = values
    for (area_id, process_id), values in wanted.items():
        sync_row(
            ctx.report,
            ProgrammeAreaProcess,
            {"programme_area_id": area_id, "supporting_process_id": process_id},
            values,
        )
    stale = ProgrammeAreaProcess.objects.filter(
        programme_area__in=[area.pk for area in ctx.areas.values()]
    )
    for link in stale:
        if (link.programme_area_id, link.supporting_process_id) not in wanted:
            link.delete()  # one by one, so each removal is in the link's history
            ctx.report.record(
                ProgrammeAreaProcess,
                _key_label(
                    {
                        "programme_area_id": link.programme_area_id,
                        "supporting_process_id": link.supporting_process_id,
                    }
                ),
                "deleted",
            )
    for area in ctx.areas.values():
        record_process_links(area)  # the area's history shows its links as loaded


_EVENT_OPTIONAL = (
    "programme_area", "description", "start_date", "end_date", "ongoing", "order",
    *PROVENANCE_KEYS,
)  # fmt: skip


def load_timeline(items: Iterable[Mapping[str, Any]], ctx: LoadContext) -> None:
    """The phase's timeline: dated items without a target, so they never get a status."""
    assert ctx.phase is not None  # load_plan has loaded it or raised  # noqa: S101
    for i, item in enumerate(items):
        where = f"plan.toml timeline[{i}] ({item.get('code', '?')})"
        check_keys(item, where, ["code", "title"], _EVENT_OPTIONAL)
        sync_row(
            ctx.report,
            PhaseEvent,
            {"code": item["code"]},
            {
                "phase": ctx.phase,
                "programme_area": ref(ctx.areas, item["programme_area"], where, "programme area")
                if "programme_area" in item
                else None,
                "title": item["title"],
                "description": item.get("description", ""),
                "start_date": item.get("start_date"),
                "end_date": item.get("end_date"),
                "ongoing": item.get("ongoing", False),
                "order": item.get("order", i),
                **provenance_values(item, where),
            },
        )


_MEASURE_FIELDS = ("name", "value_type")
_MEASURE_OPTIONAL = ("description", "unit", "improvement", "aggregation", "frequency", "source")


def load_measures(data: Mapping[str, Any], ctx: LoadContext) -> None:
    """Measure definitions with their programme areas and reporting unit kinds."""
    check_keys(data, "measures.toml", [], ["measures"])
    for i, item in enumerate(data.get("measures", [])):
        where = f"measures.toml measures[{i}] ({item.get('code', '?')})"
        check_keys(
            item,
            where,
            ("code", *_MEASURE_FIELDS),
            (*_MEASURE_OPTIONAL, "unit_kinds", "programme_areas", *PROVENANCE_KEYS),
        )
        values = {name: item[name] for name in _MEASURE_FIELDS}
        values.update({name: item.get(name, _default(Measure, name)) for name in _MEASURE_OPTIONAL})
        values.update(provenance_values(item, where))
        measure, state = sync_row(ctx.report, Measure, {"code": item["code"]}, values)
        areas = [
            ref(ctx.areas, number, where, "programme area")
            for number in item.get("programme_areas", [])
        ]
        kind_codes = item.get("unit_kinds", [])
        kinds = [ref(ctx.kinds, code, where, "unit kind") for code in kind_codes]
        changed = [
            name
            for name, members in (("programme_areas", areas), ("unit_kinds", kinds))
            if _sync_m2m(measure, name, members)
        ]
        _count_m2m_change(ctx.report, measure, state, changed)
        ctx.measures[item["code"]] = measure
        ctx.measure_kinds[item["code"]] = list(kind_codes)


_GOAL_REQUIRED = ("code", "programme_area", "kind", "title")
_GOAL_OPTIONAL = (
    "parent", "description", "order", "start_date", "deadline", "working_method", "unit_kind",
    "target_share", "measure", "target_value", "relative_change_pct", "baseline_start",
    "baseline_end", "improvement", "completed_on", "evidence_reference", "evidence_url",
    *PROVENANCE_KEYS,
)  # fmt: skip
# Set only when the data set says so: they record progress, which the app may have recorded.
_GOAL_PROGRESS = ("completed_on", "evidence_reference", "evidence_url")


def load_goals(data: Mapping[str, Any], ctx: LoadContext) -> None:
    """Goals, then milestones, each matched on its stable code."""
    items = list(enumerate(data.get("goals", [])))
    # Goals before milestones so a milestone's parent exists whatever the file order.
    ordered = [pair for pair in items if "parent" not in pair[1]] + [
        pair for pair in items if "parent" in pair[1]
    ]
    for i, item in ordered:
        where = f"plan.toml goals[{i}] ({item.get('code', '?')})"
        check_keys(item, where, _GOAL_REQUIRED, _GOAL_OPTIONAL)
        values: dict[str, Any] = {
            "programme_area": ref(ctx.areas, item["programme_area"], where, "programme area"),
            "parent": ref(ctx.goals, item["parent"], where, "goal") if "parent" in item else None,
            "title": item["title"],
            "description": item.get("description", ""),
            "kind": item["kind"],
            "order": item.get("order", 0),
            "start_date": item.get("start_date"),
            "deadline": item.get("deadline"),
            "working_method": ref(ctx.methods, item["working_method"], where, "working method")
            if "working_method" in item
            else None,
            "unit_kind": ref(ctx.kinds, item["unit_kind"], where, "unit kind")
            if "unit_kind" in item
            else None,
            "target_share": _decimal(item.get("target_share")),
            "measure": ref(ctx.measures, item["measure"], where, "measure")
            if "measure" in item
            else None,
            "target_value": _decimal(item.get("target_value")),
            "relative_change_pct": _decimal(item.get("relative_change_pct")),
            "baseline_start": item.get("baseline_start"),
            "baseline_end": item.get("baseline_end"),
            "improvement": item.get("improvement", _default(Goal, "improvement")),
            **provenance_values(item, where),
        }
        values.update({name: item[name] for name in _GOAL_PROGRESS if name in item})
        ctx.goals[item["code"]], _ = sync_row(ctx.report, Goal, {"code": item["code"]}, values)


def dataset_load(data: Dataset, ctx: LoadContext) -> None:
    """Load the unit tree, the plan, the measures and the goals into the open transaction."""
    load_organisation(data.organisation, ctx)
    load_plan(data.plan, ctx)
    load_timeline(data.plan.get("timeline", []), ctx)
    load_measures(data.measures, ctx)
    load_goals(data.plan, ctx)


class _DryRunRollback(Exception):
    """Raised inside the transaction of a dry run so that nothing it wrote is kept."""


def dataset_import(*, path: Path, dry_run: bool = False) -> LoadReport:
    """Load a data set (without its demo values) in one transaction; a dry run keeps nothing."""
    data = dataset_read(path)
    ctx = LoadContext(report=LoadReport(dataset=path, dry_run=dry_run))
    try:
        # The caller recomputes once afterwards; per-row triggers would only repeat that work.
        # The history names the source of these rows (no user made them): base.history.
        with triggers.suppressed(), transaction.atomic(), changes_by(DATASET_CHANGE_REASON):
            dataset_load(data, ctx)
            if dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        pass
    return ctx.report
