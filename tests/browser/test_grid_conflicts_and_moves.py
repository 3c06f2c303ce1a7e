"""In a real browser: a grid cell someone else saved after the page loaded (who saved it, "Ta
det sparade värdet", or save again over it), in the reporting and the adoption grid; and a
goal or milestone moved up or down keeps the keyboard focus on its move button, in its new
place."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from followup.models import Measure, Observation
from goals.models import AdoptionRecord, Goal
from organisation.models import Role
from tests.browser.conftest import BrowserErrors
from tests.browser.session import log_in
from tests.browser.test_editing import assert_no_axe_violations, assert_only_expected, shoot
from tests.factories import (
    AdoptionRecordFactory,
    GoalFactory,
    MeasureFactory,
    OrgTree,
    ProgrammeAreaFactory,
    UserFactory,
    WorkingMethodFactory,
    org_tree_create,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def setup(transactional_db: None) -> dict[str, Any]:
    """VO Norr's health centres, PO 1 with Teamrond, a count measure; Vera (VC of VO Norr)
    and Stina (the strategist), who saves in between."""
    tree = org_tree_create()
    area = ProgrammeAreaFactory(number=1, name="Teamarbete")
    teamrond = WorkingMethodFactory(
        name="Teamrond", programme_area=area, target_unit_kinds=[tree.hc1a.kind]
    )
    visits = MeasureFactory(name="Besök", value_type=Measure.ValueType.COUNT)
    visits.unit_kinds.set([tree.hc1a.kind])
    UserFactory(username="strateg", first_name="Stina", last_name="Strateg", role=Role.STRATEGIST)
    UserFactory(
        username="vc-norr",
        first_name="Vera",
        last_name="Chef",
        role=Role.HEAD_OF_AREA,
        role__unit=tree.vo1,
    )
    return {"tree": tree, "area": area, "teamrond": teamrond, "visits": visits}


@pytest.fixture
def other(browser: Browser, live_server: LiveServer, setup: dict[str, Any]) -> Iterator[Page]:
    """A second browser session, Stina Strateg's, saving while the user's page is open."""
    context: BrowserContext = browser.new_context(base_url=live_server.url, locale="sv-SE")
    context.set_default_timeout(10_000)
    page = context.new_page()
    log_in(page, "strateg")
    yield page
    context.close()


def _ready(page: Page) -> None:
    page.wait_for_function("() => window.htmx !== undefined")


def _spaced(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def _said_once(page: Page, message: str) -> None:
    """A refused grid save is said once: in the error summary, an alert that has the focus,
    not also in the page's live message region (a screen reader would read both)."""
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_contain_text(message)
    expect(page.locator("#messages")).to_have_text("")
    expect(page.get_by_text("Inget sparades:")).to_have_count(1)


def test_a_reporting_cell_saved_by_someone_else_can_be_taken_or_overwritten(
    page: Page, other: Page, setup: dict[str, Any], browser_errors: BrowserErrors
) -> None:
    tree: OrgTree = setup["tree"]
    visits: Measure = setup["visits"]
    url = f"/redigera/rapportera/{tree.vo1.pk}/?period=2025-10"
    key = f"m{visits.pk}u{tree.hc1a.pk}"
    label = re.compile("^Värde, Hälsocentral Norrby")

    def someone_saves(value: str) -> None:
        other.goto(url)
        _ready(other)
        other.get_by_role("table", name=re.compile("^Besök")).get_by_label(label).fill(value)
        other.get_by_role("button", name="Spara värden").click()
        expect(other.locator("#report-saved")).to_contain_text("sparat", timeout=15000)

    def conflict_after_saving(value: str, theirs: str) -> None:
        table = page.get_by_role("table", name=re.compile("^Besök"))
        table.get_by_label(label).fill(value)
        page.get_by_role("button", name="Spara värden").click()
        conflict = page.locator(f"#{key}-conflict")
        expect(conflict).to_be_visible(timeout=15000)
        assert f"Stina Strateg sparade {theirs} st" in _spaced(conflict.inner_text())
        expect(conflict).to_contain_text("Spara igen för att ersätta det med ditt värde")
        row = page.get_by_role("table", name=re.compile("^Besök")).locator(f"#{key}-row")
        expect(row.get_by_role("button", name=re.compile("^Ta det sparade värdet"))).to_be_visible()
        expect(page.get_by_role("button", name="Spara värden")).to_be_visible()
        # The user's typed value is still in the cell; nothing of theirs is stored.
        expect(table.get_by_label(label)).to_have_value(value)

    log_in(page, "vc-norr")
    page.goto(url)
    _ready(page)
    someone_saves("45")  # after the user's page loaded

    conflict_after_saving("50", "45")
    assert Observation.objects.get(unit=tree.hc1a, measure=visits).value == 45
    _said_once(page, "Inget sparades: någon annan har sparat markerade värden")
    assert_no_axe_violations(page, "reporting grid with a conflict", browser_errors)
    shoot(page, "report-conflict")

    page.get_by_role("button", name=re.compile("^Ta det sparade värdet")).click()
    table = page.get_by_role("table", name=re.compile("^Besök"))
    expect(page.locator(f"#{key}-conflict")).to_have_count(0)
    expect(table.get_by_label(label)).to_have_value("45")
    assert Observation.objects.get(unit=tree.hc1a, measure=visits).value == 45

    someone_saves("60")
    conflict_after_saving("70", "60")
    page.get_by_role("button", name="Spara värden").click()  # again: over the stored value
    expect(page.locator("#report-saved")).to_contain_text("1 värde är sparat.", timeout=15000)
    expect(page.locator(f"#{key}-conflict")).to_have_count(0)
    stored = Observation.objects.get(unit=tree.hc1a, measure=visits)
    assert stored.value == 70
    assert stored.history.first().history_user.username == "vc-norr"
    assert_only_expected(browser_errors)


