"""Fixtures of the follow-up pages."""

from __future__ import annotations

import pytest

from base.periods import Quarter
from tests.factories import OrgTree
from tests.followup.dashboard_data import (
    TWO_ORGANISATIONS_SIZE,
    DashboardData,
    SecondOrganisation,
    dashboard_data_create,
    second_organisation_create,
)
from tests.followup.measure_data import ComputedMeasure, compute_measure, quarters_up_to


@pytest.fixture
def computed_measure(org_tree: OrgTree) -> ComputedMeasure:
    """A share over 12 quarters (36 months: SPC limits) for the region, a VO and an HC."""
    return compute_measure(
        units=[org_tree.region, org_tree.vo1, org_tree.hc1a],
        quarters=quarters_up_to(Quarter(2025, 4), 12),
    )


# --- two organisations in one installation ---------------------------------------------------
# "Region Testland" (`testland`, whose phase has no organisation until `bergland` is asked for)
# and "Region Bergland", each with its own tree, phase and "PO 1": the set-up of every test of
# several organisations (Portfölj, the area pages, the adoption matrix, the selects).


@pytest.fixture
def testland(db: None) -> DashboardData:
    return dashboard_data_create(**TWO_ORGANISATIONS_SIZE)


@pytest.fixture
def bergland(testland: DashboardData) -> SecondOrganisation:
    return second_organisation_create(testland, goals=TWO_ORGANISATIONS_SIZE["goals"], number=1)
