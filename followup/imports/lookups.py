"""The units and measures a file may name, loaded once per import (_Lookups): by code, HSA-id or
name, with the unknown or ambiguous ones' messages and whether the user may write a unit.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.utils.translation import gettext as _

from organisation.models import Unit, UnitClosure

from .. import value_rules
from ..models import Measure, Observation
from .messages import (
    ERROR_AMBIGUOUS_MEASURE,
    ERROR_AMBIGUOUS_UNIT,
    ERROR_MEASURE_NAME,
    ERROR_OUT_OF_SCOPE,
    ERROR_OUT_OF_SCOPE_VO,
    ERROR_UNIT_NAME,
    ERROR_UNKNOWN_MEASURE,
    ERROR_UNKNOWN_UNIT,
)

# --- lookups ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _UnitInfo:
    id: int
    code: str
    name: str
    kind_id: int
    kind_name: str
    valid_from: datetime.date | None
    valid_to: datetime.date | None


# A code or HSA-id as the unit has it, and the unit.
_UnitKey = tuple[str, _UnitInfo]


@dataclass(frozen=True)
class _MeasureInfo:
    id: int
    code: str
    name: str
    value_type: str
    frequency: str
    kind_ids: frozenset[int]
    unit: str = ""  # the measure's unit ("%", "st"), for showing its values
    aggregation: str = ""  # Measure.Aggregation: a weighted mean's value is weighted by nämnare

    @property
    def weighted(self) -> bool:
        return value_rules.weighted_by_denominator(self.aggregation)


_Found = TypeVar("_Found", _UnitInfo, _MeasureInfo)


def _pick(written: dict[str, list[tuple[str, _Found]]], text: str) -> _Found | list[_Found] | None:
    """What `text` names among codes looked up ignoring case (`written`: each lower-cased
    code's spellings and what has it, by id): the one written exactly so, else the only one;
    several that differ only by case and none written exactly so: all of them (refused as
    ambiguous rather than given to one of them by chance); None for none."""
    found = written.get(text.lower())
    if not found:
        return None
    exact = [item for spelling, item in found if spelling == text]
    if exact:
        return exact[0]
    if len(found) == 1:
        return found[0][1]
    return [item for _, item in found]


@dataclass
class _Lookups:
    # By code, then by HSA-id: each lower-cased, with every unit so written (sqlcheck._unit_of
    # finds the same).
    units: tuple[dict[str, list[_UnitKey]], dict[str, list[_UnitKey]]]
    measures: dict[str, list[tuple[str, _MeasureInfo]]]
    user: Any  # None: the command line's operator, who may import for every unit
    allowed: dict[int, bool] = field(default_factory=dict)
    # Names ignoring case and surrounding spaces, and what has each (made when first asked:
    # only a file that names an unknown unit or measure needs them).
    names: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    vos: dict[int, str] = field(default_factory=dict)

    def may_write(self, unit_id: int) -> bool:
        """Whether the user may report for the unit (the rules, asked once per unit)."""
        if self.user is None:
            return True
        if unit_id not in self.allowed:
            self.allowed[unit_id] = unit_writable(self.user, unit_id)
        return self.allowed[unit_id]

    def vo_name(self, unit_id: int) -> str:
        """The name of the VO above the unit ("" if none): asked only for a refused unit, once
        per unit."""
        if unit_id not in self.vos:
            self.vos[unit_id] = (
                UnitClosure.objects.filter(
                    descendant_id=unit_id, depth__gt=0, ancestor__kind__is_vo=True
                )
                .order_by("depth")
                .values_list("ancestor__name", flat=True)
                .first()
                or ""
            )
        return self.vos[unit_id]

    def out_of_scope_message(self, unit_id: int | None, name: str) -> str:
        """That the user may not report for the unit, where it belongs and what to do (both
        checking paths write it so)."""
        vo = self.vo_name(unit_id) if unit_id is not None else ""
        if vo:
            return _(ERROR_OUT_OF_SCOPE_VO).format(unit=name, vo=vo)
        return _(ERROR_OUT_OF_SCOPE).format(unit=name)

    def unit(self, text: str) -> _UnitInfo | list[_UnitInfo] | None:
        """The unit a file names: by code, else by HSA-id, ignoring case. At the first of the
        two that matches, the unit written exactly so wins, else the only one; several units
        whose codes differ only by case, none written exactly so: all of them (the row is
        refused as ambiguous, not given to one of them by chance)."""
        for written in self.units:
            found = _pick(written, text)
            if found is not None:
                return found
        return None

    def measure(self, text: str) -> _MeasureInfo | list[_MeasureInfo] | None:
        """The measure a file names by code, as `unit` finds a unit by code."""
        return _pick(self.measures, text)

    def named(self, what: str, text: str) -> _UnitInfo | _MeasureInfo | None:
        """The one unit (`what` "unit") or measure ("measure") whose name is `text`, ignoring
        case and surrounding spaces; None when none or several have it. Only for a message:
        a text is never taken for a name."""
        if what not in self.names:
            found = self.all_units() if what == "unit" else self.all_measures()
            by_name: dict[str, list[Any]] = {}
            for item in found:
                by_name.setdefault(_name_key(item.name), []).append(item)
            self.names[what] = by_name
        items = self.names[what].get(_name_key(text), [])
        return items[0] if len(items) == 1 else None

    def all_measures(self) -> list[_MeasureInfo]:
        return [measure for measures in self.measures.values() for _, measure in measures]

    def all_units(self) -> list[_UnitInfo]:
        return [unit for units in self.units[0].values() for _, unit in units]

    @classmethod
    def load(cls, user: Any) -> _Lookups:
        codes: dict[str, list[_UnitKey]] = {}
        hsa_ids: dict[str, list[_UnitKey]] = {}
        rows = Unit.objects.order_by("id").values_list(
            "id", "code", "hsa_id", "name", "kind_id", "kind__name", "valid_from", "valid_to"
        )
        for pk, code, hsa_id, name, kind_id, kind_name, valid_from, valid_to in rows:
            info = _UnitInfo(pk, code, name, kind_id, kind_name, valid_from, valid_to)
            codes.setdefault(code.lower(), []).append((code, info))
            if hsa_id:
                hsa_ids.setdefault(hsa_id.lower(), []).append((hsa_id, info))
        units = (codes, hsa_ids)
        kinds: dict[int, set[int]] = {}
        for measure_id, kind_id in Measure.unit_kinds.through.objects.values_list(
            "measure_id", "unitkind_id"
        ):
            kinds.setdefault(measure_id, set()).add(kind_id)
        measures: dict[str, list[tuple[str, _MeasureInfo]]] = {}
        for pk, code, name, value_type, frequency, unit, aggregation in Measure.objects.order_by(
            "id"
        ).values_list("id", "code", "name", "value_type", "frequency", "unit", "aggregation"):
            measure = _MeasureInfo(
                pk, code, name, value_type, frequency, frozenset(kinds.get(pk, ())), unit,
                aggregation,
            )  # fmt: skip
            measures.setdefault(code.lower(), []).append((code, measure))
        return cls(units, measures, user)


def _name_key(name: str) -> str:
    return name.strip().casefold()


def unknown_unit_message(lookups: _Lookups, text: str) -> str:
    """That no unit has the code or HSA-id; if exactly one has it as its name, its code."""
    unit = lookups.named("unit", text)
    if unit is not None:
        return _(ERROR_UNIT_NAME).format(text=text, code=unit.code)
    return _(ERROR_UNKNOWN_UNIT).format(code=text)


def unknown_measure_message(lookups: _Lookups, text: str) -> str:
    """That no measure has the code; if exactly one has it as its name, its code."""
    measure = lookups.named("measure", text)
    if measure is not None:
        return _(ERROR_MEASURE_NAME).format(text=text, code=measure.code)
    return _(ERROR_UNKNOWN_MEASURE).format(code=text)


def _ambiguous_unit(lookups: _Lookups, text: str) -> str:
    """The problem of a unit text several units' codes match only ignoring case."""
    found = lookups.unit(text)
    units = found if isinstance(found, list) else []
    codes = ", ".join(f"”{unit.code}”" for unit in units)
    return _(ERROR_AMBIGUOUS_UNIT).format(code=text, codes=codes)


def _ambiguous_measure(lookups: _Lookups, text: str) -> str:
    """The problem of a measure text several measures' codes match only ignoring case."""
    found = lookups.measure(text)
    measures = found if isinstance(found, list) else []
    codes = ", ".join(f"”{measure.code}”" for measure in measures)
    return _(ERROR_AMBIGUOUS_MEASURE).format(code=text, codes=codes)


def unit_writable(user: Any, unit_id: int) -> bool:
    """Whether the user may add, change and delete the unit's values (gonv.rules decides)."""
    probe = Observation(unit_id=unit_id)
    return all(
        user.has_perm(f"followup.{action}_observation", probe)
        for action in ("add", "change", "delete")
    )
