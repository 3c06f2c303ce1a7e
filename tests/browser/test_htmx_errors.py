"""When an htmx request fails in Chromium: the session ended in another tab (the quarter
selector goes to the login page; the reporting grid keeps what was typed and says so), a
server error and a lost network (static/js/htmx-errors.js), with axe-core on the alert."""

from __future__ import annotations

import datetime
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from followup.models import Measure, Observation
from organisation.models import Role
from tests.browser.accessibility import axe_violations, screenshot
from tests.browser.conftest import BrowserErrors
from tests.browser.session import LOGIN_PATH, log_in
from tests.factories import TEST_PASSWORD, MeasureFactory, UserFactory, org_tree_create
from tests.followup.dashboard_data import DashboardData, dashboard_data_create

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

LOGGED_OUT = (
    "Du har blivit utloggad, så det du skrev är inte sparat. Logga in igen i en ny flik och "
    "tryck sedan Spara igen."
)
FETCH_FAILED = "Det gick inte att hämta sidan. Försök igen."
NO_NETWORK = "Ingen kontakt med servern. Kontrollera nätverket och försök igen."


@pytest.fixture
def data(transactional_db: None) -> DashboardData:
    return dashboard_data_create(vos=1, hcs_per_vo=2, quarters=5, measures=1, goals=1)


def log_out_in_another_tab(page: Page) -> None:
    """What the user does in tab B: the same browser, the same cookies, "Logga ut"."""
    other = page.context.new_page()
    other.goto("/")
    other.get_by_role("button", name="Logga ut").click()
    other.wait_for_url(re.compile(re.escape(LOGIN_PATH)))
    other.close()


def assert_accessible(page: Page, what: str, errors: BrowserErrors) -> None:
    """A screenshot for people to look at, then no WCAG 2.1 A/AA violation."""
    screenshot(page, what)
    before = len(errors.console)
    violations = axe_violations(page)
    # axe-core's own injected styles are reported by the CSP; they are not the page's.
    errors.console[before:] = [
        e for e in errors.console[before:] if "Content Security Policy" not in e
    ]
    assert not violations, f"{what}:\n" + "\n".join(f"  - {v}" for v in violations)


def unexpected(errors: BrowserErrors, *allowed: str) -> list[str]:
    """Console errors other than the browser's and htmx's notes of the failures the test caused
    ("Failed to load resource: … status of 500", "Response Status Error Code 500 from …",
    "htmx:sendError, …")."""
    return [e for e in errors.all if not any(re.search(a, e) for a in allowed)]


def test_the_quarter_selector_after_a_logout_in_another_tab_goes_to_the_login_page(
    page: Page, data: DashboardData, browser_errors: BrowserErrors
) -> None:
    UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)
    log_in(page, "styrgrupp")
    page.goto("/?kvartal=2025Q3")
    page.wait_for_function("() => window.htmx !== undefined")
    log_out_in_another_tab(page)

    page.get_by_label("Kvartal", exact=True).select_option("2025Q2")

    # The whole window, not the login page inside the portfolio's region.
    page.wait_for_url(re.compile(re.escape(LOGIN_PATH)))
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    expect(page.locator("#main")).to_have_count(1)
    expect(page.locator("header.site-header")).to_have_count(1)
    # Back to the page the user was on (the quarter it showed), after logging in.
    assert parse_qs(urlsplit(page.url).query)["next"] == ["/?kvartal=2025Q3"]
    page.get_by_label("Användarnamn").fill("styrgrupp")
    page.get_by_label("Lösenord").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page).to_have_url(re.compile(r"/\?kvartal=2025Q3$"))
    assert browser_errors.all == []


