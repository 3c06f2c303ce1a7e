"""Validate and store a file of measure values: preview, all or nothing, undo.

One pass over the file checks every row. On PostgreSQL a CSV's raw cells go with COPY into a
temporary table and are parsed and checked set-based in SQL (sqlcheck); an XLSX's rows are
checked here (_RowChecker) and their checked values COPYed. Either way the checked rows land in
a staging table, and set-based SQL finds a value given twice, compares with the stored values
and writes the changes with their history; memory stays flat.
On SQLite (the embedded mode) the ORM compares and writes a chunk at a time, and a compact set
of the keys seen finds a value given twice. Storing runs in one transaction: a refused file
leaves no observation, batch or history row behind.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from base import periods
from base.periods import Quarter, month_label
from organisation.models import Unit, UnitClosure

from .. import triggers, value_rules
from ..formatting import format_value_pair
from ..models import ImportBatch, Measure, Observation
from ..value_rules import (  # every writer's messages (the tests import them from here)
    ERROR_COUNT_DECIMALS,
    ERROR_COUNT_NEGATIVE,
    ERROR_DENOMINATOR_PERCENT,
    ERROR_DENOMINATOR_ZERO,
    ERROR_INDEX_RANGE,
    ERROR_KIND_DOES_NOT_REPORT,
    ERROR_NEGATIVE,
    ERROR_NUMERATOR_ABOVE_DENOMINATOR,
    ERROR_NUMERATOR_PERCENT,
    ERROR_PAIR_INCOMPLETE,
    ERROR_PERIOD_IN_FUTURE,
    ERROR_SHARE_PARTS_MISSING,
    ERROR_SHARE_RANGE,
    ERROR_UNIT_NOT_ACTIVE,
    ERROR_VALUE_INCONSISTENT,
    number_text,
)
from . import parsing, sqlcheck
from .parsing import (
    COLUMN_LABELS,
    ERROR_TOO_PRECISE,
    HUNDRED,
    MAX_DECIMALS,
    MAX_VALUE,
    CellError,
    FileRefused,
)
from .wording import LaterChange, count_text, undo_later_change_message

# --- messages (the tests import them) ---------------------------------------------------------

ERROR_FILE_TOO_LARGE = gettext_noop("Filen är {size}; den får vara högst {limit}.")
ERROR_UNKNOWN_UNIT = gettext_noop(
    "Enheten ”{code}” finns inte (varken som enhetskod eller HSA-id)."
)
ERROR_AMBIGUOUS_UNIT = gettext_noop(
    "”{code}” kan vara flera enheter ({codes}): de skiljer sig bara i stora och små "
    "bokstäver. Skriv koden exakt som enheten har den."
)
ERROR_UNKNOWN_MEASURE = gettext_noop("Måttet ”{code}” finns inte.")
# A unit or measure written by its name (what every page shows, and what BI exports carry):
# never matched by it (names can repeat; a wrong match is worse than a refusal), but when
# exactly one has that name the message gives its code.
ERROR_UNIT_NAME = gettext_noop(
    "”{text}” är en enhets namn; skriv dess kod {code} eller HSA-id (se mallen)."
)
ERROR_MEASURE_NAME = gettext_noop("”{text}” är ett måtts namn; skriv dess kod {code} (se mallen).")
ERROR_AMBIGUOUS_MEASURE = gettext_noop(
    "”{code}” kan vara flera mått ({codes}): de skiljer sig bara i stora och små bokstäver. "
    "Skriv koden exakt som måttet har den."
)
# Each suggests the period that holds what was typed: "nov 2026" → Kv 4 2026, "2026Q4" → its
# months (period_suggestion).
ERROR_MONTH_FOR_QUARTERLY = gettext_noop(
    "”{text}” är en månad, men måttet ”{measure}” rapporteras per kvartal; skriv kvartalet, "
    "{quarter}."
)
ERROR_QUARTER_FOR_MONTHLY = gettext_noop(
    "”{text}” är ett kvartal, men måttet ”{measure}” rapporteras per månad; skriv en månad, "
    "till exempel {months}."
)
MONTHS_OR = gettext_noop("{first}, {second} eller {third}")
ERROR_VALUE_MISSING = gettext_noop("Värde saknas (ange värde, eller täljare och nämnare).")
ERROR_PERCENT_NOT_SHARE = gettext_noop("Procenttecken passar bara mått som är andelar ({value}).")
ERROR_DUPLICATE = gettext_noop("Samma enhet, mått och period finns redan på rad {row}.")
# With where the unit belongs and what to do: the row is someone else's to import.
ERROR_OUT_OF_SCOPE = gettext_noop(
    "Du får inte rapportera värden för enheten ”{unit}”. Ta bort raden eller be strategen "
    "importera den."
)
ERROR_OUT_OF_SCOPE_VO = gettext_noop(
    "Du får inte rapportera värden för enheten ”{unit}”. Den hör till {vo}; ta bort raden "
    "eller be strategen importera den."
)
ERROR_MORE_PROBLEMS = gettext_noop("…och {count} problem till.")
ERROR_NO_ROWS = gettext_noop("Filen har en rubrikrad men inga rader med värden.")
ERROR_ONLY_EMPTY_ROW = gettext_noop(
    "Filen har inga ifyllda värden: raden har varken värde, täljare eller nämnare."
)
ERROR_ONLY_EMPTY_ROWS = gettext_noop(
    "Filen har inga ifyllda värden: ingen av de {count} raderna har värde, täljare eller nämnare."
)
# A changed value's täljare, nämnare and comment, beside the value in the preview.
CHANGE_NUMERATOR = gettext_noop("täljare {old} → {new}")
CHANGE_DENOMINATOR = gettext_noop("nämnare {old} → {new}")
CHANGE_WEIGHT_KEPT = gettext_noop("nämnaren {value} behålls")
# A comment cell left empty keeps the stored comment and is not mentioned; a filled-in one
# replaces it, shown old → new ("–" for none).
CHANGE_COMMENT = gettext_noop("kommentar {old} → {new}")
# A new value's parts, as given: "täljare 40; nämnare 200; kommentar ”Från Cyklop”".
NEW_NUMERATOR = gettext_noop("täljare {value}")
NEW_DENOMINATOR = gettext_noop("nämnare {value}")
NEW_COMMENT = gettext_noop("kommentar {value}")
# A value the import writes that moved more than GONV_REPORT_JUMP_PCT % from the previous
# period, without a comment: the reporting grid refuses it so (reporting.ERROR_JUMP), the import
# only warns (a system's export carries real jumps, and nobody writes comments into it).
WARNING_JUMP = gettext_noop(
    "Värdet skiljer sig mer än {pct} % från föregående period ({previous}): nytt värde {new}, "
    "utan kommentar."
)
ERROR_HAS_PROBLEMS = gettext_noop("Filen har {count} problem och importerades inte.")
ERROR_UNDO_DONE = gettext_noop("Importen är redan ångrad.")
ERROR_UNDO_FORBIDDEN = gettext_noop(
    "Du kan inte ångra importen: den innehåller värden för enheter du inte får ändra ({units})."
)
ERROR_UNDO_NOT_IMPORTER = gettext_noop(
    "Du får inte ångra importer: det kräver behörighet att rapportera mätvärden."
)
ERROR_UNDO_DEMO = gettext_noop(
    "Demodata kan inte ångras som en import: de tas bort tillsammans med sina värden i "
    "administrationen."
)
ERROR_UNDO_UNATTRIBUTED = gettext_noop(
    "Importen kan inte ångras: inga värden i historiken kommer från den, så det går inte att "
    "se vad den skrev."
)

PROBLEM_LIMIT = 300
CHANGE_LIMIT = 200
JUMP_LIMIT = 200
CHUNK_ROWS = 2000
FOUR_PLACES = Decimal(1).scaleb(-parsing.MAX_DECIMALS)


def change_reason(batch: ImportBatch) -> str:
    """The history's change reason of every value a batch wrote (undo finds them by it)."""
    return f"Import #{batch.pk}"


def batch_history(batch: ImportBatch) -> QuerySet[Any]:
    """The observations' history rows the batch wrote: those with its change reason, looked for
    only in the range of history ids the store recorded on the batch when it has one.

    The change reason has no index (every import would write it); the range is a range of the
    history's primary key, so the batch page and the undo read the batch's rows, not the whole
    history. A batch without a range (not stored by the import) is found by its reason alone.
    """
    rows = Observation.history.model.objects.filter(history_change_reason=change_reason(batch))
    if batch.history_from is not None and batch.history_to is not None:
        rows = rows.filter(history_id__gt=batch.history_from, history_id__lte=batch.history_to)
    return rows


def _last_history_id() -> int:
    """The highest id in the observations' history this transaction sees (the primary key's
    last entry). Taken when a batch is made, every row the batch then writes has a higher id
    (ids come from the history's identity sequence, handed out in order); taken after its last
    write, none has a higher one."""
    last = Observation.history.model.objects.aggregate(last=Max("history_id"))["last"]
    return last or 0


def _new_batch(*, source: str, file_name: str, user: Any, sha256: str) -> ImportBatch:
    """The batch a store writes its values under, before it writes any (`history_from`)."""
    return ImportBatch.objects.create(
        source=source,
        file_name=file_name,
        imported_by=user,
        sha256=sha256,
        history_from=_last_history_id(),
    )


