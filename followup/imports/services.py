"""Validate and store a file of measure values: preview, all or nothing, undo.

One pass over the file checks every row. On PostgreSQL a CSV's raw cells go with COPY into a
temporary table and are parsed and checked set-based in SQL (sqlcheck); an XLSX's rows are
checked by _RowChecker (rows.py) and their checked values COPYed. Either way the checked rows
land in a staging table, and set-based SQL finds a value given twice, compares with the stored
values and writes the changes with their history; memory stays flat.
On SQLite (the embedded mode) the ORM compares and writes a chunk at a time, and a compact set
of the keys seen finds a value given twice. Storing runs in one transaction: a refused file
leaves no observation, batch or history row behind.

This module holds the entry points (import_preview, import_store) and the pass over the file
with its ORM path; the rest of the import lives beside it, and every caller (views, jobs, the
command, the admin, the tests, the bench) imports a name from the module that defines it, with
no re-exports here:
  messages.py  the messages (msgids), the limits and the history's change reasons;
  report.py    the results (Problem, ChangeLine, JumpLine, ImportReport) and the exceptions;
  lookups.py   the units and measures a file may name (_Lookups), and their messages;
  rows.py      one row: _RowChecker and the helpers that word a problem, change or jump;
  staged.py    the staged pass on PostgreSQL (COPY into a staging table, set-based SQL);
  undo.py      undoing an import, deleting a demo batch.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import replace
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from base.periods import Quarter
from organisation.models import Unit
from organisation.selectors import scope_for

from .. import triggers, value_rules
from ..models import ImportBatch, Measure, Observation
from . import parsing
from .history import last_history_id, manual_entries, new_batch, record_manual_replaced
from .lookups import _Lookups
from .messages import (
    CHANGE_LIMIT,
    CHUNK_ROWS,
    ERROR_FILE_TOO_LARGE,
    ERROR_NO_ROWS,
    ERROR_ONLY_EMPTY_ROW,
    ERROR_ONLY_EMPTY_ROWS,
    ERROR_SOURCE_SYSTEM,
    change_reason,
)
from .parsing import FileRefused
from .report import ChangeLine, ImportRefused, ImportReport, Problem, Progress
from .rows import (
    _add_jump,
    _change_details,
    _change_texts,
    _fmt,
    _new_details,
    _period_label,
    _Row,
    _RowChecker,
)
from .staged import _sql_checks, _staged_pass, copy_available
from .wording import count_text

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
    # Changed values reported by hand, by who entered them, and the listed ones' lines: the
    # preview warns only of someone else's (history.record_manual_replaced).
    manual_counts: dict[int | None, int] = {}
    manual_lines: dict[int, int | None] = {}

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
        # Changed values reported by hand: (observation, its line in report.changes or None).
        by_hand: list[tuple[int, int | None]] = []
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
                    # Whose it is is asked below, for the chunk at once.
                    listed = len(report.changes) < CHANGE_LIMIT
                    by_hand.append((obs.pk, len(report.changes) if listed else None))
                if old_source:
                    report.replaced_sources[old_source] = (
                        report.replaced_sources.get(old_source, 0) + 1
                    )
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
        if by_hand:  # before the write: who entered them, not this import
            entered = manual_entries(obs_id for obs_id, _line in by_hand)
            for obs_id, line in by_hand:
                entered_by = entered.get(obs_id)
                manual_counts[entered_by] = manual_counts.get(entered_by, 0) + 1
                if line is not None:
                    manual_lines[line] = entered_by
        previous = _stored_previous(unexplained)
        candidates.extend((row, previous.get(_previous_key(row))) for row in unexplained)
        if store and report.ok and (new or changed):
            if batch is None:
                batch = new_batch(
                    source=source, file_name=file_name, user=user, sha256=report.sha256
                )
            _write(batch, user, new, changed)
        if progress is not None:
            progress(report.rows)
    report.quarters = sorted(q.code for q in quarters)
    report.measures = sorted(measure_ids)
    if manual_counts:
        record_manual_replaced(report, user=user, counts=manual_counts, lines=manual_lines)
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
        batch.history_to = last_history_id()  # every chunk written: the range's end
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


def _recompute_from(first: Quarter) -> None:
    """One coalesced recompute of the first changed quarter and every later one, on commit."""
    from ..selectors import quarters_affected_from

    triggers.request_recompute(quarters_affected_from(first), trigger="import")


# The sources a file can be imported as (a demo batch is load_demo's, never a file's).
IMPORT_SOURCES = [value for value in ImportBatch.Source.values if value != ImportBatch.Source.DEMO]


def import_sources_for(user: Any) -> list[str]:
    """The sources `user` may import values as: a system's (Cyklop, Cosmic …) only for those
    who edit everything, and the command line's operator (no user); everyone else's values are
    their own report, Manuell inrapportering (as ObservationAdmin keeps `source` theirs)."""
    if user is None or scope_for(user).edits_everything:
        return list(IMPORT_SOURCES)
    return [ImportBatch.Source.MANUAL]


def check_import_source(*, user: Any, source: str) -> None:
    """Refuse (PermissionDenied, in Swedish) a source `user` may not import as: the upload
    form, the command and import_store ask it."""
    if source in import_sources_for(user):
        return
    systems = ", ".join(
        str(label)
        for value, label in ImportBatch.Source.choices
        if value in IMPORT_SOURCES and value != ImportBatch.Source.MANUAL
    )
    raise PermissionDenied(_(ERROR_SOURCE_SYSTEM).format(systems=systems))


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
    check_import_source(user=user, source=source)
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
