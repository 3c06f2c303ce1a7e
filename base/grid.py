"""What the two editing grids share: the adoption grid (goals/grid_services.py) and the
reporting grid (followup/reporting.py).

Each cell carries its own version and conflicts on its own; every changed cell is saved in
one transaction, or none. This module says, beside a cell someone saved since the grid was
opened, who saved it and when (each grid words its own sentence: the adoption grid names the
fields that differ, the reporting grid the stored value), and runs that one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db import models, transaction
from django.utils import dateformat, timezone
from django.utils.functional import Promise

from .editing import Conflict, conflict_for

M = TypeVar("M", bound=models.Model)
C = TypeVar("C")


@dataclass(frozen=True)
class CellConflict:
    """A cell saved by someone (or the user in another tab) since the grid was opened: the
    grid's sentence saying who, what and when, and the stored version the next save writes
    over (0 when the cell was removed)."""

    text: str
    version: int
    yours: bool


def cell_conflict(
    current: models.Model | None,
    *,
    since: int,
    user: Any,
    removed: str | Promise,
    sentence: Callable[[Conflict, str, bool], str],
    submitted: Mapping[str, Any] | None = None,
) -> CellConflict:
    """What the grid says beside a cell stored since version `since` (the user's grid's).

    `removed` is said when the cell's row is gone. Otherwise `sentence(info, when, yours)`
    words it: `info` is `conflict_for` against the `submitted` values, `when` the last save's
    time in local time ("1 dec 2026 19:50", "" if unknown), `yours` whether every save since
    was the user's own (in another tab). A space left before a full stop by an empty part
    ("… sparade 45 st .") is dropped.
    """
    if current is None:
        return CellConflict(str(removed), version=0, yours=False)
    info = conflict_for(current, submitted or {}, since_version=since)
    when = (
        dateformat.format(timezone.localtime(info.saved_at), "j b Y H:i") if info.saved_at else ""
    )
    yours = info.user_id is not None and info.user_id == getattr(user, "pk", None)
    text = sentence(info, when, yours)
    return CellConflict(text.replace(" .", "."), version=info.version, yours=yours)


def expected_version(cleaned_data: Mapping[str, Any]) -> int:
    """The stored version a cell's save writes over: after a conflict the one said beside the
    cell (hidden `overwrite`, knowingly), else the one the grid was opened at (0: no row)."""
    overwrite = cleaned_data.get("overwrite")
    return int(overwrite if overwrite is not None else (cleaned_data.get("version") or 0))


def offer_overwrite(form: Any, conflict: CellConflict) -> None:
    """The conflicting cell is shown again as typed, carrying the stored version said beside
    it: saving again writes over that version (and only that one)."""
    form.data = form.data.copy()
    form.data[form.add_prefix("overwrite")] = str(conflict.version)


@dataclass
class GridResult(Generic[M]):
    """What a grid save did: cells saved, or per-cell errors and conflicts (then none saved);
    a conflict maps the cell's key to the row stored now (None: removed since)."""

    saved: int = 0
    errors: dict[str, list[str]] = field(default_factory=dict)
    conflicts: dict[str, M | None] = field(default_factory=dict)


class _Rollback(Exception):  # noqa: N818 - control flow inside the transaction only
    pass


def save_all_or_nothing(
    result: GridResult[Any], cells: Iterable[C], save_cell: Callable[[C], None]
) -> None:
    """Save every cell with `save_cell` (which counts it in `result` as saved, an error or a
    conflict) in one transaction, rolled back entirely, and nothing counted as saved, when any
    cell is invalid, forbidden or stale."""
    try:
        with transaction.atomic():
            for cell in cells:
                save_cell(cell)
            if result.errors or result.conflicts:
                raise _Rollback
    except _Rollback:
        result.saved = 0
