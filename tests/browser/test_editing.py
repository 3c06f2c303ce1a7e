"""Editing in a real browser: inline editing with focus and history, the conflict between two
browsers, the adoption and reporting grids, scope, and axe-core on every form (also with
errors)."""

from __future__ import annotations

import datetime
import os
import re
import tempfile
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from followup.models import Measure, Observation
from goals import services
from goals.models import AdoptionRecord, Goal
from organisation.models import Role
from programmes.models import ActivityPlan, ProgrammeArea, WorkingMethod
from tests.browser.accessibility import axe_violations
from tests.browser.conftest import BrowserErrors
from tests.browser.session import log_in
from tests.factories import (
    ActivityFactory,
    ActivityPlanFactory,
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

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]
SCREENSHOT_DIR = os.environ.get("GONV_SCREENSHOT_DIR", tempfile.gettempdir())
EMPTY_STYLE_HASH = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


def assert_no_axe_violations(page: Page, what: str, errors: BrowserErrors | None = None) -> None:
    """Zero WCAG 2.1 A/AA violations (tests/browser/accessibility.py); the CSP reports of axe's
    own injected styles are not the page's and are dropped from `errors`."""
    before = len(errors.console) if errors else 0
    violations = axe_violations(page)
    if errors:
        errors.console[before:] = [
            e for e in errors.console[before:] if "Applying inline style" not in e
        ]
    assert not violations, f"{what}:\n" + "\n".join(f"  - {v}" for v in violations)


def assert_only_expected(errors: BrowserErrors) -> None:
    """No console or page errors but the browser's note of a 409/422 answer (a form to show)."""
    unexpected = [
        e
        for e in errors.all
        if not re.search(r"status of (409|422) ", e)
        # Chromium reports an empty inline style (the hash of "") while axe-core runs and when
        # it re-renders a date input in an error state; the pages carry no style attribute
        # or element (asserted in the inline editing test before axe runs).
        and EMPTY_STYLE_HASH not in e
    ]
    assert unexpected == [], "\n".join(unexpected)


def shoot(page: Page, name: str) -> None:
    """Screenshots at 1280 px and 768 px for a person to look at."""
    page.screenshot(path=f"{SCREENSHOT_DIR}/gonv-edit-{name}-1280.png", full_page=True)
    size = page.viewport_size
    page.set_viewport_size({"width": 768, "height": 1000})
    page.screenshot(path=f"{SCREENSHOT_DIR}/gonv-edit-{name}-768.png", full_page=True)
    if size:
        page.set_viewport_size(size)


@pytest.fixture
def plan(transactional_db: None) -> dict[str, Any]:
    """PO 1 with the Teamrond goal and its milestone; VO Norr's health centres; users."""
    tree = org_tree_create()
    area = ProgrammeAreaFactory(number=1, name="Teamarbete")
    teamrond = WorkingMethodFactory(
        name="Teamrond", programme_area=area, target_unit_kinds=[tree.hc1a.kind]
    )
    WorkingMethodFactory(
        name="Hälsosamtal", programme_area=area, target_unit_kinds=[tree.hc1a.kind]
    )
    goal = GoalFactory(
        adoption=True,
        programme_area=area,
        working_method=teamrond,
        unit_kind=tree.hc1a.kind,
        title="Teamrond införd på alla hälsocentraler",
    )
    milestone = GoalFactory(
        adoption=True,
        programme_area=area,
        parent=goal,
        working_method=teamrond,
        unit_kind=tree.hc1a.kind,
        target_share=50,
        deadline=datetime.date(2025, 12, 31),
        title="Teamrond införd på 50 % av hälsocentralerna",
    )
    visits = MeasureFactory(name="Besök", value_type=Measure.ValueType.COUNT)
    visits.unit_kinds.set([tree.hc1a.kind])
    share = MeasureFactory(name="Rätt hjälp på en gång", share=True)
    share.unit_kinds.set([tree.hc1a.kind])
    UserFactory(username="strateg", first_name="Stina", last_name="Strateg", role=Role.STRATEGIST)
    UserFactory(username="strateg2", first_name="Sven", last_name="Strateg", role=Role.STRATEGIST)
    UserFactory(
        username="vc-norr",
        first_name="Vera",
        last_name="Chef",
        role=Role.HEAD_OF_AREA,
        role__unit=tree.vo1,
    )
    return {"tree": tree, "area": area, "goal": goal, "milestone": milestone, "teamrond": teamrond}


def settled(page: Page) -> None:
    """Wait until a swapped-in error summary has taken the focus for good: htmx focuses it as
    the swap settles, and the browser's own autofocus processing (the first autofocus element
    a document gets, at its next rendering) may focus it once more a frame later. A user's
    next key comes after both; a test's must too, or the second takes the focus back."""
    expect(page.get_by_role("alert")).to_be_focused()
    page.wait_for_function("() => !document.querySelector('.htmx-swapping, .htmx-settling')")
    page.evaluate(
        "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r())))"
    )
    expect(page.get_by_role("alert")).to_be_focused()


