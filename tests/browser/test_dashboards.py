"""The dashboards' journeys in Chromium: the steering group, a VC, the strategist; axe-core
(WCAG 2.1 A/AA) on every page; full-page screenshots for people to look at."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from base.periods import Quarter, day_label
from organisation.models import Role
from tests.browser.accessibility import axe_violations, screenshot
from tests.browser.conftest import BrowserErrors
from tests.browser.session import log_in
from tests.factories import UserFactory
from tests.followup.dashboard_data import (
    DashboardData,
    dashboard_data_create,
    second_organisation_create,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def check_page(page: Page, name: str, errors: BrowserErrors) -> None:
    """Fail on any WCAG 2.1 A/AA violation axe-core finds; save full-page screenshots at
    1280 px and at tablet width (768 px), and check neither scrolls sideways."""
    before = len(errors.console)
    violations = axe_violations(page)
    assert not violations, "\n".join(str(v) for v in violations)
    size = page.viewport_size
    for width in (1280, 768):
        page.set_viewport_size({"width": width, "height": 900})
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{name} scrolls sideways at {width} px"
        screenshot(page, f"{name}-{width}")
    if size:
        page.set_viewport_size(size)
    page.wait_for_timeout(200)  # let the console events of the checks arrive
    # Playwright's screenshots (it hides the caret) inject a style, which our CSP reports;
    # that is the tool's, not the page's.
    del errors.console[before:]


@pytest.fixture
def data(transactional_db: None) -> DashboardData:
    return dashboard_data_create(vos=2, hcs_per_vo=3, quarters=5, measures=2, goals=2)


def test_steering_group_opens_the_portfolio_changes_quarter_and_goes_on(
    page: Page, data: DashboardData, browser_errors: BrowserErrors
) -> None:
    UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)
    log_in(page, "styrgrupp")
    expect(page).to_have_url(re.compile(r"^http://[^/]+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Portfölj")

    # Before axe and the screenshots: their injected probes would be in htmx's history snapshot.
    loads: list[str] = []
    page.on("load", lambda p: loads.append(p.url))
    page.evaluate("window.gonvStillHere = true")
    page.get_by_label("Kvartal", exact=True).select_option("2025Q2")

    region = page.locator("#quarter-region")
    expect(region).to_contain_text("Status för Kv 2 2025.")
    expect(page).to_have_url(re.compile(r"\?kvartal=2025Q2$"))
    # The document's title names the quarter swapped in (a tab, a bookmark, a printed page).
    expect(page).to_have_title("Portfölj, Kv 2 2025 – GONV-uppföljning")
    assert loads == []
    assert page.evaluate("window.gonvStillHere") is True

    page.go_back()
    expect(page).to_have_url(re.compile(r"^http://[^/]+/$"))
    expect(region).to_contain_text("Status för Kv 4 2025.")
    expect(page).to_have_title("Portfölj, Kv 4 2025 – GONV-uppföljning")
    check_page(page, "portfolio", browser_errors)

    page.locator("h3 a", has_text="PO 1. Teamarbete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("PO 1. Teamarbete")
    check_page(page, "programme-area", browser_errors)

    page.get_by_role("link", name="Mått 00").first.click()
    expect(page).to_have_url(re.compile(r"/matt/matt-00/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mått 00")

    page.get_by_role("navigation", name="Huvudmeny").get_by_role(
        "link", name="Programområden"
    ).click()
    check_page(page, "programme-areas", browser_errors)
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Enheter").click()
    check_page(page, "units", browser_errors)
    assert browser_errors.all == []


def test_the_portfolios_measure_table_prints_each_spc_meaning_under_its_icon(
    page: Page, data: DashboardData
) -> None:
    UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)
    log_in(page, "styrgrupp")
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 680, "height": 900})  # about A4's printable width

    labels = page.locator(".measure-table .spc-cell .mdc-label")
    expect(labels.first).to_be_visible()
    for i in range(labels.count()):
        label = labels.nth(i)
        icon = label.locator("xpath=preceding-sibling::*[name()='svg']")
        label_box, icon_box = label.bounding_box(), icon.bounding_box()
        assert label_box
        assert icon_box
        # Beside the icon, A4's narrow column stood the meaning one word a line.
        assert label_box["y"] >= icon_box["y"] + icon_box["height"] - 1
        size = label.evaluate("e => getComputedStyle(e).fontSize")
        cell = label.evaluate("e => getComputedStyle(e.closest('td')).fontSize")
        assert size == cell  # the table's own print size, not the screen's 15 px
    screenshot(page, "portfolio-print")


def test_steering_group_changes_organisation_on_the_portfolio(
    page: Page, data: DashboardData, browser_errors: BrowserErrors
) -> None:
    second_organisation_create(data, goals=2)
    UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)
    log_in(page, "styrgrupp")
    region = page.locator("#quarter-region")
    # No role in either organisation: the first by name, and the page says so.
    expect(region).to_contain_text("Sidan visar portföljen för Region Bergland.")
    expect(region).to_contain_text("Bergmål 0")

    loads: list[str] = []
    page.on("load", lambda p: loads.append(p.url))
    page.evaluate("window.gonvStillHere = true")
    page.get_by_label("Organisation", exact=True).select_option("REG")

    expect(region).to_contain_text("Sidan visar portföljen för Region Testland.")
    expect(region).to_contain_text("Regionens värden, Region Testland")
    expect(region).not_to_contain_text("Bergmål 0")
    expect(page).to_have_url(re.compile(r"\?organisation=REG&kvartal=2025Q4$"))
    assert loads == []
    assert page.evaluate("window.gonvStillHere") is True

    page.go_back()
    expect(page).to_have_url(re.compile(r"^http://[^/]+/$"))
    expect(region).to_contain_text("Bergmål 0")
    check_page(page, "portfolio-organisations", browser_errors)
    assert browser_errors.all == []


def test_steering_group_changes_organisation_on_programme_areas_and_opens_its_po_1(
    page: Page, data: DashboardData, browser_errors: BrowserErrors
) -> None:
    from followup.cache import bump_generation
    from programmes.models import ProgrammeArea

    bergland = second_organisation_create(data, goals=2)
    # Each region numbers its plan from PO 1.
    ProgrammeArea.objects.filter(pk=bergland.programme_area.pk).update(number=1)
    bump_generation()
    UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)
    log_in(page, "styrgrupp")
    page.goto("/programomraden/")
    region = page.locator("#quarter-region")
    expect(region).to_contain_text("Sidan visar programområdena för Region Bergland.")
    expect(region).to_contain_text("PO 1. Nära vård Bergland")

    loads: list[str] = []
    page.on("load", lambda p: loads.append(p.url))
    page.evaluate("window.gonvStillHere = true")
    page.get_by_label("Organisation", exact=True).select_option("REG")

    expect(region).to_contain_text("Sidan visar programområdena för Region Testland.")
    expect(region).not_to_contain_text("Nära vård Bergland")
    expect(page).to_have_url(re.compile(r"/programomraden/\?organisation=REG&kvartal=2025Q4$"))
    assert loads == []
    assert page.evaluate("window.gonvStillHere") is True
    check_page(page, "programme-areas-organisations", browser_errors)

    # Testland's PO 1, though the steering group's own default is Bergland.
    region.get_by_role("link", name="PO 1. Teamarbete").click()
    expect(page).to_have_url(re.compile(r"/programomraden/1/\?organisation=REG$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("PO 1. Teamarbete")
    # A quarter swap stays on it.
    page.get_by_label("Kvartal", exact=True).select_option("2025Q2")
    # The hidden organisation goes along; the charts' unit is Testland, the area's own.
    expect(page).to_have_url(
        re.compile(r"/programomraden/1/\?kvartal=2025Q2&organisation=REG&enhet=REG$")
    )
    expect(page.locator("#quarter-region")).to_contain_text("Mål 0")
    expect(page.locator("#quarter-region")).not_to_contain_text("Bergmål 0")
    check_page(page, "programme-area-organisations", browser_errors)
    assert browser_errors.all == []


def htmx_idle(page: Page) -> None:
    """Wait until no htmx request, swap or settle is under way (and none waits out its delay
    in a way that shows: the request's class comes when it is sent)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def test_arrowing_through_quarters_sends_one_request_and_leaves_one_history_entry(
    page: Page, data: DashboardData, browser_errors: BrowserErrors
) -> None:
    """A keyboard user's arrow keys change the select at each press (Chrome and Edge on
    Windows): the selector waits for the choice to settle, so three quick changes are one
    request and one history entry, Back returns to the quarter before them, and the new
    quarter is announced in the page's live region."""
    UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)
    log_in(page, "styrgrupp")
    page.wait_for_function("() => window.htmx !== undefined")
    start = page.url
    entries = page.evaluate("history.length")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "kvartal=" in r.url else None)
    status = page.locator("#swap-status")
    expect(status).to_have_attribute("role", "status")
    page.evaluate("window.__swapStatus = document.getElementById('swap-status')")

    quarter = page.get_by_label("Kvartal", exact=True)
    quarter.focus()
    for code in ("2025Q3", "2025Q2", "2025Q1"):  # each a change event, as an arrow key is
        quarter.select_option(code)

    region = page.locator("#quarter-region")
    expect(region).to_contain_text("Status för Kv 1 2025.")
    expect(page).to_have_url(re.compile(r"\?kvartal=2025Q1$"))
    expect(status).to_have_text("Visar Kv 1 2025")
    htmx_idle(page)
    assert len(sent) == 1, sent
    assert page.evaluate("history.length") == entries + 1
    assert page.evaluate("document.getElementById('swap-status') === window.__swapStatus")
    expect(quarter).to_be_focused()

    # A second settled choice is a second entry; Back goes through them one by one.
    quarter.select_option("2025Q3")
    expect(region).to_contain_text("Status för Kv 3 2025.")
    expect(status).to_have_text("Visar Kv 3 2025")
    htmx_idle(page)
    assert page.evaluate("history.length") == entries + 2
    page.go_back()
    expect(page).to_have_url(re.compile(r"\?kvartal=2025Q1$"))
    expect(region).to_contain_text("Status för Kv 1 2025.")
    page.go_back()
    expect(page).to_have_url(start)
    expect(region).to_contain_text("Status för Kv 4 2025.")
    assert browser_errors.all == []


