"""Load a region's data set (unit tree, plan, measures) and its synthetic demo data from TOML.

A data set is a folder such as ``data/gavleborg/`` with ``organisation.toml``, ``plan.toml``,
``measures.toml`` and, optionally, ``demo.toml``. Loading is idempotent: rows are matched on
their natural keys (codes, names, numbers) and saved only when a field differs, so a rerun adds
no rows, not even to the simple-history tables. Synthetic rows (observations, adoption status,
assessments, plans) are only created where missing, so edits made in the app survive a rerun.
"""

from __future__ import annotations

import datetime
import math
import random
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models, transaction
from simple_history.utils import bulk_create_with_history

from base.periods import Quarter
from goals.models import AdoptionRecord, Assessment, Goal
from goals.status import Status
from organisation.models import Role, RoleAssignment, Unit, UnitClosure, UnitKind
from organisation.services import role_assign, unit_create, unit_save, unit_tree_rebuild
from programmes.models import (
    Activity,
    ActivityPlan,
    Phase,
    ProgrammeArea,
    SupportingProcess,
    SupportNeed,
    WorkingMethod,
)

from . import triggers
from .models import ImportBatch, Measure, Observation

DEFAULT_DATASET = "data/gavleborg"
REQUIRED_FILES = ("organisation.toml", "plan.toml", "measures.toml")
DEMO_FILE = "demo.toml"
DEMO_PASSWORD = "demo"  # noqa: S105 - the documented demo password; accounts exist only locally
DEMO_IMPORT_NOTE = "Demodata – syntetiska värden, inte verkliga uppgifter"
DEMO_CHANGE_REASON = "Demodata (load_demo)"

ERROR_NOT_A_DATASET = (
    "{path} är ingen datamängd: {name} saknas. / {path} is not a data set: {name} is missing."
)
ERROR_BAD_TOML = "{file}: ogiltig TOML / invalid TOML: {error}"
ERROR_UNKNOWN_KEYS = "{where}: okända nycklar / unknown keys: {keys}"
ERROR_MISSING_KEYS = "{where}: saknade nycklar / missing keys: {keys}"
ERROR_BAD_VALUE = "{where}: ogiltigt värde / invalid value {value!r}"
ERROR_UNKNOWN_REF = "{where}: okänd referens / unknown reference {kind} {value!r}"
ERROR_USERS_IN_PRODUCTION = (
    "Demokonton skapas bara i lokalt läge (LOCAL_MODE); produktionsläget är på. / "
    "Demo accounts are only created in local mode (LOCAL_MODE); production mode is on."
)
MESSAGE_USERS_SKIPPED = (
    "Demokonton skapades inte (produktionsläge eller --no-users). / "
    "Demo accounts were not created (production mode or --no-users)."
)
MESSAGE_NEEDS_USER = (
    "{count} {what} hoppades över: demokontot {username!r} finns inte i denna körning. / "
    "{count} {what} skipped: demo account {username!r} is not part of this run."
)

_TZ = ZoneInfo("Europe/Stockholm")
# Contact volumes in Swedish primary care dip in the summer holidays and at Christmas.
_SEASON = (1.05, 1.05, 1.0, 1.0, 1.0, 0.9, 0.65, 0.85, 1.0, 1.05, 1.05, 0.9)  # January … December
_RAMP_DAYS = 60  # an adopted working method reaches its full effect about two months in
_FOUR_PLACES = Decimal("0.0001")

M = TypeVar("M", bound=models.Model)
E = TypeVar("E")


class DatasetError(ValueError):
    """The data set folder or one of its files is missing or inconsistent."""


class DemoUsersRefused(PermissionError):
    """Demo accounts were asked for while the production switch is on."""


# --- the report -------------------------------------------------------------------------------


