"""The strategist's admin lists at 1280 px: every column in view beside the navigation and the
filter, without scrolling sideways (the reviewer could not see Måldatum in the goal list)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import Page

from organisation.models import Role
from tests.browser.session import log_in
from tests.factories import (
    AdoptionRecordFactory,
    GoalFactory,
    MeasureFactory,
    ObservationFactory,
    ProgrammeAreaFactory,
    UserFactory,
    WorkingMethodFactory,
    org_tree_create,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

LISTS = [
    "/admin/goals/goal/",
    "/admin/programmes/programmearea/",
    "/admin/programmes/workingmethod/",
    "/admin/followup/measure/",
    "/admin/followup/observation/",
    "/admin/organisation/unit/",
    "/admin/goals/adoptionrecord/",
]

# The headings that stick out to the right of the list's box (scrolled out of view).
CUT_OFF = """() => {
  const box = document.querySelector('#changelist .results').getBoundingClientRect();
  return [...document.querySelectorAll('#result_list thead th')]
    .filter(th => th.getBoundingClientRect().right > box.right + 1)
    .map(th => th.innerText.trim());
}"""


def test_the_strategists_admin_lists_fit_at_1280_px(page: Page) -> None:
    tree = org_tree_create()
    area = ProgrammeAreaFactory(number=3, name="Dokumenterad överenskommelse")
    method = WorkingMethodFactory(name="Dokumenterad överenskommelse (DÖ)", programme_area=area)
    goal = GoalFactory(
        programme_area=area,
        title="Alla patienter med behov av samordning ska ha en dokumenterad överenskommelse",
        deadline=datetime.date(2030, 12, 31),
    )
    GoalFactory(
        programme_area=area,
        parent=goal,
        title="Modulen för patientens dokumenterade överenskommelse fungerar i Cosmic",
        deadline=datetime.date(2026, 12, 31),
    )
    measure = MeasureFactory(name="Andel patienter med samordningsbehov som har DÖ")
    ObservationFactory(measure=measure, unit=tree.hc1a, value=Decimal("18.81"))
    AdoptionRecordFactory(unit=tree.hc1a, working_method=method)
    UserFactory(username="strateg", is_staff=True, role=Role.STRATEGIST)
    assert page.viewport_size == {"width": 1280, "height": 900}

    log_in(page, "strateg")
    cut_off = {}
    for url in LISTS:
        page.goto(url)
        assert page.locator("#result_list tbody tr").count() >= 1, url
        cut_off[url] = page.evaluate(CUT_OFF)

    assert cut_off == {url: [] for url in LISTS}
    page.goto("/admin/goals/goal/")
    assert page.get_by_role("columnheader", name="Måldatum").is_visible()
    assert page.get_by_role("cell", name="2030-12-31").is_visible()
