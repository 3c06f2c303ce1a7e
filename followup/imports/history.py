"""Where a batch's values lie in the observations' history: the range of history ids the store
records on the batch (ImportBatch.history_from/history_to), and the rows found by it.

The change reason "Import #<pk>" has no index (every import would write it): the range is a
range of the history's primary key, so the batch page and the undo read the batch's own rows,
not the whole history; the reason picks them out of the range (an import running at the same
time may have rows in it).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Max, QuerySet

from ..models import ImportBatch, Observation
from .messages import change_reason


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
