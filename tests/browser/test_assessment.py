""" "Bedöm kvartalet" in a real browser: changing the quarter loads that quarter's assessment
(htmx, or "Visa" without JavaScript), so saving it is no false "Någon annan hann före"."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from base.periods import Quarter
from goals.models import Assessment
from organisation.models import Role
from tests.browser.accessibility import axe_violations
from tests.browser.conftest import BrowserErrors
from tests.browser.session import log_in
from tests.factories import AssessmentFactory, GoalFactory, ProgrammeAreaFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

CURRENT = Quarter.containing(timezone.localdate())
ENDED = CURRENT.previous()


@pytest.fixture
def assessed(transactional_db: None) -> dict[str, Any]:
    """A goal the strategist assessed for the ended quarter earlier."""
    strategist = UserFactory(
        username="strateg", first_name="Sara", last_name="Provberg", role=Role.STRATEGIST
    )
    goal = GoalFactory(
        programme_area=ProgrammeAreaFactory(number=1, name="Teamarbete"),
        direction=True,
        title="Teamrond",
    )
    old = AssessmentFactory(
        goal=goal, quarter=ENDED.code, status="risk", comment="Sen start.", author=strategist
    )
    return {"goal": goal, "old": old}


def test_changing_the_quarter_loads_its_assessment_and_saves_without_a_conflict(
    page: Page, assessed: dict[str, Any], browser_errors: BrowserErrors
) -> None:
    goal = assessed["goal"]
    log_in(page, "strateg")
    page.goto(f"/redigera/mal/{goal.pk}/bedom/?kvartal={CURRENT.code}")
    page.wait_for_function("() => window.htmx !== undefined")
    comment = page.get_by_label("Kommentar")
    expect(comment).to_have_value("")

    quarter = page.get_by_label("Kvartal")
    quarter.focus()  # as a keyboard user: Tab to the select, then an arrow key
    quarter.select_option(ENDED.code)

    expect(comment).to_have_value("Sen start.")  # that quarter's assessment, loaded
    expect(page).to_have_url(f"{page.url.split('?')[0]}?kvartal={ENDED.code}")
    expect(page.get_by_label("Kvartal")).to_be_focused()  # the keyboard stays where it was
    expect(page.locator("#swap-status")).to_have_text(f"Visar bedömningen för {ENDED.label}")
    assert not axe_violations(page)
    comment.fill("Nu i gång.")

    # A save that takes a while says so, in a status region, from the moment it is sent (read
    # in the same task as the submit: the locators would wait for the navigation it starts).
    saving = page.get_by_role("status").get_by_text("Sparar …")
    expect(saving).to_be_hidden()
    shown = page.evaluate(
        """() => {
            const button = [...document.querySelectorAll("button[type=submit]")]
                .find(b => b.textContent.trim() === "Spara bedömningen");
            button.form.requestSubmit(button);
            const text = button.form.querySelector(".saving-indicator-text");
            return {
                shown: getComputedStyle(text).display !== "none",
                text: text.textContent,
                role: text.closest("[role]").getAttribute("role"),
            };
        }"""
    )
    assert shown == {"shown": True, "text": "Sparar …", "role": "status"}

    expect(page.locator("#messages")).to_contain_text("Bedömningen är sparad.")
    expect(saving).to_be_hidden()
    expect(page.get_by_text("Någon annan hann före")).to_have_count(0)
    assert Assessment.objects.get(quarter=ENDED.code).comment == "Nu i gång."
    assert browser_errors.all == []


def test_without_javascript_visa_loads_the_chosen_quarter(
    browser: Browser, live_server: LiveServer, assessed: dict[str, Any]
) -> None:
    goal = assessed["goal"]
    context = browser.new_context(
        base_url=live_server.url, locale="sv-SE", java_script_enabled=False
    )
    plain = context.new_page()
    log_in(plain, "strateg")
    plain.goto(f"/redigera/mal/{goal.pk}/bedom/?kvartal={CURRENT.code}")

    plain.get_by_label("Kvartal").select_option(ENDED.code)
    plain.get_by_role("button", name="Visa").click()

    expect(plain.get_by_label("Kommentar")).to_have_value("Sen start.")
    assert plain.url.endswith(f"?kvartal={ENDED.code}")
    plain.get_by_label("Kommentar").fill("Nu i gång.")
    plain.get_by_role("button", name="Spara bedömningen").click()
    expect(plain.locator("#messages")).to_contain_text("Bedömningen är sparad.")
    assert Assessment.objects.get(quarter=ENDED.code).comment == "Nu i gång."
    context.close()
