"""Comparisons like for like: a change against another quarter, and units side by side.

A VO's count is the sum of its units' values, so a quarter in which a unit has not reported a
month holds less than one in which every unit has: that is no fall. The engine stores, per
period, how many units reported (PeriodResult.reporting_units) and, per quarter, how many are
expected (MeasureResult.expected_units); the pages compare a count only where both quarters
have every expected unit's every month, and say which months lack how many units otherwise.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from base.periods import Quarter
from followup import services
from followup.models import Measure, MeasureResult
from followup.quarter_basis import quarter_basis
from organisation.models import Unit
from tests.factories import MeasureFactory, ObservationFactory, OrgTree, UnitFactory

TODAY = datetime.date(2025, 12, 1)
SPRING = [datetime.date(2025, month, 1) for month in (4, 5, 6)]
SUMMER = [datetime.date(2025, month, 1) for month in (7, 8, 9)]
JULY = datetime.date(2025, 7, 1)


@pytest.fixture(autouse=True)
def today(monkeypatch: pytest.MonkeyPatch) -> datetime.date:
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


def _observe(
    measure: Measure, units: list[Unit], months: list[datetime.date], **values: Any
) -> None:
    for unit in units:
        for start in months:
            ObservationFactory(measure=measure, unit=unit, period_start=start, **values)


def _compute() -> None:
    for quarter in (Quarter(2025, 2), Quarter(2025, 3)):
        services.quarter_compute(quarter=quarter, today=TODAY)


def _text(content: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", content).split())


@pytest.fixture
def count_measure(org_tree: OrgTree) -> Measure:
    """Every HC reports 100 a month in Kv 2 and Kv 3 2025, except HC 1A's July."""
    measure = MeasureFactory(name="Antal överenskommelser", code="antal")
    measure.unit_kinds.add(org_tree.hc1a.kind)
    _observe(measure, org_tree.hcs, SPRING, value=Decimal("100"))
    _observe(measure, org_tree.hcs, SUMMER[1:], value=Decimal("100"))
    _observe(measure, org_tree.hcs[1:], [JULY], value=Decimal("100"))
    _compute()
    return measure


def test_a_count_is_not_compared_where_a_unit_lacks_a_month(
    client: Client, count_measure: Measure, org_tree: OrgTree, steering_member: User
) -> None:
    """The region's Kv 3 is 1 100 against Kv 2's 1 200: HC 1A's missing July, not a fall."""
    client.force_login(steering_member)

    for url, params in (
        (reverse("measure_list"), {"kvartal": "2025Q3"}),
        (reverse("home"), {"kvartal": "2025Q3"}),
        (reverse("unit_detail", args=[org_tree.region.code]), {"kvartal": "2025Q3"}),
        (reverse("unit_detail", args=[org_tree.vo1.code]), {"kvartal": "2025Q3"}),
        (
            reverse("measure_detail", args=[count_measure.code]),
            {"kvartal": "2025Q3", "enhet": org_tree.vo1.code},
        ),
    ):
        content = client.get(url, params).content.decode()

        assert "Jämförs inte: 1 enhet saknar värden för jul 2025" in content, url
        assert "−100" not in content, url

    # VO Söder has both its units' every month: its change is shown.
    content = client.get(
        reverse("measure_detail", args=[count_measure.code]),
        {"kvartal": "2025Q3", "enhet": org_tree.vo2.code},
    ).content.decode()
    assert "Jämförs inte" not in content
    assert "Förändring mot föregående kvartal ±0 st " in _text(content)


def test_a_count_is_not_compared_with_a_quarter_that_lacks_units_months(
    client: Client, org_tree: OrgTree, steering_member: User
) -> None:
    """The quarter before lacks two units' months: Kv 3's whole quarter is no rise on it."""
    measure = MeasureFactory(name="Antal överenskommelser", code="antal")
    measure.unit_kinds.add(org_tree.hc1a.kind)
    _observe(measure, org_tree.hcs, SUMMER, value=Decimal("100"))
    _observe(measure, org_tree.hcs, SPRING[:1], value=Decimal("100"))
    _observe(measure, org_tree.hcs[1:], SPRING[1:2], value=Decimal("100"))
    _observe(measure, org_tree.hcs[2:], SPRING[2:], value=Decimal("100"))
    _compute()
    client.force_login(steering_member)

    content = client.get(
        reverse("measure_detail", args=[measure.code]),
        {"kvartal": "2025Q3", "enhet": org_tree.region.code},
    ).content.decode()

    assert "Jämförs inte: 1 enhet saknar värden för maj 2025 och 2 för jun 2025" in content
    assert "+300" not in content


