"""Computed results of a measure over several quarters, as the engine writes them."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder

from base.periods import Quarter
from followup.compute.series import spc_summary
from followup.models import Measure, SpcResult
from organisation.models import Unit
from tests.factories import (
    ComputeRunFactory,
    MeasureFactory,
    MeasureResultFactory,
)


@dataclass(frozen=True)
class ComputedMeasure:
    """A measure with results for some units over `quarters`, newest last."""

    measure: Measure
    quarters: list[Quarter]


def _months(quarters: list[Quarter]) -> list[datetime.date]:
    days = []
    for quarter in quarters:
        for offset in range(3):
            days.append(datetime.date(quarter.year, quarter.start.month + offset, 1))
    return days


def quarters_up_to(last: Quarter, count: int) -> list[Quarter]:
    out = [last]
    while len(out) < count:
        out.insert(0, out[0].previous())
    return out


def compute_measure(
    *,
    units: list[Unit],
    quarters: list[Quarter],
    measure: Measure | None = None,
    values: Callable[[int], float] | None = None,
) -> ComputedMeasure:
    """Write MeasureResult and SpcResult rows as the engine would, for each unit and quarter."""
    measure = measure or MeasureFactory(share=True, name="Rätt hjälp på en gång")
    values = values or (lambda i: 50 + (i % 3) + (8 if i > 20 else 0))
    months = _months(quarters)
    series = [(day, Decimal(str(values(i)))) for i, day in enumerate(months)]
    for unit in units:
        for index, quarter in enumerate(quarters):
            MeasureResultFactory(
                measure=measure,
                unit=unit,
                quarter=quarter.code,
                value=Decimal("60") + index,
                numerator=Decimal("600") + index,
                denominator=Decimal("1000"),
                reporting_units=3,
                expected_units=4,
            )
            upto = [point for point in series if point[0] <= quarter.end]
            SpcResult.objects.create(
                measure=measure,
                unit=unit,
                quarter=quarter.code,
                summary=json.loads(
                    json.dumps(
                        spc_summary(upto, improvement=measure.improvement),
                        cls=DjangoJSONEncoder,
                    )
                ),
                digest="x",
            )
    for quarter in quarters:
        ComputeRunFactory(quarter=quarter.code)
    return ComputedMeasure(measure, quarters)