@dataclass
class Tally:
    """How many rows of one kind were created, updated or left unchanged."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class DemoAccount:
    """One demo login as printed for the user."""

    username: str
    full_name: str
    role: str
    scope: str
    password: str


@dataclass
class LoadReport:
    """What a load did: counts per kind of row, the demo accounts and notes."""

    dataset: Path
    tallies: dict[str, Tally] = field(default_factory=dict)
    accounts: list[DemoAccount] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def tally(self, model: type[models.Model], detail: str = "") -> Tally:
        """The tally for a model (and an optional detail such as an m2m field)."""
        name = str(model._meta.verbose_name_plural)
        label = f"{name} ({model.__name__}{'.' + detail if detail else ''})"
        return self.tallies.setdefault(label, Tally())

    @property
    def changed(self) -> bool:
        """Whether any row was created or updated."""
        return any(t.created or t.updated for t in self.tallies.values())


# --- reading the data set ---------------------------------------------------------------------


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


def _check_keys(
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


def _ref(mapping: Mapping[Any, M], key: Any, where: str, kind: str) -> M:
    """Look up a referenced row loaded earlier, or explain which reference is wrong."""
    try:
        return mapping[key]
    except KeyError:
        raise DatasetError(ERROR_UNKNOWN_REF.format(where=where, kind=kind, value=key)) from None


def _enum(kind: Callable[[str], E], value: str, where: str) -> E:
    """A choice from the data set (a role, a status, a quarter), or a DatasetError."""
    try:
        return kind(value)
    except ValueError:
        raise DatasetError(ERROR_BAD_VALUE.format(where=where, value=value)) from None


def _decimal(value: float | int | str | None) -> Decimal | None:
    """A TOML number as a Decimal (via str, so 0.1 stays 0.1)."""
    return None if value is None else Decimal(str(value))


# --- compare-then-save helpers ----------------------------------------------------------------


def _differs(obj: models.Model, name: str, value: Any) -> bool:
    """Whether a field of a saved row differs from the wanted value."""
    model_field = obj._meta.get_field(name)
    if model_field.is_relation:
        wanted = value.pk if isinstance(value, models.Model) else value
        return getattr(obj, model_field.attname) != wanted
    return getattr(obj, name) != value


def _sync(
    report: LoadReport, model: type[M], lookup: Mapping[str, Any], values: Mapping[str, Any]
) -> tuple[M, str]:
    """Create the row or update only the fields that differ; returns it and what happened."""
    tally = report.tally(model)
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.full_clean()
        obj.save()
        tally.created += 1
        return obj, "created"
    changed = [name for name, value in values.items() if _differs(obj, name, value)]
    if not changed:
        tally.unchanged += 1
        return obj, "unchanged"
    for name in changed:
        setattr(obj, name, values[name])
    obj.full_clean()
    obj.save()
    tally.updated += 1
    return obj, "updated"


def _sync_m2m(obj: models.Model, name: str, wanted: Iterable[models.Model]) -> bool:
    """Set an m2m field only when its members differ (m2m history records every change)."""
    wanted_ids = {related.pk for related in wanted}
    manager = getattr(obj, name)
    if set(manager.values_list("pk", flat=True)) == wanted_ids:
        return False
    manager.set(wanted_ids)
    return True


def _count_m2m_change(report: LoadReport, obj: models.Model, state: str, changed: bool) -> None:
    """Count a row whose only change was in its m2m fields as updated."""
    if changed and state == "unchanged":
        tally = report.tally(type(obj))
        tally.unchanged -= 1
        tally.updated += 1


# --- loading the plan -------------------------------------------------------------------------


@dataclass
class _Context:
    """Rows loaded so far, by the keys the data set refers to them with."""

    report: LoadReport
    kinds: dict[str, UnitKind] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    units_by_kind: dict[str, list[Unit]] = field(default_factory=dict)
    areas: dict[int, ProgrammeArea] = field(default_factory=dict)
    processes: dict[str, SupportingProcess] = field(default_factory=dict)
    methods: dict[str, WorkingMethod] = field(default_factory=dict)
    measures: dict[str, Measure] = field(default_factory=dict)
    measure_kinds: dict[str, list[str]] = field(default_factory=dict)
    goals: dict[str, Goal] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)


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


def load_organisation(data: Mapping[str, Any], ctx: _Context) -> None:
    """Unit kinds and the unit tree, created through the organisation services."""
    for i, item in enumerate(data.get("unit_kinds", [])):
        _check_keys(item, f"organisation.toml unit_kinds[{i}]", ["code", "name", "name_plural"])
        ctx.kinds[item["code"]], _ = _sync(
            ctx.report,
            UnitKind,
            {"code": item["code"]},
            {"name": item["name"], "name_plural": item["name_plural"]},
        )
    existing = {unit.code: unit for unit in Unit.objects.all()}
    tally = ctx.report.tally(Unit)
    for i, item in enumerate(data.get("units", [])):
        where = f"organisation.toml units[{i}]"
        _check_keys(item, where, ["code", "name", "kind"], ["parent", "valid_from", "valid_to"])
        values: dict[str, Any] = {
            "name": item["name"],
            "kind": _ref(ctx.kinds, item["kind"], where, "unit kind"),
            # A parent must come earlier in the file, which also rules out cycles.
            "parent": _ref(ctx.units, item["parent"], where, "parent")
            if "parent" in item
            else None,
            "valid_from": item.get("valid_from"),
            "valid_to": item.get("valid_to"),
        }
        unit = existing.get(item["code"])
        if unit is None:
            unit = unit_create(code=item["code"], **values)
            tally.created += 1
        elif any(_differs(unit, name, value) for name, value in values.items()):
            for name, value in values.items():
                setattr(unit, name, value)
            unit = unit_save(unit=unit)
            tally.updated += 1
        else:
            tally.unchanged += 1
        ctx.units[item["code"]] = unit
        ctx.units_by_kind.setdefault(item["kind"], []).append(unit)
    # The closure table is delete+insert, so rebuild only when it is out of step.
    if not _closure_is_complete():
        unit_tree_rebuild()


def load_plan(data: Mapping[str, Any], ctx: _Context) -> None:
    """Phases, supporting processes, programme areas and working methods."""
    _check_keys(
        data,
        "plan.toml",
        ["phases", "programme_areas"],
        ["dataset", "supporting_processes", "working_methods", "goals"],
    )
    phase: Phase | None = None
    for i, item in enumerate(data["phases"]):
        _check_keys(
            item,
            f"plan.toml phases[{i}]",
            ["code", "name", "start_date", "end_date"],
            ["description"],
        )
        phase, _ = _sync(
            ctx.report,
            Phase,
            {"code": item["code"]},
            {
                "name": item["name"],
                "description": item.get("description", ""),
                "start_date": item["start_date"],
                "end_date": item["end_date"],
            },
        )
    if phase is None:
        raise DatasetError(ERROR_MISSING_KEYS.format(where="plan.toml", keys="phases"))

    for i, item in enumerate(data.get("supporting_processes", [])):
        _check_keys(item, f"plan.toml supporting_processes[{i}]", ["name"], ["description"])
        ctx.processes[item["name"]], _ = _sync(
            ctx.report,
            SupportingProcess,
            {"name": item["name"]},
            {"description": item.get("description", "")},
        )

    for i, item in enumerate(data["programme_areas"]):
        where = f"plan.toml programme_areas[{i}]"
        _check_keys(
            item,
            where,
            ["number", "name"],
            ["description", "start_date", "supporting_processes"],
        )
        area, state = _sync(
            ctx.report,
            ProgrammeArea,
            {"phase": phase, "number": item["number"]},
            {
                "name": item["name"],
                "description": item.get("description", ""),
                "start_date": item.get("start_date"),
            },
        )
        processes = [
            _ref(ctx.processes, name, where, "supporting process")
            for name in item.get("supporting_processes", [])
        ]
        _count_m2m_change(
            ctx.report, area, state, _sync_m2m(area, "supporting_processes", processes)
        )
        ctx.areas[item["number"]] = area

    for i, item in enumerate(data.get("working_methods", [])):
        where = f"plan.toml working_methods[{i}]"
        _check_keys(
            item,
            where,
            ["code", "name", "programme_area"],
            ["description", "direction", "target_unit_kinds"],
        )
        method, state = _sync(
            ctx.report,
            WorkingMethod,
            {"code": item["code"]},
            {
                "name": item["name"],
                "description": item.get("description", ""),
                "programme_area": _ref(ctx.areas, item["programme_area"], where, "programme area"),
                "direction": item.get("direction", WorkingMethod.Direction.INTRODUCE),
            },
        )
        kinds = [
            _ref(ctx.kinds, code, where, "unit kind") for code in item.get("target_unit_kinds", [])
        ]
        _count_m2m_change(ctx.report, method, state, _sync_m2m(method, "target_unit_kinds", kinds))
        ctx.methods[item["code"]] = method


_MEASURE_FIELDS = ("name", "value_type")
_MEASURE_OPTIONAL = ("description", "unit", "improvement", "aggregation", "frequency", "source")


def load_measures(data: Mapping[str, Any], ctx: _Context) -> None:
    """Measure definitions with their programme areas and reporting unit kinds."""
    for i, item in enumerate(data.get("measures", [])):
        where = f"measures.toml measures[{i}]"
        _check_keys(
            item,
            where,
            ("code", *_MEASURE_FIELDS),
            (*_MEASURE_OPTIONAL, "unit_kinds", "programme_areas"),
        )
        values = {name: item[name] for name in _MEASURE_FIELDS}
        values.update(
            {
                name: item.get(name, Measure._meta.get_field(name).get_default())
                for name in _MEASURE_OPTIONAL
            }
        )
        measure, state = _sync(ctx.report, Measure, {"code": item["code"]}, values)
        areas = [
            _ref(ctx.areas, number, where, "programme area")
            for number in item.get("programme_areas", [])
        ]
        kind_codes = item.get("unit_kinds", [])
        kinds = [_ref(ctx.kinds, code, where, "unit kind") for code in kind_codes]
        areas_changed = _sync_m2m(measure, "programme_areas", areas)
        kinds_changed = _sync_m2m(measure, "unit_kinds", kinds)
        _count_m2m_change(ctx.report, measure, state, areas_changed or kinds_changed)
        ctx.measures[item["code"]] = measure
        ctx.measure_kinds[item["code"]] = list(kind_codes)


_GOAL_REQUIRED = ("code", "programme_area", "kind", "title")
_GOAL_OPTIONAL = (
    "parent", "description", "order", "start_date", "deadline", "working_method", "unit_kind",
    "target_share", "measure", "target_value", "relative_change_pct", "baseline_start",
    "baseline_end", "improvement", "completed_on", "evidence_reference", "evidence_url",
)  # fmt: skip
# Set only when the data set says so: they record progress, which the app may have recorded.
_GOAL_PROGRESS = ("completed_on", "evidence_reference", "evidence_url")


def load_goals(data: Mapping[str, Any], ctx: _Context) -> None:
    """Goals, then milestones, each matched on its stable code."""
    items = list(enumerate(data.get("goals", [])))
    # Goals before milestones so a milestone's parent exists whatever the file order.
    ordered = [pair for pair in items if "parent" not in pair[1]] + [
        pair for pair in items if "parent" in pair[1]
    ]
    for i, item in ordered:
        where = f"plan.toml goals[{i}] ({item.get('code', '?')})"
        _check_keys(item, where, _GOAL_REQUIRED, _GOAL_OPTIONAL)
        values: dict[str, Any] = {
            "programme_area": _ref(ctx.areas, item["programme_area"], where, "programme area"),
            "parent": _ref(ctx.goals, item["parent"], where, "goal") if "parent" in item else None,
            "title": item["title"],
            "description": item.get("description", ""),
            "kind": item["kind"],
            "order": item.get("order", 0),
            "start_date": item.get("start_date"),
            "deadline": item.get("deadline"),
            "working_method": _ref(ctx.methods, item["working_method"], where, "working method")
            if "working_method" in item
            else None,
            "unit_kind": _ref(ctx.kinds, item["unit_kind"], where, "unit kind")
            if "unit_kind" in item
            else None,
            "target_share": _decimal(item.get("target_share")),
            "measure": _ref(ctx.measures, item["measure"], where, "measure")
            if "measure" in item
            else None,
            "target_value": _decimal(item.get("target_value")),
            "relative_change_pct": _decimal(item.get("relative_change_pct")),
            "baseline_start": item.get("baseline_start"),
            "baseline_end": item.get("baseline_end"),
            "improvement": item.get("improvement", Goal._meta.get_field("improvement").default),
        }
        values.update({name: item[name] for name in _GOAL_PROGRESS if name in item})
        ctx.goals[item["code"]], _ = _sync(ctx.report, Goal, {"code": item["code"]}, values)


# --- demo accounts ----------------------------------------------------------------------------


def _scope_label(unit: Unit | None, area: ProgrammeArea | None) -> str:
    """Where a role applies, in words."""
    if unit is not None:
        return unit.name
    if area is not None:
        return str(area)
    return "hela portföljen"


def load_users(items: Iterable[Mapping[str, Any]], ctx: _Context) -> None:
    """Demo accounts with password "demo" (set on creation only) and their roles."""
    tally = ctx.report.tally(User)
    roles = ctx.report.tally(RoleAssignment)
    owners = ctx.report.tally(ProgrammeArea, "delivery_owners")
    hashed: str | None = None
    for i, item in enumerate(items):
        where = f"demo.toml users[{i}]"
        _check_keys(
            item,
            where,
            ["username", "first_name", "last_name", "role"],
            ["unit", "programme_area", "staff", "superuser", "delivery_owner_of"],
        )
        role = _enum(Role, item["role"], where)
        unit = _ref(ctx.units, item["unit"], where, "unit") if "unit" in item else None
        area = (
            _ref(ctx.areas, item["programme_area"], where, "programme area")
            if "programme_area" in item
            else None
        )
        wanted = {
            "first_name": item["first_name"],
            "last_name": item["last_name"],
            "is_staff": item.get("staff", False),
            "is_superuser": item.get("superuser", False),
        }
        user = User.objects.filter(username=item["username"]).first()
        if user is None:
            user = User(username=item["username"], **wanted)
            if hashed is None:
                user.set_password(DEMO_PASSWORD)
                hashed = user.password
            else:
                # The same password for every demo account: hash it once, not once per user
                # (a third of a second each with the production hasher).
                user.password = hashed
            user.save()
            tally.created += 1
        elif changed := [name for name, value in wanted.items() if getattr(user, name) != value]:
            for name in changed:
                setattr(user, name, wanted[name])
            user.save(update_fields=changed)
            tally.updated += 1
        else:
            tally.unchanged += 1
        ctx.users[user.username] = user

        if RoleAssignment.objects.filter(
            user=user, role=role, unit=unit, programme_area=area
        ).exists():
            roles.unchanged += 1
        else:
            role_assign(user=user, role=role, unit=unit, programme_area=area)
            roles.created += 1

        for number in item.get("delivery_owner_of", []):
            owned = _ref(ctx.areas, number, where, "programme area")
            if owned.delivery_owners.filter(pk=user.pk).exists():
                owners.unchanged += 1
            else:
                owned.delivery_owners.add(user)
                owners.created += 1

        ctx.report.accounts.append(
            DemoAccount(
                username=user.username,
                full_name=user.get_full_name(),
                role=str(role.label),
                scope=_scope_label(unit, area),
                password=DEMO_PASSWORD,
            )
        )


# --- synthetic demo data ----------------------------------------------------------------------


def _rng(seed: int, *parts: object) -> random.Random:
    """A generator per section and unit, so editing one part of demo.toml leaves the rest alone."""
    # `random` hashes string seeds with SHA-512: stable across runs and Python versions.
    key = f"{seed}/" + "/".join(str(part) for part in parts)
    return random.Random(key)  # noqa: S311 - synthetic demo values, not secrets


def _random_date(
    rng: random.Random, start: datetime.date | None, end: datetime.date | None
) -> datetime.date | None:
    """A day in start..end (inclusive); draws even without a range to keep the sequence stable."""
    fraction = rng.random()
    if start is None:
        return None
    end = end or start
    return start + datetime.timedelta(days=round(fraction * (end - start).days))


def load_adoption(specs: Iterable[Mapping[str, Any]], ctx: _Context, seed: int) -> None:
    """Adoption status per unit and working method, created where missing."""
    tally = ctx.report.tally(AdoptionRecord)
    done = {AdoptionRecord.Status.ADOPTED, AdoptionRecord.Status.PHASED_OUT}
    for i, spec in enumerate(specs):
        where = f"demo.toml adoption[{i}]"
        _check_keys(spec, where, ["working_method", "unit_kind", "groups"])
        method = _ref(ctx.methods, spec["working_method"], where, "working method")
        units = sorted(ctx.units_by_kind.get(spec["unit_kind"], []), key=lambda u: u.code)
        rng = _rng(seed, "adoption", method.code)
        rng.shuffle(units)
        existing = set(
            AdoptionRecord.objects.filter(working_method=method).values_list("unit_id", flat=True)
        )
        new: list[AdoptionRecord] = []
        position = 0
        for j, group in enumerate(spec["groups"]):
            _check_keys(
                group, f"{where} groups[{j}]", ["status"], ["count", "from", "to", "comment"]
            )
            status = _enum(AdoptionRecord.Status, group["status"], where)
            count = group.get("count", len(units) - position)
            for unit in units[position : position + count]:
                day = _random_date(rng, group.get("from"), group.get("to"))
                slip = datetime.timedelta(days=rng.randint(-10, 35))
                if unit.pk in existing:
                    tally.unchanged += 1
                    continue
                record = AdoptionRecord(
                    unit=unit,
                    working_method=method,
                    status=status,
                    comment=group.get("comment", ""),
                )
                if status in done and day is not None:
                    # Most units land a little after the date they planned for.
                    record.actual_date, record.planned_date = day, day - slip
                elif status != AdoptionRecord.Status.NOT_STARTED:
                    record.planned_date = day
                new.append(record)
            position += count
        bulk_create_with_history(new, AdoptionRecord, default_change_reason=DEMO_CHANGE_REASON)
        tally.created += len(new)


def load_completions(items: Iterable[Mapping[str, Any]], ctx: _Context) -> None:
    """Mark deliverables done, only while the goal has no completion date yet."""
    tally = ctx.report.tally(Goal, "completed_on")
    for i, item in enumerate(items):
        where = f"demo.toml completions[{i}]"
        _check_keys(item, where, ["goal", "completed_on"], ["evidence_reference", "evidence_url"])
        goal = _ref(ctx.goals, item["goal"], where, "goal")
        if goal.completed_on is not None:
            tally.unchanged += 1
            continue
        goal.completed_on = item["completed_on"]
        goal.evidence_reference = item.get("evidence_reference", goal.evidence_reference)
        goal.evidence_url = item.get("evidence_url", goal.evidence_url)
        goal.full_clean()
        goal.save()
        tally.created += 1


def _needs_user(
    ctx: _Context, username: str, what: str, skipped: dict[tuple[str, str], int]
) -> User | None:
    """The demo account a row is written by, or None (and a note) when it is not loaded."""
    user = ctx.users.get(username)
    if user is None:
        skipped[(what, username)] = skipped.get((what, username), 0) + 1
    return user


def _note_skipped(ctx: _Context, skipped: Mapping[tuple[str, str], int]) -> None:
    """Explain the rows left out for want of a demo account."""
    for (what, username), count in skipped.items():
        ctx.report.notes.append(
            MESSAGE_NEEDS_USER.format(count=count, what=what, username=username)
        )


def _backdate(obj: models.Model, name: str, day: datetime.date | None) -> None:
    """Move an auto-stamped time (and its history record) to the day the demo row belongs to."""
    if day is None:
        return
    # auto_now/auto_now_add stamp today on save; update() writes the field without a new
    # history record, so the row count stays as it is.
    moment = datetime.datetime.combine(day, datetime.time(10), tzinfo=_TZ)
    type(obj)._default_manager.filter(pk=obj.pk).update(**{name: moment})
    obj.history.update(**{name: moment, "history_date": moment})
    setattr(obj, name, moment)


def load_assessments(items: Iterable[Mapping[str, Any]], ctx: _Context) -> None:
    """Quarterly assessments by a demo account, created where missing."""
    tally = ctx.report.tally(Assessment)
    skipped: dict[tuple[str, str], int] = {}
    for i, item in enumerate(items):
        where = f"demo.toml assessments[{i}]"
        _check_keys(
            item, where, ["goal", "quarter", "status", "author", "comment"], ["assessed_on"]
        )
        goal = _ref(ctx.goals, item["goal"], where, "goal")
        quarter = _enum(Quarter.parse, item["quarter"], where).code
        status = _enum(Status, item["status"], where)
        if Assessment.objects.filter(goal=goal, quarter=quarter).exists():
            tally.unchanged += 1
            continue
        author = _needs_user(ctx, item["author"], "bedömningar/assessments", skipped)
        if author is None:
            continue
        assessment = Assessment(
            goal=goal, quarter=quarter, status=status.value, comment=item["comment"], author=author
        )
        assessment.full_clean()
        assessment._history_user = author  # the audit trail names the author
        assessment.save()
        _backdate(assessment, "assessed_at", item.get("assessed_on"))
        tally.created += 1
    _note_skipped(ctx, skipped)


def _activity_status(start: datetime.date, end: datetime.date, today: datetime.date) -> str:
    """An activity's status as its dates say on the demo's "today"."""
    if end < today:
        return Activity.Status.DONE
    if start <= today:
        return Activity.Status.ONGOING
    return Activity.Status.PLANNED


def load_activity_plans(
    specs: Iterable[Mapping[str, Any]], ctx: _Context, seed: int, today: datetime.date
) -> None:
    """An activity plan per unit of a kind under a root, with its activities."""
    plans = ctx.report.tally(ActivityPlan)
    activities = ctx.report.tally(Activity)
    for i, spec in enumerate(specs):
        where = f"demo.toml activity_plans[{i}]"
        _check_keys(
            spec,
            where,
            ["programme_area", "unit_kind", "under", "activities"],
            ["accepted_share", "submitted_from", "submitted_to", "comment", "max_shift_days"],
        )
        area = _ref(ctx.areas, spec["programme_area"], where, "programme area")
        root = _ref(ctx.units, spec["under"], where, "unit")
        units = Unit.objects.in_subtree(root).filter(kind__code=spec["unit_kind"]).order_by("code")
        for unit in units:
            rng = _rng(seed, "activity-plan", area.number, unit.code)
            accepted = rng.random() < spec.get("accepted_share", 1.0)
            submitted_day = _random_date(rng, spec.get("submitted_from"), spec.get("submitted_to"))
            hour = rng.randint(8, 16)
            shift = datetime.timedelta(days=rng.randint(0, spec.get("max_shift_days", 0)))
            plan = ActivityPlan.objects.filter(programme_area=area, unit=unit).first()
            if plan is None:
                plan = ActivityPlan(
                    programme_area=area,
                    unit=unit,
                    status=ActivityPlan.Status.ACCEPTED
                    if accepted
                    else ActivityPlan.Status.SUBMITTED,
                    submitted_at=datetime.datetime.combine(
                        submitted_day, datetime.time(hour), tzinfo=_TZ
                    )
                    if submitted_day
                    else None,
                    comment=spec.get("comment", ""),
                )
                plan.full_clean()
                plan.save()
                plans.created += 1
            else:
                plans.unchanged += 1
            titles = set(plan.activities.values_list("title", flat=True))
            new: list[Activity] = []
            for j, template in enumerate(spec["activities"]):
                _check_keys(
                    template, f"{where} activities[{j}]", ["title", "start", "end"], ["responsible"]
                )
                if template["title"] in titles:
                    activities.unchanged += 1
                    continue
                start, end = template["start"] + shift, template["end"] + shift
                new.append(
                    Activity(
                        plan=plan,
                        title=template["title"],
                        responsible=template.get("responsible", ""),
                        start_date=start,
                        end_date=end,
                        status=_activity_status(start, end, today),
                    )
                )
            bulk_create_with_history(new, Activity, default_change_reason=DEMO_CHANGE_REASON)
            activities.created += len(new)


def load_support_needs(items: Iterable[Mapping[str, Any]], ctx: _Context) -> None:
    """Support needs raised through the dialogue model, created where missing."""
    tally = ctx.report.tally(SupportNeed)
    skipped: dict[tuple[str, str], int] = {}
    for i, item in enumerate(items):
        where = f"demo.toml support_needs[{i}]"
        _check_keys(
            item,
            where,
            ["raised_by", "unit", "programme_area", "text"],
            ["status", "response", "raised_on"],
        )
        unit = _ref(ctx.units, item["unit"], where, "unit")
        area = _ref(ctx.areas, item["programme_area"], where, "programme area")
        if SupportNeed.objects.filter(unit=unit, programme_area=area, text=item["text"]).exists():
            tally.unchanged += 1
            continue
        raised_by = _needs_user(ctx, item["raised_by"], "stödbehov/support needs", skipped)
        if raised_by is None:
            continue
        need = SupportNeed(
            raised_by=raised_by,
            unit=unit,
            programme_area=area,
            text=item["text"],
            status=item.get("status", SupportNeed.Status.OPEN),
            response=item.get("response", ""),
        )
        need.full_clean()
        need._history_user = raised_by
        need.save()
        _backdate(need, "created_at", item.get("raised_on"))
        tally.created += 1
    _note_skipped(ctx, skipped)


def _month_end(day: datetime.date) -> datetime.date:
    """The last day of the month a day falls in."""
    following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def demo_periods(
    frequency: str, first: datetime.date, last: datetime.date
) -> list[tuple[datetime.date, datetime.date]]:
    """Whole months or quarters (start, end) from first's period up to the last complete one."""
    periods: list[tuple[datetime.date, datetime.date]] = []
    if frequency == Measure.Frequency.QUARTERLY:
        quarter = Quarter.containing(first)
        while quarter.end <= last:
            if quarter.start >= first.replace(day=1):
                periods.append((quarter.start, quarter.end))
            quarter = quarter.next()
        return periods
    start = first.replace(day=1)
    while _month_end(start) <= last:
        periods.append((start, _month_end(start)))
        start = _month_end(start) + datetime.timedelta(days=1)
    return periods


