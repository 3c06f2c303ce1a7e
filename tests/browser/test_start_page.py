"""What only a browser shows: keyboard use, focus, the CSP in force, htmx loaded and swapping."""

from __future__ import annotations

import datetime
import os
import re
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from goals.models import Goal
from organisation.models import Role
from programmes.models import Phase
from tests.browser.conftest import BrowserErrors
from tests.factories import (
    TEST_PASSWORD,
    AssessmentFactory,
    GoalFactory,
    PhaseFactory,
    ProgrammeAreaFactory,
    UserFactory,
)
from tests.helpers import PHASE2_AREAS

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

# Screenshots for a human to look at (not compared by the tests).
SCREENSHOT_DIR = os.environ.get("GONV_SCREENSHOT_DIR", tempfile.gettempdir())
START_URL = re.compile(r"^http://[^/]+/$")
AREAS = PHASE2_AREAS


@pytest.fixture
def strategist_user(transactional_db: None) -> User:
    return UserFactory(
        username="strateg", first_name="Stina", last_name="Strateg", role=Role.STRATEGIST
    )


@pytest.fixture
def portfolio(transactional_db: None) -> None:
    """Fas 2 with its six programme areas; PO 1 has a goal with a milestone, PO 5 nothing."""
    phase = PhaseFactory()
    areas = {
        number: ProgrammeAreaFactory(phase=phase, number=number, name=name)
        for number, name in AREAS
    }
    teamrond = GoalFactory(
        adoption=True,
        programme_area=areas[1],
        title="Teamrond införd på alla hälsocentraler",
        deadline=datetime.date(2026, 12, 31),
    )
    GoalFactory(
        adoption=True,
        programme_area=areas[1],
        parent=teamrond,
        working_method=teamrond.working_method,
        title="Teamrond införd på 50 % av hälsocentralerna",
        target_share=Decimal("50"),
        deadline=datetime.date(2025, 12, 31),
    )
    GoalFactory(direction=True, programme_area=areas[1], title="Ökat teamarbete i hela vården")
    GoalFactory(
        programme_area=areas[2],
        title="Enhetligt riskbedömningsinstrument beslutat",
        deadline=datetime.date(2025, 12, 31),
    )
    GoalFactory(direction=True, programme_area=areas[4], title="Ökad användning av MVG")


def focused(page: Page) -> dict[str, str]:
    """The focused element's tag, id, name and text."""
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return {tag: e.tagName, id: e.id, name: e.getAttribute('name') || '',"
        " text: (e.textContent || '').trim()}; }"
    )


