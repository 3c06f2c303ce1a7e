"""Att göra's missing values follow the quarter the unit's page shows, when one is chosen.

Before closing a quarter the strategist opens the region with `?kvartal=` and sees which
units lack which values of that quarter (its months for monthly measures, the quarter for
quarterly ones), each with a link to report it; without a choice the list keeps the latest
complete periods.
"""

from __future__ import annotations

import datetime
import html

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from base.periods import Quarter
from followup.models import Measure
from followup.todo import observation_add_url, unit_todo
from tests.factories import MeasureFactory, ObservationFactory, OrgTree

pytestmark = pytest.mark.django_db

Q3 = Quarter(2025, 3)
TODAY = datetime.date(2025, 12, 1)


@pytest.fixture
def measures(org_tree: OrgTree) -> tuple[Measure, Measure]:
    """A monthly manual measure every HC reports but HC 1B for August 2025 and HC 2A for
    September 2025; an imported one that HC 2B lacks for July 2025."""
    hc_kind = org_tree.hc1a.kind
    manual = MeasureFactory(name="Besök")
    manual.unit_kinds.set([hc_kind])
    imported = MeasureFactory(name="Läkartider", source=Measure.Source.CYKLOP)
    imported.unit_kinds.set([hc_kind])
    months = [datetime.date(2025, m, 1) for m in (7, 8, 9, 10, 11)]
    for hc in org_tree.hcs:
        for month in months:
            if (hc, month) not in {
                (org_tree.hc1b, months[1]),
                (org_tree.hc2a, months[2]),
            }:
                ObservationFactory(measure=manual, unit=hc, period_start=month)
            if (hc, month) != (org_tree.hc2b, months[0]):
                ObservationFactory(measure=imported, unit=hc, period_start=month)
    return manual, imported


def _lists(org_tree: OrgTree, quarter: Quarter | None) -> dict[str, list[str]]:
    todo = unit_todo(unit=org_tree.region, today=TODAY, quarter=quarter)
    return {t.key: [item.text for item in t.items] for t in todo}


def test_the_chosen_quarters_missing_values_name_the_units_and_measures(
    org_tree: OrgTree, measures: tuple[Measure, Measure]
) -> None:
    chosen = _lists(org_tree, Q3)
    latest = _lists(org_tree, None)

    assert chosen["missing"] == [
        "Hälsocentral Nordvik: Besök för aug 2025",
        "Hälsocentral Söderby: Besök för sep 2025",
    ]
    assert chosen["imported"] == [
        "Läkartider för jul 2025: 1 enhet saknar värde (importeras från Cyklop): "
        "Hälsocentral Södervik"
    ]
    # Without a choice: the latest complete month (Nov 2025), where nothing is missing.
    assert latest["missing"] == []
    assert latest["imported"] == []


def test_a_quarter_under_way_counts_its_ended_months_only(
    org_tree: OrgTree, measures: tuple[Measure, Measure]
) -> None:
    todo = unit_todo(unit=org_tree.region, today=TODAY, quarter=Quarter(2025, 4))
    missing = next(t for t in todo if t.key == "missing")

    assert missing.title == "Saknade värden för Kv 4 2025"
    assert missing.items == []
    assert missing.intro == (
        "Värden som rapporteras för hand och saknas för Kv 4 2025 (okt–nov 2025 för månadsmått)."
    )


@pytest.mark.parametrize("role", ["strategist", "vc", "vec"])
def test_the_units_page_lists_the_chosen_quarters_gaps_with_links_to_report_them(
    request: pytest.FixtureRequest,
    org_tree: OrgTree,
    measures: tuple[Measure, Measure],
    role: str,
) -> None:
    user: User = request.getfixturevalue(role)
    unit = {"strategist": org_tree.region, "vc": org_tree.vo1, "vec": org_tree.hc1a}[role]
    client = Client()
    client.force_login(user)

    content = html.unescape(
        client.get(
            reverse("unit_detail", kwargs={"code": unit.code}), {"kvartal": Q3.code}
        ).content.decode()
    )

    assert "Saknade värden för Kv 3 2025" in content
    nordvik = "Hälsocentral Nordvik: Besök för aug 2025"
    link = observation_add_url(
        unit=org_tree.hc1b, measure=measures[0], period_start=datetime.date(2025, 8, 1)
    )
    if role == "vec":  # HC 1A lacks nothing
        assert nordvik not in content
    else:
        assert nordvik in content
        assert f'href="{link}"' in content
        assert client.get(link).status_code == 200
    assert ("Hälsocentral Söderby: Besök för sep 2025" in content) == (role == "strategist")


def test_readers_get_no_att_gora(
    org_tree: OrgTree, measures: tuple[Measure, Measure], steering_member: User
) -> None:
    client = Client()
    client.force_login(steering_member)

    content = client.get(
        reverse("unit_detail", kwargs={"code": org_tree.region.code}), {"kvartal": Q3.code}
    ).content.decode()

    assert "Saknade värden" not in content


def test_more_units_than_named_are_counted() -> None:
    from followup.todo import NAMED_UNITS, _unit_names

    names = [f"Hälsocentral {number}" for number in range(NAMED_UNITS + 2)]
    assert _unit_names(names[:NAMED_UNITS]) == "; ".join(names[:NAMED_UNITS])
    assert _unit_names(names) == "; ".join(names[:NAMED_UNITS]) + " och 2 till"


def test_a_units_name_with_a_comma_stays_one_name_in_the_list() -> None:
    from followup.todo import _unit_names

    names = ["BUP-mottagning Gävle", "Geriatrisk avdelning 31, Gävle sjukhus", "Hälsocentral Alfta"]

    # Not "BUP-mottagning Gävle, Geriatrisk avdelning 31, Gävle sjukhus, Hälsocentral Alfta":
    # four units to a reader.
    assert _unit_names(names) == (
        "BUP-mottagning Gävle; Geriatrisk avdelning 31, Gävle sjukhus; Hälsocentral Alfta"
    )