@dataclass(frozen=True)
class _Point:
    """One generated value with its optional numerator and denominator."""

    value: Decimal
    numerator: Decimal | None = None
    denominator: Decimal | None = None


def _dec4(number: float) -> Decimal:
    """A float as a Decimal with the four places the model stores."""
    return Decimal(repr(number)).quantize(_FOUR_PLACES)


class _Series:
    """Generates one unit's values for one measure from the parameters in demo.toml."""

    MODELS = ("share", "count", "index")
    _REQUIRED = ("measure", "model", "level")
    _OPTIONAL = (
        "trend_per_year", "growth_per_year", "noise", "denominator", "seasonal", "step_after",
        "step", "step_pct", "missing_rate",
    )  # fmt: skip

    def __init__(self, spec: Mapping[str, Any], rng: random.Random, size: float, weight: float):
        """Draw the unit's own level and volume once; size scales counts, weight denominators."""
        self.spec = spec
        self.rng = rng
        self.level = rng.uniform(*spec["level"])
        self.size = size
        low, high = spec.get("denominator", (1, 1))
        self.volume = (low + (high - low) * weight) * rng.uniform(0.9, 1.1)

    def point(self, start: datetime.date, years: float, effect: float) -> _Point:
        """The value for a period starting on `start`, `years` into the series."""
        spec, rng = self.spec, self.rng
        season = _SEASON[start.month - 1] if spec.get("seasonal", False) else 1.0
        if spec["model"] == "count":
            mean = self.level * self.size * season * (1 + spec.get("growth_per_year", 0) * years)
            mean *= 1 + spec.get("step_pct", 0) / 100 * effect
            return _Point(value=Decimal(max(0, round(rng.gauss(mean, math.sqrt(mean))))))
        level = (
            self.level
            + spec.get("trend_per_year", 0) * years
            + spec.get("step", 0) * effect
            + rng.gauss(0, spec.get("noise", 0))
        )
        if spec["model"] == "index":
            respondents = max(3, round(self.volume * rng.uniform(0.8, 1.0)))
            value = min(100.0, max(0.0, level))
            return _Point(value=_dec4(round(value, 1)), denominator=Decimal(respondents))
        # share: a stock of patients grows slowly; a flow of contacts follows the season
        growth = 1 + 0.03 * years if not spec.get("seasonal", False) else season
        denominator = max(1, round(self.volume * growth * rng.uniform(0.95, 1.05)))
        share = min(99.5, max(0.5, level))
        numerator = round(denominator * share / 100)
        return _Point(
            value=_dec4(100 * numerator / denominator),
            numerator=Decimal(numerator),
            denominator=Decimal(denominator),
        )


