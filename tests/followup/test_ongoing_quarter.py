"""A quarter that has not ended says so: its values cover the periods so far."""

from __future__ import annotations

import datetime
import html
import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from base.periods import Quarter
from followup import services
from followup.models import Measure
from followup.quarter_selection import QuarterSelection
from followup.todo import observation_add_url
from organisation.models import Unit
from tests.factories import MeasureFactory, ObservationFactory, OrgTree, UnitFactory


def test_the_ongoing_quarter_says_that_its_values_are_so_far() -> None:
    current = Quarter.containing(timezone.localdate())
    selection = QuarterSelection(quarter=current, computed=[current, current.previous()])

    html = render_to_string("includes/quarter_state.html", {"selection": selection})

    assert selection.is_ongoing
    assert f"{current.label} pågår till och med" in html
    assert "resultaten gäller det som har rapporterats hittills" in html


def test_pages_open_on_the_quarter_just_ended_and_link_to_the_one_under_way(
    client: Client, count_measure: Measure, vc: User, today: datetime.date
) -> None:
    """Follow-up is by quarter: without ?kvartal= a page shows Kv 3 2025, whole, not the first
    weeks of Kv 4; Kv 4's results so far are a link away, and there it says it is under way."""
    _compute()
    client.force_login(vc)

    for name, says in (
        ("home", "Status för Kv 3 2025."),
        ("measure_list", "Resultat för Kv 3 2025."),
    ):
        content = client.get(reverse(name)).content.decode()
        assert says in content, name
        assert '<a href="?kvartal=2025Q4">Se Kv 4 2025 hittills</a>' in content, name
        # In a span the print stylesheet hides: on paper the link leads nowhere.
        assert (
            '<span class="ongoing-offer">'
            '<a href="?kvartal=2025Q4">Se Kv 4 2025 hittills</a>.</span>' in content
        ), name

    ongoing = client.get(reverse("measure_list"), {"kvartal": "2025Q4"}).content.decode()
    assert "Kv 4 2025 pågår till och med 31 dec 2025" in ongoing
    assert "hittills</a>" not in ongoing


def test_an_ended_quarter_says_nothing_of_the_kind() -> None:
    earlier = Quarter.containing(timezone.localdate()).previous()
    selection = QuarterSelection(quarter=earlier, computed=[earlier])

    html = render_to_string("includes/quarter_state.html", {"selection": selection})

    assert not selection.is_ongoing
    assert f"Resultat för {earlier.label}" in html
    assert "pågår" not in html


# --- a measure's quarter in progress, computed by the engine and shown on the pages ----------

TODAY = datetime.date(2025, 12, 1)  # Kv 4 2025 holds October; November is the latest whole month


@pytest.fixture
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
    for quarter in (Quarter(2025, 3), Quarter(2025, 4)):
        services.quarter_compute(quarter=quarter, today=TODAY)


SUMMER = [datetime.date(2025, month, 1) for month in (7, 8, 9)]
OCTOBER = [datetime.date(2025, 10, 1)]


@pytest.fixture
def count_measure(org_tree: OrgTree, today: datetime.date) -> Measure:
    """A monthly count both HCs of VO 1 report: Kv 3 whole (600 st), Kv 4 October only (200 st)."""
    measure = MeasureFactory(name="Antal överenskommelser", code="antal")
    measure.unit_kinds.add(org_tree.hc1a.kind)
    _observe(measure, [org_tree.hc1a, org_tree.hc1b], SUMMER + OCTOBER, value=Decimal("100"))
    return measure


