"""At 320 px (a phone, or a desktop zoomed to 400 %: WCAG 1.4.10 Reflow) and with the keyboard.

The two editing grids stack into one card per unit, each field under its column's heading, and
nothing of them is beside the screen; the admin's change history does the same. A data table
may still scroll sideways there (two-dimensional content is the criterion's exception), but
then its wrapper is in the tab order, so the keyboard scrolls it, and named by the table's
caption, so a screen reader says what it holds (gonv_tags.table_wrap). One page of every kind
the app has, the admin's included, is opened at 320 px: none scrolls sideways, and what scrolls
inside it is such a wrapper.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Locator, Page, expect

from followup import triggers
from followup.models import GoalResult, Measure
from goals.status import Status
from organisation.models import Role
from programmes.models import WorkingMethod
from tests.browser.accessibility import axe_violations, screenshot
from tests.browser.conftest import BrowserErrors
from tests.browser.session import log_in
from tests.factories import (
    TEST_PASSWORD,
    AdoptionRecordFactory,
    GoalFactory,
    ImportBatchFactory,
    MeasureFactory,
    ObservationFactory,
    OrgTree,
    ProgrammeAreaFactory,
    UserFactory,
    WorkingMethodFactory,
    org_tree_create,
)
from tests.followup.dashboard_data import DashboardData, dashboard_data_create

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

PHONE = {"width": 320, "height": 800}

# The page's sideways scroll, and each control of a form that is not wholly on the screen.
OFF_SCREEN = """(selector) => ({
  page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  off: [...document.querySelectorAll(selector)]
    .filter(e => e.type !== 'hidden' && e.getClientRects().length)
    .filter(e => {
      const box = e.getBoundingClientRect();
      return box.left < 0 || box.right > document.documentElement.clientWidth;
    })
    .map(e => e.id || e.name || e.textContent.trim()),
})"""


def visible_label(page: Page, control: Locator) -> str:
    """The words of the control's <label> that are on the screen (not the visually hidden
    unit and measure after them)."""
    control_id = control.get_attribute("id")
    label = page.locator(f"label[for='{control_id}'] .cell-label-text")
    expect(label).to_be_visible()
    return label.inner_text().strip()


@pytest.fixture
def grids(transactional_db: None) -> dict[str, Any]:
    """VO Norr's two health centres: a share, a count with an imported value, a weighted
    index; an adoption method with one cell stored."""
    tree = org_tree_create()
    area = ProgrammeAreaFactory(number=1, name="Teamarbete")
    teamrond = WorkingMethodFactory(
        name="Teamrond", programme_area=area, target_unit_kinds=[tree.hc1a.kind]
    )
    AdoptionRecordFactory(unit=tree.hc1b, working_method=teamrond)
    visits = MeasureFactory(name="Besök", value_type=Measure.ValueType.COUNT)
    share = MeasureFactory(name="Rätt hjälp på en gång", share=True)
    for measure in (visits, share):
        measure.unit_kinds.set([tree.hc1a.kind])
    ObservationFactory(
        measure=visits,
        unit=tree.hc1b,
        period_start=datetime.date(2025, 10, 1),
        value=54,
        source="cyklop",
        import_batch=ImportBatchFactory(source="cyklop"),
    )
    UserFactory(username="vc-norr", role=Role.HEAD_OF_AREA, role__unit=tree.vo1)
    return {"tree": tree, "teamrond": teamrond}


def test_the_reporting_grid_is_one_card_per_unit_at_320_px_and_saves(
    page: Page, grids: dict[str, Any], browser_errors: BrowserErrors
) -> None:
    tree: OrgTree = grids["tree"]
    log_in(page, "vc-norr")
    page.set_viewport_size(PHONE)
    page.goto(f"/redigera/rapportera/{tree.vo1.pk}/?period=2025-10")
    page.wait_for_function("() => window.htmx !== undefined")
    controls = "#report-grid input, #report-grid button:not([tabindex='-1']), #report-grid a"
    assert page.evaluate(OFF_SCREEN, controls) == {"page": 0, "off": []}
    screenshot(page, "reflow-report-grid-320")

    share = page.get_by_role("table", name=re.compile("^Rätt hjälp"))
    # Still a table to a screen reader: its column headings are there, out of sight.
    expect(share.get_by_role("columnheader", name="Täljare")).to_be_attached()
    expect(share.get_by_role("columnheader", name="Täljare")).not_to_be_in_viewport()
    numerator = share.get_by_label(re.compile("^Täljare, Hälsocentral Norrby"))
    denominator = share.get_by_label(re.compile("^Nämnare, Hälsocentral Norrby"))
    comment = share.get_by_label(re.compile("^Kommentar, Hälsocentral Norrby"))
    # Each field says its column's heading on the screen, under the unit's name.
    assert [visible_label(page, c) for c in (numerator, denominator, comment)] == [
        "Täljare",
        "Nämnare",
        "Kommentar",
    ]
    norrby = share.get_by_role("row", name=re.compile("Hälsocentral Norrby"))
    expect(norrby.get_by_text("Föregående period")).to_be_visible()
    unit_box = norrby.get_by_role("rowheader").bounding_box()
    field_box = numerator.bounding_box()
    assert unit_box
    assert field_box
    assert field_box["y"] > unit_box["y"]
    # Wide enough to type in: the card's width, not a sliver of a squeezed column.
    assert field_box["width"] >= 200

    # An imported value reads as text under its headings; "Ersätt värdet" is on the screen.
    visits = page.get_by_role("table", name=re.compile("^Besök"))
    nordvik = visits.get_by_role("row", name=re.compile("Hälsocentral Nordvik"))
    expect(nordvik.get_by_text("Källa")).to_be_visible()
    replace = nordvik.get_by_role("button", name=re.compile("^Ersätt värdet"))
    replace.scroll_into_view_if_needed()
    expect(replace).to_be_in_viewport(ratio=1)

    numerator.fill("30")
    denominator.fill("40")
    visits.get_by_label(re.compile("^Värde, Hälsocentral Norrby")).fill("120")
    page.get_by_role("button", name="Spara värden").click()
    # The share's two parts are one value.
    expect(page.locator("#report-saved")).to_contain_text("2 värden är sparade.")
    assert page.evaluate(OFF_SCREEN, controls) == {"page": 0, "off": []}
    assert not axe_violations(page)
    assert [e for e in browser_errors.all if "Applying inline style" not in e] == []


def test_the_adoption_grid_is_one_card_per_unit_at_320_px_and_a_table_at_1280(
    page: Page, grids: dict[str, Any]
) -> None:
    tree: OrgTree = grids["tree"]
    log_in(page, "vc-norr")
    page.set_viewport_size(PHONE)
    page.goto(f"/redigera/inforande/{tree.vo1.pk}/")
    page.wait_for_function("() => window.htmx !== undefined")
    controls = "#adoption-grid input, #adoption-grid select, #adoption-grid textarea"
    assert page.evaluate(OFF_SCREEN, controls) == {"page": 0, "off": []}
    screenshot(page, "reflow-adoption-grid-320")
    table = page.get_by_role("table", name=re.compile("^Teamrond"))
    fields = [
        table.get_by_label(re.compile(f"^{name}, Hälsocentral Nordvik"))
        for name in ("Status", "Planerat datum", "Faktiskt datum", "Kommentar")
    ]
    assert [visible_label(page, field) for field in fields] == [
        "Status",
        "Planerat datum",
        "Faktiskt datum",
        "Kommentar",
    ]
    # The format the server reads, beside the date's label as it is under the heading.
    expect(page.locator(f"label[for='{fields[2].get_attribute('id')}']")).to_contain_text(
        "ÅÅÅÅ-MM-DD"
    )
    # An error keeps the card within the screen.
    fields[0].select_option("infort")
    page.get_by_role("button", name="Spara ändringar").click()
    expect(page.get_by_role("alert")).to_contain_text("Ange faktiskt datum")
    assert page.evaluate(OFF_SCREEN, controls) == {"page": 0, "off": []}
    assert not axe_violations(page)

    # On a wide screen the same grid is a table with its headings in sight.
    page.set_viewport_size({"width": 1280, "height": 900})
    table = page.get_by_role("table", name=re.compile("^Teamrond"))
    expect(table.get_by_role("columnheader", name=re.compile("^Faktiskt datum"))).to_be_visible()
    # The fields' labels are out of sight there (the headings say them).
    label = page.locator("#adoption-grid .cell-label").first.bounding_box()
    assert label
    assert label["width"] <= 1


def test_the_admin_history_is_one_card_per_version_at_320_px(page: Page) -> None:
    get_user_model().objects.create_superuser("admin", "admin@example.se", TEST_PASSWORD)
    goal = GoalFactory(title="Öka teamarbetet på hälsocentralerna i hela regionen")
    # A second version, with a change and its reason.
    goal.title = "Öka teamarbetet på alla hälsocentraler i hela regionen"
    goal._change_reason = "Ny formulering efter styrgruppens möte"  # type: ignore[attr-defined]
    goal.save()

    log_in(page, "admin")
    page.set_viewport_size(PHONE)
    page.goto(f"/admin/goals/goal/{goal.pk}/history/")
    history = page.locator("#change-history")
    controls = "#change-history a, #change-history summary"
    assert page.evaluate(OFF_SCREEN, controls) == {"page": 0, "off": []}
    screenshot(page, "reflow-admin-history-320")
    # Every column of the newest version within the screen, under its heading.
    newest = history.get_by_role("row").nth(1)
    for heading in ("Post", "Datum/tid", "Orsak", "Ändringar"):
        expect(newest.get_by_text(heading, exact=True)).to_be_in_viewport()
    expect(newest).to_contain_text("Ny formulering efter styrgruppens möte")
    # The object's name in whole words: no more lines than it has words.
    link = newest.get_by_role("link")
    lines, words = link.evaluate(
        """a => { const range = document.createRange(); range.selectNodeContents(a);
          const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
          return [tops.size, a.textContent.trim().split(/\\s+/).length]; }"""
    )
    assert lines <= words, f"{lines} lines for {words} words"
    assert not axe_violations(page)

    page.set_viewport_size({"width": 1280, "height": 900})
    expect(history.get_by_role("columnheader", name="Orsak")).to_be_visible()


# --- Wide tables: reachable and named --------------------------------------------------------

# Each wrapper of a table or chart: whether it scrolls, its tab stop and role, and the text of
# what names it (aria-labelledby: a caption, a heading or a chart's title); an id named that is
# missing or not unique names nothing.
WRAPPERS = """() => [...document.querySelectorAll('.table-wrap, .chart-scroll')].map(wrap => {
  const ids = (wrap.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
  const named = ids.map(id => document.querySelectorAll('#' + CSS.escape(id)));
  return {
    scrolls: wrap.scrollWidth > wrap.clientWidth + 1,
    tabindex: wrap.getAttribute('tabindex'),
    role: wrap.getAttribute('role'),
    name: named.map(list => list.length === 1 ? list[0].textContent.trim() : '').join(' '),
    labelled_by_caption: named.length > 0 && named.every(list => list.length === 1
      && /^(CAPTION|H[1-6]|title)$/.test(list[0].tagName)),
  };
})"""

# The smallest text of the page's charts as rendered, in CSS pixels (the SVG scales its units).
SMALLEST_CHART_TEXT = """() => Math.min(...[...document.querySelectorAll('svg.chart-svg')]
  .flatMap(svg => [...svg.querySelectorAll('text')].map(text =>
    parseFloat(getComputedStyle(text).fontSize)
      * svg.getBoundingClientRect().width / svg.viewBox.baseVal.width)))"""


@pytest.fixture
def dashboards(transactional_db: None) -> DashboardData:
    """The dashboards' data, with an adoption goal (its page has an adoption table)."""
    data = dashboard_data_create(vos=1, hcs_per_vo=3, quarters=3, measures=2, goals=1)
    method = WorkingMethod.objects.get(name="Teamrond")
    with triggers.suppressed():  # the results are written here, as the engine would
        goal = GoalFactory(
            adoption=True,
            programme_area=data.programme_area,
            working_method=method,
            unit_kind=data.hcs[0].kind,
            title="Teamrond på varje hälsocentral",
        )
        for quarter in data.quarters:
            GoalResult.objects.update_or_create(
                goal=goal,
                quarter=quarter.code,
                defaults={"status": Status.ON_TRACK.value, "explanation": "x"},
            )
    data.goals.append(goal)
    UserFactory(username="strateg", role=Role.STRATEGIST)
    return data


def test_every_table_that_scrolls_at_320_px_is_reached_with_the_keyboard_and_named(
    page: Page, dashboards: DashboardData
) -> None:
    data = dashboards
    area, vo, hc = data.programme_area, data.vos[0], data.hcs[0]
    adoption_goal = data.goals[-1]
    pages = [
        "/",
        f"/enheter/{vo.code}/",
        f"/enheter/{hc.code}/",
        f"/mal/{data.goals[0].code}/",
        f"/mal/{adoption_goal.code}/",
        "/matt/",
        f"/matt/{data.measures[0].code}/",
        f"/programomraden/{area.number}/",
        "/rapporter/",
        "/redigera/stodbehov/",
        f"/redigera/aktivitetsplaner/{area.pk}/{vo.pk}/",
    ]
    log_in(page, "strateg")
    page.set_viewport_size(PHONE)
    names: list[str] = []
    scrolling = 0
    charts = 0
    for url in pages:
        page.goto(url)
        if page.locator("svg.chart-svg").count():
            # A chart's labels stay legible: it scrolls rather than shrink its text.
            assert page.evaluate(SMALLEST_CHART_TEXT) >= 12, url
            charts += 1
        # A chart's table behind "Visa … som tabell" scrolls too once opened.
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true })")
        for wrap in page.evaluate(WRAPPERS):
            where = f"{url}: {wrap}"
            assert wrap["tabindex"] == "0", where
            assert wrap["role"] == "region", where
            assert wrap["name"], where
            assert wrap["labelled_by_caption"], where
            names.append(wrap["name"])
            scrolling += wrap["scrolls"]
    assert scrolling >= 10  # the check had tables that scroll to check
    assert charts >= 3
    for expected in (
        "Mål och delmål med måldatum under perioden",
        "Införande per",
        "Status per kvartal",
        "Per kvartal",
        "Kvartalsrapporter med status",
        "Framförda stödbehov",
        "Aktiviteter i tidsordning",
        "Mått 00",  # the measure's chart
    ):
        assert any(name.startswith(expected) for name in names), expected

    # The keyboard reaches the unit page's measure table and scrolls it.
    page.goto(f"/enheter/{vo.code}/")
    region = page.get_by_role("region", name=re.compile("^Mått för VO 1"))
    assert region.evaluate("e => e.scrollWidth > e.clientWidth")
    for _ in range(60):
        page.keyboard.press("Tab")
        if region.evaluate("e => e === document.activeElement"):
            break
    expect(region).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("e => e.scrollLeft > 0", arg=region.element_handle(), timeout=2000)
    violations = axe_violations(page)
    assert not violations, "\n".join(str(v) for v in violations)