def _effect(adopted: datetime.date | None, end: datetime.date) -> float:
    """How much of an adopted working method's effect shows by a period's end (0–1)."""
    if adopted is None or adopted > end:
        return 0.0
    return min(1.0, (end - adopted).days / _RAMP_DAYS)


def load_observations(
    specs: Iterable[Mapping[str, Any]],
    ctx: _Context,
    seed: int,
    options: Mapping[str, Any],
    dataset_name: str,
) -> None:
    """Generated observations for the measures' reporting units, only for missing keys."""
    tally = ctx.report.tally(Observation)
    first, last = options["first_period"], options["last_period"]
    size_low, size_high = options.get("unit_size", (1.0, 1.0))
    new: list[Observation] = []
    for i, spec in enumerate(specs):
        where = f"demo.toml series[{i}]"
        _check_keys(spec, where, _Series._REQUIRED, _Series._OPTIONAL)
        if spec["model"] not in _Series.MODELS:
            raise DatasetError(ERROR_BAD_VALUE.format(where=where, value=spec["model"]))
        measure = _ref(ctx.measures, spec["measure"], where, "measure")
        adopted: dict[int, datetime.date] = {}
        if "step_after" in spec:
            method = _ref(ctx.methods, spec["step_after"], where, "working method")
            adopted = dict(
                AdoptionRecord.objects.filter(
                    working_method=method,
                    status=AdoptionRecord.Status.ADOPTED,
                    actual_date__isnull=False,
                ).values_list("unit_id", "actual_date")
            )
        existing = set(
            Observation.objects.filter(measure=measure).values_list("unit_id", "period_start")
        )
        periods = demo_periods(measure.frequency, first, last)
        units = sorted(
            (
                unit
                for code in ctx.measure_kinds[measure.code]
                for unit in ctx.units_by_kind.get(code, [])
            ),
            key=lambda u: u.code,
        )
        for unit in units:
            size = _rng(seed, "size", unit.code).uniform(size_low, size_high)
            weight = (size - size_low) / (size_high - size_low) if size_high > size_low else 0.5
            series = _Series(spec, _rng(seed, "series", measure.code, unit.code), size, weight)
            for start, end in periods:
                years = (start - first).days / 365.25
                point = series.point(start, years, _effect(adopted.get(unit.pk), end))
                missing = series.rng.random() < spec.get("missing_rate", 0.0)
                if missing:
                    continue
                if (unit.pk, start) in existing:
                    tally.unchanged += 1
                    continue
                new.append(
                    Observation(
                        measure=measure,
                        unit=unit,
                        period_start=start,
                        period_end=end,
                        value=point.value,
                        numerator=point.numerator,
                        denominator=point.denominator,
                        source=ImportBatch.Source.DEMO,
                    )
                )
    if not new:
        return
    batch = (
        ImportBatch.objects.filter(source=ImportBatch.Source.DEMO, note=DEMO_IMPORT_NOTE)
        .order_by("pk")
        .first()
    )
    already = batch.observations.count() if batch else 0
    if batch is None:
        batch = ImportBatch(
            source=ImportBatch.Source.DEMO,
            file_name=f"{dataset_name}/{DEMO_FILE}",
            note=DEMO_IMPORT_NOTE,
            row_count=len(new),
        )
        batch.save()
        ctx.report.tally(ImportBatch).created += 1
    else:
        batch.row_count = already + len(new)
        batch.save(update_fields=["row_count"])
        ctx.report.tally(ImportBatch).updated += 1
    for observation in new:
        observation.import_batch = batch
    bulk_create_with_history(
        new, Observation, batch_size=1000, default_change_reason=DEMO_CHANGE_REASON
    )
    tally.created += len(new)