def test_quarter_selector_works_without_javascript(
    browser: object, live_server: object, data: DashboardData
) -> None:
    UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)
    context = browser.new_context(  # type: ignore[attr-defined]
        base_url=live_server.url,  # type: ignore[attr-defined]
        java_script_enabled=False,
        locale="sv-SE",
    )
    page = context.new_page()
    log_in(page, "styrgrupp")
    page.get_by_label("Kvartal", exact=True).select_option("2025Q2")
    page.locator(".quarter-selector").get_by_role("button", name="Visa").click()

    expect(page).to_have_url(re.compile(r"\?kvartal=2025Q2$"))
    expect(page.locator("#quarter-region")).to_contain_text("Status för Kv 2 2025.")
    # Back shows the quarter before in the select too, not the one chosen since (the
    # browser's restored form state, which autocomplete="off" declines).
    page.go_back()
    expect(page.locator("#quarter-region")).to_contain_text("Status för Kv 4 2025.")
    expect(page.get_by_label("Kvartal", exact=True)).to_have_value("2025Q4")

    # With several organisations the same form sends the organisation along.
    second_organisation_create(data, goals=1)
    page.goto("/")
    page.get_by_label("Organisation", exact=True).select_option("REG")
    page.locator(".quarter-selector").get_by_role("button", name="Visa").click()

    expect(page).to_have_url(re.compile(r"\?organisation=REG&kvartal=2025Q4$"))
    expect(page.locator("#quarter-region")).to_contain_text(
        "Sidan visar portföljen för Region Testland."
    )
    context.close()


