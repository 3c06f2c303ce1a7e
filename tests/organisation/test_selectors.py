"""Reads of the unit tree: the unit search ignores case and accents; lists in tree order."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from organisation import services
from organisation.models import Unit
from organisation.selectors import unit_forest, unit_search
from tests.factories import OrgTree, UnitFactory

pytestmark = pytest.mark.django_db


def names(units: list[Unit]) -> list[str]:
    return [unit.name for unit in units]


def test_the_unit_search_finds_a_name_typed_without_a_ring_or_dots(org_tree: OrgTree) -> None:
    with CaptureQueriesContext(connection) as queries:
        without = unit_search(text="halsocentral sod")
    assert len(queries) == 1

    assert names(without.units) == ["Hälsocentral Söderby", "Hälsocentral Södervik"]
    assert names(unit_search(text="HÄLSOCENTRAL SÖD").units) == names(without.units)
    assert names(unit_search(text="vo sod").units) == ["VO Söder"]


def test_the_unit_search_keeps_its_ranking_an_exact_code_first_then_names_that_begin(
    org_tree: OrgTree,
) -> None:
    UnitFactory(code="HC9", name="Nya hälsocentralen", parent=org_tree.vo1)

    found = unit_search(text="halsocentral")

    # Names that begin with the text first, then those that merely contain it.
    assert names(found.units)[-1] == "Nya hälsocentralen"
    assert names(unit_search(text="vo1").units)[0] == "VO Norr"


def test_a_renamed_unit_is_found_by_its_new_name(org_tree: OrgTree) -> None:
    unit = org_tree.hc1a
    unit.name = "Vårdcentral Älvdalen"
    services.unit_save_trusted(unit=unit)

    assert names(unit_search(text="alvdalen").units) == ["Vårdcentral Älvdalen"]
    assert unit_search(text="norrby").units == []


def test_units_are_listed_as_the_tree_orders_them(org_tree: OrgTree) -> None:
    other_area = UnitFactory(
        code="AA", name="Akutsjukvård", kind=org_tree.area.kind, parent=org_tree.region
    )
    units = [org_tree.vo2, org_tree.region, org_tree.vo1, other_area, org_tree.area]

    with CaptureQueriesContext(connection) as queries:
        forest = unit_forest(units=units)
    assert len(queries) == 1

    def outline(nodes: list, depth: int = 0) -> list[str]:  # type: ignore[type-arg]
        lines = []
        for node in nodes:
            lines.append("  " * depth + node.unit.name)
            lines += outline(node.children, depth + 1)
        return lines

    assert outline(forest) == [
        "Region Testland",
        "  Akutsjukvård",
        "  Primärvård",
        "    VO Norr",
        "    VO Söder",
    ]
