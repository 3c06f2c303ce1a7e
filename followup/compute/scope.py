"""Which units the goals are about and which measures they follow (reads for the computation)."""

from __future__ import annotations

from goals.models import Goal
from organisation.models import Unit
from programmes.models import Phase


def scope_roots() -> dict[int, int]:
    """The unit each phase's goals are about: its organisation unit, or the tree's root."""
    default_root = (
        Unit.objects.filter(parent__isnull=True).order_by("id").values_list("id", flat=True).first()
    )
    roots: dict[int, int] = {}
    for phase_id, unit_id in Phase.objects.values_list("id", "organisation_unit_id"):
        root = unit_id or default_root
        if root is not None:
            roots[phase_id] = root
    return roots


def goal_measure_ids() -> set[int]:
    """The measures that measure goals follow."""
    return set(
        Goal.objects.filter(kind=Goal.Kind.MEASURE, measure__isnull=False)
        .values_list("measure_id", flat=True)
        .distinct()
    )
