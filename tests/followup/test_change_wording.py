"""How a change against another quarter reads to a steering group: it is taken on the
unrounded values (so two equal rounded values may stand beside a change), and a value over
part of its quarter says which quarter it is compared with (a whole one, not the same months)."""

from __future__ import annotations

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from base.periods import Quarter
from followup import services
from followup.models import Measure
from organisation.models import Unit
from tests.factories import MeasureFactory, ObservationFactory, OrgTree

TODAY = datetime.date(2025, 12, 1)  # Kv 4 2025 holds October; Kv 3 2025 has ended
UNROUNDED = (
    "Förändringen räknas på de oavrundade värdena, så den kan synas fast de avrundade värdena "
    "är lika."
)


@pytest.fixture(autouse=True)
def today(monkeypatch: pytest.MonkeyPatch) -> datetime.date:
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


def _months(year: int, *months: int) -> list[datetime.date]:
    return [datetime.date(year, month, 1) for month in months]


def _share(units: list[Unit], numerators: dict[datetime.date, int]) -> Measure:
    """A share of 1 000 a month, the same for every unit (so the region's is the same and no
    unit is missing): each month's numerator given."""
    measure = MeasureFactory(share=True, name="Rätt hjälp på en gång", code="ratt-hjalp")
    measure.unit_kinds.add(units[0].kind)
    for unit in units:
        for start, numerator in numerators.items():
            ObservationFactory(
                measure=measure,
                unit=unit,
                period_start=start,
                numerator=Decimal(numerator),
                denominator=Decimal("1000"),
                value=Decimal(numerator) / 10,
            )
    return measure


def _compute(*quarters: Quarter) -> None:
    for quarter in quarters:
        services.quarter_compute(quarter=quarter, today=TODAY)


def _text(content: str) -> str:
    """The page as a reader (and a screen reader) gets it: tags dropped, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", content)).split())


def test_a_change_between_equal_rounded_values_is_said_to_be_taken_on_the_unrounded_ones(
    client: Client, org_tree: OrgTree, steering_member: User
) -> None:
    """74,93 % in Kv 2 and 74,87 % in Kv 3: both read 74,9 %, the change −0,1 procentenheter."""
    measure = _share(
        org_tree.hcs,
        {
            **dict(zip(_months(2025, 4, 5, 6), (750, 749, 749), strict=True)),
            **dict(zip(_months(2025, 7, 8, 9), (749, 749, 748), strict=True)),
        },
    )
    _compute(Quarter(2025, 2), Quarter(2025, 3))
    client.force_login(steering_member)

    detail = _text(
        client.get(
            reverse("measure_detail", args=[measure.code]),
            {"enhet": org_tree.hc1a.code, "kvartal": "2025Q3"},
        ).content.decode()
    )
    assert "Värde 74,9 %" in detail
    assert "Förändring mot föregående kvartal −0,1 procentenheter" in detail
    assert UNROUNDED in detail
    # Every page with a table of changes says it, under the table, in the same words.
    for url in (
        reverse("home"),
        reverse("measure_list"),
        reverse("unit_detail", args=[org_tree.hc1a.code]),
        reverse("quarter_report_detail", kwargs={"quarter": "2025Q3"}),
    ):
        content = client.get(url, {"kvartal": "2025Q3"}).content.decode()
        assert "−0,1 procentenheter" in _text(content), url
        assert _text(content).count(UNROUNDED) == 1, url


def test_a_value_so_far_says_its_change_is_against_the_whole_other_quarter(
    client: Client, org_tree: OrgTree, steering_member: User
) -> None:
    """Kv 4 2025 holds October (60 %); Kv 3 2025 is whole (50 %), Kv 4 2024 has two months."""
    measure = _share(
        org_tree.hcs,
        {
            **dict.fromkeys(_months(2024, 10, 11), 550),
            **dict.fromkeys(_months(2025, 7, 8, 9), 500),
            **dict.fromkeys(_months(2025, 10), 600),
        },
    )
    _compute(Quarter(2024, 4), Quarter(2025, 3), Quarter(2025, 4))
    client.force_login(steering_member)

    detail = _text(
        client.get(
            reverse("measure_detail", args=[measure.code]),
            {"enhet": org_tree.hc1a.code, "kvartal": "2025Q4"},
        ).content.decode()
    )
    assert "60,0 % hittills (1 av 3 månader)" in detail
    assert (
        "Förändring mot föregående kvartal +10,0 procentenheter jämfört med hela Kv 3 2025"
        in detail
    )
    assert (
        "Förändring mot samma kvartal året före +5,0 procentenheter "
        "jämfört med Kv 4 2024, 2 av 3 månader" in detail
    )
    for url in (reverse("home"), reverse("measure_list")):
        table = _text(client.get(url, {"kvartal": "2025Q4"}).content.decode())
        assert (
            "60,0 % hittills (1 av 3 månader) +10,0 procentenheter jämfört med hela Kv 3 2025 "
            "+5,0 procentenheter jämfört med Kv 4 2024, 2 av 3 månader"
        ) in table, url

    # A whole quarter is compared with a whole quarter: nothing to say.
    ended = client.get(reverse("measure_list"), {"kvartal": "2025Q3"}).content.decode()
    assert "jämfört med" not in ended


def test_a_count_so_far_is_still_not_compared(
    client: Client, org_tree: OrgTree, steering_member: User
) -> None:
    measure = MeasureFactory(name="Antal överenskommelser", code="antal")
    measure.unit_kinds.add(org_tree.hc1a.kind)
    for unit in org_tree.hcs:
        for start in _months(2025, 7, 8, 9, 10):
            ObservationFactory(measure=measure, unit=unit, period_start=start, value=Decimal("100"))
    _compute(Quarter(2025, 3), Quarter(2025, 4))
    client.force_login(steering_member)

    content = _text(client.get(reverse("measure_list"), {"kvartal": "2025Q4"}).content.decode())

    assert "Jämförs när kvartalet är komplett" in content
    assert "jämfört med" not in content
