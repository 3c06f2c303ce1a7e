"""What the import pages read: the template's rows, a batch's values, recent batches."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from base.periods import Quarter, month_label
from organisation.models import Unit

from ..formatting import format_value
from ..models import ImportBatch, Measure, Observation
from .services import change_reason, unit_writable


def latest_periods(today: datetime.date | None = None) -> dict[str, str]:
    """The latest complete month and quarter, as the template writes them."""
    today = today or timezone.localdate()
    last_month = today.replace(day=1) - datetime.timedelta(days=1)
    return {
        Measure.Frequency.MONTHLY: f"{last_month:%Y-%m}",
        Measure.Frequency.QUARTERLY: Quarter.containing(today).previous().label,
    }


TEMPLATE_HEADER = ["enhet", "enhetsnamn", "mått", "måttnamn", "period", "värde", "täljare",
                   "nämnare", "kommentar"]  # fmt: skip


def import_template_rows(*, user: Any, today: datetime.date | None = None) -> Iterator[list[str]]:
    """One row per unit the user reports for × measure its kind reports, for the latest period.

    The units are the care units (units with no units below them) open today in the user's
    scope; a measure with no reporting kinds is reported by every unit.
    """
    today = today or timezone.localdate()
    units = [
        unit
        for unit in Unit.objects.active_on(today)
        .filter(children__isnull=True)
        .select_related("kind")
        .order_by("code")
        if unit_writable(user, unit.pk)
    ]
    periods = latest_periods(today)
    measures = list(Measure.objects.prefetch_related("unit_kinds").order_by("code"))
    kinds = {m.pk: {k.pk for k in m.unit_kinds.all()} for m in measures}
    for unit in units:
        for measure in measures:
            if kinds[measure.pk] and unit.kind_id not in kinds[measure.pk]:
                continue
            yield [unit.code, unit.name, measure.code, measure.name,
                   periods[measure.frequency], "", "", "", ""]  # fmt: skip


def import_batches_for(*, user: Any) -> QuerySet[ImportBatch]:
    """The latest batches the user can see: everyone's for a global editor, else their own."""
    batches = ImportBatch.objects.select_related("imported_by").exclude(
        source=ImportBatch.Source.DEMO
    )
    # Who may change any batch (a global editor) sees everyone's.
    if not user.has_perm("followup.change_importbatch"):
        batches = batches.filter(imported_by=user)
    return batches[:20]


def import_batch_values(*, batch: ImportBatch, limit: int = 200) -> list[dict[str, Any]]:
    """The values the batch wrote, as its history rows tell (new or changed, with the value)."""
    history = Observation.history.model
    rows = (
        history.objects.filter(history_change_reason=change_reason(batch))
        .select_related("unit", "measure")
        .order_by("history_id")[:limit]
    )
    return [
        {
            "unit": row.unit.name if row.unit_id else "",
            "measure": row.measure.name if row.measure_id else "",
            "period": (
                Quarter.containing(row.period_start).label
                if row.measure_id and row.measure.frequency == Measure.Frequency.QUARTERLY
                else month_label(row.period_start)
            ),
            # As the dashboards write the measure's values: "71,5", "69,3 %", "1 234 st".
            "value": format_value(row.value, row.measure.unit if row.measure_id else ""),
            "created": row.history_type == "+",
        }
        for row in rows
    ]