def test_a_grid_saved_after_the_session_ended_keeps_the_values_and_saves_after_login(
    page: Page, browser_errors: BrowserErrors
) -> None:
    tree = org_tree_create()
    visits = MeasureFactory(name="Besök", value_type=Measure.ValueType.COUNT)
    visits.unit_kinds.set([tree.hc1a.kind])
    UserFactory(username="vc-syd", role=Role.HEAD_OF_AREA, role__unit=tree.vo1)
    log_in(page, "vc-syd")
    page.goto(f"/redigera/rapportera/{tree.vo1.pk}/?period=2025-10")
    page.wait_for_function("() => window.htmx !== undefined")
    field = page.get_by_role("table", name=re.compile("^Besök")).get_by_label(
        re.compile("^Värde, Hälsocentral Norrby")
    )
    field.fill("120")
    log_out_in_another_tab(page)

    page.get_by_role("button", name="Spara värden").click()

    messages = page.locator("#messages")
    expect(messages).to_have_text(LOGGED_OUT)
    expect(messages.locator(".message-error")).to_be_focused()
    expect(field).to_have_value("120")
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/redigera/rapportera/\d+/\?period=2025-10$"))
    expect(page.get_by_role("button", name="Spara värden")).to_be_enabled()
    assert Observation.objects.count() == 0
    assert_accessible(page, "grid with the logged-out alert", browser_errors)

    # Log in again in a new tab (which gives the browser a new CSRF token), then Spara once.
    other = page.context.new_page()
    log_in(other, "vc-syd")
    other.close()
    page.get_by_role("button", name="Spara värden").click()

    expect(page.locator("#report-saved")).to_contain_text("1 värde är sparat.", timeout=15000)
    expect(messages.locator(".message-error")).to_have_count(0)
    observation = Observation.objects.get()
    assert observation.value == 120
    assert observation.period_start == datetime.date(2025, 10, 1)
    assert unexpected(browser_errors, r"(status of|Status Error Code) (401|403) ") == []


def test_a_server_error_on_the_quarter_selector_is_said_and_the_select_goes_back(
    page: Page, data: DashboardData, browser_errors: BrowserErrors
) -> None:
    UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)
    log_in(page, "styrgrupp")
    page.goto("/?kvartal=2025Q3")
    page.wait_for_function("() => window.htmx !== undefined")
    region = page.locator("#quarter-region")
    expect(region).to_contain_text("Status för Kv 3 2025.")
    select = page.get_by_label("Kvartal", exact=True)

    def server_error(route: Route) -> None:
        route.fulfill(status=500, content_type="text/html", body="<h1>Serverfel</h1>")

    page.route(re.compile(r"kvartal=2025Q2"), server_error)
    select.focus()
    select.select_option("2025Q2")

    messages = page.locator("#messages")
    expect(messages).to_have_text(FETCH_FAILED)
    # The select says what the page shows, not the quarter that never came.
    expect(select).to_have_value("2025Q3")
    expect(region).to_contain_text("Status för Kv 3 2025.")
    expect(page).to_have_url(re.compile(r"\?kvartal=2025Q3$"))
    expect(select).to_be_focused()  # the focus stays where the user is
    assert_accessible(page, "portfolio with the fetch alert", browser_errors)

    # The next choice that arrives takes the message away.
    page.unroute(re.compile(r"kvartal=2025Q2"))
    select.select_option("2025Q1")
    expect(region).to_contain_text("Status för Kv 1 2025.")
    expect(messages.locator(".message-error")).to_have_count(0)
    expect(select).to_have_value("2025Q1")
    assert unexpected(browser_errors, r"(status of|Status Error Code) 500 ") == []


def test_a_lost_network_on_the_quarter_selector_is_said_and_the_select_goes_back(
    page: Page, data: DashboardData, browser_errors: BrowserErrors
) -> None:
    UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)
    log_in(page, "styrgrupp")
    page.goto("/?kvartal=2025Q3")
    page.wait_for_function("() => window.htmx !== undefined")
    select = page.get_by_label("Kvartal", exact=True)
    # A choice that did arrive first: the select is then back on it, not on the page's first.
    select.select_option("2025Q1")
    expect(page.locator("#quarter-region")).to_contain_text("Status för Kv 1 2025.")

    page.route(re.compile(r"kvartal=2025Q2"), lambda route: route.abort("internetdisconnected"))
    select.select_option("2025Q2")

    expect(page.locator("#messages")).to_have_text(NO_NETWORK)
    expect(select).to_have_value("2025Q1")
    expect(page.locator("#quarter-region")).to_contain_text("Status för Kv 1 2025.")
    assert_accessible(page, "portfolio with the network alert", browser_errors)
    noted = r"ERR_INTERNET_DISCONNECTED|^htmx:(afterRequest|sendError), "
    assert unexpected(browser_errors, noted) == []
