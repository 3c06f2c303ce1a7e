"""Long text without spaces (a SharePoint link pasted into a description) breaks within the
page instead of widening it: the goal page and its edit page had no horizontal scroll only
until such a link made them 1 205 and 1 221 px wide at a 768 px window."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page

from goals.models import Goal
from organisation.models import Role
from tests.browser.accessibility import screenshot
from tests.browser.session import log_in
from tests.factories import GoalFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

LINK = "https://regiongavleborg.sharepoint.com/sites/gonv/Delade%20dokument/" + "a" * 240


@pytest.fixture
def strategist(transactional_db: None) -> User:
    return UserFactory(username="strateg", role=Role.STRATEGIST)


@pytest.fixture
def goal(transactional_db: None) -> Goal:
    return GoalFactory(description=f"Underlaget finns på {LINK} och i planen.")


def scroll_width(page: Page) -> int:
    width: int = page.evaluate("() => document.documentElement.scrollWidth")
    return width


def test_a_long_link_in_a_description_does_not_widen_the_goal_pages(
    page: Page, strategist: User, goal: Goal
) -> None:
    assert len(LINK) >= 300
    log_in(page, "strateg")
    page.set_viewport_size({"width": 768, "height": 1000})
    for url, name in ((f"/mal/{goal.code}/", "mal"), (f"/redigera/mal/{goal.pk}/", "redigera")):
        page.goto(url)
        assert LINK in page.content()
        screenshot(page, f"lang-lank-{name}-768")
        assert scroll_width(page) <= 768, url
