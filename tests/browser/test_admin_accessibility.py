"""The admin is the strategist's editing tool for what the pages do not edit: axe-core on every
model's change and add page, as the administrator sees them (every model, every field), and on
the delete confirmations.

Django's admin falls short of WCAG 2.1 AA in places of its own (breadcrumb links and the links
in a delete confirmation's list told apart by colour only, tabular inlines' and split date-time
inputs without names, select2's unnamed combobox, SelectFilter2's icon);
templates/admin/base_site.html, static/css/admin.css, static/js/admin-a11y.js and
base.admin.AccessibleTabularInline mend them. This test keeps it so, also for a model admin
added later."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from followup.models import Measure
from organisation.models import Role
from programmes.models import PhaseEvent, ProgrammeAreaProcess
from tests.browser.accessibility import axe_violations
from tests.browser.session import log_in
from tests.factories import (
    TEST_PASSWORD,
    ActivityFactory,
    AdoptionRecordFactory,
    AssessmentFactory,
    GoalFactory,
    ImportBatchFactory,
    MeasureFactory,
    ObservationFactory,
    PhaseFactory,
    ProgrammeAreaFactory,
    SupportingProcessFactory,
    SupportNeedFactory,
    UserFactory,
    WorkingMethodFactory,
    org_tree_create,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

# select2 (`autocomplete_fields`) builds its combobox in a jQuery "ready" callback, which may run
# after the load event: axe-core is to check the widget a user meets, not the plain select it
# replaces (which the label names). Waited for as built, not as named: the name is what is
# checked (static/js/admin-a11y.js sets it as the widget is built).
WIDGETS_BUILT = """() => [...document.querySelectorAll("select.admin-autocomplete")]
    .filter((select) => !select.name.includes("__prefix__"))
    .every((select) => select.nextElementSibling?.classList.contains("select2"))"""

# Whether select2's first combobox is named by its label once the task that built it is done
# (checked in a microtask queued by an observer made before the page's own: it runs after that
# observer's callback, before any other task): no moment in which axe-core, or a screen reader,
# finds it without a name. Null until the box is built.
NAMED_WHEN_BUILT = """
window.gonvNamedWhenBuilt = null;
new MutationObserver((records, observer) => {
    const box = document.querySelector(".select2-selection[role=combobox]");
    if (!box) return;
    observer.disconnect();
    queueMicrotask(() => {
        const ids = (box.getAttribute("aria-labelledby") || "").split(" ");
        window.gonvNamedWhenBuilt = ids.some(
            (id) => document.getElementById(id)?.tagName === "LABEL"
        );
    });
}).observe(document, { childList: true, subtree: true });
"""


def open_admin_page(page: Page, url: str) -> None:
    """Go to an admin page and wait until its widgets are built."""
    page.goto(url)
    page.wait_for_load_state("load")
    page.wait_for_function(WIDGETS_BUILT)


@pytest.fixture
def one_of_everything(transactional_db: None) -> dict[str, Any]:
    """An object of each model the admin lists, so that each change page has one to show."""
    tree = org_tree_create()
    phase = PhaseFactory()
    area = ProgrammeAreaFactory(number=1, name="Teamarbete", phase=phase)
    process = SupportingProcessFactory(name="Kompetensförsörjning")
    ProgrammeAreaProcess.objects.create(programme_area=area, supporting_process=process)
    PhaseEvent.objects.create(phase=phase, programme_area=area, code="start", title="Start")
    method = WorkingMethodFactory(
        name="Teamrond", programme_area=area, target_unit_kinds=[tree.hc1a.kind]
    )
    goal = GoalFactory(
        adoption=True, programme_area=area, working_method=method, unit_kind=tree.hc1a.kind
    )
    AssessmentFactory(goal=goal)
    AdoptionRecordFactory(unit=tree.hc1a, working_method=method)
    measure = MeasureFactory(name="Besök", value_type=Measure.ValueType.COUNT)
    measure.unit_kinds.set([tree.hc1a.kind])
    ObservationFactory(measure=measure, unit=tree.hc1a)
    ImportBatchFactory()
    ActivityFactory(plan__programme_area=area, plan__unit=tree.vo1)
    SupportNeedFactory(unit=tree.hc1a, programme_area=area)
    UserFactory(username="vc-norr", role=Role.HEAD_OF_AREA, role__unit=tree.vo1)
    get_user_model().objects.create_superuser("admin", "admin@example.se", TEST_PASSWORD)
    return {"area": area, "process": process}


def test_every_admin_change_and_add_page_passes_axe(
    page: Page, one_of_everything: dict[str, Any]
) -> None:
    log_in(page, "admin")
    page.goto("/admin/")
    changelists = sorted(
        {
            href
            for href in page.locator("#content-main table a").evaluate_all(
                "links => links.map(a => a.getAttribute('href'))"
            )
            if href and re.fullmatch(r"/admin/\w+/\w+/", href)
        }
    )
    assert "/admin/goals/goal/" in changelists
    assert "/admin/programmes/phase/" in changelists

    # Every model of ours, and the user admin of the third-party ones (its date-time fields).
    # All lists share one template: the first stands for them (each list is a page to crawl,
    # and axe-core costs seconds a page).
    ours = [
        changelist
        for changelist in changelists
        if changelist.split("/")[2] in {"goals", "programmes", "followup", "organisation"}
        or changelist == "/admin/auth/user/"
    ]
    urls = ["/admin/", ours[0]]
    for changelist in ours:
        page.goto(changelist)
        first = page.locator("#result_list tbody tr").first.locator("th a, td a").first
        if first.count():
            urls.append(first.get_attribute("href") or "")
        if page.locator("a.addlink").count():
            urls.append(f"{changelist}add/")

    # A delete confirmation lists the objects that go with the one deleted, as links in the
    # list's text (the process's links to its programme areas).
    process = one_of_everything["process"]
    urls.append(f"/admin/programmes/supportingprocess/{process.pk}/delete/")

    failures = []
    for url in urls:
        open_admin_page(page, url)
        failures += [f"{url}: {violation}" for violation in axe_violations(page)]
    # The confirmation of "Ta bort markerade": the same list, reached from a change list.
    page.goto("/admin/programmes/supportingprocess/")
    page.locator("#result_list tbody input.action-select").first.check()
    page.locator("select[name=action]").select_option("delete_selected")
    page.locator("button[name=index]").click()
    expect(page.locator("body.delete-selected-confirmation")).to_be_visible()
    failures += [f"delete selected: {violation}" for violation in axe_violations(page)]
    assert not failures, "\n".join(failures)
    # The widgets the admin builds in the browser were there to be checked, and are named
    # from the moment they are built (axe-core once found the adoption record's unit unnamed).
    page.add_init_script(NAMED_WHEN_BUILT)
    for url in ("/admin/programmes/activityplan/add/", "/admin/goals/adoptionrecord/add/"):
        open_admin_page(page, url)
        assert page.evaluate("() => window.gonvNamedWhenBuilt") is True, url


def test_the_history_revert_confirmation_passes_axe(
    page: Page, one_of_everything: dict[str, Any]
) -> None:
    # The page "Återställ" opens from an object's history: the version's form with its values
    # and the revert button (django-simple-history's template, with our changes).
    area = one_of_everything["area"]
    version = area.history.earliest()
    area.description = "En senare beskrivning"
    area.save()
    goal = GoalFactory(title="Öka teamarbetet")
    goal_version = goal.history.earliest()
    goal.title = "Öka teamarbetet i hela regionen"
    goal.save()
    log_in(page, "admin")

    failures = []
    for url in (
        f"/admin/programmes/programmearea/{area.pk}/history/{version.history_id}/",
        f"/admin/goals/goal/{goal.pk}/history/{goal_version.history_id}/",
    ):
        open_admin_page(page, url)
        expect(page.get_by_role("button", name=re.compile("Återställ"))).to_be_visible()
        failures += [f"{url}: {violation}" for violation in axe_violations(page)]
    assert not failures, "\n".join(failures)