def undo_reason(batch: ImportBatch) -> str:
    return f"Ångrad import #{batch.pk}"


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Why a row (or the file) was refused: row number as in the file, header = row 1."""

    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        where = _("Rad {row}").format(row=self.row)
        if self.column:
            where += ", " + _("kolumn ”{column}”").format(column=self.column)
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ChangeLine:
    """One value the import changes, as the preview shows it."""

    row: int
    unit: str
    measure: str
    period: str
    old: str
    new: str
    # Where the current value came from (an ImportBatch.Source code); "" for a new value.
    source: str = ""
    # What else changes with the value ("nämnare 33 → –"), so "71,1 → 71,1" explains itself.
    details: str = ""

    @property
    def source_label(self) -> str:
        """The current value's source as the pages name it ("Manuell inrapportering")."""
        return str(ImportBatch.Source(self.source).label) if self.source else ""

    @property
    def replaces_manual(self) -> bool:
        return self.source == ImportBatch.Source.MANUAL


@dataclass(frozen=True)
class JumpLine:
    """A value the import writes, without a comment, that differs more than the limit
    (GONV_REPORT_JUMP_PCT) from the same unit's and measure's previous period: a warning."""

    row: int
    unit: str
    measure: str
    period: str
    previous: str  # the previous period's value after the import (the file's, else stored)
    new: str
    pct: str  # the limit as written in the message ("50")

    @property
    def message(self) -> str:
        return _(WARNING_JUMP).format(pct=self.pct, previous=self.previous, new=self.new)

    def __str__(self) -> str:
        where = _("Rad {row}").format(row=self.row)
        return f"{where} ({self.unit}, {self.measure}, {self.period}): {self.message}"


@dataclass
class ImportReport:
    """What an import will do (preview) or did (stored): counts, changes and problems."""

    file_name: str = ""
    sha256: str = ""
    rows: int = 0
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    changes: list[ChangeLine] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    # Changed values whose current value was reported by hand (source Manuell inrapportering):
    # the preview warns before an import replaces them.
    manual_replaced: int = 0
    # Rows of the template left unfilled (unit, measure and period, no värde, täljare,
    # nämnare or kommentar): skipped, not refused.
    skipped: int = 0
    # Weighted means (indices) given without a nämnare that keep their stored one.
    weights_kept: int = 0
    quarters: list[str] = field(default_factory=list)
    # How many values it writes (new or changed) in each quarter, by code: the preview notes
    # those of quarters whose report is already approved.
    quarter_values: dict[str, int] = field(default_factory=dict)
    # The measures of the values it writes: the preview names those whose own source is not
    # the one chosen for the file.
    measures: list[int] = field(default_factory=list)
    # Values written without a comment that differ more than GONV_REPORT_JUMP_PCT % from the
    # previous period (the first JUMP_LIMIT of them, in row order; jump_count counts all).
    jumps: list[JumpLine] = field(default_factory=list)
    jump_count: int = 0
    batch_id: int | None = None
    stored: bool = False
    # The file itself could not be opened or decoded (not CSV or XLSX, empty, a damaged
    # workbook): the pages say "Filen kunde inte läsas". A header problem (a column missing or
    # given twice) is a file that was read, refused as a whole (file_level) without it.
    unreadable: bool = False

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    @property
    def file_level(self) -> bool:
        """Refused for the file as a whole (no problem names a row): unreadable, no rows, only
        unfilled rows, or an unexpected error."""
        return not self.ok and all(problem.row is None for problem in self.problems)

    @property
    def more_problems(self) -> int:
        return self.problem_count - len(self.problems)

    def add_problem(self, problem: Problem) -> None:
        self.problem_count += 1
        if len(self.problems) < PROBLEM_LIMIT:
            self.problems.append(problem)

    def problem_lines(self) -> list[str]:
        """Every listed problem as one line, then the count of the rest."""
        lines = [str(problem) for problem in self.problems]
        if self.more_problems:
            lines.append(_(ERROR_MORE_PROBLEMS).format(count=self.more_problems))
        return lines

    def as_dict(self) -> dict[str, Any]:
        """Plain data (for the job's JSON and Celery)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportReport:
        if not data:
            return cls()
        return cls(
            **{
                **data,
                "changes": [ChangeLine(**c) for c in data.get("changes", [])],
                "problems": [Problem(**p) for p in data.get("problems", [])],
                "jumps": [JumpLine(**j) for j in data.get("jumps", [])],
            }
        )


class ImportRefused(Exception):
    """The file has problems; nothing was stored. The report lists them."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(_(ERROR_HAS_PROBLEMS).format(count=report.problem_count))
        self.report = report


class ImportConflict(Exception):
    """Values the file writes were changed by someone else during the import; nothing stored."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(
            "Some of the file's values were changed by someone else during the import; "
            "nothing was stored."
        )
        self.report = report


class UndoRefused(Exception):
    """The batch cannot be undone (with a Swedish message)."""


Progress = Callable[[int], None]


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


def unit_writable(user: Any, unit_id: int) -> bool:
    """Whether the user may add, change and delete the unit's values (gonv.rules decides)."""
    probe = Observation(unit_id=unit_id)
    return all(
        user.has_perm(f"followup.{action}_observation", probe)
        for action in ("add", "change", "delete")
    )


# --- one row ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    """A checked row, ready to compare with the stored value."""

    number: int
    unit: _UnitInfo
    measure: _MeasureInfo
    start: datetime.date
    end: datetime.date
    value: Decimal
    numerator: Decimal | None
    denominator: Decimal | None
    comment: str

    @property
    def key(self) -> tuple[int, int, datetime.date]:
        return (self.measure.id, self.unit.id, self.start)


def _cell(cells: list[Any], position: int | None) -> Any:
    if position is None or position >= len(cells):
        return None
    value = cells[position]
    return None if isinstance(value, str) and not value else value


def _change_texts(old: Decimal | None, new: Decimal, measure: _MeasureInfo) -> tuple[str, str]:
    """A change's values as the dashboards write the measure's values ("69,3 %", "1 234 st",
    a dash for none), with the decimals it takes for the two to read differently; a zero never
    as "−0"."""
    return format_value_pair(
        None if old is None else old.copy_abs() if old.is_zero() else old,
        new.copy_abs() if new.is_zero() else new,
        measure.unit,
    )


# A decimal as Swedes write it: 12,5 (no trailing zeros); a zero never as "−0".
_fmt = number_text


def percent_message(column: str, value: Decimal) -> str:
    """A number written with a percent sign where none fits: täljare and nämnare are counts
    whatever the measure ("Täljaren är ett antal, inte en procentsats …"), a value is a
    percentage only for a share. Every path says it so: the Python checker, the SQL checks'
    messages and the reporting grid (followup.forms.NumberField)."""
    if column == "numerator":
        return _(ERROR_NUMERATOR_PERCENT)
    if column == "denominator":
        return _(ERROR_DENOMINATOR_PERCENT)
    return _(ERROR_PERCENT_NOT_SHARE).format(value=_fmt(value))


def _part_text(number: Decimal | None) -> str:
    return "–" if number is None else _fmt(number)


COMMENT_SHOWN = 45  # characters of a comment the preview shows


def _comment_text(comment: str) -> str:
    """A comment as the preview quotes it: ”…”, a long one cut at a word; "–" for none."""
    if not comment:
        return "–"
    text = " ".join(comment.split())
    if len(text) > COMMENT_SHOWN:
        cut = text[:COMMENT_SHOWN]
        if text[COMMENT_SHOWN] != " " and " " in cut:
            cut = cut.rsplit(" ", 1)[0]
        text = cut.rstrip(" ,;:.") + "…"
    return f"”{text}”"


def _change_details(
    old: tuple[Decimal | None, Decimal | None, str],
    new: tuple[Decimal | None, Decimal | None, str],
    *,
    kept: bool,
) -> str:
    """What changes beside the value, as the preview lists it: "täljare 12 → –; nämnare
    33 → –", "nämnaren 18 behålls" (a weighted mean given without one), "kommentar ”Räknat
    för hand” → ”Från Cyklop”" (an empty cell has kept the stored comment: not mentioned)."""
    (old_num, old_den, old_comment), (new_num, new_den, new_comment) = old, new
    parts = []
    if old_num != new_num:
        parts.append(_(CHANGE_NUMERATOR).format(old=_part_text(old_num), new=_part_text(new_num)))
    if kept:
        parts.append(_(CHANGE_WEIGHT_KEPT).format(value=_part_text(new_den)))
    elif old_den != new_den:
        parts.append(_(CHANGE_DENOMINATOR).format(old=_part_text(old_den), new=_part_text(new_den)))
    if old_comment != new_comment:
        parts.append(
            _(CHANGE_COMMENT).format(old=_comment_text(old_comment), new=_comment_text(new_comment))
        )
    return "; ".join(parts)


def _new_details(numerator: Decimal | None, denominator: Decimal | None, comment: str) -> str:
    """What a new value comes with, as the preview lists it: "täljare 40; nämnare 200;
    kommentar ”Från Cyklop”" (what is not given is not mentioned)."""
    parts = []
    if numerator is not None:
        parts.append(_(NEW_NUMERATOR).format(value=_part_text(numerator)))
    if denominator is not None:
        parts.append(_(NEW_DENOMINATOR).format(value=_part_text(denominator)))
    if comment:
        parts.append(_(NEW_COMMENT).format(value=_comment_text(comment)))
    return "; ".join(parts)


_decimals = parsing.decimals_written


def inconsistent_message(value: Decimal, computed: Decimal, tolerance: Decimal) -> str:
    """That a share's value is further from täljare ÷ nämnare × 100 than its tolerance (both
    checking paths say the same)."""
    return _(ERROR_VALUE_INCONSISTENT).format(
        value=_fmt(value),
        computed=_fmt(computed.quantize(Decimal("0.01"))),
        tolerance=_fmt(tolerance),
    )