def test_a_count_over_part_of_the_quarter_is_not_compared_with_a_whole_quarter(
    client: Client, count_measure: Measure, org_tree: OrgTree, steering_member: User
) -> None:
    _compute()
    client.force_login(steering_member)
    url = reverse("measure_detail", args=[count_measure.code])

    ongoing = client.get(url, {"enhet": org_tree.vo1.code, "kvartal": "2025Q4"})
    ended = client.get(url, {"enhet": org_tree.vo1.code, "kvartal": "2025Q3"})

    content = ongoing.content.decode()
    assert "200\u00a0st" in content
    assert "hittills (1 av 3 månader)" in content
    assert "Jämförs när kvartalet är komplett" in content
    assert "−400" not in content  # October alone is no fall from a whole quarter
    # Datatäckning counts each month that has ended, as Att göra does: November is missing.
    assert "okt: 2 av 2" in content
    assert "nov: 0 av 2" in content
    assert "Senaste punkten: okt 2025" in content
    content = ended.content.decode()
    assert "600\u00a0st" in content
    assert "2 av 2 varje månad" in content
    assert "hittills (" not in content
    assert "Jämförs" not in content


def test_the_region_tables_say_the_same_of_the_quarter_in_progress(
    client: Client, count_measure: Measure, steering_member: User
) -> None:
    _compute()
    client.force_login(steering_member)

    for url in (reverse("measure_list"), reverse("home")):
        content = client.get(url, {"kvartal": "2025Q4"}).content.decode()

        assert "hittills (1 av 3 månader)" in content, url
        assert "Jämförs när kvartalet är komplett" in content, url
        assert "−400" not in content, url
        assert "okt: 2 av 4" in content, url  # the region expects all four HCs
        assert "nov: 0 av 4" in content, url
        assert "Styrdiagram (SPC)" in content, url
        assert "Datatäckning" in content, url
        assert "Rapporterat<" not in content, url


def test_a_share_over_part_of_the_quarter_is_compared_with_the_months_so_far(
    client: Client, org_tree: OrgTree, steering_member: User, today: datetime.date
) -> None:
    measure = MeasureFactory(share=True, name="Andel med DÖ", code="andel")
    measure.unit_kinds.add(org_tree.hc1a.kind)
    _observe(
        measure,
        [org_tree.hc1a],
        SUMMER,
        numerator=Decimal("30"),
        denominator=Decimal("60"),
        value=Decimal("50"),
    )
    _observe(
        measure,
        [org_tree.hc1a],
        OCTOBER,
        numerator=Decimal("36"),
        denominator=Decimal("60"),
        value=Decimal("60"),
    )
    _compute()
    client.force_login(steering_member)

    content = client.get(
        reverse("measure_detail", args=[measure.code]),
        {"enhet": org_tree.hc1a.code, "kvartal": "2025Q4"},
    ).content.decode()

    assert "hittills (1 av 3 månader)" in content
    assert "+10,0 procentenheter" in content
    assert "Jämförs" not in content


def test_the_ongoing_quarter_says_how_counts_and_shares_are_compared() -> None:
    current = Quarter.containing(timezone.localdate())
    selection = QuarterSelection(quarter=current, computed=[current])

    html = render_to_string("includes/quarter_state.html", {"selection": selection})

    assert "jämförs med andra kvartal först när kvartalet är komplett" in html
    assert "andelar, medelvärden och index jämförs med månaderna hittills" in html


# --- Att göra: what the unit reports, and what is imported ------------------------------------


