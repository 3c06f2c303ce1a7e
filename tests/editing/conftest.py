"""Measures the editing tests report on: a count and a share that the org tree's health
centres report (the reporting grid, its feedback and the bulk writes share them)."""

from __future__ import annotations

import pytest

from followup.models import Measure
from tests.factories import MeasureFactory, OrgTree


@pytest.fixture
def visits(org_tree: OrgTree) -> Measure:
    measure = MeasureFactory(name="Besök", value_type=Measure.ValueType.COUNT, unit="st")
    measure.unit_kinds.set([org_tree.hc1a.kind])
    return measure


@pytest.fixture
def right_help(org_tree: OrgTree) -> Measure:
    measure = MeasureFactory(name="Rätt hjälp på en gång", share=True)
    measure.unit_kinds.set([org_tree.hc1a.kind])
    return measure