def tab_to(page: Page, element_id: str, limit: int = 15) -> int:
    """Press Tab until the element with the id has focus; return how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if focused(page)["id"] == element_id:
            return presses
    raise AssertionError(f"Tab never reached #{element_id}; stuck on {focused(page)}")


def log_in_with_keyboard(page: Page, username: str) -> None:
    """Log in through the form with the keyboard only."""
    page.goto("/konto/logga-in/")
    tab_to(page, "id_username")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "id_password"
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(START_URL)


def test_keyboard_only_login_lands_on_the_start_page(
    page: Page, strategist_user: User, portfolio: None, browser_errors: BrowserErrors
) -> None:
    page.goto("/")  # anonymous: sent to the login page
    expect(page).to_have_url(re.compile(r"/konto/logga-in/\?next=/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga in")
    page.screenshot(path=f"{SCREENSHOT_DIR}/gonv-login.png", full_page=True)

    log_in_with_keyboard(page, "strateg")

    expect(page.get_by_role("heading", level=1)).to_have_text("Portfölj")
    expect(page.get_by_role("heading", name="PO 1. Teamarbete")).to_be_visible()
    expect(page.locator(".user-name")).to_contain_text("Stina Strateg")
    expect(page.locator(".user-roles")).to_contain_text("Strateg GONV")
    assert browser_errors.all == []


def test_failed_login_moves_focus_to_the_error_summary(
    page: Page, strategist_user: User, browser_errors: BrowserErrors
) -> None:
    page.goto("/konto/logga-in/")
    page.get_by_label("Användarnamn").fill("strateg")
    page.get_by_label("Lösenord").fill("fel lösenord")
    page.get_by_role("button", name="Logga in").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Det gick inte att logga in")
    expect(summary).to_be_focused()
    page.screenshot(path=f"{SCREENSHOT_DIR}/gonv-login-error.png", full_page=True)
    assert browser_errors.all == []


def test_skip_link_is_the_first_focusable_element_and_moves_focus_to_main(
    page: Page, strategist_user: User, portfolio: None
) -> None:
    log_in_with_keyboard(page, "strateg")
    page.reload()

    page.keyboard.press("Tab")
    first = focused(page)
    assert first["tag"] == "A"
    assert first["text"] == "Hoppa till huvudinnehållet"
    expect(page.get_by_role("link", name="Hoppa till huvudinnehållet")).to_be_in_viewport()

    page.keyboard.press("Enter")

    assert focused(page)["id"] == "main"


def test_focus_is_visible_with_a_thick_outline(
    page: Page, strategist_user: User, portfolio: None
) -> None:
    log_in_with_keyboard(page, "strateg")
    page.reload()

    for _ in range(3):  # the skip link, the site name, "Byt lösenord"
        page.keyboard.press("Tab")
    assert focused(page)["text"] == "Byt lösenord"
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Logga ut"
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return {width: parseFloat(s.outlineWidth), style: s.outlineStyle}; }"
    )
    assert outline["style"] == "solid"
    assert outline["width"] >= 2


def test_start_page_runs_under_the_csp_with_htmx_loaded(
    page: Page, strategist_user: User, portfolio: None, browser_errors: BrowserErrors
) -> None:
    log_in_with_keyboard(page, "strateg")

    response = page.reload()
    assert response is not None
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    page.wait_for_function("() => window.htmx !== undefined")
    assert page.evaluate("() => htmx.version").startswith("2.0.")
    assert page.evaluate("() => htmx.config.includeIndicatorStyles") is False
    assert page.evaluate("() => document.querySelectorAll('style, [style]').length") == 0
    expect(page.get_by_text("Lokalt demoläge – demodata, inte verkliga uppgifter")).to_be_visible()
    for number, name in AREAS:
        expect(page.get_by_role("heading", name=f"PO {number}. {name}")).to_be_visible()
    expect(page.get_by_text("Inga mål är satta för programområdet ännu.")).to_have_count(
        3
    )  # PO 3, 5 and 6
    milestone = page.locator(".milestone").first
    expect(milestone).to_contain_text("Delmål")
    expect(milestone).to_contain_text("Teamrond införd på 50 % av hälsocentralerna")
    expect(milestone.locator("time")).to_have_attribute("datetime", "2025-12-31")
    expect(milestone.locator("time")).to_have_text("31 dec 2025")
    page.screenshot(path=f"{SCREENSHOT_DIR}/gonv-start.png", full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(path=f"{SCREENSHOT_DIR}/gonv-start-mobile.png", full_page=True)
    assert browser_errors.all == []


def test_htmx_swaps_the_portfolio_fragment_without_csp_errors(
    page: Page, strategist_user: User, portfolio: None, browser_errors: BrowserErrors
) -> None:
    log_in_with_keyboard(page, "strateg")
    page.wait_for_function("() => window.htmx !== undefined")
    page.evaluate("() => document.querySelector('#portfolio').dataset.before = 'yes'")

    with page.expect_response("**/") as response_info:
        page.evaluate("() => htmx.ajax('GET', '/', {target: '#portfolio', swap: 'outerHTML'})")
    response = response_info.value

    assert response.request.headers.get("hx-request") == "true"
    assert response.request.headers.get("x-csrftoken")
    assert "HX-Request" in response.headers["vary"]
    expect(page.locator("#portfolio:not([data-before])")).to_have_count(1)
    expect(page.locator("#portfolio")).to_contain_text("PO 6. Stegvis vård för psykisk hälsa")
    expect(page.locator("main")).to_have_count(1)
    assert browser_errors.all == []


def test_logout_button_returns_to_login_with_a_swedish_message(
    page: Page, strategist_user: User, portfolio: None
) -> None:
    log_in_with_keyboard(page, "strateg")

    page.get_by_role("button", name="Logga ut").click()

    expect(page).to_have_url(re.compile(r"/konto/logga-in/$"))
    expect(page.locator("#messages")).to_have_text("Du är nu utloggad.")


def test_print_hides_navigation_but_keeps_the_demo_banner(
    page: Page, strategist_user: User, portfolio: None
) -> None:
    log_in_with_keyboard(page, "strateg")
    ongoing = page.get_by_role("link", name=re.compile(r"^Se Kv \d 20\d\d hittills$"))
    expect(ongoing).to_be_visible()

    page.emulate_media(media="print")

    expect(page.get_by_role("navigation", name="Huvudmeny")).to_be_hidden()
    expect(page.get_by_role("button", name="Logga ut")).to_be_hidden()
    # The link to the quarter under way is the screen's: on paper it leads nowhere.
    expect(ongoing).to_be_hidden()
    expect(page.get_by_text("Lokalt demoläge – demodata, inte verkliga uppgifter")).to_be_visible()
    page.screenshot(path=f"{SCREENSHOT_DIR}/gonv-start-print.png", full_page=True)
    page.pdf(path=f"{SCREENSHOT_DIR}/gonv-start.pdf", format="A4")


def test_accessibility_statement_is_a_footer_link_away_from_login_and_passes_axe(
    page: Page, axe: Callable[..., Path], browser_errors: BrowserErrors
) -> None:
    page.goto("/konto/logga-in/")

    page.get_by_role("contentinfo").get_by_role("link", name="Tillgänglighetsredogörelse").click()

    expect(page).to_have_url(re.compile(r"/tillganglighet/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Tillgänglighet för GONV-uppföljning")
    axe(page, "tillganglighetsredogorelse")
    page.set_viewport_size({"width": 768, "height": 900})
    axe(page, "tillganglighetsredogorelse-768")
    assert not browser_errors.all


def test_printing_shows_what_the_closed_details_hold(
    page: Page, strategist_user: User, portfolio: None, browser_errors: BrowserErrors
) -> None:
    Phase.objects.filter(code="fas-2").update(
        governance="HSL styrgrupp styr och leder GONV-arbetet."
    )
    log_in_with_keyboard(page, "strateg")
    details = page.locator("details.phase-details")
    governance = page.get_by_text("HSL styrgrupp styr och leder GONV-arbetet.")
    expect(governance).to_be_hidden()

    # The print stylesheet shows a closed <details>' content (::details-content)...
    page.emulate_media(media="print")
    expect(governance).to_be_visible()
    expect(details).not_to_have_attribute("open", "")
    page.screenshot(path=f"{SCREENSHOT_DIR}/gonv-start-details-print.png", full_page=True)
    page.pdf(path=f"{SCREENSHOT_DIR}/gonv-start-details.pdf", format="A4")

    # ...and where it cannot, static/js/print.js opens each before printing and closes it after.
    page.emulate_media(media="screen")
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    expect(details).to_have_attribute("open", "")
    expect(governance).to_be_visible()
    page.evaluate("() => window.dispatchEvent(new Event('afterprint'))")
    expect(details).not_to_have_attribute("open", "")
    expect(governance).to_be_hidden()
    assert browser_errors.all == []


def test_a_programme_areas_printed_page_shows_its_goals_assessments(
    page: Page, strategist_user: User, portfolio: None, browser_errors: BrowserErrors
) -> None:
    goal = Goal.objects.get(title="Ökat teamarbete i hela vården")
    AssessmentFactory(goal=goal, author=strategist_user, comment="Teamronden sprids till fler HC.")
    log_in_with_keyboard(page, "strateg")
    page.goto("/programomraden/1/")
    # The latest assessment is shown beside the goal; all of them in its closed "1 bedömning".
    comment = page.locator("details.assessments").get_by_text("Teamronden sprids till fler HC.")
    expect(comment).to_be_hidden()

    page.emulate_media(media="print")

    expect(comment).to_be_visible()
    page.screenshot(path=f"{SCREENSHOT_DIR}/gonv-po1-print.png", full_page=True)
    page.pdf(path=f"{SCREENSHOT_DIR}/gonv-po1.pdf", format="A4")
    assert browser_errors.all == []


def test_the_account_pages_pass_axe(
    page: Page, strategist_user: User, axe: Callable[..., Path], browser_errors: BrowserErrors
) -> None:
    log_in_with_keyboard(page, "strateg")

    page.get_by_role("link", name="Byt lösenord").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Byt lösenord")
    page.get_by_role("button", name="Byt lösenord").click()  # empty: the error summary
    expect(page.get_by_role("alert")).to_contain_text("Formuläret innehåller fel")
    axe(page, "byt-losenord-fel")
    page.goto("/konto/logga-ut/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Logga ut?")
    axe(page, "logga-ut-fraga")
    page.get_by_role("link", name="Avbryt").click()
    assert not browser_errors.all