def period_kind_message(kind: str, start: datetime.date, *, text: str, measure: str) -> str:
    """A month given for a quarterly measure, or a quarter for a monthly one, suggesting the
    period that holds what was typed (both checking paths say the same)."""
    quarter = Quarter.containing(start)
    if kind == "month":
        return _(ERROR_MONTH_FOR_QUARTERLY).format(
            text=text, measure=measure, quarter=quarter.label
        )
    months = [month_label(quarter.start.replace(month=quarter.start.month + i)) for i in range(3)]
    first, second, third = months
    return _(ERROR_QUARTER_FOR_MONTHLY).format(
        text=text,
        measure=measure,
        months=_(MONTHS_OR).format(first=first, second=second, third=third),
    )


def _period_label(kind: str, start: datetime.date) -> str:
    return Quarter.containing(start).label if kind == "quarter" else month_label(start)


# What a template row left unfilled has, and has not (the comment aside).
UNFILLED_GIVEN = ("unit", "measure", "period")
UNFILLED_EMPTY = ("value", "numerator", "denominator")


class _RowChecker:
    """Parses and checks one row at a time, adding its problems to the report."""

    def __init__(
        self, header: parsing.Header, lookups: _Lookups, report: ImportReport, today: datetime.date
    ) -> None:
        self.header = header
        self.lookups = lookups
        self.report = report
        self.today = today
        # The keys seen, for a value given twice: only where the database does not find them
        # (the staged PostgreSQL path finds them with one query, keeping memory flat).
        self.seen: dict[tuple[int, int, int], int] | None = {}

    def _label(self, key: str) -> str:
        return self.header.names.get(key, COLUMN_LABELS[key])

    def _problem(self, row: int, key: str | None, message: str) -> None:
        self.report.add_problem(Problem(message, row, self._label(key) if key else None))

    def _number(
        self, row: int, cells: list[Any], key: str, *, whole: bool = False
    ) -> tuple[parsing.Number | None, bool]:
        """The column's number (None when blank) and whether it was readable (`whole`: a
        count's value, whose example in the message is a whole number)."""
        raw = _cell(cells, self.header.positions.get(key))
        if raw is None:
            return None, True
        try:
            number = parsing.parse_number(raw, whole=whole)
        except CellError as error:
            self._problem(row, key, str(error))
            return None, False
        if abs(number.value) >= MAX_VALUE:
            self._problem(row, key, parsing.too_large_message(number.value))
            return None, False
        return number, True

    def check(self, row: int, cells: list[Any]) -> _Row | None:
        """The row as checked values, or None after adding its problems to the report (or
        counting it as skipped: a template row left unfilled)."""
        positions = self.header.positions
        if self._unfilled(cells):
            self.report.skipped += 1
            return None
        before = self.report.problem_count
        unit_code = str(_cell(cells, positions["unit"]) or "").strip()
        unit = self.lookups.unit(unit_code)
        if isinstance(unit, list):
            self._problem(row, "unit", _ambiguous_unit(self.lookups, unit_code))
            unit = None
        elif unit is None:
            self._problem(row, "unit", unknown_unit_message(self.lookups, unit_code))
        measure_code = str(_cell(cells, positions["measure"]) or "").strip()
        measure = self.lookups.measure(measure_code)
        if isinstance(measure, list):
            self._problem(row, "measure", _ambiguous_measure(self.lookups, measure_code))
            measure = None
        elif measure is None:
            self._problem(row, "measure", unknown_measure_message(self.lookups, measure_code))
        period: parsing.Period | None = None
        raw_period = _cell(cells, positions["period"])
        try:
            period = parsing.parse_period(raw_period)
        except CellError as error:
            self._problem(row, "period", str(error))
        count = measure is not None and measure.value_type == Measure.ValueType.COUNT
        value, value_ok = self._number(row, cells, "value", whole=count)
        numerator, numerator_ok = self._number(row, cells, "numerator")
        denominator, denominator_ok = self._number(row, cells, "denominator")
        comment = str(_cell(cells, positions.get("comment")) or "").strip()

        if unit is not None and not self.lookups.may_write(unit.id):
            self._problem(row, "unit", self.lookups.out_of_scope_message(unit.id, unit.name))
        if period is not None and measure is not None:
            text = str(raw_period).strip() if not hasattr(raw_period, "year") else ""
            text = text or period.start.isoformat()
            if (period.kind == "month" and measure.frequency == Measure.Frequency.QUARTERLY) or (
                period.kind == "quarter" and measure.frequency == Measure.Frequency.MONTHLY
            ):
                self._problem(
                    row,
                    "period",
                    period_kind_message(period.kind, period.start, text=text, measure=measure.name),
                )
                period = None
        if period is not None:
            label = _period_label(period.kind, period.start)
            still_open = value_rules.period_open_problem(
                period.start, quarterly=period.kind == "quarter", today=self.today
            )
            if still_open is not None:
                self._problem(row, "period", still_open)
            elif unit is not None and not (
                (unit.valid_from is None or unit.valid_from <= period.end)
                and (unit.valid_to is None or unit.valid_to >= period.start)
            ):
                self._problem(
                    row, "period", _(ERROR_UNIT_NOT_ACTIVE).format(unit=unit.name, period=label)
                )
        if (
            unit is not None
            and measure is not None
            and measure.kind_ids
            and unit.kind_id not in measure.kind_ids
        ):
            self._problem(
                row,
                "unit",
                _(ERROR_KIND_DOES_NOT_REPORT).format(
                    kind=unit.kind_name.lower(), measure=measure.name
                ),
            )
        final = None
        if value_ok and numerator_ok and denominator_ok:
            final = self._values(row, measure, value, numerator, denominator)
        if (
            self.report.problem_count > before
            or final is None
            or unit is None
            or measure is None
            or period is None
        ):
            return None
        checked = _Row(row, unit, measure, period.start, period.end, *final, comment)
        if self.seen is not None:
            packed = (measure.id, unit.id, period.start.toordinal())
            first = self.seen.setdefault(packed, row)
            if first != row:
                self._problem(row, "unit", _(ERROR_DUPLICATE).format(row=first))
                return None
        return checked

    def _unfilled(self, cells: list[Any]) -> bool:
        """A template row left unfilled: unit, measure and period given, and no värde, täljare,
        nämnare or kommentar (sqlcheck.unfilled_sql says the same in SQL)."""
        positions = self.header.positions
        return (
            all(_cell(cells, positions.get(key)) is not None for key in UNFILLED_GIVEN)
            and all(_cell(cells, positions.get(key)) is None for key in UNFILLED_EMPTY)
            and not str(_cell(cells, positions.get("comment")) or "").strip()
        )

    def _values(
        self,
        row: int,
        measure: _MeasureInfo | None,
        value: parsing.Number | None,
        numerator: parsing.Number | None,
        denominator: parsing.Number | None,
    ) -> tuple[Decimal, Decimal | None, Decimal | None] | None:
        """The value, numerator and denominator to store, checked against the measure's type."""
        problems = self.report.problem_count
        for key, number in (("numerator", numerator), ("denominator", denominator)):
            if number is None:
                continue
            if number.percent:
                self._problem(row, key, percent_message(key, number.value))
            elif number.value < 0:
                self._problem(row, key, _(ERROR_NEGATIVE).format(value=_fmt(number.value)))
        if denominator is not None and denominator.value == 0:
            self._problem(row, "denominator", _(ERROR_DENOMINATOR_ZERO))
        # A weighted mean's (an index's) nämnare beside its value needs no täljare.
        missing = value_rules.pair_missing(
            measure.aggregation if measure is not None else "", numerator, denominator
        )
        if missing is not None:
            self._problem(row, missing, _(ERROR_PAIR_INCOMPLETE))
        if value is None and (numerator is None or denominator is None):
            if problems == self.report.problem_count:
                self._problem(row, "value", _(ERROR_VALUE_MISSING))
            return None
        if measure is None or self.report.problem_count > problems:
            return None
        value_type = measure.value_type
        if value is not None and value.percent and value_type != Measure.ValueType.SHARE:
            self._problem(row, "value", percent_message("value", value.value))
            return None
        num = numerator.value if numerator else None
        den = denominator.value if denominator else None
        if (
            num is not None
            and den is not None
            and value_type == Measure.ValueType.SHARE
            and num > den
        ):
            self._problem(
                row,
                "numerator",
                _(ERROR_NUMERATOR_ABOVE_DENOMINATOR).format(
                    numerator=_fmt(num), denominator=_fmt(den)
                ),
            )
            return None
        computed: Decimal | None = None
        if num is not None and den is not None:
            ratio = num / den
            computed = ratio * HUNDRED if value_type == Measure.ValueType.SHARE else ratio
        # A share's value beside its täljare and nämnare is only a check: the value stored is
        # computed from them, as the reporting grid computes it, so that a rounded export
        # ("69,0" for 68,999) neither changes the stored value nor moves it off its parts.
        checked = computed is not None and value_type == Measure.ValueType.SHARE
        if value is None or checked:
            if computed is None:  # pragma: no cover - a missing pair was refused above
                return None
            final = computed.quantize(FOUR_PLACES)
        else:
            final = value.value
        if value is not None and not checked and _decimals(final) > MAX_DECIMALS:
            self._problem(row, "value", _(ERROR_TOO_PRECISE).format(value=_fmt(final)))
            return None
        if value is not None and computed is not None and checked:
            tolerance = parsing.value_tolerance(value.value)
            if abs(value.value - computed) > tolerance:
                self._problem(row, "value", inconsistent_message(value.value, computed, tolerance))
                return None
        for key, part in (("numerator", num), ("denominator", den)):
            if part is not None and _decimals(part) > MAX_DECIMALS:
                self._problem(row, key, _(ERROR_TOO_PRECISE).format(value=_fmt(part)))
                return None
        if value_type == Measure.ValueType.SHARE and not 0 <= final <= HUNDRED:
            self._problem(row, "value", _(ERROR_SHARE_RANGE).format(value=_fmt(final)))
            return None
        if value_type == Measure.ValueType.INDEX and not 0 <= final <= HUNDRED:
            self._problem(row, "value", _(ERROR_INDEX_RANGE).format(value=_fmt(final)))
            return None
        if value_type == Measure.ValueType.SHARE and (num is None or den is None):
            self._problem(
                row,
                "numerator",
                _(ERROR_SHARE_PARTS_MISSING).format(measure=measure.name if measure else ""),
            )
            return None
        if value_type == Measure.ValueType.COUNT:
            if final < 0:
                self._problem(row, "value", _(ERROR_COUNT_NEGATIVE).format(value=_fmt(final)))
                return None
            if final != final.to_integral_value():
                self._problem(row, "value", _(ERROR_COUNT_DECIMALS).format(value=_fmt(final)))
                return None
        return final, num, den