def test_strategist_edits_a_milestone_deadline_inline_and_sees_the_history_line(
    page: Page, plan: dict[str, Any], browser_errors: BrowserErrors
) -> None:
    area: ProgrammeArea = plan["area"]
    milestone: Goal = plan["milestone"]
    log_in(page, "strateg")
    page.goto(f"/redigera/programomrade/{area.pk}/")
    page.wait_for_function("() => window.htmx !== undefined")
    block = page.locator(f"#goal-{milestone.pk}")
    block.get_by_role("link", name="Redigera").click()

    form = page.locator(f"form#goal-{milestone.pk}")
    expect(form).to_be_visible()
    expect(page.get_by_label("Rubrik")).to_be_focused()  # focus moved into the form
    assert page.evaluate("() => document.querySelectorAll('style, [style]').length") == 0
    assert page.url.endswith(f"/redigera/programomrade/{area.pk}/")  # in place, no navigation
    assert_no_axe_violations(page, "inline goal form", browser_errors)
    shoot(page, "inline-form")

    form.get_by_label("Måldatum (obligatoriskt)", exact=True).fill("")
    form.get_by_role("button", name="Spara").click()
    expect(form.get_by_role("alert")).to_contain_text("Ange ett måldatum")
    expect(form.get_by_role("alert")).to_be_focused()  # errors announced and focused
    assert_no_axe_violations(page, "inline goal form with an error", browser_errors)
    shoot(page, "inline-form-error")

    form.get_by_label("Måldatum (obligatoriskt)", exact=True).fill("2026-03-31")
    form.get_by_label("Skäl till ändrat måldatum").fill("Upphandlingen försenad")
    # The message goes into the page's one live region, which stays: a region swapped in
    # whole would be new, and screen readers often do not announce a new one.
    page.evaluate("window.__messages = document.getElementById('messages')")
    form.get_by_role("button", name="Spara").click()

    saved = page.locator(f"div#goal-{milestone.pk}")
    expect(saved).to_contain_text("31 mar 2026")
    expect(saved.get_by_role("link", name="Redigera")).to_be_focused()  # focus back
    expect(page.locator("#messages")).to_contain_text("Ändringarna är sparade.")
    assert page.evaluate("document.getElementById('messages') === window.__messages")
    expect(page.locator("#messages")).to_have_attribute("role", "status")
    milestone.refresh_from_db()
    assert milestone.deadline == datetime.date(2026, 3, 31)

    page.goto(f"/redigera/mal/{milestone.pk}/")
    history = page.get_by_role("region", name="Ändringshistorik")
    expect(history).to_contain_text("Stina Strateg")
    expect(history).to_contain_text("Måldatum: 31 dec 2025")
    expect(history).to_contain_text("31 mar 2026")
    expect(history).to_contain_text("Skäl: Upphandlingen försenad")
    assert_no_axe_violations(page, "goal page with history", browser_errors)
    shoot(page, "goal-page")
    assert_only_expected(browser_errors)


def test_strategist_edits_a_milestone_deadline_inline_on_the_dashboards_area_page(
    page: Page, plan: dict[str, Any], browser_errors: BrowserErrors
) -> None:
    """The dashboards' Programområde page, keyboard only: "Redigera" turns the milestone's
    block into its form in place, "Avbryt" and "Spara" give it back with the focus on
    "Redigera"; the new deadline shows in the block and the history has its line."""
    milestone: Goal = plan["milestone"]
    area_path = f"/programomraden/{plan['area'].number}/"
    log_in(page, "strateg")
    page.goto(area_path)
    page.wait_for_function("() => window.htmx !== undefined")
    block = page.locator(f"div#goal-{milestone.pk}")
    redigera = block.get_by_role("link", name="Redigera")

    redigera.focus()
    page.keyboard.press("Enter")
    form = page.locator(f"form#goal-{milestone.pk}")
    expect(form).to_be_visible()
    expect(form.get_by_label("Rubrik")).to_be_focused()  # focus moved into the form
    assert page.url.endswith(area_path)  # in place, no navigation
    assert_no_axe_violations(page, "inline goal form on the area page", browser_errors)
    shoot(page, "dashboard-inline-form")

    form.get_by_role("link", name="Avbryt").focus()
    page.keyboard.press("Enter")  # "Avbryt" gives the block back, focus on its "Redigera"
    expect(block.get_by_role("link", name="Redigera")).to_be_focused()
    expect(form).to_have_count(0)

    page.keyboard.press("Enter")
    expect(form.get_by_label("Rubrik")).to_be_focused()
    form.get_by_label("Måldatum (obligatoriskt)", exact=True).fill("")
    form.get_by_role("button", name="Spara").click()
    expect(form.get_by_role("alert")).to_contain_text("Ange ett måldatum")
    expect(form.get_by_role("alert")).to_be_focused()  # errors announced and focused
    assert_no_axe_violations(page, "inline goal form on the area page, with an error")

    form.get_by_label("Måldatum (obligatoriskt)", exact=True).fill("2026-03-31")
    form.get_by_role("button", name="Spara").press("Enter")  # keyboard only, no reason yet
    expect(form.get_by_role("alert")).to_contain_text("Skriv varför måldatumet ändras")
    # The summary takes the focus as the swap settles: wait for it, as a user's next key
    # would, before typing the reason.
    settled(page)
    reason = form.get_by_label("Skäl till ändrat måldatum")
    reason.fill("Upphandlingen försenad")
    expect(reason).to_have_value("Upphandlingen försenad")
    # While the save is sent: "Spara" keeps the focus (not disabled, which would drop it to the
    # page's body) and "Sparar …" shows in the form's status region.
    page.evaluate(
        """() => document.addEventListener("htmx:beforeSend", (event) => {
            const active = document.activeElement;
            const text = event.target.querySelector(".saving-indicator-text");
            window.duringSave = {
                active: active ? active.textContent.trim() : "",
                disabled: !!(active && active.disabled),
                saying: text && getComputedStyle(text).display !== "none" ? text.textContent : "",
            };
        }, { once: true })"""
    )
    form.get_by_role("button", name="Spara").press("Enter")
    page.wait_for_function("() => window.duringSave !== undefined")
    assert page.evaluate("() => window.duringSave") == {
        "active": "Spara",
        "disabled": False,
        "saying": "Sparar …",
    }

    expect(block.locator('time[datetime="2026-03-31"]')).to_have_text("31 mar 2026")
    expect(block).to_contain_text("Måldatum flyttat från")
    expect(block).to_contain_text("Upphandlingen försenad")
    expect(block.get_by_role("link", name="Redigera")).to_be_focused()  # focus back
    expect(page.locator("#messages")).to_contain_text("Ändringarna är sparade.")
    assert page.url.endswith(area_path)
    milestone.refresh_from_db()
    assert milestone.deadline == datetime.date(2026, 3, 31)
    assert_no_axe_violations(page, "area page after an inline save", browser_errors)
    shoot(page, "dashboard-inline-saved")

    block.get_by_role("link", name="Ändringshistorik").click()
    history = page.get_by_role("region", name="Ändringshistorik")
    expect(history).to_contain_text("Stina Strateg")
    expect(history).to_contain_text(re.compile(r"Måldatum: .*31 dec 2025.*31 mar 2026"))
    assert_only_expected(browser_errors)