def test_an_adoption_cell_saved_by_someone_else_can_be_taken_or_overwritten(
    page: Page, other: Page, setup: dict[str, Any], browser_errors: BrowserErrors
) -> None:
    tree: OrgTree = setup["tree"]
    teamrond = setup["teamrond"]
    today = timezone.localdate()
    record = AdoptionRecordFactory(
        unit=tree.hc1a, working_method=teamrond, status="infort", actual_date=today
    )
    url = f"/redigera/inforande/{tree.vo1.pk}/"
    key = f"c{tree.hc1a.pk}m{teamrond.pk}"
    label = re.compile("^Kommentar, Hälsocentral Norrby")

    def grid(on: Page) -> Any:
        return on.get_by_role("table", name=re.compile("^Teamrond"))

    def someone_saves(comment: str) -> None:
        other.goto(url)
        _ready(other)
        grid(other).get_by_label(label).fill(comment)
        other.get_by_role("button", name="Spara ändringar").click()
        expect(other.locator("#adoption-saved")).to_contain_text("sparad", timeout=15000)

    def conflict_after_saving(comment: str, theirs: str) -> None:
        grid(page).get_by_label(label).fill(comment)
        page.get_by_role("button", name="Spara ändringar").click()
        conflict = page.locator(f"#{key}-conflict")
        expect(conflict).to_be_visible(timeout=15000)
        expect(conflict).to_contain_text("Stina Strateg sparade ändringar")
        expect(conflict).to_contain_text(f"Kommentar: {theirs}")
        expect(conflict).to_contain_text("Spara igen för att ersätta det med ditt värde")
        expect(
            grid(page).get_by_role("button", name=re.compile("^Ta det sparade värdet"))
        ).to_be_visible()
        expect(page.get_by_role("button", name="Spara ändringar")).to_be_visible()
        expect(grid(page).get_by_label(label)).to_have_value(comment)

    log_in(page, "vc-norr")
    page.goto(url)
    _ready(page)
    someone_saves("Alla team")

    conflict_after_saving("Två team", "Alla team")
    record.refresh_from_db()
    assert record.comment == "Alla team"
    assert_no_axe_violations(page, "adoption grid with a conflict", browser_errors)
    shoot(page, "adoption-conflict")

    # The summary's link leads to the row header, where the explanation and "Ta det sparade
    # värdet" are; the cell's status and comment are read with the explanation.
    header = page.locator(f"#{key}-unit")
    _said_once(page, "Inget sparades: någon annan har sparat markerade celler")
    link = page.locator(".error-summary a")
    expect(link).to_have_attribute("href", f"#{key}-unit")
    for field in (
        grid(page).get_by_label(re.compile("^Status, Hälsocentral Norrby")),
        grid(page).get_by_label(label),
    ):
        expect(field).to_have_attribute("aria-describedby", re.compile(rf"\b{key}-conflict\b"))
        expect(field).to_have_attribute("aria-invalid", "true")
    expect(grid(page).get_by_label(label)).to_have_accessible_description(
        re.compile("^Stina Strateg sparade ändringar")
    )
    link.click()
    expect(header).to_be_focused()

    page.get_by_role("button", name=re.compile("^Ta det sparade värdet")).click()
    expect(page.locator(f"#{key}-conflict")).to_have_count(0)
    expect(grid(page).get_by_label(label)).to_have_value("Alla team")
    # The focus on the row header (the whole cell changed, not only its status), and what was
    # taken said in the page's polite live region.
    expect(header).to_be_focused()
    expect(page.locator("#swap-status")).to_have_text(
        "Det sparade värdet visas för Hälsocentral Norrby, Teamrond. "
        "Status: Infört; Faktiskt datum: " + today.isoformat() + "; Kommentar: Alla team"
    )

    someone_saves("Tre team")
    conflict_after_saving("Fyra team", "Tre team")
    page.get_by_role("button", name="Spara ändringar").click()
    expect(page.locator("#adoption-saved")).to_contain_text("1 ändring är sparad.", timeout=15000)
    record.refresh_from_db()
    assert record.comment == "Fyra team"
    assert record.history.first().history_user.username == "vc-norr"
    assert AdoptionRecord.objects.count() == 1
    assert_only_expected(browser_errors)


