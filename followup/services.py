"""The quarterly follow-up computation's entry points, and the writes of observations.

Everything is written set-based: one aggregation per result table rolls the observations up
the unit closure table in the database and compares each row with its stored one, and the
writes that follow touch only the new, changed and stale rows; the Python process never holds
the observations. Goal status is gathered with a few grouped queries and evaluated by the
pure functions in goals.status. A quarter is computed in one transaction under a lock, so a
rerun leaves identical rows and two runs never interleave. The jobs themselves live in
followup.compute (see its docstring); the reads of which quarters to compute in
followup.selectors.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from base.periods import Quarter
from base.writes import checked_delete, checked_save
from organisation.models import Unit

from . import cache as result_cache
from .compute import goal_status, rollup, series
from .compute.db import lock_computation, lock_spc, tune_for_batch
from .compute.scope import goal_measure_ids, scope_roots
from .models import ComputeRun, Measure, Observation
from .selectors import quarters_in_scope

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class QuarterSummary:
    """What one computation of a quarter wrote."""

    quarter: str
    measure_rows: int
    period_rows: int
    goal_rows: int
    spc_series: int

    def as_dict(self) -> dict[str, Any]:
        """Plain data, for Celery's JSON results and the command's output."""
        return asdict(self)


def spc_compute(*, quarters: Iterable[Quarter], measure_ids: Iterable[int] | None = None) -> int:
    """Roll up the period series and compute SPC for the quarters, oldest first.

    The CPU-bound half of the follow-up: the Celery path runs it as one task per measure after
    the roll-ups have committed, each going through the quarters in order (a quarter's series
    includes the earlier quarters' periods). Returns the series computed.
    """
    ids = None if measure_ids is None else list(measure_ids)
    count = 0
    for quarter in sorted(quarters):
        with transaction.atomic():
            lock_spc(ids)
            tune_for_batch()
            rollup.write_period_results(quarter, measure_ids=ids)
            count += series.write_spc(quarter, measure_ids=ids)
    transaction.on_commit(result_cache.bump_generation)
    return count


ERROR_OBSERVATION_FORBIDDEN = gettext_noop(
    "Du har inte behörighet att rapportera värden för {unit}."
)


def observation_record(
    *,
    user: Any,
    measure: Measure,
    unit: Unit,
    period_start: datetime.date,
    period_end: datetime.date,
    value: Decimal,
    numerator: Decimal | None = None,
    denominator: Decimal | None = None,
    source: str = "manual",
) -> Observation:
    """Record (create or correct) one value for a measure, unit and period.

    Permission-checked, validated with Swedish messages, recorded in the history with the user;
    the recompute of the affected quarters follows on commit (followup.signals).
    """
    existing = Observation.objects.filter(
        measure=measure, unit=unit, period_start=period_start
    ).first()
    observation = existing or Observation(measure=measure, unit=unit, period_start=period_start)
    action = "change_observation" if existing else "add_observation"
    if not user.has_perm(f"followup.{action}", observation):
        raise PermissionDenied(_(ERROR_OBSERVATION_FORBIDDEN).format(unit=unit.name))
    observation.period_end = period_end
    observation.quarter = Quarter.containing(period_end).code
    observation.value = value
    observation.numerator = numerator
    observation.denominator = denominator
    observation.source = source
    observation.full_clean()
    # simple-history records who made the change (its documented hook, unknown to the types).
    observation._history_user = user  # type: ignore[attr-defined]
    with transaction.atomic():
        observation.save()
    return observation


def observation_update(*, user: Any, observation: Observation) -> Observation:
    """Correct a stored observation as edited (its unit too): the user must be allowed to change
    it as it was and as it will be saved; the quarter follows the period."""
    if observation.pk is None:
        raise ValueError("observation_update takes a saved observation; use observation_record")
    return checked_save(
        user=user,
        obj=observation,
        message=_(ERROR_OBSERVATION_FORBIDDEN).format(unit=observation.unit.name),
    )


def observation_delete(*, user: Any, observation: Observation) -> None:
    """Delete one value of a unit in the user's scope (history keeps it; recompute on commit)."""
    checked_delete(
        user=user,
        obj=observation,
        message=_(ERROR_OBSERVATION_FORBIDDEN).format(unit=observation.unit.name),
    )


def quarter_compute(
    *,
    quarter: Quarter,
    trigger: str = "",
    today: datetime.date | None = None,
    spc: bool = True,
) -> QuarterSummary:
    """Compute and store every result of one quarter, atomically; a rerun writes the same rows.

    Counts in the summary are rows written: a rerun over unchanged data writes none. With
    spc=False the period series of units below the phases' organisation units and the SPC are
    left to spc_compute (the Celery path runs it per measure afterwards).
    """
    today = today or timezone.localdate()
    as_of = min(quarter.end, today)
    started = timezone.now()
    with transaction.atomic():
        lock_computation()
        tune_for_batch()
        measure_rows = rollup.write_measure_results(quarter)
        if spc:
            period_rows = rollup.write_period_results(quarter)
        else:
            # Goal status reads only the series of measure goals, for each phase's organisation
            # unit; the rest of the series is spc_compute's, per measure, afterwards.
            period_rows = rollup.write_period_results(
                quarter,
                measure_ids=goal_measure_ids(),
                unit_ids=set(scope_roots().values()),
            )
        spc_series = series.write_spc(quarter) if spc else 0
        goal_rows = goal_status.write_goal_results(quarter, as_of)
        ComputeRun.objects.create(
            quarter=quarter.code,
            started_at=started,
            finished_at=timezone.now(),
            measure_rows=measure_rows,
            period_rows=period_rows,
            goal_rows=goal_rows,
            spc_series=spc_series,
            trigger=trigger[:40],
        )
        transaction.on_commit(result_cache.bump_generation)
    summary = QuarterSummary(quarter.code, measure_rows, period_rows, goal_rows, spc_series)
    logger.info("Computed follow-up %s", summary)
    return summary


def recompute_all(
    *, trigger: str = "all", today: datetime.date | None = None
) -> list[QuarterSummary]:
    """Compute every quarter in scope, oldest first (a quarter's changes need the one before)."""
    return [
        quarter_compute(quarter=q, trigger=trigger, today=today) for q in quarters_in_scope(today)
    ]