def test_the_kind_switch_swaps_the_fields(page: Page, plan: dict[str, Any]) -> None:
    log_in(page, "strateg")
    page.goto(f"/redigera/programomrade/{plan['area'].pk}/mal/nytt/")
    page.wait_for_function("() => window.htmx !== undefined")
    expect(page.get_by_role("button", name="Visa fälten för vald typ")).to_be_hidden()
    page.get_by_label("Typ").select_option("measure")
    expect(page.get_by_label("Målvärde")).to_be_visible()
    expect(page.get_by_label("Beslut/referens")).to_have_count(0)
    # The swap is said once in the page's lasting live region (the fieldset is none itself),
    # and what the kind asks for is marked: the label and the input's required state.
    expect(page.locator("#kind-fields")).not_to_have_attribute("aria-live", "polite")
    expect(page.locator("#swap-status")).to_have_text("Visar fälten för typen Mått")
    expect(page.locator("label[for='id_measure']")).to_contain_text("(obligatoriskt)")
    page.locator("#id_kind").select_option("adoption")
    expect(page.locator("#swap-status")).to_have_text("Visar fälten för typen Införande")
    for name in ("working_method", "unit_kind", "target_share"):
        expect(page.locator(f"label[for='id_{name}']")).to_contain_text("(obligatoriskt)")
        expect(page.locator(f"#id_{name}")).to_have_attribute("required", "")
    expect(page.locator("label[for='id_kind']")).to_contain_text("(obligatoriskt)")
    expect(page.locator("label[for='id_deadline']")).to_contain_text("(obligatoriskt)")
    page.locator("#id_kind").select_option("direction")
    expect(page.locator("label[for='id_deadline']")).not_to_contain_text("(obligatoriskt)")
    expect(page.locator("#id_deadline")).not_to_have_attribute("required", "")
    page.locator("#id_kind").select_option("deliverable")
    expect(page.locator("label[for='id_deadline']")).to_contain_text("(obligatoriskt)")
    expect(page.get_by_label("Beslut/referens")).to_be_visible()
    page.get_by_role("button", name="Skapa").click()
    expect(page.get_by_role("alert")).to_contain_text("Rubrik")
    assert_no_axe_violations(page, "new goal form with errors")
    shoot(page, "create-error")


def test_two_browsers_edit_the_same_goal_and_the_second_sees_the_conflict(
    browser: Browser, live_server: LiveServer, plan: dict[str, Any]
) -> None:
    goal: Goal = plan["goal"]
    pages = []
    for username in ("strateg", "strateg2"):
        context = browser.new_context(base_url=live_server.url, locale="sv-SE")
        page = context.new_page()
        log_in(page, username)
        page.goto(f"/redigera/mal/{goal.pk}/andra/")
        pages.append(page)
    first, second = pages

    first.get_by_label("Rubrik").fill("Teamrond på alla HC")
    first.get_by_role("button", name="Spara").click()
    expect(first.locator(f"div#goal-{goal.pk}")).to_contain_text("Teamrond på alla HC")

    second.get_by_label("Rubrik").fill("Teamrond överallt")
    second.get_by_role("button", name="Spara").click()

    conflict = second.get_by_role("alert")
    expect(conflict).to_contain_text("Någon annan hann före")
    expect(conflict).to_contain_text("Stina Strateg")
    expect(conflict).to_contain_text("Teamrond på alla HC")
    expect(conflict).to_contain_text("Teamrond överallt")
    expect(conflict).to_be_focused()
    goal.refresh_from_db()
    assert goal.title == "Teamrond på alla HC"
    assert_no_axe_violations(second, "conflict")
    shoot(second, "conflict")

    second.get_by_role("button", name="Spara mina ändringar").click()
    expect(second.locator(f"div#goal-{goal.pk}")).to_contain_text("Teamrond överallt")
    goal.refresh_from_db()
    assert goal.title == "Teamrond överallt"
    for page in pages:
        page.context.close()