def _move_button(page: Page, direction: str, title: str) -> Any:
    """ "Flytta upp"/"Flytta ned" of one goal (its title is in a visually hidden span, which
    Chromium's accessible name sets off with a space)."""
    return page.get_by_role("button", name=re.compile(rf"^Flytta {direction}\s*: {title}$"))


def _focused_text(page: Page) -> str:
    """The text of the element that has the keyboard focus (document.activeElement), once the
    page has loaded and opened at its fragment (which moves the focus, HTML's "scroll to the
    fragment") and two frames more have passed: the focus a keyboard user's next key meets."""
    page.wait_for_load_state("load")
    page.evaluate(
        "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r())))"
    )
    page.wait_for_timeout(200)
    return _spaced(str(page.evaluate("() => document.activeElement.textContent || ''"))).strip()


def test_a_moved_goal_and_milestone_keep_the_focus_in_their_new_place(
    page: Page, setup: dict[str, Any], browser_errors: BrowserErrors
) -> None:
    area = setup["area"]
    goals = [
        GoalFactory(direction=True, programme_area=area, title=title, order=position)
        for position, title in enumerate(["Mål A", "Mål B", "Mål C"])
    ]
    parent = goals[0]
    for position, title in enumerate(["Delmål 1", "Delmål 2", "Delmål 3"]):
        GoalFactory(
            direction=True,
            programme_area=area,
            parent=parent,
            title=title,
            order=position,
            deadline=datetime.date(2026, 12, 31),
        )
    log_in(page, "strateg")

    page.goto(f"/redigera/programomrade/{area.pk}/")
    _move_button(page, "ned", "Mål A").click()
    page.wait_for_url(re.compile(rf"flyttad={parent.pk}&riktning=ned#goal-{parent.pk}$"))
    titles = page.locator(".goal-card > div[id^='goal-'] > h2")
    expect(titles).to_have_text(["Mål B", "Mål A", "Mål C"])
    expect(_move_button(page, "ned", "Mål A")).to_be_focused()
    assert _focused_text(page) == "Flytta ned: Mål A"
    # The confirmation, in the page at load (so not announced by its live region), is read
    # with the focused button.
    expect(_move_button(page, "ned", "Mål A")).to_have_accessible_description(
        "Ordningen är sparad."
    )
    # The keyboard user moves it again from where they are.
    page.keyboard.press("Enter")
    expect(titles).to_have_text(["Mål B", "Mål C", "Mål A"])
    # Last now: no "Flytta ned", so its "Flytta upp" has the focus.
    expect(_move_button(page, "upp", "Mål A")).to_be_focused()
    assert _focused_text(page) == "Flytta upp: Mål A"
    assert list(
        Goal.objects.filter(parent=None).order_by("order").values_list("title", flat=True)
    ) == [
        "Mål B",
        "Mål C",
        "Mål A",
    ]

    page.goto(f"/redigera/mal/{parent.pk}/")
    _move_button(page, "upp", "Delmål 3").click()
    page.wait_for_url(re.compile(r"flyttad=\d+&riktning=upp#goal-\d+$"))
    expect(page.locator("ol.milestone-order > li > a")).to_have_text(
        ["Delmål 1", "Delmål 3", "Delmål 2"]
    )
    expect(_move_button(page, "upp", "Delmål 3")).to_be_focused()
    assert _focused_text(page) == "Flytta upp: Delmål 3"
    expect(_move_button(page, "upp", "Delmål 3")).to_have_accessible_description(
        "Ordningen är sparad."
    )
    assert_no_axe_violations(page, "milestones after a move", browser_errors)
    assert_only_expected(browser_errors)
