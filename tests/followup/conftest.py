"""Fixtures of the follow-up pages."""

from __future__ import annotations

import pytest

from base.periods import Quarter
from tests.factories import OrgTree
from tests.followup.measure_data import ComputedMeasure, compute_measure, quarters_up_to


@pytest.fixture
def computed_measure(org_tree: OrgTree) -> ComputedMeasure:
    """A share over 12 quarters (36 months: SPC limits) for the region, a VO and an HC."""
    return compute_measure(
        units=[org_tree.region, org_tree.vo1, org_tree.hc1a],
        quarters=quarters_up_to(Quarter(2025, 4), 12),
    )