# --- Every kind of page at 320 px ------------------------------------------------------------

# How far the page scrolls sideways, and each element that scrolls sideways inside itself (the
# wrappers of data tables and charts may: two-dimensional content is the criterion's exception,
# but only in a wrapper the keyboard reaches, which the test above names), and, when the page
# scrolls, the elements reaching past the screen's right edge (to say what to fix).
SIDEWAYS = """() => {
  const width = document.documentElement.clientWidth;
  const describe = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + (typeof e.className === 'string' && e.className
      ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
  const all = [...document.body.querySelectorAll('*')];
  const scrolling = all.filter(e => {
    const overflow = getComputedStyle(e).overflowX;
    return (overflow === 'auto' || overflow === 'scroll') && e.scrollWidth > e.clientWidth + 1;
  });
  const page = document.documentElement.scrollWidth - width;
  return {
    page,
    body: document.body.scrollWidth - document.body.clientWidth,
    scrolling: scrolling.map(e => ({
      what: describe(e), tabindex: e.getAttribute('tabindex'), role: e.getAttribute('role'),
      controls: e.querySelector('input:not([type=hidden]), select, textarea, button') !== null,
    })),
    beyond: page > 0 ? all.filter(e => {
      const box = e.getBoundingClientRect();
      return box.width > 0 && box.right > width + 1
        && !scrolling.some(wrap => wrap !== e && wrap.contains(e));
    }).slice(0, 8).map(describe) : [],
  };
}"""