def test_a_count_whose_comparison_quarters_have_no_values_shows_a_dash_not_a_gap(
    client: Client, org_tree: OrgTree, steering_member: User
) -> None:
    """The data start in Kv 3 2025, with HC 1A's July missing: Kv 2 2025 and Kv 3 2024 have no
    values at all, so there is nothing to compare with ("–"), not "1 enhet saknar värden"."""
    measure = MeasureFactory(name="Frigjorda läkartider", code="lakartider")
    measure.unit_kinds.add(org_tree.hc1a.kind)
    _observe(measure, org_tree.hcs, SUMMER[1:], value=Decimal("100"))
    _observe(measure, org_tree.hcs[1:], [JULY], value=Decimal("100"))
    services.quarter_compute(quarter=Quarter(2025, 3), today=TODAY)
    client.force_login(steering_member)

    for url, params in (
        (reverse("measure_list"), {"kvartal": "2025Q3"}),
        (reverse("home"), {"kvartal": "2025Q3"}),
        (
            reverse("measure_detail", args=[measure.code]),
            {"kvartal": "2025Q3", "enhet": org_tree.region.code},
        ),
    ):
        content = client.get(url, params).content.decode()

        assert "Jämförs inte" not in content, url
    detail = _text(content)
    assert "Förändring mot föregående kvartal – " in detail
    assert "Förändring mot samma kvartal året före – " in detail


def test_a_share_is_compared_and_says_which_months_lack_units(
    client: Client, org_tree: OrgTree, steering_member: User
) -> None:
    """A share is a ratio of sums: a missing unit does not halve it, so its change is shown,
    with the months that lack units beside it."""
    measure = MeasureFactory(share=True, name="Andel med DÖ", code="andel")
    measure.unit_kinds.add(org_tree.hc1a.kind)
    parts = {"numerator": Decimal("30"), "denominator": Decimal("60"), "value": Decimal("50")}
    _observe(measure, org_tree.hcs, SPRING, **parts)
    _observe(measure, org_tree.hcs, SUMMER[1:], **parts)
    _observe(measure, org_tree.hcs[1:], [JULY], **parts)
    _compute()
    client.force_login(steering_member)

    content = client.get(
        reverse("measure_detail", args=[measure.code]),
        {"kvartal": "2025Q3", "enhet": org_tree.vo1.code},
    ).content.decode()

    # No change is written as one, in percentage points to the share's decimal.
    assert (
        "Förändring mot föregående kvartal ±0,0 procentenheter 1 enhet saknar värden för jul 2025"
    ) in _text(content)
    assert "Jämförs inte" not in content


def test_the_basis_of_a_care_unit_is_unchanged(count_measure: Measure, org_tree: OrgTree) -> None:
    """A care unit's missing July is its quarter's gap, said as before."""
    from followup.selectors import period_rows

    quarter = Quarter(2025, 3)
    result = MeasureResult.objects.of_quarter(quarter).get(
        measure=count_measure, unit=org_tree.hc1a
    )
    rows = period_rows(
        unit_id=org_tree.hc1a.pk,
        measure_ids=[count_measure.pk],
        quarters=[quarter, quarter.previous(), quarter.year_before()],
    )

    basis = quarter_basis(
        measure=count_measure, quarter=quarter, result=result, rows=rows, today=TODAY
    )

    assert basis.previous_quarter_note == "Jämförs inte: kvartalet saknar värden för några månader"


# --- peers: counts of aggregates of different sizes -------------------------------------------


def _peer_row(content: str, unit: Unit) -> str:
    section = content[content.index('<section id="peers"') :]
    start = section.index(f">{unit.name}</a></th>")
    return _text(section[start + 1 : section.index("</tr>", start)])