# --- the pass over the file -------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    """The SHA-256 of the file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _chunks(rows: Iterable[_Row], size: int) -> Iterator[list[_Row]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


_COMPARED = ("period_end", "value", "numerator", "denominator", "comment")


def _stored(chunk: list[_Row]) -> dict[tuple[int, int, datetime.date], Observation]:
    """The stored observations of the chunk's keys, by key (one query)."""
    keys = {row.key for row in chunk}
    queryset = Observation.objects.filter(
        measure_id__in={k[0] for k in keys},
        unit_id__in={k[1] for k in keys},
        period_start__in={k[2] for k in keys},
    ).only(
        "id", "measure_id", "unit_id", "period_start", *_COMPARED, "source", "import_batch",
        "overrides_source", "version",
    )  # fmt: skip
    return {
        (obs.measure_id, obs.unit_id, obs.period_start): obs
        for obs in queryset
        if (obs.measure_id, obs.unit_id, obs.period_start) in keys
    }


def _differs(obs: Observation, row: _Row) -> bool:
    return (
        obs.period_end != row.end
        or obs.value != row.value
        or obs.numerator != row.numerator
        or obs.denominator != row.denominator
        or obs.comment != row.comment
    )


def file_size_label(size: int) -> str:
    """Bytes as people read them: 20 MB, 236 kB, 100 byte (with a no-break space, so that a
    line never breaks between the number and its unit)."""
    for unit, scale in (("MB", 1_000_000), ("kB", 1000)):
        if size >= scale:
            return f"{_fmt(round(Decimal(size) / scale, 1))}\u00a0{unit}"
    return f"{size}\u00a0byte"


def _check_size(path: Path) -> None:
    size = path.stat().st_size
    limit = settings.GONV_IMPORT_MAX_BYTES
    if size > limit:
        raise FileRefused(
            _(ERROR_FILE_TOO_LARGE).format(size=file_size_label(size), limit=file_size_label(limit))
        )


def _orm_pass(
    *,
    table: parsing.Table,
    checker: _RowChecker,
    user: Any,
    file_name: str,
    source: str,
    store: bool,
    progress: Progress | None,
) -> ImportBatch | None:
    """Compare and write by chunks through the ORM (SQLite, the embedded mode)."""
    report = checker.report
    quarters: set[Quarter] = set()
    measure_ids: set[int] = set()
    batch: ImportBatch | None = None
    # For the jump warnings: every value written, by key (a previous period's value may come
    # later in the file), and each new or changed value without a comment with the previous
    # period's stored value.
    written: dict[tuple[int, int, datetime.date], Decimal] = {}
    candidates: list[tuple[_Row, Decimal | None]] = []

    def checked_rows() -> Iterator[_Row]:
        for number, cells in table.rows:
            report.rows += 1
            checked = checker.check(number, cells)
            if checked is not None:
                yield checked

    for chunk in _chunks(checked_rows(), CHUNK_ROWS):
        stored = _stored(chunk)
        new: list[Observation] = []
        changed: list[Observation] = []
        unexplained: list[_Row] = []
        for row in chunk:
            obs = stored.get(row.key)
            kept = obs is not None and value_rules.kept_weight(
                row.measure.aggregation, row.numerator, row.denominator, obs.denominator
            )
            if kept:
                row = replace(row, denominator=obs.denominator)  # type: ignore[union-attr]
                report.weights_kept += 1
            if obs is not None and not row.comment and obs.comment:
                row = replace(row, comment=obs.comment)  # an empty cell keeps it, as on COPY
            if obs is not None and not _differs(obs, row):
                report.unchanged += 1
                continue
            written[row.key] = row.value
            if not row.comment and (obs is None or obs.value != row.value):
                unexplained.append(row)
            quarters.add(Quarter.containing(row.end))
            code = Quarter.containing(row.end).code
            report.quarter_values[code] = report.quarter_values.get(code, 0) + 1
            measure_ids.add(row.measure.id)
            if obs is None:
                report.created += 1
                old, old_source = None, ""
                details = _new_details(row.numerator, row.denominator, row.comment)
                obs = Observation(
                    measure_id=row.measure.id, unit_id=row.unit.id, period_start=row.start
                )
                new.append(obs)
            else:
                report.changed += 1
                old = obs.value
                old_source = obs.source
                details = _change_details(
                    (obs.numerator, obs.denominator, obs.comment),
                    (row.numerator, row.denominator, row.comment),
                    kept=kept,
                )
                if old_source == ImportBatch.Source.MANUAL:
                    report.manual_replaced += 1
                changed.append(obs)
            if len(report.changes) < CHANGE_LIMIT:
                report.changes.append(
                    ChangeLine(
                        row.number,
                        row.unit.name,
                        row.measure.name,
                        _period_label(
                            "quarter"
                            if row.measure.frequency == Measure.Frequency.QUARTERLY
                            else "month",
                            row.start,
                        ),
                        *_change_texts(old, row.value, row.measure),
                        old_source,
                        details,
                    )
                )
            obs.period_end = row.end
            obs.quarter = Quarter.containing(row.end).code
            obs.value = row.value
            obs.numerator = row.numerator
            obs.denominator = row.denominator
            obs.comment = row.comment
            obs.source = source
        previous = _stored_previous(unexplained)
        candidates.extend((row, previous.get(_previous_key(row))) for row in unexplained)
        if store and report.ok and (new or changed):
            if batch is None:
                batch = _new_batch(
                    source=source, file_name=file_name, user=user, sha256=report.sha256
                )
            _write(batch, user, new, changed)
        if progress is not None:
            progress(report.rows)
    report.quarters = sorted(q.code for q in quarters)
    report.measures = sorted(measure_ids)
    if report.ok:
        limit = value_rules.jump_limit()
        for row, stored_previous in candidates:
            before = written.get(_previous_key(row), stored_previous)
            if before is not None and value_rules.jumped(row.value, before, limit):
                _add_jump(
                    report, row.number, row.unit.name, row.measure, row.start, before, row.value
                )
    return batch


def _previous_start(start: datetime.date, frequency: str) -> datetime.date:
    """The first day of the period before the one beginning on `start` (month or quarter)."""
    if frequency == Measure.Frequency.QUARTERLY:
        return Quarter.containing(start).previous().start
    return (start - datetime.timedelta(days=1)).replace(day=1)


def _previous_key(row: _Row) -> tuple[int, int, datetime.date]:
    return (row.measure.id, row.unit.id, _previous_start(row.start, row.measure.frequency))


def _stored_previous(rows: list[_Row]) -> dict[tuple[int, int, datetime.date], Decimal]:
    """The stored values of the rows' previous periods, by key (one query)."""
    keys = {_previous_key(row) for row in rows}
    if not keys:
        return {}
    found = Observation.objects.filter(
        measure_id__in={k[0] for k in keys},
        unit_id__in={k[1] for k in keys},
        period_start__in={k[2] for k in keys},
    ).values_list("measure_id", "unit_id", "period_start", "value")
    return {(m, u, start): value for m, u, start, value in found if (m, u, start) in keys}


def _add_jump(
    report: ImportReport,
    line: int,
    unit: str,
    measure: _MeasureInfo,
    start: datetime.date,
    previous: Decimal,
    value: Decimal,
) -> None:
    """Count a jump without a comment, and list it while fewer than JUMP_LIMIT are."""
    report.jump_count += 1
    if len(report.jumps) >= JUMP_LIMIT:
        return
    kind = "quarter" if measure.frequency == Measure.Frequency.QUARTERLY else "month"
    before, after = _change_texts(previous, value, measure)
    pct = value_rules.jump_limit_text(value_rules.jump_limit())
    report.jumps.append(
        JumpLine(line, unit, measure.name, _period_label(kind, start), before, after, pct)
    )


