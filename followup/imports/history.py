"""Where a batch's values lie in the observations' history: the range of history ids the store
records on the batch (ImportBatch.history_from/history_to), and the rows found by it.

The change reason "Import #<pk>" has no index (every import would write it): the range is a
range of the history's primary key, so the batch page and the undo read the batch's own rows,
not the whole history; the reason picks them out of the range (an import running at the same
time may have rows in it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Max, Q, QuerySet

from base.history import author_label

from ..models import ImportBatch, Observation
from .messages import UNDO_REASON_PREFIX, change_reason
from .report import ImportReport


def batch_history(batch: ImportBatch) -> QuerySet[Any]:
    """The observations' history rows the batch wrote: those with its change reason, looked for
    only in the range the store recorded on the batch when it has one. A batch without a range
    (not stored by the import) is found by its reason alone."""
    rows = Observation.history.model.objects.filter(history_change_reason=change_reason(batch))
    if batch.history_from is not None and batch.history_to is not None:
        rows = rows.filter(history_id__gt=batch.history_from, history_id__lte=batch.history_to)
    return rows


def last_history_id() -> int:
    """The highest id in the observations' history this transaction sees (the primary key's
    last entry). Taken when a batch is made, every row the batch then writes has a higher id
    (ids come from the history's identity sequence, handed out in order); taken after its last
    write, none has a higher one."""
    last = Observation.history.model.objects.aggregate(last=Max("history_id"))["last"]
    return last or 0


def new_batch(*, source: str, file_name: str, user: Any, sha256: str) -> ImportBatch:
    """The batch a store writes its values under, made before it writes any (`history_from`;
    the store sets `history_to` after its last write)."""
    return ImportBatch.objects.create(
        source=source,
        file_name=file_name,
        imported_by=user,
        sha256=sha256,
        history_from=last_history_id(),
    )


# --- who entered a value by hand --------------------------------------------------------------


def manual_records(history: Any) -> QuerySet[Any]:
    """History rows that say who entered a value reported by hand: its rows with the source
    Manuell inrapportering, except an undo's (which puts back what someone else entered: the
    undoer did not enter it). The latest of them for an observation whose source is Manuell
    inrapportering today names who entered its value (the grid's user, or who imported it as
    their own report); the history's user is None for a loader or a script."""
    return history.objects.filter(source=ImportBatch.Source.MANUAL).exclude(
        Q(history_change_reason__startswith=UNDO_REASON_PREFIX)
    )


# The same in SQL, for the staged pass: the user who entered the value of the observation whose
# id is `{obs}` (an SQL expression), as manual_records says; params "manual" and "undo".
ENTERED_BY_SQL = (
    "(SELECT h.history_user_id FROM {history} AS h WHERE h.id = {obs} "
    "AND h.source = %(manual)s AND coalesce(h.history_change_reason, '') NOT LIKE %(undo)s "
    "ORDER BY h.history_id DESC LIMIT 1)"
)


def entered_by_sql(obs: str) -> str:
    """ENTERED_BY_SQL for the observation id `obs`."""
    return ENTERED_BY_SQL.format(history=Observation.history.model._meta.db_table, obs=obs)


def entered_by_params() -> dict[str, str]:
    return {"manual": ImportBatch.Source.MANUAL.value, "undo": f"{UNDO_REASON_PREFIX}%"}


def manual_entries(observation_ids: Iterable[int]) -> dict[int, int | None]:
    """Who entered each of the observations' values by hand (their source Manuell
    inrapportering): observation id → user id, None when the history names no one (one
    query)."""
    ids = set(observation_ids)
    if not ids:
        return {}
    found: dict[int, int | None] = {}
    rows = (
        manual_records(Observation.history.model)
        .filter(id__in=ids)
        .order_by("id", "-history_id")
        .values_list("id", "history_user_id")
    )
    for obs_id, user_id in rows:
        found.setdefault(obs_id, user_id)
    return found


def user_names(user_ids: Iterable[int | None]) -> dict[int, str]:
    """The users' names as the pages show them (full name, else user name), by id."""
    ids = {user_id for user_id in user_ids if user_id is not None}
    if not ids:
        return {}
    return {user.pk: author_label(user) for user in get_user_model().objects.filter(pk__in=ids)}


def counts_by_name(
    counts: dict[int | None, int], names: dict[int, str] | None = None
) -> dict[str, int]:
    """Values reported by hand counted by who entered them (a user id, None for no one
    named) → by name ("" for no one named), as ImportReport.manual_replaced_by holds them;
    `names` from user_names (read here when not given)."""
    names = user_names(counts) if names is None else names
    by_name: dict[str, int] = {}
    for user_id, count in counts.items():
        name = names.get(user_id, "") if user_id is not None else ""
        by_name[name] = by_name.get(name, 0) + count
    return by_name


def record_manual_replaced(
    report: ImportReport,
    *,
    user: Any,
    counts: dict[int | None, int],
    lines: dict[int, int | None],
) -> None:
    """Count the changed values reported by hand that someone else entered, by who, and mark
    the listed changes with who entered them (one query for the names).

    `counts`: who entered them (a user id, None for no one named) → how many values the file
    changes; `lines`: index in report.changes → who entered that value. The importing user's
    own values are only changed values: not counted, and their lines marked as their own."""
    me = getattr(user, "pk", None)
    names = user_names([*counts, *lines.values()])
    others = {user_id: count for user_id, count in counts.items() if me is None or user_id != me}
    for name, count in counts_by_name(others, names).items():
        report.manual_replaced += count
        report.manual_replaced_by[name] = report.manual_replaced_by.get(name, 0) + count
    for index, user_id in lines.items():
        own = me is not None and user_id == me
        name = "" if own or user_id is None else names.get(user_id, "")
        report.changes[index] = replace(report.changes[index], own=own, entered_by=name)
