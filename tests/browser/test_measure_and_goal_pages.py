"""The Mått and Mål pages in Chromium: the unit select swaps the chart over htmx (no reload,
the URL changes, Back restores), the forms work without JavaScript, axe-core finds nothing."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from base.periods import Quarter
from followup import triggers
from goals.models import Goal
from organisation.models import Role
from tests.browser.accessibility import screenshot
from tests.browser.conftest import BrowserErrors
from tests.browser.session import log_in
from tests.factories import (
    AdoptionRecordFactory,
    ComputeRunFactory,
    GoalFactory,
    GoalResultFactory,
    OrgTree,
    UserFactory,
)
from tests.followup.measure_data import ComputedMeasure, compute_measure, quarters_up_to

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture(autouse=True)
def _results_as_written(transactional_db: None) -> Iterator[None]:
    """The test writes the computed results itself: the setup's commits recompute nothing
    (a recompute would replace them with what the absent observations give)."""
    with triggers.suppressed():
        yield


@pytest.fixture
def steering(transactional_db: None) -> User:
    return UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)


@pytest.fixture
def measure(org_tree: OrgTree) -> ComputedMeasure:
    return compute_measure(
        units=[org_tree.region, org_tree.area, org_tree.vo1, org_tree.hc1a],
        quarters=quarters_up_to(Quarter(2025, 4), 12),
    )


@pytest.fixture
def goal(org_tree: OrgTree, measure: ComputedMeasure) -> Goal:
    goal = GoalFactory(
        adoption=True,
        code="teamrond-2025",
        title="Teamrond infört på 50 % av hälsocentralerna",
        target_share=Decimal("50"),
        deadline=datetime.date(2025, 12, 31),
    )
    AdoptionRecordFactory(unit=org_tree.hc1a, working_method=goal.working_method, adopted=True)
    # Kv 3 says uppnått (the header shows no countdown), Kv 4 risk (days since the deadline).
    for code, status, share in (("2025Q3", "uppnatt", 25), ("2025Q4", "risk", 25)):
        GoalResultFactory(
            goal=goal,
            quarter=code,
            status=status,
            progress=Decimal(share),
            target=Decimal("50"),
            explanation=f"1 av 4 hälsocentraler ({share} %) har infört Teamrond.",
            basis={"kind": "adoption", "active_units": 4, "adopted": 1, "rule": "behind_pace"},
        )
    GoalFactory(
        programme_area=goal.programme_area,
        parent=goal,
        code="teamrond-utbildning",
        title="Utbildning i teamrond genomförd",
    )
    ComputeRunFactory(quarter="2025Q4")
    return goal


def _mark_document(page: Page) -> None:
    """A flag on window that only a full page load clears."""
    page.evaluate("() => { window.__sameDocument = true; }")


def _same_document(page: Page) -> bool:
    return page.evaluate("() => window.__sameDocument === true")


def test_the_unit_select_swaps_the_chart_and_back_restores_it(
    page: Page,
    steering: User,
    measure: ComputedMeasure,
    browser_errors: BrowserErrors,
    axe: Callable[..., Path],
) -> None:
    log_in(page, "styrgrupp")
    page.goto("/matt/")
    expect(page.get_by_role("heading", name="Mått", level=1)).to_be_visible()
    axe(page, "matt-list")
    page.get_by_role("link", name="Rätt hjälp på en gång").click()
    expect(page.get_by_role("heading", name="Region Testland, Kv 4 2025")).to_be_visible()
    expect(page.locator("#measure-chart svg.chart-svg")).to_be_visible()
    axe(page, "matt-region")
    start_url = page.url

    page.wait_for_function("() => window.htmx !== undefined")
    _mark_document(page)
    page.get_by_label("Enhet").focus()
    with page.expect_response(re.compile(r"enhet=PV")) as swapped:
        page.get_by_label("Enhet").select_option("PV")
    assert swapped.value.request.headers.get("hx-request") == "true"
    expect(page.get_by_role("heading", name="Primärvård, Kv 4 2025")).to_be_visible()
    assert _same_document(page), "the chart was swapped in, not the page reloaded"
    expect(page).to_have_url(re.compile(r"[?&]enhet=PV"))
    expect(page).to_have_title(re.compile(r"^Rätt hjälp på en gång: Primärvård"))
    # Focus stays on the select that was changed, and it now offers the units below.
    assert page.evaluate("() => document.activeElement.id") == "enhet"
    # The select was swapped too: change it only once htmx has settled the new one (a change
    # on the old, detached select would send nothing).
    expect(page.get_by_label("Enhet").locator('option[value="VO1"]')).to_be_attached()
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )
    with page.expect_response(re.compile(r"enhet=VO1")):
        page.get_by_label("Enhet").select_option("VO1")
    expect(page.get_by_role("heading", name="VO Norr, Kv 4 2025")).to_be_visible()
    assert _same_document(page)
    axe(page, "matt-vo")

    page.go_back()
    expect(page.get_by_role("heading", name="Primärvård, Kv 4 2025")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", name="Region Testland, Kv 4 2025")).to_be_visible()
    assert page.url == start_url
    page.go_forward()
    expect(page.get_by_role("heading", name="Primärvård, Kv 4 2025")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Primärvård, Kv 4 2025")).to_be_visible()
    assert browser_errors.all == []


def test_the_measure_page_at_tablet_width_and_in_print(
    page: Page, steering: User, measure: ComputedMeasure
) -> None:
    log_in(page, "styrgrupp")
    page.goto(f"/matt/{measure.measure.code}/?sigma=1")
    expect(page.locator(".legend-level-upper_two_sigma")).to_contain_text("Övre 2-sigmalinje")
    # Datatäckning's share and the reports behind it read as separate lines, not "100,0 %4 av 4".
    coverage = page.locator(".headline div", has_text="Datatäckning").locator("dd")
    shown = coverage.inner_text().strip()
    assert re.fullmatch(r"\d+,\d\u00a0%\n.+", shown, re.S), shown
    # No horizontal scrolling at 1280 px.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280
    page.set_viewport_size({"width": 768, "height": 1000})
    screenshot(page, "matt-region-768")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 768
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Huvudmeny")).to_be_hidden()
    # The chart's data table prints although its <details> is closed.
    expect(page.locator("#measure-chart table")).to_be_visible()
    screenshot(page, "matt-region-print")
    page.pdf(path=str(screenshot(page, "matt-region-print").with_suffix(".pdf")), format="A4")


def test_the_unit_form_works_without_javascript(
    browser: Browser, live_server: LiveServer, steering: User, measure: ComputedMeasure
) -> None:
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, "styrgrupp")
        page.goto(f"/matt/{measure.measure.code}/")
        page.get_by_label("Enhet").select_option("PV")
        page.get_by_role("button", name="Visa").click()
        expect(page.get_by_role("heading", name="Primärvård, Kv 4 2025")).to_be_visible()
        expect(page).to_have_url(re.compile(r"[?&]enhet=PV"))
    finally:
        context.close()


def test_the_goal_page_swaps_its_quarter_and_passes_axe(
    page: Page,
    steering: User,
    goal: Goal,
    browser_errors: BrowserErrors,
    axe: Callable[..., Path],
) -> None:
    log_in(page, "styrgrupp")
    page.goto(f"/mal/{goal.code}/")
    expect(page.get_by_role("heading", name="Status Kv 4 2025")).to_be_visible()
    expect(page.locator(".goal-header .goal-days-left")).to_be_visible()
    expect(
        page.get_by_role("link", name="Utbildning i teamrond genomförd", exact=True)
    ).to_be_visible()
    expect(page.locator(".status-chart svg.chart-svg")).to_be_visible()
    axe(page, "mal-adoption")
    page.wait_for_function("() => window.htmx !== undefined")
    _mark_document(page)
    page.get_by_label("Kvartal", exact=True).select_option("2025Q3")
    expect(page.get_by_role("heading", name="Status Kv 3 2025")).to_be_visible()
    # The header came along out of band: Kv 3's status settles the goal, no countdown.
    expect(page.locator(".goal-header .goal-days-left")).to_have_count(0)
    expect(page.locator(".goal-header")).to_have_count(1)
    assert _same_document(page)
    expect(page).to_have_url(re.compile(r"[?&]kvartal=2025Q3"))
    page.go_back()
    expect(page.get_by_role("heading", name="Status Kv 4 2025")).to_be_visible()
    page.set_viewport_size({"width": 768, "height": 1000})
    screenshot(page, "mal-adoption-768")
    page.emulate_media(media="print")
    screenshot(page, "mal-adoption-print")
    assert browser_errors.all == []