def _run(
    *,
    user: Any,
    path: Path,
    file_name: str,
    source: str,
    sheet: str | None,
    store: bool,
    progress: Progress | None,
    today: datetime.date | None,
) -> ImportReport:
    """The one pass: check every row, compare by chunks and (when storing) write them."""
    report = ImportReport(file_name=file_name)
    try:
        _check_size(path)
        report.sha256 = file_sha256(path)
        try:
            # The SQL checks trim a CSV's cells themselves (one Python step less per row).
            table = parsing.open_table(path, sheet=sheet or None, trim=not _sql_checks())
        except FileRefused:
            report.unreadable = True  # not decoded or opened: a header problem is read fine
            raise
        header = parsing.header_match(table.header)
    except FileRefused as error:
        report.add_problem(Problem(str(error)))
        return report
    report.ignored_columns = list(header.ignored)
    checker = _RowChecker(header, _Lookups.load(user), report, today or timezone.localdate())
    if copy_available():
        batch = _staged_pass(
            table=table, checker=checker, user=user, file_name=file_name, source=source,
            store=store, progress=progress,
        )  # fmt: skip
    else:
        batch = _orm_pass(
            table=table, checker=checker, user=user, file_name=file_name, source=source,
            store=store, progress=progress,
        )  # fmt: skip
    if report.rows == 0:
        report.add_problem(Problem(_(ERROR_NO_ROWS)))
    elif report.rows == report.skipped:
        only_empty = ERROR_ONLY_EMPTY_ROW if report.rows == 1 else ERROR_ONLY_EMPTY_ROWS
        report.add_problem(Problem(_(only_empty).format(count=count_text(report.rows))))
    if not report.ok:
        if store:
            raise ImportRefused(report)
        return report
    if batch is not None:
        batch.row_count = report.rows
        batch.created_count = report.created
        batch.changed_count = report.changed
        batch.unchanged_count = report.unchanged
        _record_units(batch)
        batch.history_to = _last_history_id()  # every chunk written: the range's end
        batch.save(
            update_fields=[
                "row_count", "created_count", "changed_count", "unchanged_count", "unit_count",
                "only_unit", "only_vo", "history_to",
            ]
        )  # fmt: skip
        report.batch_id = batch.pk
        report.stored = True
    return report


def _record_units(batch: ImportBatch) -> None:
    """Set on the batch the units it wrote, for the list of imports: how many, the one unit
    when one, the one VO when all belong to one (`units_text`).

    One query on either write path, once every chunk is written: the values the batch wrote
    are the observations that now name it (found by the observations' index on their batch,
    inside the store's transaction), their units joined to their VOs and counted in SQL.
    """
    in_vo = Q(ancestor_links__ancestor__kind__is_vo=True)
    facts = Unit.objects.filter(
        pk__in=Observation.objects.filter(import_batch=batch).values("unit_id")
    ).aggregate(
        units=Count("pk", distinct=True),
        unit=Max("pk"),
        in_vo=Count("pk", distinct=True, filter=in_vo),
        first_vo=Min("ancestor_links__ancestor", filter=in_vo),
        last_vo=Max("ancestor_links__ancestor", filter=in_vo),
    )
    batch.unit_count = facts["units"]
    batch.only_unit_id = facts["unit"] if facts["units"] == 1 else None
    # Every unit in a VO, and one VO for them all (a unit under two VOs names none).
    one_vo = facts["in_vo"] == facts["units"] and facts["first_vo"] == facts["last_vo"]
    batch.only_vo_id = facts["first_vo"] if one_vo else None


def _write(
    batch: ImportBatch, user: Any, new: list[Observation], changed: list[Observation]
) -> None:
    """One chunk's writes, each with its history row naming the user and the batch."""
    reason = change_reason(batch)
    now = timezone.now()
    for obs in new + changed:
        obs.import_batch = batch
        obs.updated_at = now
    if new:
        bulk_create_with_history(
            new, Observation, batch_size=CHUNK_ROWS, default_user=user,
            default_change_reason=reason,
        )  # fmt: skip
    if changed:
        bulk_update_with_history(
            changed,
            Observation,
            # The versioned manager's bulk_update bumps each version (base.versioning).
            fields=[*_COMPARED, "quarter", "source", "import_batch", "updated_at"],
            batch_size=CHUNK_ROWS,
            default_user=user,
            default_change_reason=reason,
        )


# --- the staged pass (PostgreSQL): COPY into a staging table, then set-based SQL ---------------

_STAGING = "gonv_import_staging"
_STAGED_COLUMNS = (
    "line", "measure_id", "unit_id", "period_start", "period_end", "quarter", "value",
    "numerator", "denominator", "comment",
)  # fmt: skip
_SAME_KEY = (
    "o.measure_id = s.measure_id AND o.unit_id = s.unit_id AND o.period_start = s.period_start"
)
_DIFFERS = (
    "(o.period_end, o.value, o.numerator, o.denominator, o.comment) IS DISTINCT FROM "
    "(s.period_end, s.value, s.numerator, s.denominator, s.comment)"
)


def copy_available() -> bool:
    """Whether the import stages its rows with COPY (PostgreSQL) instead of the ORM (SQLite).

    GONV_IMPORT_COPY = False keeps PostgreSQL on the ORM path (the tests compare the two).
    """
    return connection.vendor == "postgresql" and getattr(settings, "GONV_IMPORT_COPY", True)


def _sql_checks() -> bool:
    """Whether a CSV's rows are checked in SQL (sqlcheck) rather than by _RowChecker.

    Only on the staged (PostgreSQL) path; GONV_IMPORT_SQL_CHECKS = False keeps the Python
    checks there (the tests compare the two).
    """
    return copy_available() and getattr(settings, "GONV_IMPORT_SQL_CHECKS", True)


def _staged_pass(
    *,
    table: parsing.Table,
    checker: _RowChecker,
    user: Any,
    file_name: str,
    source: str,
    store: bool,
    progress: Progress | None,
) -> ImportBatch | None:
    """Check the rows into a staging table, then find duplicates, compare and write in SQL.

    Memory stays flat: a row is checked and handed to COPY, and what the file as a whole needs
    (a value given twice, the counts, the changes to list, the writes and their history) is
    asked of the database. Everything happens in the caller's transaction (or one of its own
    for a preview); the staging table is temporary and dropped at the end.
    """
    report = checker.report
    checker.seen = None  # duplicates are found in the staging table
    batch: ImportBatch | None = None
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_STAGING}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_STAGING} (line integer NOT NULL, measure_id bigint NOT "
            "NULL, unit_id bigint NOT NULL, period_start date NOT NULL, period_end date NOT "
            "NULL, quarter varchar(6) NOT NULL, value numeric(16, 4) NOT NULL, numerator "
            "numeric(16, 4), denominator numeric(16, 4), comment text NOT NULL, "
            "kept boolean NOT NULL DEFAULT false)"
        )
        if table.kind == "csv" and _sql_checks():
            _stage_checked_in_sql(cursor, table, checker, progress)
        else:
            _stage(cursor, table, checker, progress)
        _staged_duplicates(cursor, checker)
        _staged_keep_weights(cursor, report)
        _staged_keep_comments(cursor)
        _staged_compare(cursor, report, checker.lookups)
        if report.ok and (report.created or report.changed):
            _staged_jumps(cursor, report, checker.lookups)
        if store and report.ok and (report.created or report.changed):
            batch = _new_batch(source=source, file_name=file_name, user=user, sha256=report.sha256)
            _staged_write(cursor, batch, user, source, report)
        cursor.execute(f"DROP TABLE {_STAGING}")
    return batch


def _stage(
    cursor: Any, table: parsing.Table, checker: _RowChecker, progress: Progress | None
) -> None:
    """Every row checked, and the checked values COPYed into the staging table a chunk at a time.

    A chunk is checked before its COPY starts: checking may ask the database (the rules, once
    per unit), which a connection in the middle of a COPY cannot answer.
    """
    report = checker.report
    quarter_of: dict[datetime.date, str] = {}
    statement = f"COPY {_STAGING} ({', '.join(_STAGED_COLUMNS)}) FROM STDIN"
    chunk: list[tuple[Any, ...]] = []

    def flush() -> None:
        if chunk:
            with cursor.cursor.copy(statement) as copy:
                for values in chunk:
                    copy.write_row(values)
            chunk.clear()
        if progress is not None:
            progress(report.rows)

    for number, cells in table.rows:
        report.rows += 1
        row = checker.check(number, cells)
        if row is not None:
            quarter = quarter_of.get(row.end)
            if quarter is None:
                quarter = quarter_of[row.end] = Quarter.containing(row.end).code
            chunk.append(
                (
                    row.number,
                    row.measure.id,
                    row.unit.id,
                    row.start,
                    row.end,
                    quarter,
                    row.value,
                    row.numerator,
                    row.denominator,
                    row.comment,
                )  # fmt: skip
            )
        if report.rows % CHUNK_ROWS == 0:
            flush()
    flush()


def _stage_checked_in_sql(
    cursor: Any, table: parsing.Table, checker: _RowChecker, progress: Progress | None
) -> None:
    """A CSV's raw cells COPYed as they are, then checked and staged set-based (sqlcheck).

    The Python checker's rules, order and messages, without a Python step per row: the rows
    with problems come back (the first PROBLEM_LIMIT of them) with the codes of their problems
    and the facts the messages need, and are written here with the checker's own templates.
    """
    report = checker.report

    def counted(rows: int) -> None:
        report.rows += rows
        if progress is not None:
            progress(report.rows)

    sqlcheck.create_raw(cursor)
    sqlcheck.stage_raw(cursor, table.rows, checker.header.positions, counted)
    denied: list[int] = []
    if checker.lookups.user is not None:
        cursor.execute(sqlcheck.unit_ids_sql(), sqlcheck.params(today=checker.today, denied=[]))
        denied = [
            unit_id for (unit_id,) in cursor.fetchall() if not checker.lookups.may_write(unit_id)
        ]
    cursor.execute(
        sqlcheck.check_sql(_STAGING),
        {**sqlcheck.params(today=checker.today, denied=denied), "limit": PROBLEM_LIMIT},
    )
    found = cursor.fetchall()
    cursor.execute(sqlcheck.unfilled_count_sql(), sqlcheck.params(today=checker.today, denied=[]))
    report.skipped += int(cursor.fetchone()[0])
    cursor.execute(f"DROP TABLE {sqlcheck.RAW}")
    if not found:
        return
    report.problem_count += int(found[0][2])
    for line, codes, _total, *facts in found:
        facts_of = dict(zip(sqlcheck.FACTS, facts, strict=True))
        for key, message in _sql_messages(codes, facts_of, checker.lookups):
            if len(report.problems) >= PROBLEM_LIMIT:
                return
            report.problems.append(Problem(message, line, checker._label(key)))


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