def test_a_vc_saves_several_adoption_cells_and_reports_a_months_values(
    page: Page, plan: dict[str, Any], browser_errors: BrowserErrors
) -> None:
    tree: OrgTree = plan["tree"]
    teamrond: WorkingMethod = plan["teamrond"]
    log_in(page, "vc-norr")
    page.goto("/redigera/inforande/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("VO Norr")
    page.wait_for_function("() => window.htmx !== undefined")
    table = page.get_by_role("table", name=re.compile("^Teamrond"))
    norrby = table.get_by_role("row", name=re.compile("Hälsocentral Norrby"))
    nordvik = table.get_by_role("row", name=re.compile("Hälsocentral Nordvik"))
    norrby.get_by_role("combobox").select_option("infort")
    nordvik.get_by_role("combobox").select_option("infort")  # no date: an error
    page.get_by_role("button", name="Spara ändringar").click()
    expect(page.get_by_role("alert")).to_contain_text("Ange faktiskt datum")
    assert AdoptionRecord.objects.count() == 0
    assert_no_axe_violations(page, "adoption grid with errors", browser_errors)
    shoot(page, "adoption-error")

    today = timezone.localdate().isoformat()
    table = page.get_by_role("table", name=re.compile("^Teamrond"))
    table.get_by_label(re.compile("^Faktiskt datum, Hälsocentral Norrby")).fill(today)
    table.get_by_label(re.compile("^Status, Hälsocentral Nordvik")).select_option("planerad")
    page.get_by_role("button", name="Spara ändringar").click()
    # Planerat without a planned date is asked for by the cell, as "Att göra" would flag it.
    expect(page.get_by_role("alert")).to_contain_text("Ange planerat datum")
    assert AdoptionRecord.objects.count() == 0
    table = page.get_by_role("table", name=re.compile("^Teamrond"))
    table.get_by_label(re.compile("^Planerat datum, Hälsocentral Nordvik")).fill("2026-06-01")
    page.get_by_role("button", name="Spara ändringar").click()
    # Said beside the button the user pressed, and focused: not 1,500 px above at the top.
    saved = page.locator("#adoption-saved")
    expect(saved).to_contain_text("2 ändringar är sparade.", timeout=15000)
    expect(saved).to_be_focused()
    expect(page.locator("#messages")).to_be_empty()
    assert {
        r.unit_id: r.status for r in AdoptionRecord.objects.filter(working_method=teamrond)
    } == {
        tree.hc1a.pk: "infort",
        tree.hc1b.pk: "planerad",
    }
    assert_no_axe_violations(page, "adoption grid", browser_errors)
    shoot(page, "adoption")

    page.goto(f"/redigera/rapportera/{tree.vo1.pk}/?period=2025-10")
    page.wait_for_function("() => window.htmx !== undefined")
    visits = page.get_by_role("table", name=re.compile("^Besök"))
    visits.get_by_label(re.compile("^Värde, Hälsocentral Norrby")).fill("120")
    visits.get_by_label(re.compile("^Värde, Hälsocentral Nordvik")).fill("-3")
    page.get_by_role("button", name="Spara värden").click()
    expect(page.get_by_role("alert")).to_contain_text("negativt")
    assert_no_axe_violations(page, "reporting grid with errors", browser_errors)
    shoot(page, "report-error")
    visits = page.get_by_role("table", name=re.compile("^Besök"))
    visits.get_by_label(re.compile("^Värde, Hälsocentral Nordvik")).fill("98")
    share = page.get_by_role("table", name=re.compile("^Rätt hjälp"))
    share.get_by_label(re.compile("^Täljare, Hälsocentral Norrby")).fill("30")
    share.get_by_label(re.compile("^Nämnare, Hälsocentral Norrby")).fill("40")
    page.get_by_role("button", name="Spara värden").click()
    saved = page.locator("#report-saved")
    expect(saved).to_contain_text("3 värden är sparade.", timeout=15000)
    expect(saved).to_be_focused()
    # The share its täljare and nämnare give, so a typo (3/40 for 30/40) would be seen.
    share = page.get_by_role("table", name=re.compile("^Rätt hjälp"))
    expect(share.get_by_role("row", name=re.compile("Hälsocentral Norrby"))).to_contain_text(
        "Andel: 75"
    )
    assert Observation.objects.filter(period_start=datetime.date(2025, 10, 1)).count() == 3
    assert_no_axe_violations(page, "reporting grid", browser_errors)
    shoot(page, "report")
    assert_only_expected(browser_errors)


def test_the_grids_error_summary_links_take_the_keyboard_to_the_input_to_fix(
    page: Page, plan: dict[str, Any], browser_errors: BrowserErrors
) -> None:
    tree: OrgTree = plan["tree"]
    teamrond: WorkingMethod = plan["teamrond"]
    log_in(page, "vc-norr")
    page.goto(f"/redigera/inforande/{tree.vo1.pk}/")
    page.wait_for_function("() => window.htmx !== undefined")
    table = page.get_by_role("table", name=re.compile("^Teamrond"))
    table.get_by_label(re.compile("^Status, Hälsocentral Norrby")).select_option("infort")
    page.get_by_role("button", name="Spara ändringar").click()
    # The summary takes the focus as the swap settles; a user reaches its links after that,
    # and a link followed before it would have the focus taken back.
    settled(page)
    link = page.get_by_role("alert").get_by_role(
        "link", name=re.compile("^Teamrond, Hälsocentral Norrby")
    )
    link.focus()
    page.keyboard.press("Enter")
    focused = f"id_c{tree.hc1a.pk}m{teamrond.pk}-actual_date"
    page.wait_for_function(f"() => document.activeElement.id === '{focused}'")
    assert page.evaluate("document.activeElement.tagName") == "INPUT"

    visits = Measure.objects.get(name="Besök")
    page.goto(f"/redigera/rapportera/{tree.vo1.pk}/?period=2025-10")
    page.wait_for_function("() => window.htmx !== undefined")
    table = page.get_by_role("table", name=re.compile("^Besök"))
    table.get_by_label(re.compile("^Värde, Hälsocentral Nordvik")).fill("abc")
    page.get_by_role("button", name="Spara värden").click()
    expect(page.get_by_role("alert")).to_contain_text("”abc” är inte ett tal")
    settled(page)
    link = page.get_by_role("alert").get_by_role(
        "link", name=re.compile("^Besök, Hälsocentral Nordvik")
    )
    link.focus()
    page.keyboard.press("Enter")
    focused = f"id_m{visits.pk}u{tree.hc1b.pk}-value"
    page.wait_for_function(f"() => document.activeElement.id === '{focused}'")
    assert page.evaluate("document.activeElement.tagName") == "INPUT"
    assert_only_expected(browser_errors)


LONG_COMMENT = "Teamen utbildade i februari, teamrond startar före årsskiftet på båda enheterna."
SIDEWAYS = """() => ({
  page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  tables: [...document.querySelectorAll('.table-wrap')]
    .filter(wrap => wrap.scrollWidth > wrap.clientWidth + 1)
    .map(wrap => (wrap.querySelector('caption') || wrap).textContent.trim()),
})"""


def test_the_adoption_grid_fits_a_tablet_comment_column_included(
    page: Page, plan: dict[str, Any], browser_errors: BrowserErrors
) -> None:
    tree: OrgTree = plan["tree"]
    log_in(page, "vc-norr")
    page.set_viewport_size({"width": 768, "height": 1000})
    page.goto(f"/redigera/inforande/{tree.vo1.pk}/")
    page.wait_for_function("() => window.htmx !== undefined")
    table = page.get_by_role("table", name=re.compile("^Teamrond"))
    table.get_by_label(re.compile("^Status, Hälsocentral Norrby")).select_option("infort")
    page.get_by_role("button", name="Spara ändringar").click()
    expect(page.get_by_role("alert")).to_contain_text("Ange faktiskt datum")
    assert page.evaluate(SIDEWAYS) == {"page": 0, "tables": []}
    table = page.get_by_role("table", name=re.compile("^Teamrond"))
    expect(table.get_by_role("columnheader", name="Kommentar")).to_be_visible()
    for unit in ("Hälsocentral Norrby", "Hälsocentral Nordvik"):
        comment = table.get_by_label(re.compile(f"^Kommentar, {unit}"))
        box = comment.bounding_box()
        assert box is not None, unit
        assert box["x"] >= 0, unit
        assert box["x"] + box["width"] <= 768, unit
        # A line of its own across the table, not the ~135 px left beside the dates.
        assert box["width"] >= 600, unit
    # A comment stored before is read whole: it wraps, nothing is cut off.
    nordvik = table.get_by_label(re.compile("^Kommentar, Hälsocentral Nordvik"))
    nordvik.fill(LONG_COMMENT)
    assert nordvik.evaluate("e => e.tagName") == "TEXTAREA"
    assert nordvik.evaluate(
        "e => e.scrollHeight <= e.clientHeight + 1 && e.scrollWidth <= e.clientWidth"
    )
    assert_no_axe_violations(page, "adoption grid at 768 px", browser_errors)
    shoot(page, "adoption-tablet")
    assert_only_expected(browser_errors)


def test_a_vc_overrides_an_imported_value_with_the_keyboard_and_without_javascript(
    browser: Browser, live_server: LiveServer, plan: dict[str, Any], page: Page,
    browser_errors: BrowserErrors,
) -> None:  # fmt: skip
    tree: OrgTree = plan["tree"]
    visits = Measure.objects.get(name="Besök")
    imported = ObservationFactory(
        measure=visits,
        unit=tree.hc1a,
        period_start=datetime.date(2025, 10, 1),
        value=54,
        source="cyklop",
        import_batch=ImportBatchFactory(source="cyklop"),
    )
    log_in(page, "vc-norr")
    page.goto(f"/redigera/rapportera/{tree.vo1.pk}/?period=2025-10")
    page.wait_for_function("() => window.htmx !== undefined")
    table = page.get_by_role("table", name=re.compile("^Besök"))
    norrby = table.get_by_role("row", name=re.compile("Hälsocentral Norrby"))
    # Read-only text with its source and a link to the import; nothing to type into.
    expect(norrby).to_contain_text(re.compile(r"54\s+st"))
    expect(norrby).to_contain_text(re.compile(r"Importerat från Cyklop \(import #\d+\)"))
    expect(norrby.get_by_role("link", name=re.compile("^import #"))).to_be_visible()
    expect(norrby.get_by_role("textbox")).to_have_count(0)
    assert_no_axe_violations(page, "reporting grid with an imported value", browser_errors)

    # "Ersätt värdet" by keyboard: the cell becomes inputs in place, the focus on the value.
    norrby.get_by_role("button", name=re.compile("^Ersätt värdet")).focus()
    page.keyboard.press("Enter")
    value = table.get_by_label(re.compile("^Värde, Hälsocentral Norrby"))
    expect(value).to_be_focused()
    expect(value).to_have_value("54")
    assert "ersatt" not in page.url  # swapped by htmx, no page load
    assert_no_axe_violations(page, "reporting grid overriding a value", browser_errors)
    shoot(page, "report-override")
    page.keyboard.press("Control+A")
    page.keyboard.type("60")
    # Enter saves the grid (its first submit button is a hidden "Spara värden", not a cell's
    # "Ersätt värdet").
    page.keyboard.press("Enter")
    # With htmx the confirmation stands beside the save button (#messages is emptied).
    expect(page.locator("#report-saved")).to_contain_text("1 värde är sparat.")
    imported.refresh_from_db()
    assert (imported.value, imported.source, imported.overrides_source) == (60, "manual", "cyklop")
    assert_only_expected(browser_errors)

    # Without JavaScript the same button posts the grid: it comes back with that cell
    # editable and what was typed elsewhere kept, nothing stored until "Spara värden".
    other = ObservationFactory(
        measure=visits,
        unit=tree.hc1b,
        period_start=datetime.date(2025, 10, 1),
        value=7,
        source="cosmic",
    )
    context = browser.new_context(
        base_url=live_server.url, locale="sv-SE", java_script_enabled=False
    )
    plain = context.new_page()
    log_in(plain, "vc-norr")
    plain.goto(f"/redigera/rapportera/{tree.vo1.pk}/?period=2025-10")
    table = plain.get_by_role("table", name=re.compile("^Besök"))
    table.get_by_label(re.compile("^Värde, Hälsocentral Norrby")).fill("61")
    table.get_by_role("button", name=re.compile("^Ersätt värdet Hälsocentral Nordvik")).click()
    value = table.get_by_label(re.compile("^Värde, Hälsocentral Nordvik"))
    expect(value).to_be_focused()
    expect(table.get_by_label(re.compile("^Värde, Hälsocentral Norrby"))).to_have_value("61")
    imported.refresh_from_db()
    assert imported.value == 60  # nothing stored yet
    value.fill("8")
    plain.get_by_role("button", name="Spara värden").click()
    expect(plain.locator("#messages")).to_contain_text("2 värden är sparade.")
    other.refresh_from_db()
    imported.refresh_from_db()
    assert (other.value, other.overrides_source, imported.value) == (8, "cosmic", 61)
    context.close()


def test_ersatt_vardet_selects_the_old_value_so_typing_replaces_it(
    page: Page, plan: dict[str, Any], browser_errors: BrowserErrors
) -> None:
    """The reviewer's 12 → 1512: the focus came with the caret before the old value, and no
    previous month to compare with. The value is selected as it takes the focus, so "15" +
    Enter saves 15; and a slip that does slip through is asked about against the value it
    replaces."""
    tree: OrgTree = plan["tree"]
    visits = Measure.objects.get(name="Besök")
    imported = ObservationFactory(
        measure=visits,
        unit=tree.hc1a,
        period_start=datetime.date(2025, 10, 1),
        value=12,
        source="cyklop",
        import_batch=ImportBatchFactory(source="cyklop"),
    )
    log_in(page, "vc-norr")
    page.goto(f"/redigera/rapportera/{tree.vo1.pk}/?period=2025-10")
    page.wait_for_function("() => window.htmx !== undefined")
    table = page.get_by_role("table", name=re.compile("^Besök"))
    table.get_by_role("button", name=re.compile("^Ersätt värdet Hälsocentral Norrby")).click()
    value = table.get_by_label(re.compile("^Värde, Hälsocentral Norrby"))
    expect(value).to_be_focused()
    page.wait_for_function("() => !document.querySelector('.htmx-swapping, .htmx-settling')")
    assert value.evaluate("e => [e.selectionStart, e.selectionEnd]") == [0, 2]
    page.keyboard.type("15")
    expect(value).to_have_value("15")
    page.keyboard.press("Enter")
    expect(page.locator("#report-saved")).to_contain_text("1 värde är sparat.")
    imported.refresh_from_db()
    assert (imported.value, imported.overrides_source) == (15, "cyklop")

    # Opened by its link (a page load, the input autofocused): selected as well.
    imported.source, imported.value = "cyklop", 12
    imported.save()
    key = f"m{visits.pk}u{tree.hc1a.pk}"
    page.goto(f"/redigera/rapportera/{tree.vo1.pk}/?period=2025-10&ersatt={key}")
    value = page.get_by_role("table", name=re.compile("^Besök")).get_by_label(
        re.compile("^Värde, Hälsocentral Norrby")
    )
    expect(value).to_be_focused()
    page.wait_for_function(
        "() => document.activeElement.selectionEnd === document.activeElement.value.length"
    )
    assert value.evaluate("e => e.selectionStart") == 0
    # A typed slip (the caret put before 12 by a click) is asked about, not saved.
    value.click(position={"x": 3, "y": 10})
    page.keyboard.press("Home")
    page.keyboard.type("15")
    expect(value).to_have_value("1512")
    page.get_by_role("button", name="Spara värden").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Värdet skiljer sig mer än 50 % från det värde som ersätts (12\u00a0st)"
    )
    imported.refresh_from_db()
    assert imported.value == 12
    assert_only_expected(browser_errors)


