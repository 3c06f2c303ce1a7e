"""The period series of each (measure, unit) and their SPC (Making Data Count XmR)."""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, Literal, cast

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from base.periods import Quarter
from goals.models import Goal
from organisation.models import Unit

from ..models import Measure, MeasureResult, PeriodResult, SpcResult
from ..spc import xmr
from .scope import scope_roots
from .writes import upsert_quarter_rows


@functools.lru_cache(maxsize=1024)
def period_end(start: datetime.date, frequency: str) -> datetime.date:
    """Last day of the period that starts on the given day (a few dozen distinct ones)."""
    if frequency == Measure.Frequency.QUARTERLY:
        return Quarter.containing(start).end
    next_month = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return next_month - datetime.timedelta(days=1)


# One period of a series: its start, value, and the units that reported for it and were
# expected to (the expected units of its quarter's MeasureResult; None where there is none).
SeriesPoint = tuple[datetime.date, Decimal | None, int, int | None]


def _series_by_unit(
    measure_id: int, quarter: Quarter, *, only_aggregates: bool
) -> Iterator[tuple[int, list[SeriesPoint]]]:
    """Stream (unit, series up to the quarter's end) for one measure, one unit at a time.

    Only units with a result this quarter (a closed unit's old series gets no new chart),
    and with only_aggregates only units that have units below them; filtered in the query.
    Each period carries its reporting units and its quarter's expected units, read by one
    more query per measure (the units' results of the quarters so far), so that a period
    only some of the units have reported is drawn but not judged.
    """
    with_result = MeasureResult.objects.filter(measure_id=measure_id, quarter=quarter.code).values(
        "unit_id"
    )
    rows = PeriodResult.objects.filter(
        measure_id=measure_id, period_start__lte=quarter.end, unit_id__in=with_result
    )
    results = MeasureResult.objects.filter(
        measure_id=measure_id, quarter__lte=quarter.code, unit_id__in=with_result
    )
    if only_aggregates:
        parents = Unit.objects.filter(parent__isnull=False).values("parent_id")
        rows = rows.filter(unit_id__in=parents)
        results = results.filter(unit_id__in=parents)
    expected: dict[tuple[int, str], int] = {
        (unit_id, code): units
        for unit_id, code, units in results.values_list("unit_id", "quarter", "expected_units")
    }
    current: int | None = None
    series: list[SeriesPoint] = []
    ordered = rows.order_by("unit_id", "period_start").values_list(
        "unit_id", "period_start", "value", "reporting_units", "quarter"
    )
    for unit_id, start, value, reporting, code in ordered.iterator(chunk_size=5000):
        if unit_id != current:
            if current is not None:
                yield current, series
            current, series = unit_id, []
        series.append((start, value, reporting, expected.get((unit_id, code))))
    if current is not None:
        yield current, series


def is_incomplete(reporting: int, expected: int | None) -> bool:
    """Whether a period rests on only some of the units expected to report for it.

    Complete means every expected unit reported (a care unit's own period: it reported). A
    period with no expected count (no result for its quarter) or none expected is complete:
    there is nothing it falls short of.
    """
    return bool(expected) and reporting < cast(int, expected)


# Bump when the stored SPC summary changes shape or meaning: every series is then recomputed
# once, since its stored digest no longer matches.
# 3: points carry their (rule, side) signals and the summary its direction of improvement.
# 4: a period only some of the expected units have reported is not judged (a sixth field,
#    [reporting, expected]), and the digest covers the units.
SPC_FORMAT_VERSION = 4