def test_todo_names_the_period_and_lists_imported_values_apart_with_their_source(
    client: Client, org_tree: OrgTree, vc: User, today: datetime.date
) -> None:
    manual = MeasureFactory(name="Arbetsmiljö i teamet", code="manuell")
    imported = MeasureFactory(
        name="Åtgärder psykisk hälsa", code="cyklop", source=Measure.Source.CYKLOP
    )
    for measure in (manual, imported):
        measure.unit_kinds.add(org_tree.hc1a.kind)
    client.force_login(vc)

    content = client.get(reverse("unit_detail", args=[org_tree.vo1.code])).content.decode()

    assert '<h3>Saknade värden <span class="count">(2)</span></h3>' in content
    assert (
        "Värden som rapporteras för hand och saknas för den senaste hela perioden: nov 2025 för "
        "månadsmått, Kv 3 2025 för kvartalsmått."
    ) in content
    assert f"{org_tree.hc1a.name}: Arbetsmiljö i teamet för nov 2025" in content
    assert f"{org_tree.hc1b.name}: Arbetsmiljö i teamet för nov 2025" in content
    # The count counts the lines: one measure, which two units lack.
    assert '<h3>Väntar på import <span class="count">(1 mått)</span></h3>' in content
    assert "Kommer de inte, kan du rapportera dem själv." in content
    # The units named in the latest period too, not only in a chosen quarter.
    named = re.search(
        r"Åtgärder psykisk hälsa för nov 2025: 2 enheter saknar värde \(importeras från "
        r"Cyklop\): ([^<]*)<",
        content,
    )
    assert named is not None
    assert sorted(named.group(1).strip().split("; ")) == sorted(
        [org_tree.hc1a.name, org_tree.hc1b.name]
    ), named.group(1)
    assert f"{org_tree.hc1a.name}: Åtgärder psykisk hälsa" not in content
    grid = reverse("report_grid", args=[org_tree.vo1.pk])
    # The link leads to the measure's table in the VO's grid, not to the top of a long page.
    assert (
        f'<a href="{grid}?period=2025-11#m{imported.pk}">Rapportera själv<span '
        'class="visually-hidden">: Åtgärder psykisk hälsa för nov 2025</span></a>'
    ) in content
    grid_page = client.get(f"{grid}?period=2025-11").content.decode()
    assert f'<div class="table-wrap" id="m{imported.pk}">' in grid_page


def test_a_vec_may_report_a_value_awaiting_import_from_its_line(
    client: Client, org_tree: OrgTree, vec: User, today: datetime.date
) -> None:
    imported = MeasureFactory(
        name="Åtgärder psykisk hälsa", code="cyklop", source=Measure.Source.CYKLOP
    )
    imported.unit_kinds.add(org_tree.hc1a.kind)
    client.force_login(vec)

    content = client.get(reverse("unit_detail", args=[org_tree.hc1a.code])).content.decode()

    url = observation_add_url(
        unit=org_tree.hc1a, measure=imported, period_start=datetime.date(2025, 11, 1)
    )
    # On the unit's own page: its own value is missing, not "1 enhet … : <the unit>".
    assert "Åtgärder psykisk hälsa för nov 2025: värde saknas (importeras från Cyklop)" in content
    assert "1 enhet saknar värde" not in content
    assert f'<a href="{html.escape(url)}">Rapportera själv' in content
    assert client.get(url).status_code == 200


# --- the peer comparison of a count --------------------------------------------------------


def _peer_row(content: str, unit: Unit) -> str:
    """The text of a unit's row in the peer comparison, tags stripped."""
    section = content[content.index('<section id="peers"') :]
    start = section.index(f">{unit.name}</a></th>")
    row = section[start + 1 : section.index("</tr>", start)]
    return " ".join(re.sub(r"<[^>]+>", " ", row).split())