def test_a_period_that_cannot_be_shown_leaves_the_field_on_the_period_shown(
    page: Page, plan: dict[str, Any], browser_errors: BrowserErrors
) -> None:
    """After "dec 2026" (not ended) the grid shows the latest month: the field says that month,
    the text typed is in the message, and the focus is on the message, not left on the page."""
    tree: OrgTree = plan["tree"]
    today = timezone.localdate()
    last = today.replace(day=1) - datetime.timedelta(days=1)
    months = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
    shown = f"{months[last.month - 1]} {last.year}"
    typed = f"{months[today.month - 1]} {today.year}"
    log_in(page, "vc-norr")
    page.goto(f"/redigera/rapportera/{tree.vo1.pk}/")
    page.get_by_label("Period").fill(typed)
    page.get_by_role("button", name="Visa period").click()
    message = page.get_by_role("alert")
    expect(message).to_contain_text(f"”{typed}” kan inte rapporteras ännu")
    expect(message).to_contain_text(f"Sidan visar i stället {shown}.")
    expect(message).to_be_focused()
    expect(page.get_by_label("Period")).to_have_value(shown)
    expect(page.get_by_role("heading", level=1)).to_contain_text(f", {shown}")
    assert_no_axe_violations(page, "reporting grid after a refused period", browser_errors)
    assert_only_expected(browser_errors)