def spc_summary(
    series: Sequence[SeriesPoint] | Sequence[tuple[datetime.date, Decimal | None]],
    *,
    improvement: str,
    target: Decimal | None = None,
) -> dict[str, Any]:
    """SPC of one series in the compact form stored as SpcResult.summary.

    Points are [period start, value, type, rules, signals], signals each [rule, side] ("high"
    or "low"), and `improvement` is "higher", "lower" or None, so a reader can tell what each
    signal says (followup.spc.reasons). A period without a value (say, a share whose
    denominator was 0) has no point, as xmr skips missing values. A period that fewer units
    reported than were expected (series items (start, value, reporting, expected)) is drawn
    but not judged: its point has a sixth field, [reporting, expected], and no rule.
    """
    direction = cast(
        Literal["higher", "lower"] | None,
        None if improvement == Measure.Improvement.NONE else improvement,
    )
    units: dict[int, tuple[int, int | None]] = {}
    for i, item in enumerate(series):
        if len(item) == 4:
            full = cast(SeriesPoint, item)
            units[i] = (full[2], full[3])
    partial = [
        i for i, (reporting, expected) in units.items() if is_incomplete(reporting, expected)
    ]
    result = xmr(
        [item[1] for item in series],
        improvement=direction,
        target=float(target) if target is not None else None,
        incomplete=partial,
    )
    data = result.to_dict()
    data["improvement"] = direction
    data["points"] = [
        [
            series[point["index"]][0].isoformat(),
            point["value"],
            point["type"],
            point["rules"],
            point["signals"],
        ]
        + ([list(units[point["index"]])] if point["incomplete"] else [])
        for point in data["points"]
    ]
    return data


def spc_digest(
    series: Sequence[SeriesPoint],
    *,
    improvement: str,
    target: Decimal | None,
) -> str:
    """A fingerprint of everything an SPC summary is computed from.

    Stored with the summary, it lets a rerun skip the series whose inputs did not change: most
    of them, since a change of one observation alters only its unit's and ancestors' series.
    """
    text = repr((SPC_FORMAT_VERSION, improvement, str(target), series))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _measure_targets() -> dict[tuple[int, int], Decimal]:
    """Absolute targets of measure goals, keyed by (measure, the unit the goal is about)."""
    roots = scope_roots()
    targets: dict[tuple[int, int], Decimal] = {}
    for goal in Goal.objects.filter(kind=Goal.Kind.MEASURE, target_value__isnull=False).values(
        "measure_id", "target_value", "programme_area__phase_id"
    ):
        root = roots.get(goal["programme_area__phase_id"])
        target = goal["target_value"]
        if root is not None and target is not None:
            targets[(goal["measure_id"], root)] = target
    return targets


def _store_spc(
    quarter: Quarter, rows: list[tuple[int, int, str, str]], *, none_stored: bool
) -> int:
    """Upsert (measure, unit, summary JSON, digest) as the quarter's SpcResult rows."""
    return upsert_quarter_rows(
        SpcResult,
        quarter,
        ["measure_id", "unit_id"],
        ["summary", "digest"],
        rows,
        none_stored=none_stored,
    )


def write_spc(quarter: Quarter, *, measure_ids: Iterable[int] | None = None) -> int:
    """Compute SPC for the quarter's (measure, unit) results whose inputs changed.

    Returns the series computed; a series whose digest matches the stored one is skipped.
    """
    only_aggregates = settings.GONV_SPC_SCOPE == "aggregates"
    targets = _measure_targets()
    measures = Measure.objects.only("id", "improvement", "frequency")
    if measure_ids is not None:
        measures = measures.filter(id__in=list(measure_ids))
    count = 0
    for measure in measures:
        stored = dict(
            SpcResult.objects.filter(measure=measure, quarter=quarter.code).values_list(
                "unit_id", "digest"
            )
        )
        rows: list[tuple[int, int, str, str]] = []
        charted: set[int] = set()
        for unit_id, series in _series_by_unit(
            measure.pk, quarter, only_aggregates=only_aggregates
        ):
            charted.add(unit_id)
            target = targets.get((measure.pk, unit_id))
            digest = spc_digest(series, improvement=measure.improvement, target=target)
            if stored.get(unit_id) == digest:
                continue
            summary = spc_summary(series, improvement=measure.improvement, target=target)
            rows.append((measure.pk, unit_id, json.dumps(summary, cls=DjangoJSONEncoder), digest))
            if len(rows) >= 5000:
                count += _store_spc(quarter, rows, none_stored=not stored)
                rows = []
        count += _store_spc(quarter, rows, none_stored=not stored)
        # A unit whose series is gone (its observations withdrawn, or outside the SPC scope
        # now) keeps no chart of what it used to be.
        if gone := stored.keys() - charted:
            SpcResult.objects.filter(
                measure=measure, quarter=quarter.code, unit_id__in=sorted(gone)
            ).delete()
    return count