def _sql_messages(
    codes: list[str], facts: dict[str, Any], lookups: _Lookups
) -> Iterator[tuple[str, str]]:
    """(column key, message) of each problem code sqlcheck found, as _RowChecker writes them."""

    def number(key: str) -> str:
        return _fmt(Decimal(facts[f"{key}_lit"]))

    def period() -> str:
        return _period_label(facts["period_kind"], facts["period_start"])

    ranges = {
        "share_range": ERROR_SHARE_RANGE,
        "index_range": ERROR_INDEX_RANGE,
        "count_negative": ERROR_COUNT_NEGATIVE,
        "count_decimals": ERROR_COUNT_DECIMALS,
    }
    for code in codes:
        column, _sep, what = code.partition("_")
        if code in ranges:
            yield "value", _(ranges[code]).format(value=_fmt(Decimal(facts["final"])))
        elif code == "unit_unknown":
            yield "unit", unknown_unit_message(lookups, facts["unit_text"])
        elif code == "unit_ambiguous":
            yield "unit", _ambiguous_unit(lookups, facts["unit_text"])
        elif code == "measure_ambiguous":
            yield "measure", _ambiguous_measure(lookups, facts["measure_text"])
        elif code == "measure_unknown":
            yield "measure", unknown_measure_message(lookups, facts["measure_text"])
        elif code in ("period_unreadable", "period_month"):
            text = facts["period_original"]
            yield "period", _(parsing.ERROR_PERIOD_UNREADABLE).format(text=text)
        elif code == "period_not_first":
            text = facts["period_original"]
            yield "period", _(parsing.ERROR_PERIOD_NOT_FIRST).format(text=text)
        elif code == "period_range":
            yield (
                "period",
                _(parsing.ERROR_PERIOD_OUT_OF_RANGE).format(
                    text=facts["period_original"],
                    first=periods.FIRST_YEAR,
                    last=periods.LAST_YEAR,
                ),
            )
        elif what == "nan":
            measure = lookups.measure(facts["measure_text"] or "")
            whole = (
                column == "value"
                and isinstance(measure, _MeasureInfo)
                and measure.value_type == Measure.ValueType.COUNT
            )
            yield column, parsing.not_a_number_message(facts[f"{column}_raw"], whole=whole)
        elif what == "big":
            yield column, parsing.too_large_message(Decimal(facts[f"{column}_lit"]))
        elif code == "out_of_scope":
            found = lookups.unit(facts["unit_text"] or "")
            unit_id = found.id if isinstance(found, _UnitInfo) else None
            yield "unit", lookups.out_of_scope_message(unit_id, facts["unit_name"])
        elif code in ("month_for_quarterly", "quarter_for_monthly"):
            yield (
                "period",
                period_kind_message(
                    "month" if code == "month_for_quarterly" else "quarter",
                    facts["period_start"],
                    text=facts["period_original"],
                    measure=facts["measure_name"],
                ),
            )
        elif code == "period_in_future":
            yield "period", _(ERROR_PERIOD_IN_FUTURE).format(period=period())
        elif code == "period_not_ended":
            yield (
                "period",
                value_rules.not_ended_message(
                    facts["period_start"], quarterly=facts["period_kind"] == "quarter"
                ),
            )
        elif code == "unit_not_active":
            yield (
                "period",
                _(ERROR_UNIT_NOT_ACTIVE).format(unit=facts["unit_name"], period=period()),
            )
        elif code == "kind_not_reporting":
            yield (
                "unit",
                _(ERROR_KIND_DOES_NOT_REPORT).format(
                    kind=facts["kind_name"].lower(), measure=facts["measure_name"]
                ),
            )
        elif what == "percent":
            yield column, percent_message(column, Decimal(facts[f"{column}_lit"]))
        elif what == "negative":
            yield column, _(ERROR_NEGATIVE).format(value=number(column))
        elif code == "numerator_parts":
            yield (
                "numerator",
                _(ERROR_SHARE_PARTS_MISSING).format(measure=facts["measure_name"]),
            )
        elif code == "denominator_zero":
            yield column, _(ERROR_DENOMINATOR_ZERO)
        elif what == "pair":
            yield column, _(ERROR_PAIR_INCOMPLETE)
        elif code == "value_missing":
            yield column, _(ERROR_VALUE_MISSING)
        elif code == "numerator_above":
            yield (
                column,
                _(ERROR_NUMERATOR_ABOVE_DENOMINATOR).format(
                    numerator=number("numerator"), denominator=number("denominator")
                ),
            )
        elif what == "precise":
            yield column, _(ERROR_TOO_PRECISE).format(value=number(column))
        elif code == "value_inconsistent":
            value = Decimal(facts["value_lit"])  # as written: its decimals give the tolerance
            tolerance = parsing.value_tolerance(value)
            yield column, inconsistent_message(value, Decimal(facts["computed"]), tolerance)
        else:  # pragma: no cover - a code sqlcheck does not write
            raise ValueError(code)


def _staged_duplicates(cursor: Any, checker: _RowChecker) -> None:
    """A unit × measure × period given twice: each later row's problem names the first row.

    The problems are merged with the rows' own in row order, as the ORM path reports them; a
    duplicate's later rows are then left out of the comparison.
    """
    report = checker.report
    cursor.execute(
        f"SELECT line, first, count(*) OVER () FROM (SELECT line, min(line) OVER "
        f"(PARTITION BY measure_id, unit_id, period_start) AS first FROM {_STAGING}) AS d "
        "WHERE line <> first ORDER BY line LIMIT %s",
        [PROBLEM_LIMIT],
    )
    found = cursor.fetchall()
    if not found:
        return
    label = checker._label("unit")
    duplicates = [
        Problem(_(ERROR_DUPLICATE).format(row=first), line, label) for line, first, _count in found
    ]
    merged = sorted([*report.problems, *duplicates], key=lambda p: (p.row is None, p.row or 0))
    report.problems = merged[:PROBLEM_LIMIT]
    report.problem_count += found[0][2]
    cursor.execute(
        f"DELETE FROM {_STAGING} AS s USING {_STAGING} AS f WHERE f.measure_id = s.measure_id "
        "AND f.unit_id = s.unit_id AND f.period_start = s.period_start AND f.line < s.line"
    )


def _staged_keep_weights(cursor: Any, report: ImportReport) -> None:
    """A weighted mean (an index) given without täljare and nämnare keeps its stored nämnare,
    as value_rules.kept_weight says (the ORM path asks it row by row)."""
    cursor.execute(
        f"UPDATE {_STAGING} AS s SET denominator = o.denominator, kept = true "
        f"FROM {Observation._meta.db_table} AS o, {Measure._meta.db_table} AS m "
        f"WHERE {_SAME_KEY} AND m.id = s.measure_id AND m.aggregation = %s "
        "AND s.numerator IS NULL AND s.denominator IS NULL AND o.denominator IS NOT NULL",
        [value_rules.WEIGHTED_MEAN],
    )
    report.weights_kept += cursor.rowcount


def _staged_keep_comments(cursor: Any) -> None:
    """A row whose comment cell is empty (or that has no kommentar column) keeps the stored
    comment, as the ORM path does row by row: an export carries no comments, and importing it
    must not delete the reason someone wrote beside a value by hand. A filled-in cell replaces
    the comment; a comment is removed in the reporting grid."""
    cursor.execute(
        f"UPDATE {_STAGING} AS s SET comment = o.comment "
        f"FROM {Observation._meta.db_table} AS o "
        f"WHERE {_SAME_KEY} AND s.comment = '' AND o.comment <> ''"
    )


def _staged_compare(cursor: Any, report: ImportReport, lookups: _Lookups) -> None:
    """Counts of new, changed and unchanged rows, the affected quarters and the first changes."""
    observations = Observation._meta.db_table
    state = f"CASE WHEN o.id IS NULL THEN 'new' WHEN {_DIFFERS} THEN 'changed' ELSE 'same' END"
    joined = f"{_STAGING} AS s LEFT JOIN {observations} AS o ON {_SAME_KEY}"
    cursor.execute(
        f"SELECT {state}, s.quarter, count(*), count(*) FILTER (WHERE o.source = %s) "
        f"FROM {joined} GROUP BY 1, 2",
        [ImportBatch.Source.MANUAL.value],
    )
    quarters: set[str] = set()
    for kind, quarter, count, manual in cursor.fetchall():
        if kind == "same":
            report.unchanged += count
            continue
        quarters.add(quarter)
        report.quarter_values[quarter] = report.quarter_values.get(quarter, 0) + count
        if kind == "new":
            report.created += count
        else:
            report.changed += count
            report.manual_replaced += manual
    report.quarters = sorted(quarters)
    if not quarters:
        return
    cursor.execute(f"SELECT DISTINCT s.measure_id FROM {joined} WHERE {state} <> 'same'")
    report.measures = sorted(measure_id for (measure_id,) in cursor.fetchall())
    cursor.execute(
        f"SELECT s.line, s.unit_id, s.measure_id, s.period_start, o.value, s.value, "
        f"coalesce(o.source, ''), o.id IS NOT NULL, o.numerator, o.denominator, o.comment, "
        f"s.numerator, s.denominator, s.comment, s.kept "
        f"FROM {joined} WHERE {state} <> 'same' ORDER BY s.line LIMIT %s",
        [CHANGE_LIMIT],
    )
    found = cursor.fetchall()
    units = {info.id: info for info in lookups.all_units()}
    measures = {info.id: info for info in lookups.all_measures()}
    for line, unit_id, measure_id, start, old, new, old_source, existed, *parts in found:
        measure = measures[measure_id]
        kind = "quarter" if measure.frequency == Measure.Frequency.QUARTERLY else "month"
        old_num, old_den, old_comment, new_num, new_den, new_comment, kept = parts
        details = (
            _change_details(
                (old_num, old_den, old_comment), (new_num, new_den, new_comment), kept=kept
            )
            if existed
            else _new_details(new_num, new_den, new_comment or "")
        )
        report.changes.append(
            ChangeLine(
                line,
                units[unit_id].name,
                measure.name,
                _period_label(kind, start),
                *_change_texts(old, new, measure),
                old_source,
                details,
            )
        )