def test_a_vcs_browser_cannot_reach_another_vos_grid(page: Page, plan: dict[str, Any]) -> None:
    log_in(page, "vc-norr")
    response = page.goto(f"/redigera/inforande/{plan['tree'].vo2.pk}/")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    response = page.goto(f"/redigera/rapportera/{plan['tree'].vo2.pk}/")
    assert response is not None
    assert response.status == 403


def test_the_other_forms_have_no_axe_violations(page: Page, plan: dict[str, Any]) -> None:
    area: ProgrammeArea = plan["area"]
    tree: OrgTree = plan["tree"]
    unused = WorkingMethodFactory(name="Veckomöte", programme_area=area)
    # The area's page with a deleted goal: its line under "Borttagna mål" with "Återställ".
    services.goal_delete(
        user=User.objects.get(username="strateg"),
        goal=GoalFactory(programme_area=area, title="Hälsosamtal på alla HC"),
    )
    log_in(page, "strateg")
    for url, name in (
        (f"/redigera/mal/{plan['goal'].pk}/bedom/", "assessment"),
        (f"/redigera/programomrade/{area.pk}/arbetssatt/nytt/", "working-method"),
        (f"/redigera/programomrade/{area.pk}/arbetssatt/", "working-methods"),
        (
            f"/redigera/programomrade/{area.pk}/arbetssatt/{plan['teamrond'].pk}/ta-bort/",
            "working-method-in-use",
        ),
        (
            f"/redigera/programomrade/{area.pk}/arbetssatt/{unused.pk}/ta-bort/",
            "working-method-delete",
        ),
        (f"/redigera/programomrade/{area.pk}/", "area"),
    ):
        page.goto(url)
        assert_no_axe_violations(page, name)
        shoot(page, name)
    page.goto(f"/redigera/mal/{plan['goal'].pk}/bedom/")
    page.get_by_role("button", name="Spara bedömningen").click()
    expect(page.get_by_role("alert")).to_contain_text("kommentar")
    assert_no_axe_violations(page, "assessment with errors")
    page.context.clear_cookies()
    log_in(page, "vc-norr")
    for url, name in (
        (f"/redigera/aktivitetsplaner/{area.pk}/{tree.vo1.pk}/", "activity-plan"),
        ("/redigera/stodbehov/nytt/", "support-need"),
    ):
        page.goto(url)
        assert_no_axe_violations(page, name)
        shoot(page, name)
        page.locator("form.card button[type=submit]").first.click()
        expect(page.get_by_role("alert")).to_be_visible()
        assert_no_axe_violations(page, f"{name} with errors")