def test_vc_lands_on_their_vo_filters_peers_and_follows_a_todo_link(
    page: Page, data: DashboardData, browser_errors: BrowserErrors
) -> None:
    # Not staff: "Att göra" links open the editing pages, never the admin.
    UserFactory(username="vc", role=Role.HEAD_OF_AREA, role__unit=data.vos[0])
    log_in(page, "vc")
    expect(page).to_have_url(re.compile(rf"/enheter/{data.vos[0].code}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("VO 1")
    nav = page.get_by_role("navigation", name="Huvudmeny")
    expect(nav.get_by_role("link", name="Min enhet")).to_have_attribute("aria-current", "page")
    check_page(page, "unit-vo", browser_errors)

    loads: list[str] = []
    page.on("load", lambda p: loads.append(p.url))
    page.locator("#peers").get_by_label("Mått", exact=True).select_option("matt-01")
    expect(page.locator("#peers caption")).to_contain_text("Mått 01 per enhet jämfört med VO 1")
    expect(page).to_have_url(re.compile(r"matt=matt-01"))
    assert loads == []

    page.locator(".todo-unplanned a").first.click()
    expect(page).to_have_url(re.compile(r"/redigera/inforande/\d+/#c\d+m\d+-unit$"))
    expect(page.get_by_role("button", name="Spara ändringar")).to_be_visible()
    assert browser_errors.all == []


def test_a_chosen_quarter_follows_the_links_from_the_portfolio_to_a_unit(
    page: Page, data: DashboardData, browser_errors: BrowserErrors
) -> None:
    UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)
    log_in(page, "styrgrupp")
    page.get_by_label("Kvartal", exact=True).select_option("2025Q2")
    expect(page).to_have_url(re.compile(r"\?kvartal=2025Q2$"))

    page.locator("h3 a", has_text="PO 1. Teamarbete").click()
    expect(page).to_have_url(re.compile(r"/programomraden/1/\?kvartal=2025Q2$"))
    expect(page.locator(".adoption-matrix caption")).to_contain_text("Införande per 30 jun 2025")

    page.locator(".adoption-matrix").get_by_role("link", name="VO 1", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/enheter/{data.vos[0].code}/\?kvartal=2025Q2$"))
    expect(page.locator(".adoption-table caption")).to_contain_text("Införande per 30 jun 2025")
    # A swap of the quarter brings the units below and their adoption along (out of band).
    page.get_by_label("Kvartal", exact=True).select_option("2025Q3")
    expect(page.locator(".adoption-table caption")).to_contain_text("Införande per 30 sep 2025")
    page.locator(".unit-links").get_by_role("link", name="Hälsocentral 1-1").click()
    expect(page).to_have_url(re.compile(rf"/enheter/{data.hcs[0].code}/\?kvartal=2025Q3$"))
    expect(page.get_by_label("Kvartal", exact=True)).to_have_value("2025Q3")
    assert browser_errors.all == []


def test_vc_opens_the_whole_of_a_long_todo_list(
    page: Page, data: DashboardData, browser_errors: BrowserErrors, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The live server runs in this process: a short dashboard list, and a paged whole list.
    monkeypatch.setattr("followup.todo.TODO_LIMIT", 2)
    UserFactory(username="vc", role=Role.HEAD_OF_AREA, role__unit=data.vos[0])
    log_in(page, "vc")

    page.locator(".todo").get_by_role("link", name=re.compile(r"^Visa alla \d+\W+saknade")).click()

    expect(page).to_have_url(re.compile(rf"/enheter/{data.vos[0].code}/att-gora/missing/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Saknade värden")
    assert page.locator(".todo-list li").count() > 2
    check_page(page, "unit-todo-list", browser_errors)
    page.get_by_role("link", name="Tillbaka till VO 1").click()
    expect(page).to_have_url(re.compile(rf"/enheter/{data.vos[0].code}/$"))
    assert browser_errors.all == []


def test_strategist_opens_a_goal_from_the_portfolio(
    page: Page, data: DashboardData, browser_errors: BrowserErrors
) -> None:
    UserFactory(username="strateg", is_staff=True, role=Role.STRATEGIST)
    log_in(page, "strateg")

    page.get_by_role("link", name="Delmål 0").first.click()

    expect(page).to_have_url(re.compile(r"/mal/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Delmål 0")
    assert browser_errors.all == []


def test_care_unit_page_passes_axe(
    page: Page, data: DashboardData, user_vec: User, browser_errors: BrowserErrors
) -> None:
    log_in(page, "vec")
    expect(page).to_have_url(re.compile(rf"/enheter/{data.hcs[0].code}/$"))
    check_page(page, "unit-care-unit", browser_errors)


@pytest.fixture
def user_vec(data: DashboardData) -> User:
    return UserFactory(username="vec", role=Role.HEAD_OF_UNIT, role__unit=data.hcs[0])


def test_the_unit_search_shows_its_hits_as_one_types_and_passes_axe(
    page: Page, data: DashboardData, browser_errors: BrowserErrors
) -> None:
    UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)
    log_in(page, "styrgrupp")
    page.goto("/enheter/")
    page.wait_for_function("() => window.htmx !== undefined")
    loads: list[str] = []
    page.on("load", lambda p: loads.append(p.url))
    # One live region for the whole search, there before the first key and kept: the results
    # are swapped below it, and a short count goes into it.
    status = page.get_by_role("status").and_(page.locator("#unit-search-status"))
    expect(status).to_have_text("")
    page.evaluate("window.__searchStatus = document.getElementById('unit-search-status')")

    page.get_by_label("Sök enhet").press_sequentially("centRal 1-", delay=30)

    hits = page.locator("#unit-search-results .search-hits a")
    expect(hits).to_have_count(3)
    expect(hits.first).to_have_text("Hälsocentral 1-1")
    expect(status).to_have_text("3 enheter hittades")
    expect(page).to_have_url(re.compile(r"\?sok=centRal(\+|%20)1-$"))
    assert page.locator("#unit-search-results[aria-live]").count() == 0
    page.get_by_label("Sök enhet").press_sequentially("x", delay=30)
    expect(status).to_have_text("Inga enheter hittades")
    expect(hits).to_have_count(0)
    assert page.evaluate("document.getElementById('unit-search-status') === window.__searchStatus")
    page.get_by_label("Sök enhet").press("Backspace")
    expect(hits).to_have_count(3)
    expect(status).to_have_text("3 enheter hittades")
    assert loads == []
    check_page(page, "unit-search", browser_errors)
    hits.first.click()
    expect(page).to_have_url(re.compile(rf"/enheter/{data.hcs[0].code}/$"))
    assert browser_errors.all == []


def test_the_unit_tree_opens_a_vo_with_the_keyboard_and_fetches_its_units_once(
    page: Page, data: DashboardData, browser_errors: BrowserErrors
) -> None:
    UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)
    log_in(page, "styrgrupp")
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Enheter").click()
    tree = page.locator(".unit-tree")
    expect(tree.get_by_role("link", name="VO 1", exact=True)).to_be_visible()
    expect(tree.get_by_role("link", name="Hälsocentral 1-1")).to_have_count(0)
    check_page(page, "units-folded", browser_errors)

    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "underenheter" in r.url else None)
    loads: list[str] = []
    page.on("load", lambda p: loads.append(p.url))
    summary = tree.get_by_role("group").first.locator("summary")
    expect(summary).to_have_text("3 enheter under VO 1")
    summary.focus()
    page.keyboard.press("Enter")

    expect(tree.get_by_role("link", name="Hälsocentral 1-1")).to_be_visible()
    expect(tree.get_by_role("link", name="Hälsocentral 2-1")).to_have_count(0)
    page.keyboard.press("Enter")  # closed
    page.keyboard.press("Enter")  # open again: from the page, not fetched again
    expect(tree.get_by_role("link", name="Hälsocentral 1-3")).to_be_visible()
    assert len(fetched) == 1
    assert loads == []
    check_page(page, "units-opened", browser_errors)

    tree.get_by_role("link", name="Hälsocentral 1-2").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hälsocentral 1-2")
    assert browser_errors.all == []


def test_a_large_adoption_matrix_shows_its_vos_and_opens_one(
    page: Page, data: DashboardData, browser_errors: BrowserErrors, settings: object
) -> None:
    from tests.followup.test_dashboards import _adoption_setup

    _adoption_setup(data)
    settings.GONV_ADOPTION_MATRIX_UNIT_LIMIT = 4  # type: ignore[attr-defined]
    UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)
    log_in(page, "styrgrupp")
    page.goto("/programomraden/1/")
    matrix = page.locator("#adoption")
    expect(matrix).to_contain_text("Visar verksamhetsområden; välj ett för att se dess enheter.")
    expect(matrix).not_to_contain_text("Hälsocentral")
    check_page(page, "programme-area-matrix-vos", browser_errors)

    loads: list[str] = []
    page.on("load", lambda p: loads.append(p.url))
    matrix.get_by_role("link", name="Visa enheter i VO 2").click()

    expect(matrix).to_contain_text("Hälsocentral 2-1")
    expect(matrix).not_to_contain_text("Hälsocentral 1-1")
    # The footer: the VO's own total, then the whole region's, each named as what it counts.
    footer = matrix.locator("tfoot")
    expect(footer.get_by_role("row", name="VO 2, alla enheter")).to_contain_text("2 av 3 (66,7 %)")
    expect(footer.get_by_role("row", name="Hela regionen, alla VO")).to_contain_text(
        "3 av 6 (50,0 %)"
    )
    expect(page).to_have_url(re.compile(r"\?vo=VO2&kvartal=\w+$"))
    # As of the shown quarter's end, or today in the ongoing quarter.
    quarter = Quarter.parse(page.url.rsplit("kvartal=", 1)[1])
    day = day_label(min(quarter.end, timezone.localdate()))
    expect(matrix.locator("caption")).to_contain_text(f"Införande per {day}:")
    assert loads == []
    check_page(page, "programme-area-matrix-vo", browser_errors)
    assert browser_errors.all == []


def test_a_large_adoption_matrix_opens_a_vo_without_javascript(
    browser: object, live_server: object, data: DashboardData, settings: object
) -> None:
    from tests.followup.test_dashboards import _adoption_setup

    _adoption_setup(data)
    settings.GONV_ADOPTION_MATRIX_UNIT_LIMIT = 4  # type: ignore[attr-defined]
    UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)
    context = browser.new_context(  # type: ignore[attr-defined]
        base_url=live_server.url,  # type: ignore[attr-defined]
        java_script_enabled=False,
        locale="sv-SE",
    )
    page = context.new_page()
    log_in(page, "styrgrupp")
    page.goto("/programomraden/1/")
    page.locator("#adoption").get_by_role("link", name="Visa enheter i VO 1").click()

    expect(page).to_have_url(re.compile(r"\?vo=VO1&kvartal=\w+#adoption$"))
    expect(page.locator("#adoption")).to_contain_text("Hälsocentral 1-1")
    # The tree's folded VO leads to its page, which lists its units.
    page.goto("/enheter/")
    page.locator(".unit-tree").get_by_role("link", name="VO 1", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("VO 1")
    expect(page.get_by_role("link", name="Hälsocentral 1-1").first).to_be_visible()
    context.close()


# What scrolls sideways: the document, and each table region whose content is wider than it.
SIDEWAYS = """() => ({
  page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  tables: [...document.querySelectorAll('.table-wrap')]
    .filter(wrap => wrap.scrollWidth > wrap.clientWidth + 1)
    .map(wrap => (wrap.querySelector('caption') || wrap).textContent.trim()),
})"""


def test_the_measure_tables_fit_a_tablet_without_scrolling_sideways(
    page: Page, data: DashboardData, browser_errors: BrowserErrors
) -> None:
    from followup.cache import bump_generation
    from followup.models import Measure

    # A real measure's name, longer than the test data's "Mått 01".
    long_name = "Andel patienter med samordningsbehov som har DÖ"
    Measure.objects.filter(pk=data.measures[1].pk).update(name=long_name)
    bump_generation()
    UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)
    log_in(page, "styrgrupp")
    page.set_viewport_size({"width": 768, "height": 1000})

    pages = {
        "portfolio": "/",
        "measures": "/matt/",
        "measure": f"/matt/{data.measures[1].code}/",
        "unit-vo": f"/enheter/{data.vos[0].code}/",
    }
    for name, path in pages.items():
        page.goto(path)
        expect(page.locator(".table-wrap:visible").first).to_be_visible()
        assert page.evaluate(SIDEWAYS) == {"page": 0, "tables": []}, path
        violations = axe_violations(page)
        assert not violations, "\n".join(str(v) for v in violations)
        screenshot(page, f"tablet-{name}-768")

    # Still a table to a screen reader (its display is a grid there), and nothing hidden: the
    # VO's own value, its area's and the region's, both changes, the SPC icon's meaning.
    table = page.get_by_role("table", name=re.compile(r"^Mått för VO 1"))
    row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=long_name))
    expect(row.get_by_role("cell")).to_have_count(7)
    expect(table.get_by_role("columnheader")).to_have_count(8)
    for cell in row.get_by_role("cell").all():
        expect(cell).to_be_visible()
    expect(row.locator(".mdc-label").first).to_be_visible()
    page.wait_for_timeout(200)
    assert browser_errors.all == []