def test_every_kind_of_page_reflows_at_320_px(
    page: Page, dashboards: DashboardData, tmp_path: Any
) -> None:
    from base.periods import Quarter
    from followup import services
    from followup.models import QuarterReport

    data = dashboards
    area, vo, hc = data.programme_area, data.vos[0], data.hcs[0]
    goal, measure = data.goals[0], data.measures[0]
    strategist = get_user_model().objects.get(username="strateg")
    strategist.is_staff = True
    strategist.save(update_fields=["is_staff"])
    # A report with an earlier version (closed, then reopened) and an import batch.
    quarter = Quarter(2025, 4)
    report = services.quarter_report_close(
        user=strategist, organisation=None, quarter=quarter, version=0
    )
    services.quarter_report_reopen(
        user=strategist,
        organisation_id=report.organisation_id,
        quarter=quarter,
        version=report.version,
        reason="Fel underlag för PO 1",
    )
    assert QuarterReport.objects.get(pk=report.pk).versions.exists()
    batch = ImportBatchFactory(file_name="cyklop-export-med-ett-mycket-langt-filnamn-2025.csv")
    ObservationFactory(measure=measure, unit=hc, import_batch=batch, source="cyklop")
    # A second version of the goal, for its history pages.
    goal.title = "Mål 0 med en ny och längre formulering efter styrgruppens möte"
    goal.save()
    goal_version = goal.history.earliest()

    log_in(page, "strateg")
    page.set_viewport_size(PHONE)
    pages = [
        "/",
        "/programomraden/",
        f"/programomraden/{area.number}/",
        "/enheter/",
        "/enheter/?q=Hälso",
        f"/enheter/{vo.code}/",
        f"/enheter/{hc.code}/",
        "/matt/",
        f"/matt/{measure.code}/",
        f"/mal/{goal.code}/",
        "/rapporter/",
        f"/rapporter/{quarter.code}/",
        f"/rapporter/{quarter.code}/versioner/1/",
        "/importera/",
        f"/importer/{batch.pk}/",
        f"/redigera/rapportera/{vo.pk}/",
        f"/redigera/inforande/{vo.pk}/",
        f"/redigera/aktivitetsplaner/{area.pk}/{vo.pk}/",
        f"/redigera/programomrade/{area.pk}/",
        f"/redigera/programomrade/{area.pk}/uppgifter/",
        f"/redigera/mal/{goal.pk}/historik/",
        "/redigera/stodbehov/",
        "/konto/losenord/",
        "/tillganglighet/",
        "/admin/goals/goal/",
        f"/admin/goals/goal/{goal.pk}/change/",
        f"/admin/goals/goal/{goal.pk}/history/",
        f"/admin/goals/goal/{goal.pk}/history/{goal_version.history_id}/",
        f"/admin/programmes/programmearea/{area.pk}/change/",
    ]
    failures: list[str] = []
    scrolled: dict[str, list[str]] = {}

    def check(url: str) -> None:
        sideways = page.evaluate(SIDEWAYS)
        scrolled[url] = [wrap["what"] for wrap in sideways["scrolling"]]
        if sideways["page"] > 0 or sideways["body"] > 0:
            failures.append(f"{url}: the page scrolls sideways: {sideways}")
        for wrap in sideways["scrolling"]:
            # Only a data table's or a chart's own wrapper, a named region the keyboard reaches
            # and scrolls, or a table of form rows (the admin's tabular inline), which the
            # keyboard scrolls by tabbing through its fields.
            reached = wrap["tabindex"] == "0" and wrap["role"] == "region"
            if not reached and not wrap["controls"]:
                failures.append(
                    f"{url}: {wrap['what']} scrolls sideways out of the keyboard's reach"
                )

    for url in pages:
        response = page.goto(url)
        assert response is not None
        assert response.ok, url
        check(url)

    # The upload's preview: a file checked, not yet imported.
    page.goto("/importera/")
    path = tmp_path / "en-fil-med-ett-langt-namn-fran-cyklop-for-december-2025.csv"
    path.write_text(f"enhet;mått;period;värde\n{hc.code};{measure.code};2025-12;57\n")
    page.get_by_label("Fil (CSV eller XLSX)").set_input_files(str(path))
    page.get_by_role("radio", name="Cyklop").check()
    page.get_by_role("button", name="Kontrollera filen").click()
    expect(page.get_by_role("heading", name="Förhandsgranskning")).to_be_visible()
    check("the upload's preview")
    assert not failures, "\n".join(failures)
    # Wide tables were there: they scrolled in their regions while the page did not.
    assert "div.results-region" in scrolled["/admin/goals/goal/"]
    assert sum(len(wraps) for wraps in scrolled.values()) >= 10