def test_the_strategist_restores_a_deleted_goal_with_its_milestone(
    page: Page, plan: dict[str, Any], browser_errors: BrowserErrors
) -> None:
    area: ProgrammeArea = plan["area"]
    goal: Goal = plan["goal"]
    services.goal_delete(user=User.objects.get(username="strateg"), goal=goal)
    log_in(page, "strateg")
    page.goto(f"/redigera/programomrade/{area.pk}/")
    removed = page.get_by_role("region", name="Borttagna mål")
    expect(removed).to_contain_text(f"Målet ”{goal.title}” togs bort")
    expect(removed).to_contain_text("av Stina Strateg")
    button = removed.get_by_role(
        "button", name=re.compile(rf"^Återställ\W+{re.escape(goal.title)}$")
    )
    expect(button).to_be_visible()
    assert_no_axe_violations(page, "area with a deleted goal", browser_errors)
    shoot(page, "area-deleted-goal")

    button.click()

    expect(page.locator("#messages")).to_contain_text(f"”{goal.title}” är återställt.")
    expect(page.get_by_role("heading", name=goal.title)).to_be_visible()
    expect(page.get_by_text(plan["milestone"].title).first).to_be_visible()
    assert Goal.objects.filter(pk__in=[goal.pk, plan["milestone"].pk]).count() == 2
    page.goto(f"/redigera/programomrade/{area.pk}/")
    expect(page.get_by_role("region", name="Borttagna mål")).to_have_count(0)
    assert_only_expected(browser_errors)


def test_the_programme_owner_sends_a_plan_back_and_the_vc_reads_why(
    page: Page, plan: dict[str, Any], browser_errors: BrowserErrors
) -> None:
    area: ProgrammeArea = plan["area"]
    tree: OrgTree = plan["tree"]
    activity_plan = ActivityPlanFactory(unit=tree.vo1, programme_area=area)
    ActivityFactory(plan=activity_plan, title="Teamrond på alla hälsocentraler")
    ActivityPlan.objects.filter(pk=activity_plan.pk).update(
        status=ActivityPlan.Status.SUBMITTED, submitted_at=timezone.now()
    )
    UserFactory(
        username="poansvarig",
        first_name="Petra",
        last_name="Ansvarig",
        role=Role.PROGRAMME_OWNER,
        role__programme_area=area,
    )
    log_in(page, "poansvarig")
    page.goto("/redigera/aktivitetsplaner/")
    awaiting = page.get_by_role("table", name=re.compile("Inlämnade planer som du godkänner"))
    expect(awaiting).to_contain_text(tree.vo1.name)
    assert_no_axe_violations(page, "plans awaiting review", browser_errors)
    shoot(page, "plans-awaiting-review")

    awaiting.get_by_role("link").first.click()
    assert_no_axe_violations(page, "review form", browser_errors)
    shoot(page, "plan-review")
    page.get_by_role("button", name="Skicka tillbaka för komplettering").click()
    expect(page.get_by_role("alert")).to_contain_text("komplettera")
    assert_no_axe_violations(page, "review form with an error", browser_errors)
    page.get_by_label("Kommentar till verksamheten").fill("Lägg till en tidplan per hälsocentral.")
    page.get_by_role("button", name="Skicka tillbaka för komplettering").click()
    expect(page.get_by_text("Aktivitetsplanen är skickad tillbaka")).to_be_visible()
    # After the redirect the message has the focus, as the grid's "sparad" has.
    expect(page.locator("#messages")).to_be_focused()
    expect(page.locator("#messages")).to_contain_text("Aktivitetsplanen är skickad tillbaka")

    page.context.clear_cookies()
    log_in(page, "vc-norr")
    page.goto(f"/redigera/aktivitetsplaner/{area.pk}/{tree.vo1.pk}/")
    # A plain page load has no message and nothing takes the focus.
    expect(page.locator("#messages")).not_to_have_attribute("tabindex", "-1")
    assert page.evaluate("document.activeElement === document.body")
    outcome = page.get_by_role("region", name="Planen är skickad tillbaka för komplettering")
    expect(outcome).to_contain_text("Petra Ansvarig")
    expect(outcome).to_contain_text("Lägg till en tidplan per hälsocentral.")
    expect(page.get_by_role("button", name="Godkänn planen")).to_have_count(0)
    assert_no_axe_violations(page, "plan sent back, as the VC reads it", browser_errors)
    shoot(page, "plan-sent-back")
    assert_only_expected(browser_errors)


