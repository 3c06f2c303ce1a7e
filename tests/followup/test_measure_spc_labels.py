"""The Mått page names each special cause with the side of every rule that flags it.

The reviewer's case (load_demo, "Rätt hjälp på en gång", Region Gävleborg): Kv 2 2025 at
69,1 % lies below the lower limit (70,5 %) and the mean (71,3 %) of a measure where higher
is better, and rises. The "Per kvartal" table called it "förbättring" with "Punkt utanför
styrgränsen" among its reasons; it now says both, each reason under the side it speaks for.
"""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client
from django.urls import reverse

from base.periods import Quarter
from followup.compute.series import spc_summary
from followup.models import Measure, SpcResult
from tests.factories import ComputeRunFactory, MeasureFactory, MeasureResultFactory, OrgTree
from tests.followup.test_spc_directions import GAVLEBORG

LAST = Quarter(2026, 4)
QUARTERS = [Quarter(year, q) for year in (2025, 2026) for q in (1, 2, 3, 4)]
MONTHS = [datetime.date(2025 + i // 12, i % 12 + 1, 1) for i in range(len(GAVLEBORG))]
BOTH = "Särskild orsak – både förbättring och försämring"


def _store(measure: Measure, org_tree: OrgTree, summary: dict[str, object]) -> None:
    for quarter in QUARTERS:
        values = [
            v
            for v, day in zip(GAVLEBORG, MONTHS, strict=True)
            if quarter.start <= day <= quarter.end
        ]
        MeasureResultFactory(
            measure=measure,
            unit=org_tree.region,
            quarter=quarter.code,
            value=Decimal(str(round(sum(values) / len(values), 4))) if values else None,
            reporting_units=4,
            expected_units=4,
        )
        ComputeRunFactory(quarter=quarter.code)
    SpcResult.objects.create(
        measure=measure,
        unit=org_tree.region,
        quarter=LAST.code,
        summary=json.loads(json.dumps(summary, cls=DjangoJSONEncoder)),
        digest="x",
    )


def _page(user: User, measure: Measure) -> str:
    client = Client()
    client.force_login(user)
    url = reverse("measure_detail", args=[measure.code]) + f"?kvartal={LAST.code}"
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _row(html: str, label: str) -> str:
    """The text of the "Per kvartal" table's row for a quarter, tags removed."""
    table = html[html.index(">Per kvartal") :]
    start = table.index(f'<th scope="row">{label}</th>')
    row = table[start : table.index("</tr>", start)]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()


@pytest.fixture
def gavleborg(org_tree: OrgTree) -> Measure:
    measure = MeasureFactory(share=True, name="Rätt hjälp på en gång")
    series = [(day, Decimal(str(v))) for day, v in zip(MONTHS, GAVLEBORG, strict=True)]
    _store(measure, org_tree, spc_summary(series, improvement=measure.improvement))
    return measure


def test_kv2_2025_below_the_lower_limit_is_not_called_an_improvement(
    steering_member: User, gavleborg: Measure
) -> None:
    row = _row(_page(steering_member, gavleborg), "Kv 2 2025")
    assert row.startswith("Kv 2 2025 69,1 %")
    assert (
        f"{BOTH} (apr 2025, maj 2025, jun 2025): Förbättring: Sex punkter i rad som stiger. "
        "Försämring: Punkt under undre styrgränsen; Sex punkter i rad under medelvärdet."
    ) in row
    assert "Särskild orsak – förbättring" not in row
    assert "Punkt utanför styrgränsen" not in row


def test_each_month_of_a_quarter_is_listed_with_only_its_own_reasons(
    steering_member: User, gavleborg: Measure
) -> None:
    html = _page(steering_member, gavleborg)
    first = _row(html, "Kv 1 2025")
    # January is below the limits and not in the rise (February is lower): concern only.
    assert (
        "Särskild orsak – försämring (jan 2025): Punkt under undre styrgränsen; "
        "Sex punkter i rad under medelvärdet"
    ) in first
    assert f"{BOTH} (feb 2025, mar 2025): Förbättring: Sex punkter i rad som stiger." in first
    fourth = _row(html, "Kv 4 2025")
    # October is back within the limits: its concern is the mean alone.
    assert (
        f"{BOTH} (okt 2025): Förbättring: Sex punkter i rad som stiger. "
        "Försämring: Sex punkter i rad under medelvärdet."
    ) in fourth
    assert (
        "Särskild orsak – förbättring (nov 2025): Sex punkter i rad över medelvärdet; "
        "Sex punkter i rad som stiger"
    ) in fourth
    assert (
        "Särskild orsak – förbättring (dec 2025): Punkt över övre styrgränsen; "
        "Sex punkter i rad över medelvärdet; Sex punkter i rad som stiger"
    ) in fourth
    latest = _row(html, "Kv 4 2026")
    assert (
        "Särskild orsak – förbättring (okt 2026): Punkt över övre styrgränsen; "
        "Sex punkter i rad över medelvärdet"
    ) in latest


def test_the_chart_table_and_the_icon_agree_with_the_rows(
    steering_member: User, gavleborg: Measure
) -> None:
    html = _page(steering_member, gavleborg)
    # The chart's own table of points: May 2025 names both sides too.
    assert re.search(
        r'<th scope="row">maj 2025</th>\s*<td class="num">69,1\u00a0%</td>\s*'
        rf"<td><strong>{BOTH}</strong>: Förbättring: Sex punkter i rad som stiger\. "
        r"Försämring: Punkt under undre styrgränsen; Sex punkter i rad under medelvärdet\.",
        html,
    )
    # Its marker is the conflict's own (not the Single Chart Tool's improvement square): a
    # point below the lower limit never looks like an improvement.
    assert re.search(
        r'<g class="point point-conflict">\s*<title>maj 2025: 69,1\u00a0% – ' + BOTH, html
    )
    assert 'class="legend-item legend-point-conflict"' in html
    assert "visas som förbättring" not in html
    # The latest point (okt 2026) is above the upper limit: the icon says improvement, and
    # no note of a conflict is needed.
    assert "Särskild orsak – förbättring (högre är bättre)" in html
    assert "Den senaste punkten signalerar både" not in html


def test_a_conflict_at_the_latest_point_is_told_beside_the_icon(
    steering_member: User, org_tree: OrgTree
) -> None:
    # Steady around 72 %, then a drop and a rise that stays below the mean: the latest point
    # rises (improvement) in a run below the mean (concern).
    measure = MeasureFactory(share=True, name="Rätt hjälp på en gång")
    values = [72.0, 71.5, 72.2, 71.8, 72.1, 71.6, 72.0, 71.7, 72.3, 71.9, 72.0, 71.8, 72.1]
    values += [71.7, 70.2, 70.4, 70.6, 70.8, 71.0, 71.2, 71.3, 71.4]
    result = spc_summary(
        [(day, Decimal(str(v))) for day, v in zip(MONTHS, values, strict=True)],
        improvement="higher",
    )
    assert result["variation"] == "special_cause_improvement_high"
    _store(measure, org_tree, result)
    html = _page(steering_member, measure)
    assert "Särskild orsak – förbättring (högre är bättre)" in html
    assert (
        "Den senaste punkten signalerar både förbättring och försämring; ikonen visar "
        "förbättring, som Making Data Counts verktyg gör, men diagrammet ritar punkten som båda. "
        "Förbättring: Sex punkter i rad som stiger. Försämring: Sex punkter i rad under "
        "medelvärdet."
    ) in html


def test_a_chart_stored_before_signals_had_sides_still_shows(
    steering_member: User, org_tree: OrgTree
) -> None:
    # SPC format 2: points without signals, no direction of improvement; the page names the
    # rules as it used to until the recompute rewrites the chart.
    measure = MeasureFactory(share=True, name="Rätt hjälp på en gång")
    series = [(day, Decimal(str(v))) for day, v in zip(MONTHS, GAVLEBORG, strict=True)]
    summary = spc_summary(series, improvement="higher")
    del summary["improvement"]
    summary["points"] = [point[:4] for point in summary["points"]]  # type: ignore[attr-defined]
    _store(measure, org_tree, summary)
    html = _page(steering_member, measure)
    assert "Särskild orsak – förbättring (apr 2025, maj 2025, jun 2025)" in _row(html, "Kv 2 2025")
    assert "Punkt utanför styrgränsen; Sex punkter i rad på samma sida om medelvärdet" in html
    assert 'id="measure-chart"' in html
    assert "Punkter med både förbättring och försämring" not in html