def test_vos_counts_are_compared_per_reporting_unit(
    client: Client, org_tree: OrgTree, steering_member: User
) -> None:
    """VO Norr's 900 from three units is 300 a unit, VO Söder's 720 from two is 360: VO Norr
    is under the area's 324 a unit, though its sum is over the mean of the two sums."""
    hc1c = UnitFactory(code="HC1C", name="HC 1C", kind=org_tree.hc1a.kind, parent=org_tree.vo1)
    measure = MeasureFactory(name="Antal överenskommelser", code="antal")
    measure.unit_kinds.add(org_tree.hc1a.kind)
    _observe(measure, [org_tree.hc1a, org_tree.hc1b, hc1c], SUMMER, value=Decimal("100"))
    _observe(measure, [org_tree.hc2a, org_tree.hc2b], SUMMER, value=Decimal("120"))
    _compute()
    client.force_login(steering_member)

    content = client.get(
        reverse("unit_detail", args=[org_tree.area.code]), {"kvartal": "2025Q3", "matt": "antal"}
    ).content.decode()

    caption = "Antal överenskommelser per rapporterande enhet jämfört med Primärvård, Kv 3 2025"
    assert caption in content
    assert _peer_row(content, org_tree.vo1) == "VO Norr 900 st 300 st 3 enheter Under –"
    assert _peer_row(content, org_tree.vo2) == "VO Söder 720 st 360 st 2 enheter Över –"
    assert "Primärvård (summa) 1 620 st 324 st 5 enheter" in _text(content)

    # Care units are compared as before: each against the mean per unit of its VO.
    content = client.get(
        reverse("unit_detail", args=[org_tree.vo1.code]), {"kvartal": "2025Q3", "matt": "antal"}
    ).content.decode()
    assert _peer_row(content, hc1c) == "HC 1C 300 st Lika –"
    assert "Medelvärde per enhet 300 st" in _text(content)


def test_peers_whose_shares_read_the_same_as_the_parents_are_said_to_be_equal(
    client: Client, org_tree: OrgTree, steering_member: User
) -> None:
    """VO Norr's 16,84 % and VO Söder's 16,78 % both read "16,8 %", as the area's 16,81 %
    does: a difference below the shown decimal is not "Över" or "Under" a value that reads the
    same; one that shows is."""
    north, south = org_tree.hcs[:2], org_tree.hcs[2:]
    same = MeasureFactory(share=True, name="Andel med DÖ", code="andel")
    apart = MeasureFactory(share=True, name="Andel med plan", code="plan")
    for measure, north_parts in ((same, 1684), (apart, 1700)):
        measure.unit_kinds.add(org_tree.hc1a.kind)
        _observe(
            measure,
            north,
            SUMMER,
            numerator=north_parts,
            denominator=10000,
            value=Decimal(north_parts) / 100,
        )
        _observe(measure, south, SUMMER, numerator=1678, denominator=10000, value=Decimal("16.78"))
    _compute()
    client.force_login(steering_member)

    def rows(code: str) -> tuple[str, str, str]:
        content = client.get(
            reverse("unit_detail", args=[org_tree.area.code]), {"kvartal": "2025Q3", "matt": code}
        ).content.decode()
        footer = content[content.index("<tfoot>") : content.index("</tfoot>")]
        return _peer_row(content, org_tree.vo1), _peer_row(content, org_tree.vo2), _text(footer)

    north_row, south_row, parent_row = rows("andel")
    assert parent_row == "Primärvård 16,8 %"
    assert north_row.startswith("VO Norr 16,8 % Lika")
    assert south_row.startswith("VO Söder 16,8 % Lika")

    # 17,0 % and 16,78 % against the area's 16,89 %: they read apart, "Över" and "Under".
    north_row, south_row, parent_row = rows("plan")
    assert parent_row == "Primärvård 16,9 %"
    assert north_row.startswith("VO Norr 17,0 % Över")
    assert south_row.startswith("VO Söder 16,8 % Under")


def test_a_vo_whose_months_lack_a_unit_is_not_compared_with_its_peers(
    client: Client, count_measure: Measure, org_tree: OrgTree, steering_member: User
) -> None:
    """VO Norr's HC 1A lacks July: 500 from two units is no fall per unit, as it is no fall
    against another quarter, and it is left out of what the others are compared with."""
    vo3 = UnitFactory(code="VO3", name="VO Väster", kind=org_tree.vo1.kind, parent=org_tree.area)
    west = [
        UnitFactory(code=f"HC3{letter}", name=f"HC 3{letter}", kind=org_tree.hc1a.kind, parent=vo3)
        for letter in "AB"
    ]
    _observe(count_measure, west, SUMMER, value=Decimal("150"))
    _compute()
    client.force_login(steering_member)

    content = client.get(
        reverse("unit_detail", args=[org_tree.area.code]), {"kvartal": "2025Q3", "matt": "antal"}
    ).content.decode()

    assert _peer_row(content, org_tree.vo1) == (
        "VO Norr 500 st 250 st 2 enheter Jämförs inte: 1 enhet saknar värden för jul 2025 –"
    )
    assert _peer_row(content, org_tree.vo2) == "VO Söder 600 st 300 st 2 enheter Under –"
    assert _peer_row(content, vo3) == "VO Väster 900 st 450 st 2 enheter Över –"
    text = _text(content)
    assert "Primärvård (summa) 2 000 st De jämförda tillsammans 1 500 st 375 st 4 enheter" in text
    assert "1 av dem saknar värden från någon av sina enheter för någon månad" in content