def test_the_programme_owner_reopens_an_approved_plan_and_the_vc_reads_why(
    page: Page, plan: dict[str, Any], browser_errors: BrowserErrors
) -> None:
    area: ProgrammeArea = plan["area"]
    tree: OrgTree = plan["tree"]
    activity_plan = ActivityPlanFactory(
        unit=tree.vo1, programme_area=area, status=ActivityPlan.Status.ACCEPTED
    )
    ActivityFactory(plan=activity_plan, title="Teamrond på alla hälsocentraler")
    UserFactory(
        username="poansvarig",
        first_name="Petra",
        last_name="Ansvarig",
        role=Role.PROGRAMME_OWNER,
        role__programme_area=area,
    )
    url = f"/redigera/aktivitetsplaner/{area.pk}/{tree.vo1.pk}/"
    log_in(page, "poansvarig")
    page.goto(url)
    assert_no_axe_violations(page, "reopen form", browser_errors)
    page.get_by_role("button", name="Öppna för ändring").click()
    expect(page.get_by_role("alert")).to_contain_text("Skriv vad verksamheten ska ändra")
    assert_no_axe_violations(page, "reopen form with an error", browser_errors)
    page.get_by_label("Vad ska verksamheten ändra?").fill("Lägg till Sandvikens tidplan.")
    page.get_by_role("button", name="Öppna för ändring").click()
    expect(page.get_by_text("är öppnad för ändring och är ett utkast igen")).to_be_visible()
    shoot(page, "plan-reopen")

    page.context.clear_cookies()
    log_in(page, "vc-norr")
    page.goto(url)
    outcome = page.get_by_role("region", name="Planen är öppnad för ändring")
    expect(outcome).to_contain_text("Petra Ansvarig")
    expect(outcome).to_contain_text("Lägg till Sandvikens tidplan.")
    expect(page.get_by_role("heading", name="Lägg till aktivitet")).to_be_visible()
    assert_no_axe_violations(page, "plan reopened, as the VC reads it", browser_errors)
    shoot(page, "plan-reopened")
    assert_only_expected(browser_errors)


def test_enter_in_a_field_saves_the_goal_inline_and_on_its_own_page(
    page: Page, plan: dict[str, Any], browser_errors: BrowserErrors
) -> None:
    """Enter submits with the form's first submit button: the one that saves, not the no-JS
    "Visa fälten för vald typ" (which re-renders the form without saving)."""
    area: ProgrammeArea = plan["area"]
    milestone: Goal = plan["milestone"]
    log_in(page, "strateg")
    page.goto(f"/redigera/programomrade/{area.pk}/")
    page.wait_for_function("() => window.htmx !== undefined")
    page.locator(f"#goal-{milestone.pk}").get_by_role("link", name="Redigera").click()
    title = page.locator(f"form#goal-{milestone.pk}").get_by_label("Rubrik")
    expect(title).to_be_focused()
    title.fill("Teamrond på hälften av hälsocentralerna")
    title.press("Enter")

    expect(page.locator("#messages")).to_contain_text("Ändringarna är sparade.")
    expect(page.locator(f"div#goal-{milestone.pk}")).to_contain_text("på hälften")

    page.goto(f"/redigera/mal/{milestone.pk}/andra/")
    page.wait_for_function("() => window.htmx !== undefined")
    title = page.get_by_label("Rubrik")
    title.fill("Teamrond på varannan hälsocentral")
    title.press("Enter")

    expect(page.locator("#messages")).to_contain_text("Ändringarna är sparade.")
    milestone.refresh_from_db()
    assert milestone.title == "Teamrond på varannan hälsocentral"
    assert_only_expected(browser_errors)


def test_paging_the_history_keeps_the_keyboard_in_it_and_says_the_page(
    page: Page, plan: dict[str, Any]
) -> None:
    """ "Äldre ändringar" swaps the history section: the focus goes to its heading (not the
    page's body), "Ändringshistorik, sida 2 av 2" is said, and an earlier save's message goes."""
    milestone = plan["milestone"]
    for n in range(11):
        milestone.title = f"Teamrond på {n + 40} % av hälsocentralerna"
        milestone.save()
    log_in(page, "strateg")
    page.goto(f"/redigera/mal/{milestone.pk}/")
    page.wait_for_function("() => window.htmx !== undefined")
    page.evaluate(
        "() => { document.getElementById('messages').textContent = 'Ändringarna är sparade.'; }"
    )
    older = page.get_by_role("link", name="Äldre ändringar")
    older.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Nyare ändringar")).to_be_visible()
    expect(page.locator(f"#history-goal-{milestone.pk}-title")).to_be_focused()
    expect(page.locator("#swap-status")).to_have_text("Ändringshistorik, sida 2 av 2")
    expect(page.locator("#messages")).to_have_text("")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Nyare ändringar")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(f"#history-goal-{milestone.pk}-title")).to_be_focused()
    expect(page.locator("#swap-status")).to_have_text("Ändringshistorik, sida 1 av 2")
