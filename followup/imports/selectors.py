"""What the import pages read: the template's rows, a batch's values, recent batches."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from base.periods import Quarter, month_label
from organisation.models import Unit

from ..formatting import format_value, format_value_pair
from ..models import ImportBatch, Measure, Observation, QuarterReport
from . import parsing
from .history import batch_history, counts_by_name, manual_records, user_names
from .lookups import unit_writable
from .report import source_label
from .undo import changed_since_import
from .wording import units_text


def latest_periods(today: datetime.date | None = None) -> dict[str, str]:
    """The latest complete month and quarter, as the template writes them."""
    today = today or timezone.localdate()
    last_month = today.replace(day=1) - datetime.timedelta(days=1)
    return {
        Measure.Frequency.MONTHLY: f"{last_month:%Y-%m}",
        Measure.Frequency.QUARTERLY: Quarter.containing(today).previous().label,
    }


# What "fyll i" says is, like the column names, the file format's words (Swedish in every
# language). The template's header is parsing.TEMPLATE_HEADER: the importer knows by it the
# columns the template adds for the reader.
FILL_PARTS = "täljare och nämnare"
FILL_WEIGHTED = "värde och nämnare"
FILL_COUNT = "värde (heltal)"
FILL_VALUE = "värde"


def template_fill_text(measure: Measure) -> str:
    """What a template row of the measure needs: a share (or any ratio of sums) its parts, so
    it adds up; a weighted mean its weight; a count a whole number."""
    if (
        measure.value_type == Measure.ValueType.SHARE
        or measure.aggregation == Measure.Aggregation.RATIO
    ):
        return FILL_PARTS
    if measure.aggregation == Measure.Aggregation.WEIGHTED_MEAN:
        return FILL_WEIGHTED
    if measure.value_type == Measure.ValueType.COUNT:
        return FILL_COUNT
    return FILL_VALUE


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
            cells = {
                parsing.COLUMN_LABELS["unit"]: unit.code,
                parsing.TEMPLATE_UNIT_NAME: unit.name,
                parsing.COLUMN_LABELS["measure"]: measure.code,
                parsing.TEMPLATE_MEASURE_NAME: measure.name,
                parsing.COLUMN_LABELS["period"]: periods[measure.frequency],
                parsing.TEMPLATE_FILL: template_fill_text(measure),
            }
            # In the header's order, whatever it is; the columns to fill in left empty.
            yield [cells.get(name, "") for name in parsing.TEMPLATE_HEADER]


def measures_of_other_source(*, measure_ids: list[int], source: str) -> list[tuple[str, str]]:
    """The measures, of those given, whose own source is not `source`: (name, source label),
    by name (one query)."""
    measures = Measure.objects.filter(pk__in=measure_ids).exclude(source=source).order_by("name")
    return [(m.name, str(m.get_source_display())) for m in measures]


def closed_quarters(*, codes: list[str]) -> dict[str, str]:
    """The quarters, of those given, with a closed or approved quarterly report: code → its
    status as the page writes it ("godkänd" if any organisation's is approved, one query)."""
    closed = QuarterReport.Status.CLOSED, QuarterReport.Status.APPROVED
    found: dict[str, str] = {}
    for code, status in QuarterReport.objects.filter(
        quarter__in=codes, status__in=closed
    ).values_list("quarter", "status"):
        if found.get(code) != QuarterReport.Status.APPROVED:
            found[code] = status
    return {code: str(QuarterReport.Status(status).label).lower() for code, status in found.items()}


def import_batches_for(*, user: Any) -> list[ImportBatch]:
    """The latest batches the user can see: everyone's for a global editor, else their own;
    each with `units_text`, the units it wrote ("Hälsocentral Norrby", "VO Norr (3 enheter)",
    "12 enheter"), as recorded on the batch when it was stored. One query, however many
    batches; no history is read."""
    batches = ImportBatch.objects.select_related("imported_by", "only_unit", "only_vo").exclude(
        source=ImportBatch.Source.DEMO
    )
    # A global editor (who may delete batches: no one changes one) sees everyone's.
    if not user.has_perm("followup.delete_importbatch"):
        batches = batches.filter(imported_by=user)
    listed = list(batches[:20])
    for batch in listed:
        batch.units_text = units_text(  # type: ignore[attr-defined]
            batch.unit_count,
            batch.only_unit.name if batch.only_unit else "",
            batch.only_vo.name if batch.only_vo else "",
        )
    return listed


def _previous_records(history: Any) -> QuerySet[Any]:
    """The history row before each outer history row of the same observation (newest first)."""
    return history.objects.filter(
        id=OuterRef("id"), history_id__lt=OuterRef("history_id")
    ).order_by("-history_id")


def _previous_entered_by(history: Any) -> Subquery:
    """Who had entered the value reported by hand that the outer history row replaced (as
    history.manual_records says; None if no one is named)."""
    return Subquery(
        manual_records(history)
        .filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
        .order_by("-history_id")
        .values("history_user_id")[:1]
    )


def _own(entered_by: int | None, batch: ImportBatch) -> bool:
    """Whether the value was entered by the batch's own importer."""
    return entered_by is not None and entered_by == batch.imported_by_id


def _replaced_someone_elses(batch: ImportBatch) -> Q:
    """The batch's changed values whose previous value someone other than its importer had
    reported by hand (annotated previous_source and previous_entered_by): the importer's own
    earlier values are only changed values."""
    manual = Q(history_type="~", previous_source=ImportBatch.Source.MANUAL)
    if batch.imported_by_id is None:  # the command without --user: no one's own
        return manual
    return manual & (
        Q(previous_entered_by__isnull=True) | ~Q(previous_entered_by=batch.imported_by_id)
    )


def import_batch_values(*, batch: ImportBatch, limit: int = 200) -> list[dict[str, Any]]:
    """The values the batch wrote, as its history rows tell (new or changed, with the value;
    a changed one with the value it replaced and where that came from; whether it changed
    after the import and, if so, its value today). One query."""
    history = Observation.history.model
    previous = _previous_records(history)
    rows = (
        batch_history(batch)
        .select_related("unit", "measure")
        .annotate(
            previous_value=Subquery(previous.values("value")[:1]),
            previous_source=Subquery(previous.values("source")[:1]),
            previous_entered_by=_previous_entered_by(history),
            changed_since=changed_since_import(history),
            today_value=Subquery(Observation.objects.filter(pk=OuterRef("id")).values("value")[:1]),
        )
        .order_by("history_id")[:limit]
    )
    # After an undo every value has a later history row (the undo's own): nothing to mark.
    undone = batch.undone_at is not None
    rows = list(rows)

    def replaced_manual(row: Any) -> bool:
        """Someone else's value reported by hand (not the importer's own earlier one)."""
        return (
            row.history_type != "+"
            and row.previous_source == ImportBatch.Source.MANUAL
            and not _own(row.previous_entered_by, batch)
        )

    # Who entered them, named as in the upload preview (one query, none without such values).
    names = user_names(row.previous_entered_by for row in rows if replaced_manual(row))

    def value_texts(row: Any) -> tuple[str, str]:
        """The value it replaced and the imported one, as the dashboards write the measure's
        values ("71,5", "69,3 %", "1 234 st"), with the decimals it takes for two different
        values to read differently (an index is written to one decimal)."""
        unit = row.measure.unit if row.measure_id else ""
        if row.history_type == "+" or row.previous_value is None:
            return "", format_value(row.value, unit)
        return format_value_pair(row.previous_value, row.value, unit)

    return [
        {
            "unit": row.unit.name if row.unit_id else "",
            "measure": row.measure.name if row.measure_id else "",
            "period": (
                Quarter.containing(row.period_start).label
                if row.measure_id and row.measure.frequency == Measure.Frequency.QUARTERLY
                else month_label(row.period_start)
            ),
            "value": value_texts(row)[1],
            "created": row.history_type == "+",
            "previous": value_texts(row)[0],
            "previous_source": (
                source_label(
                    row.previous_source,
                    entered_by=(
                        names.get(row.previous_entered_by, "") if replaced_manual(row) else ""
                    ),
                )
                if row.history_type != "+"
                else ""
            ),
            "replaced_manual": replaced_manual(row),
            # Changed (or deleted) after the import: what the value is today ("" if deleted).
            "changed_since": row.changed_since and not undone,
            "today": (
                format_value(row.today_value, row.measure.unit if row.measure_id else "")
                if row.today_value is not None
                else ""
            ),
        }
        for row in rows
    ]


def import_batch_manual_replaced(*, batch: ImportBatch) -> dict[str, int]:
    """Who had reported by hand the values the batch changed, other than its importer: name
    → how many, "" for values whose history names no one (as the upload preview counts them,
    ImportReport.manual_replaced_by). Empty without such values; two queries at most."""
    if not batch.changed_count:
        return {}
    history = Observation.history.model
    counts = (
        batch_history(batch)
        .filter(history_type="~")
        .annotate(
            previous_source=Subquery(_previous_records(history).values("source")[:1]),
            previous_entered_by=_previous_entered_by(history),
        )
        .filter(_replaced_someone_elses(batch))
        .order_by()
        .values("previous_entered_by")
        .annotate(count=Count("history_id"))
    )
    return counts_by_name({row["previous_entered_by"]: row["count"] for row in counts})


def import_batch_undo_counts(*, batch: ImportBatch) -> tuple[int, int]:
    """What undoing the batch would do, as its history tells: how many values it would remove
    (those the batch added) and how many it would give back their previous values (those it
    changed). One query."""
    counts = batch_history(batch).aggregate(
        removed=Count("history_id", filter=Q(history_type="+")),
        restored=Count("history_id", filter=Q(history_type="~")),
    )
    return counts["removed"], counts["restored"]