def test_a_count_is_compared_with_the_mean_per_unit_over_the_same_months(
    client: Client, count_measure: Measure, org_tree: OrgTree, vc: User
) -> None:
    """The VO's count is the sum of its units': no unit is "Under" it for being one of them.
    In the quarter under way a unit that has reported November too is not set against the
    others' October alone."""
    hc1c = UnitFactory(code="HC1C", name="HC 1C", kind=org_tree.hc1a.kind, parent=org_tree.vo1)
    _observe(count_measure, [hc1c], SUMMER, value=Decimal("100"))
    _observe(count_measure, [hc1c], OCTOBER, value=Decimal("50"))
    _observe(count_measure, [org_tree.hc1a], [datetime.date(2025, 11, 1)], value=Decimal("100"))
    _compute()
    client.force_login(vc)
    url = reverse("unit_detail", args=[org_tree.vo1.code])

    content = client.get(url, {"kvartal": "2025Q4", "matt": "antal"}).content.decode()

    assert "Antal överenskommelser per enhet jämfört med medelvärdet per enhet i VO Norr" in content
    assert "Mot medelvärdet per enhet" in content
    assert (
        _peer_row(content, org_tree.hc1b)
        == f"{org_tree.hc1b.name} 100 st hittills (1 av 3 månader) Över –"
    )
    assert _peer_row(content, hc1c) == "HC 1C 50 st hittills (1 av 3 månader) Under –"
    assert _peer_row(content, org_tree.hc1a) == (
        f"{org_tree.hc1a.name} 200 st hittills (2 av 3 månader) "
        "Jämförs inte: värdet gäller andra månader än medelvärdet –"
    )
    assert "Medelvärde per enhet 75 st" in " ".join(re.sub(r"<[^>]+>", " ", content).split())
    assert "1 enhet har värden för andra månader och jämförs inte." in content

    # A whole quarter: every unit against the mean of all three (700 + 300 + 300) / 3.
    content = client.get(url, {"kvartal": "2025Q3", "matt": "antal"}).content.decode()
    assert _peer_row(content, org_tree.hc1b) == f"{org_tree.hc1b.name} 300 st Lika –"
    assert "hittills" not in content[content.index('<section id="peers"') :]


# --- a quarterly measure in its own quarter ------------------------------------------------


def test_a_quarterly_measure_in_its_own_quarter_says_when_it_is_reported_and_its_latest_value(
    client: Client, org_tree: OrgTree, vc: User, today: datetime.date
) -> None:
    """Kv 4 2025 is under way: a quarterly measure has no value for it yet, which is no gap.
    The unit's table, the peer comparison and the measure page say so and lead to Kv 3."""
    measure = MeasureFactory(
        name="Arbetsmiljö", code="arbetsmiljo", frequency=Measure.Frequency.QUARTERLY
    )
    measure.unit_kinds.add(org_tree.hc1a.kind)
    _observe(
        measure, [org_tree.hc1a, org_tree.hc1b], [datetime.date(2025, 7, 1)], value=Decimal("30")
    )
    _compute()
    client.force_login(vc)

    content = client.get(
        reverse("unit_detail", args=[org_tree.vo1.code]),
        {"matt": "arbetsmiljo", "kvartal": "2025Q4"},
    ).content.decode()
    # Tags dropped without a space: the link's brackets hug it, "60 st (Kv 3 2025)".
    text = " ".join(re.sub(r"<[^>]+>", "", content).split())

    assert (
        "Kvartalsmått: Kv 4 2025 rapporteras efter kvartalets slut. "
        "Senaste värde: 60 st (Kv 3 2025)" in text
    )
    assert f'href="{reverse("unit_detail", args=[org_tree.vo1.code])}?kvartal=2025Q3"' in content
    assert (
        "Arbetsmiljö är ett kvartalsmått: Kv 4 2025 rapporteras efter kvartalets slut, så ingen "
        "enhet har ett värde ännu. Senaste värde för VO Norr: 60 st (Kv 3 2025). "
        "Visa jämförelsen för Kv 3 2025"
    ) in text
    assert "?kvartal=2025Q3&amp;matt=arbetsmiljo" in content
    assert "peer-table" not in content  # no rows of dashes

    content = client.get(
        reverse("measure_detail", args=[measure.code]),
        {"enhet": org_tree.vo1.code, "kvartal": "2025Q4"},
    ).content.decode()
    # Tags dropped without a space: the link's brackets hug it, "60 st (Kv 3 2025)".
    text = " ".join(re.sub(r"<[^>]+>", "", content).split())

    assert "Ingen enhet har rapporterat för Kv 4 2025 ännu" not in text
    assert (
        "Kvartalsmått: Kv 4 2025 rapporteras efter kvartalets slut, så ingen enhet har ett "
        "värde ännu. Senaste värde: 60 st (Kv 3 2025)."
    ) in text
    assert f"?enhet={org_tree.vo1.code}&amp;kvartal=2025Q3" in content

    # The Mått list, the region's values: the same note in the measure's row.
    content = client.get(reverse("measure_list"), {"kvartal": "2025Q4"}).content.decode()
    # Tags dropped without a space: the link's brackets hug it, "60 st (Kv 3 2025)".
    text = " ".join(re.sub(r"<[^>]+>", "", content).split())

    assert (
        "Kvartalsmått: Kv 4 2025 rapporteras efter kvartalets slut. "
        "Senaste värde: 60 st (Kv 3 2025)"
    ) in text
    assert f'href="{reverse("measure_list")}?kvartal=2025Q3"' in content