_DEMO_SECTIONS = (
    "demo", "users", "adoption", "completions", "assessments", "activity_plans", "support_needs",
    "series",
)  # fmt: skip


def load_demo_data(
    data: Mapping[str, Any], ctx: _Context, *, users: bool, dataset_name: str
) -> None:
    """Demo accounts (when allowed) and the synthetic rows that bring the plan to life."""
    _check_keys(data, "demo.toml", ["demo"], _DEMO_SECTIONS)
    options = data["demo"]
    _check_keys(
        options,
        "demo.toml [demo]",
        ["seed", "as_of", "first_period", "last_period"],
        ["unit_size"],
    )
    seed = int(options["seed"])
    if users:
        load_users(data.get("users", []), ctx)
    else:
        ctx.report.notes.append(MESSAGE_USERS_SKIPPED)
    load_adoption(data.get("adoption", []), ctx, seed)
    load_completions(data.get("completions", []), ctx)
    load_assessments(data.get("assessments", []), ctx)
    load_activity_plans(data.get("activity_plans", []), ctx, seed, options["as_of"])
    load_support_needs(data.get("support_needs", []), ctx)
    load_observations(data.get("series", []), ctx, seed, options, dataset_name)


# --- entry points -----------------------------------------------------------------------------


def demo_load(*, dataset: Path, users: bool | None = None, synthetic: bool = True) -> LoadReport:
    """Load a data set and (unless plan only) its demo data in one transaction."""
    # users=None: demo accounts only in local mode; users=True under the production switch fails.
    if users and not settings.LOCAL_MODE:
        raise DemoUsersRefused(ERROR_USERS_IN_PRODUCTION)
    create_users = settings.LOCAL_MODE if users is None else users
    data = dataset_read(dataset)
    ctx = _Context(report=LoadReport(dataset=dataset))
    # The command recomputes once afterwards; per-row triggers would only repeat that work.
    with triggers.suppressed(), transaction.atomic():
        load_organisation(data.organisation, ctx)
        load_plan(data.plan, ctx)
        load_measures(data.measures, ctx)
        load_goals(data.plan, ctx)
        if synthetic and data.demo is not None:
            load_demo_data(data.demo, ctx, users=create_users, dataset_name=dataset.name)
    return ctx.report