def _staged_jumps(cursor: Any, report: ImportReport, lookups: _Lookups) -> None:
    """The values written (new, or a changed value) without a comment that differ more than
    GONV_REPORT_JUMP_PCT % from the previous period: the file's own row for that period if it
    has one (it is stored with this one), else the stored value; value_rules.jumped in SQL. The
    ORM path asks the same row by row; both list the first JUMP_LIMIT in row order."""
    observations = Observation._meta.db_table
    cursor.execute(
        f"SELECT count(*) OVER (), s.line, s.unit_id, s.measure_id, s.period_start, "
        f"b.value, s.value FROM {_STAGING} AS s "
        f"JOIN {Measure._meta.db_table} AS m ON m.id = s.measure_id "
        f"LEFT JOIN {observations} AS o ON {_SAME_KEY} "
        "CROSS JOIN LATERAL (SELECT (s.period_start - CASE WHEN m.frequency = %(quarterly)s "
        "THEN interval '3 months' ELSE interval '1 month' END)::date AS start) AS p "
        f"LEFT JOIN {_STAGING} AS f ON f.measure_id = s.measure_id AND f.unit_id = s.unit_id "
        "AND f.period_start = p.start "
        f"LEFT JOIN {observations} AS q ON q.measure_id = s.measure_id "
        "AND q.unit_id = s.unit_id AND q.period_start = p.start "
        "CROSS JOIN LATERAL (SELECT coalesce(f.value, q.value) AS value) AS b "
        "WHERE s.comment = '' AND (o.id IS NULL OR o.value <> s.value) "
        "AND b.value IS NOT NULL AND CASE WHEN b.value = 0 THEN s.value <> 0 "
        "ELSE abs(s.value - b.value) * 100 > %(limit)s * abs(b.value) END "
        "ORDER BY s.line LIMIT %(rows)s",
        {
            "quarterly": Measure.Frequency.QUARTERLY.value,
            "limit": value_rules.jump_limit(),
            "rows": JUMP_LIMIT,
        },
    )
    found = cursor.fetchall()
    if not found:
        return
    units = {info.id: info for info in lookups.all_units()}
    measures = {info.id: info for info in lookups.all_measures()}
    for _total, line, unit_id, measure_id, start, previous, value in found:
        _add_jump(report, line, units[unit_id].name, measures[measure_id], start, previous, value)
    report.jump_count = int(found[0][0])


def _staged_write(
    cursor: Any, batch: ImportBatch, user: Any, source: str, report: ImportReport
) -> None:
    """The changed values updated and the new ones inserted, each with its history row.

    Each statement writes the observations and, from what they return, the history rows that
    bulk_create_with_history / bulk_update_with_history would write: every tracked field as
    stored, history_date now, the user, the change reason `Import #<batch>`, '~' or '+'. A
    changed value's version is bumped, as a save does.
    """
    history = Observation.history.model
    if user is None:
        user = history.get_default_history_user(Observation())
    tracked = [f.column for f in history.tracked_fields]
    history_columns = ", ".join(
        [*tracked, "history_date", "history_change_reason", "history_type", "history_user_id"]
    )
    returned = ", ".join(f"w.{column}" for column in tracked)
    params = {
        "source": source,
        "batch": batch.pk,
        "now": timezone.now(),
        "reason": change_reason(batch),
        "user": user.pk if user is not None else None,
    }
    observations = Observation._meta.db_table
    cursor.execute(
        f"WITH w AS (UPDATE {observations} AS o SET period_end = s.period_end, "
        "quarter = s.quarter, value = s.value, numerator = s.numerator, "
        "denominator = s.denominator, comment = s.comment, source = %(source)s, "
        "import_batch_id = %(batch)s, updated_at = %(now)s, version = o.version + 1 "
        f"FROM {_STAGING} AS s WHERE {_SAME_KEY} AND {_DIFFERS} RETURNING o.*, s.line) "
        f"INSERT INTO {history._meta.db_table} ({history_columns}) "
        f"SELECT {returned}, %(now)s, %(reason)s, '~', %(user)s FROM w ORDER BY w.line",
        params,
    )
    changed = cursor.rowcount
    cursor.execute(
        f"WITH w AS (INSERT INTO {observations} (measure_id, unit_id, period_start, "
        "period_end, quarter, value, numerator, denominator, comment, source, import_batch_id, "
        "updated_at, overrides_source, version) SELECT s.measure_id, s.unit_id, "
        "s.period_start, s.period_end, s.quarter, s.value, s.numerator, s.denominator, "
        "s.comment, %(source)s, %(batch)s, %(now)s, '', 1 "
        f"FROM {_STAGING} AS s WHERE NOT EXISTS (SELECT FROM {observations} AS o "
        f"WHERE {_SAME_KEY}) ORDER BY s.line RETURNING *) "
        f"INSERT INTO {history._meta.db_table} ({history_columns}) "
        f"SELECT {returned}, %(now)s, %(reason)s, '+', %(user)s FROM w ORDER BY w.id",
        params,
    )
    created = cursor.rowcount
    if (created, changed) != (report.created, report.changed):
        # Another transaction wrote some of these values since they were compared.
        raise ImportConflict(report)


def _recompute_from(first: Quarter) -> None:
    """One coalesced recompute of the first changed quarter and every later one, on commit."""
    from ..selectors import quarters_affected_from

    triggers.request_recompute(quarters_affected_from(first), trigger="import")


def import_preview(
    *,
    user: Any,
    path: Path,
    file_name: str,
    source: str = ImportBatch.Source.MANUAL,
    sheet: str | None = None,
    progress: Progress | None = None,
    today: datetime.date | None = None,
) -> ImportReport:
    """What importing the file would do: counts, changes, ignored columns, problems. No writes."""
    return _run(
        user=user, path=path, file_name=file_name, source=source, sheet=sheet, store=False,
        progress=progress, today=today,
    )  # fmt: skip


def import_store(
    *,
    user: Any,
    path: Path,
    file_name: str,
    source: str = ImportBatch.Source.MANUAL,
    sheet: str | None = None,
    progress: Progress | None = None,
    today: datetime.date | None = None,
) -> ImportReport:
    """Store the file's values in one transaction, or nothing (ImportRefused) if it has problems.

    Upserts on measure × unit × period; an ImportBatch and history rows only when something
    changes; one recompute of the affected quarters after commit. No user means the command
    line's operator (every unit).
    """
    if user is not None and not user.has_perm("followup.add_observation"):
        raise PermissionDenied(_("Du får inte importera mätvärden."))
    with transaction.atomic():
        with triggers.suppressed():
            report = _run(
                user=user, path=path, file_name=file_name, source=source, sheet=sheet,
                store=True, progress=progress, today=today,
            )  # fmt: skip
        if not report.ok:  # a file-level refusal (no rows were written)
            raise ImportRefused(report)
        # Outside suppressed(), inside the transaction: one dispatch, on commit.
        if report.stored:
            _recompute_from(Quarter.parse(report.quarters[0]))
    return report


# --- undo -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UndoReport:
    removed: int
    restored: int


def import_batch_undo(*, user: Any, batch: ImportBatch) -> UndoReport:
    """Revert a batch as a whole: its new values removed, its changed values restored.

    Refused (`import_batch_undo_refusal`) if the batch is already undone, is the demo data's,
    if the user may not report values, if no value in the history comes from the batch (one
    made by hand in the admin: nothing to attribute), if the user may not write every unit it
    touched, or if any of its values changed (by hand or by a later import) after it.
    """
    history = Observation.history.model
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        records = batch_history(batch)
        refusal = import_batch_undo_refusal(user=user, batch=batch)
        if refusal is not None:
            raise UndoRefused(refusal)
        previous = history.objects.filter(
            id=OuterRef("id"), history_id__lt=OuterRef("history_id")
        ).order_by("-history_id")
        reason = undo_reason(batch)
        removed = restored = 0
        first: Quarter | None = None
        with triggers.suppressed():
            created_ids = list(records.filter(history_type="+").values_list("id", flat=True))
            for start in range(0, len(created_ids), CHUNK_ROWS):
                ids = created_ids[start : start + CHUNK_ROWS]
                doomed = list(Observation.objects.filter(pk__in=ids))
                _history_delete(doomed, user, reason)
                for obs in doomed:
                    q = Quarter.parse(obs.quarter)
                    first = q if first is None or q < first else first
                # A raw delete: the history rows were written just above, and the per-row
                # signals would write them again without the user.
                Observation.objects.filter(pk__in=ids)._raw_delete(Observation.objects.db)
                removed += len(doomed)
            changed = records.filter(history_type="~").annotate(
                previous_id=Subquery(previous.values("history_id")[:1])
            )
            previous_ids = list(changed.values_list("previous_id", flat=True))
            for start in range(0, len(previous_ids), CHUNK_ROWS):
                olds = {
                    old.id: old
                    for old in history.objects.filter(
                        history_id__in=previous_ids[start : start + CHUNK_ROWS]
                    )
                }
                current = list(Observation.objects.filter(pk__in=olds))
                for obs in current:
                    old = olds[obs.pk]
                    for name in (*_COMPARED, "quarter", "source", "import_batch_id"):
                        setattr(obs, name, getattr(old, name))
                    obs.updated_at = timezone.now()
                    for code in {obs.quarter, old.quarter}:
                        q = Quarter.parse(code)
                        first = q if first is None or q < first else first
                bulk_update_with_history(
                    current,
                    Observation,
                    fields=[*_COMPARED, "quarter", "source", "import_batch", "updated_at"],
                    batch_size=CHUNK_ROWS,
                    default_user=user,
                    default_change_reason=reason,
                )
                restored += len(current)
        batch.undone_at = timezone.now()
        batch.undone_by = user
        batch._history_user = user  # type: ignore[attr-defined]
        batch.save(update_fields=["undone_at", "undone_by"])
        if first is not None:
            _recompute_from(first)
    return UndoReport(removed=removed, restored=restored)


