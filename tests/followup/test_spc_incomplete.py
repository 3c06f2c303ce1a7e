"""A month only some of the units have reported is drawn on the SPC chart but not judged.

The reviewer's case: after one of five units had reported "Rätt hjälp på en gång" for nov
2026, the VO's and the region's chart flagged "Särskild orsak – förbättring" on November, a
point resting on a fifth of the units. Such a point is now drawn (hollow, "ofullständig: 1 av
3 enheter") and left out of the rules, the limits and the icons; once every unit has
reported, the same value is judged.
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

from base.periods import Quarter
from followup import services
from followup.models import Measure, Observation, SpcResult
from organisation.models import Unit, UnitKind
from organisation.services import unit_create_trusted

Q1_2026 = Quarter(2026, 1)
TODAY = datetime.date(2026, 3, 20)
STEADY = [50, 52, 49, 51, 50, 48, 52, 51, 49, 50, 51, 50, 50]  # jan 2025 – jan 2026


@pytest.fixture
def tree(db: None) -> dict[str, Unit]:
    """Region → VO Syd (HC A, HC B), VO Nord (HC C)."""
    kinds = {
        code: UnitKind.objects.create(code=code, name=name, name_plural=plural)
        for code, name, plural in [
            ("region", "Region", "Regioner"),
            ("vo", "Verksamhetsområde", "Verksamhetsområden"),
            ("hc", "Hälsocentral", "Hälsocentraler"),
        ]
    }
    region = unit_create_trusted(code="R", name="Region Test", kind=kinds["region"])
    syd = unit_create_trusted(code="VO-SYD", name="VO Syd", kind=kinds["vo"], parent=region)
    nord = unit_create_trusted(code="VO-NORD", name="VO Nord", kind=kinds["vo"], parent=region)
    return {
        "region": region,
        "syd": syd,
        "a": unit_create_trusted(code="HC-A", name="HC A", kind=kinds["hc"], parent=syd),
        "b": unit_create_trusted(code="HC-B", name="HC B", kind=kinds["hc"], parent=syd),
        "c": unit_create_trusted(code="HC-C", name="HC C", kind=kinds["hc"], parent=nord),
    }


def _obs(measure: Measure, unit: Unit, day: datetime.date, value: int) -> None:
    end = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    end -= datetime.timedelta(days=1)
    Observation.objects.create(
        measure=measure,
        unit=unit,
        period_start=day,
        period_end=end,
        quarter=Quarter.containing(end).code,
        value=Decimal(value),
        numerator=Decimal(value),
        denominator=Decimal(100),
    )


@pytest.fixture
def share(tree: dict[str, Unit]) -> Measure:
    """13 steady months from every unit, and 95 % from HC A alone for feb 2026."""
    measure = Measure.objects.create(
        code="ratt-hjalp", name="Rätt hjälp på en gång", value_type="share", aggregation="ratio"
    )
    measure.unit_kinds.set(UnitKind.objects.filter(code="hc"))
    for index, value in enumerate(STEADY):
        day = datetime.date(2025 + index // 12, index % 12 + 1, 1)
        for unit in (tree["a"], tree["b"], tree["c"]):
            _obs(measure, unit, day, value)
    _obs(measure, tree["a"], datetime.date(2026, 2, 1), 95)
    for quarter in [Quarter(2025, n) for n in (1, 2, 3, 4)] + [Q1_2026]:
        services.quarter_compute(quarter=quarter, today=TODAY)
    return measure


def _spc(measure: Measure, unit: Unit) -> dict[str, Any]:
    return SpcResult.objects.get(measure=measure, unit=unit, quarter=Q1_2026.code).summary


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _get(user: User, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_month_one_of_three_units_reported_is_not_judged(
    tree: dict[str, Unit], share: Measure
) -> None:
    region = _spc(share, tree["region"])
    feb = region["points"][-1]
    assert feb[0] == "2026-02-01"
    assert feb[1] == 95.0
    assert feb[2:] == ["common_cause", [], [], [1, 3]]
    # The icons speak of January, the latest month every unit reported; the limits leave
    # February out.
    assert region["variation"] == "common_cause"
    assert region["upper_limit"] < 60
    assert _spc(share, tree["syd"])["points"][-1][5] == [1, 2]
    # HC A's own month is whole: it reported, and 95 % is far above its limit.
    own = _spc(share, tree["a"])
    assert own["points"][-1][2:] == ["improvement", ["astronomical"], [["astronomical", "high"]]]
    assert own["variation"] == "special_cause_improvement_high"


def test_the_same_month_once_every_unit_has_reported_is_judged(
    tree: dict[str, Unit], share: Measure
) -> None:
    for unit in (tree["b"], tree["c"]):
        _obs(share, unit, datetime.date(2026, 2, 1), 95)
    services.quarter_compute(quarter=Q1_2026, today=TODAY)

    region = _spc(share, tree["region"])
    assert region["points"][-1][2:] == [
        "improvement",
        ["astronomical"],
        [["astronomical", "high"]],
    ]
    assert region["variation"] == "special_cause_improvement_high"


def test_the_measure_page_says_the_latest_month_is_incomplete_and_lists_no_signal(
    tree: dict[str, Unit], share: Measure, steering_member: User
) -> None:
    url = reverse("measure_detail", args=[share.code]) + f"?enhet=R&kvartal={Q1_2026.code}"
    html = _get(steering_member, url)
    text = _text(html)
    assert (
        "Senaste punkten, feb 2026, är ofullständig (1 av 3 enheter) och bedöms inte. "
        "Ikonerna gäller jan 2026."
    ) in text
    assert "Särskild orsak – förbättring" not in text
    # The chart draws February hollow, says why in its tooltip and in its table.
    assert 'class="point point-incomplete"' in html
    assert "feb 2026: 95,0 % – ofullständig: 1 av 3 enheter, bedöms inte" in text
    assert "Ofullständig: 1 av 3 enheter, bedöms inte" in text
    assert "legend-point-incomplete" in html


def test_the_unit_page_names_the_judged_month_beside_the_icon(
    tree: dict[str, Unit], share: Measure, steering_member: User
) -> None:
    html = _get(steering_member, reverse("unit_detail", args=["VO-SYD"]) + "?kvartal=2026Q1")
    text = _text(html)
    assert "Punkten för jan 2026" in text
    assert "Punkten för feb 2026" not in text
    assert "Senaste punkten, feb 2026, är ofullständig (1 av 2 enheter) och bedöms inte." in text
    # The VO's own row: common cause for January. (HC A's own February, which it reported
    # whole, keeps its improvement in the comparison of the units below.)
    assert "Vanlig variation – inga särskilda orsaker Punkten för jan 2026" in text