def test_the_portfolio_summary_does_not_call_a_quarterly_measure_not_yet_due_missing(
    client: Client, count_measure: Measure, org_tree: OrgTree, steering_member: User
) -> None:
    """Its table row says Kv 4 is reported after the quarter's end and Datatäckning leaves it
    out: the summary paragraph must not call it missing either. A monthly measure whose ended
    month has no value is missing."""
    quarterly = MeasureFactory(
        name="Arbetsmiljö", code="arbetsmiljo", frequency=Measure.Frequency.QUARTERLY
    )
    quarterly.unit_kinds.add(org_tree.hc1a.kind)
    _observe(quarterly, [org_tree.hc1a], [datetime.date(2025, 7, 1)], value=Decimal("30"))
    silent = MeasureFactory(name="Frigjorda tider", code="frigjorda")
    silent.unit_kinds.add(org_tree.hc1a.kind)
    _observe(silent, [org_tree.hc1a], SUMMER, value=Decimal("5"))
    _compute()
    client.force_login(steering_member)

    text = " ".join(
        re.sub(
            r"<[^>]+>", " ", client.get(reverse("home"), {"kvartal": "2025Q4"}).content.decode()
        ).split()
    )

    assert "Kvartalsmått: Kv 4 2025 rapporteras efter kvartalets slut." in text
    assert "Värden saknas för ”Frigjorda tider”." in text
    assert "Arbetsmiljö." not in text
    assert "Arbetsmiljö”." not in text
    assert "Värden saknas för ”Arbetsmiljö”" not in text


def test_a_measure_table_names_the_period_its_icons_judge_once(
    client: Client, org_tree: OrgTree, steering_member: User, today: datetime.date
) -> None:
    """In the quarter under way the basis's note "Senaste punkten: okt 2025" would say again
    what "Punkten för okt 2025" beside the icon says: the table shows the latter only, as for
    an ended quarter. (The measure's own page, with no "Punkten för", keeps the note.)"""
    measure = MeasureFactory(name="Antal samtal", code="samtal")
    measure.unit_kinds.add(org_tree.hc1a.kind)
    months = [datetime.date(year, month, 1) for year in (2024, 2025) for month in range(1, 13)]
    months = [m for m in months if m <= OCTOBER[0]]
    for i, start in enumerate(months):
        ObservationFactory(
            measure=measure, unit=org_tree.hc1a, period_start=start, value=Decimal(100 + i % 3)
        )
    for year, number in [(2024, n) for n in range(1, 5)] + [(2025, n) for n in range(1, 5)]:
        services.quarter_compute(quarter=Quarter(year, number), today=TODAY)
    client.force_login(steering_member)
    url = reverse("unit_detail", args=[org_tree.hc1a.code])

    ongoing = client.get(url, {"kvartal": "2025Q4"}).content.decode()
    ended = client.get(url, {"kvartal": "2025Q3"}).content.decode()

    assert ongoing.count("Punkten för okt 2025") == 1
    assert "Senaste punkten" not in ongoing
    assert ended.count("Punkten för sep 2025") == 1
    assert "Senaste punkten" not in ended
    detail = client.get(
        reverse("measure_detail", args=[measure.code]),
        {"enhet": org_tree.hc1a.code, "kvartal": "2025Q4"},
    ).content.decode()
    assert "Senaste punkten: okt 2025" in detail