def _history_delete(objs: list[Observation], user: Any, reason: str) -> None:
    """The '-' history rows of observations about to be deleted."""
    history = Observation.history.model
    now = timezone.now()
    history.objects.bulk_create(
        [
            history(
                history_date=now,
                history_user=user,
                history_change_reason=reason,
                history_type="-",
                **{f.attname: getattr(obj, f.attname) for f in history.tracked_fields},
            )
            for obj in objs
        ],
        batch_size=CHUNK_ROWS,
    )


ERROR_BATCH_DELETE_FORBIDDEN = gettext_noop("Du får inte ta bort importomgångar.")
ERROR_BATCH_DELETE_NOT_SYNTHETIC = gettext_noop(
    "Importomgången kan inte tas bort: bara demodatans omgång tas bort med sina värden. En "
    "import tas tillbaka med ”Ångra import” på importens sida: dess nya värden tas bort och de "
    "ändrade får tillbaka sina tidigare värden, med historik."
)
# The history's change reason of each demo value removed with its batch (stored, not shown
# translated: like the import's reasons it is the record of what happened).
DEMO_DELETE_REASON = "Demodata borttagen"


def import_batch_delete(*, user: Any, batch: ImportBatch) -> int:
    """Delete the demo data's batch (`synthetic`) and its values in one step; returns how many.

    Each value removed gets its history row (DEMO_DELETE_REASON, the user); a value a person
    has written over since (no longer of source "demo") is theirs and stays, only unlinked from
    the batch. The affected quarters are recomputed on commit, as after an undo, and the banner
    "Demodata – syntetiska värden" goes with the batch. A real import is never deleted (its
    values would lose where they came from and what they replaced): ValidationError, pointing
    to its undo.
    """
    # Imported here, as `_recompute_from` imports the selectors.
    from django.core.exceptions import ValidationError

    from ..selectors import forget_synthetic_data_presence

    if user is None or not user.has_perm("followup.delete_importbatch", batch):
        raise PermissionDenied(_(ERROR_BATCH_DELETE_FORBIDDEN))
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if not batch.synthetic:
            raise ValidationError(_(ERROR_BATCH_DELETE_NOT_SYNTHETIC), code="not_synthetic")
        values = Observation.objects.filter(import_batch=batch)
        removed = 0
        first: Quarter | None = None
        with triggers.suppressed():
            kept = list(values.exclude(source=ImportBatch.Source.DEMO))
            for obs in kept:
                obs.import_batch = None
            bulk_update_with_history(
                kept,
                Observation,
                fields=["import_batch"],
                batch_size=CHUNK_ROWS,
                default_user=user,
                default_change_reason=DEMO_DELETE_REASON,
            )
            ids = list(values.values_list("pk", flat=True))
            for start in range(0, len(ids), CHUNK_ROWS):
                chunk = ids[start : start + CHUNK_ROWS]
                doomed = list(Observation.objects.filter(pk__in=chunk))
                _history_delete(doomed, user, DEMO_DELETE_REASON)
                for obs in doomed:
                    q = Quarter.parse(obs.quarter)
                    first = q if first is None or q < first else first
                # A raw delete, as the undo's: the history rows are written just above.
                Observation.objects.filter(pk__in=chunk)._raw_delete(Observation.objects.db)
                removed += len(doomed)
        batch._history_user = user  # type: ignore[attr-defined]
        batch.delete()
        if first is not None:
            _recompute_from(first)
        transaction.on_commit(forget_synthetic_data_presence)
    return removed


def import_batch_undo_refusal(*, user: Any, batch: ImportBatch) -> str | None:
    """Why the user may not undo the batch (a Swedish sentence), or None if they may.

    The batch page shows it instead of "Ångra import"; the undo asks it again under the batch's
    lock. The last check, whether any of its values changed after it, is one query.
    """
    if batch.undone_at is not None:
        return _(ERROR_UNDO_DONE)
    if batch.source == ImportBatch.Source.DEMO:
        return _(ERROR_UNDO_DEMO)
    if user is None or not user.has_perm("followup.add_observation"):
        return _(ERROR_UNDO_NOT_IMPORTER)
    unit_ids = set(batch_history(batch).values_list("unit_id", flat=True).distinct())
    if not unit_ids:
        # A batch made by hand in the admin wrote nothing: an empty set of units would refuse
        # nobody, and marking it undone would claim an undo that never happened.
        return _(ERROR_UNDO_UNATTRIBUTED)
    outside = {unit_id for unit_id in unit_ids if not unit_writable(user, unit_id)}
    if outside:
        names = Unit.objects.filter(pk__in=outside).values_list("name", flat=True)
        return _(ERROR_UNDO_FORBIDDEN).format(units=", ".join(sorted(names)[:5]))
    return _later_change_refusal(batch)


# Stands in for a missing täljare or nämnare when comparing (they are never negative), so that
# two missing ones compare equal in SQL.
_NO_PART = Value(Decimal(-1), output_field=DecimalField(max_digits=16, decimal_places=4))


def changed_since_import(history: Any) -> ExpressionWrapper:
    """Whether the outer history row's observation was changed (by hand, by a later import) or
    deleted after the row was written and is not, today, what the row wrote.

    A later history row alone is not enough: a later import that was undone leaves rows behind
    but puts back exactly what this row wrote, and that import must stay undoable.
    """
    later = Exists(history.objects.filter(id=OuterRef("id"), history_id__gt=OuterRef("history_id")))
    same = Exists(
        Observation.objects.annotate(
            numerator_or=Coalesce("numerator", _NO_PART),
            denominator_or=Coalesce("denominator", _NO_PART),
        ).filter(
            pk=OuterRef("id"),
            period_end=OuterRef("period_end"),
            value=OuterRef("value"),
            numerator_or=Coalesce(OuterRef("numerator"), _NO_PART),
            denominator_or=Coalesce(OuterRef("denominator"), _NO_PART),
            comment=OuterRef("comment"),
            source=OuterRef("source"),
            import_batch_id=OuterRef("import_batch_id"),
        )
    )
    return ExpressionWrapper(Q(later) & ~Q(same), output_field=BooleanField())


def _later_change_refusal(batch: ImportBatch) -> str | None:
    """Why the batch cannot be undone because values it wrote were changed after it, naming
    the first, who changed it last and how (a later import, linked, or a person), and counting
    them all (one query, whether or not anything changed), or None."""
    history = Observation.history.model
    # The value's latest history row: what it is today came from there.
    latest = history.objects.filter(id=OuterRef("id")).order_by("-history_id")

    def last(field_name: str) -> Subquery:
        return Subquery(latest.values(field_name)[:1])

    first = (
        batch_history(batch)
        .filter(changed_since_import(history))
        .select_related("unit", "measure")
        .annotate(
            total=Window(Count("history_id")),
            later_reason=last("history_change_reason"),
            later_date=last("history_date"),
            later_first_name=last("history_user__first_name"),
            later_last_name=last("history_user__last_name"),
            later_username=last("history_user__username"),
            later_batch=last("import_batch_id"),
            later_file=last("import_batch__file_name"),
        )
        .order_by("history_id")
        .first()
    )
    if first is None:
        return None
    quarterly = first.measure.frequency == Measure.Frequency.QUARTERLY
    period = _period_label("quarter" if quarterly else "month", first.period_start)
    example = f"{first.unit.name}, {first.measure.name}, {period}"
    name = f"{first.later_first_name or ''} {first.later_last_name or ''}".strip()
    when = dateformat.format(timezone.localtime(first.later_date), "j b Y H:i")
    change = LaterChange(who=name or first.later_username or "", when=when)
    # Written by a later import ("Import #4", as change_reason writes it): name and link it.
    if first.later_batch is not None and first.later_reason == f"Import #{first.later_batch}":
        change = replace(
            change,
            batch_id=first.later_batch,
            file_name=first.later_file or "",
            url=reverse("import_batch", args=[first.later_batch]),
        )
    return undo_later_change_message(first.total, example, change)


def import_batch_can_undo(*, user: Any, batch: ImportBatch) -> bool:
    """Whether the batch page offers "Ångra import" to the user."""
    return import_batch_undo_refusal(user=user, batch=batch) is None
