"""Two people saving the same object at the same moment, each in their own connection
(PostgreSQL): exactly one wins, the other is told, history has one entry."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from base.versioning import StaleVersion
from goals import services
from goals.models import AdoptionRecord, Goal
from organisation.models import Role
from programmes import services as programme_services
from programmes.models import ProgrammeArea, SupportNeed
from tests.admin_forms import admin_form_data
from tests.factories import (
    AdoptionRecordFactory,
    GoalFactory,
    OrgTree,
    SupportNeedFactory,
    UserFactory,
    WorkingMethodFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks and parallel connections are PostgreSQL's")


def in_parallel(*jobs: Callable[[], Any]) -> list[Any]:
    """Run the jobs in threads (each with its own connection) from one barrier."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait(5)
            results[i] = job()
        except BaseException as exc:  # noqa: BLE001 - handed to the assertions
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return results


def form_data(goal: Goal, **changes: object) -> dict[str, object]:
    data = {
        "title": goal.title,
        "description": "",
        "kind": goal.kind,
        "start_date": goal.start_date.isoformat(),
        "deadline": goal.deadline.isoformat(),
        "evidence_reference": "",
        "evidence_url": "",
        "improvement": goal.improvement,
        "version": goal.version,
    }
    data.update(changes)
    return data


def test_two_parallel_saves_of_a_milestone_from_one_version_one_wins(
    strategist: User, admin_user: User
) -> None:
    milestone = GoalFactory(milestone=True, title="Delmål")
    url = reverse("goals:goal_edit", args=[milestone.pk])

    def save_as(user: User, deadline: str) -> int:
        client = Client()
        client.force_login(user)
        data = form_data(milestone, deadline=deadline, deadline_reason="Omplanerat")
        return client.post(url, data).status_code

    results = in_parallel(
        lambda: save_as(strategist, "2026-03-31"), lambda: save_as(admin_user, "2026-06-30")
    )

    assert sorted(results) == [302, 409]
    milestone.refresh_from_db()
    winner = "2026-03-31" if results[0] == 302 else "2026-06-30"
    assert milestone.deadline.isoformat() == winner
    assert milestone.version == 2
    assert milestone.history.filter(history_type="~").count() == 1


def test_the_second_save_waits_for_the_first_and_is_refused(
    strategist: User, admin_user: User
) -> None:
    milestone = GoalFactory(milestone=True, title="Delmål")
    first_saved = threading.Event()

    def first() -> str:
        goal = Goal.objects.get(pk=milestone.pk)
        with transaction.atomic():
            services.goal_update(user=strategist, goal=goal, data={"title": "Först"})
            first_saved.set()
            time.sleep(0.5)  # the second save now waits on this row's lock
        return "saved"

    def second() -> str:
        goal = Goal.objects.get(pk=milestone.pk)  # read before the first commits
        first_saved.wait(5)
        try:
            services.goal_update(user=admin_user, goal=goal, data={"title": "Sen"})
        except StaleVersion:
            return "stale"
        return "saved"

    assert in_parallel(first, second) == ["saved", "stale"]
    milestone.refresh_from_db()
    assert milestone.title == "Först"
    assert milestone.history.filter(history_type="~").count() == 1


def test_two_parallel_grid_saves_of_one_adoption_cell_one_wins(
    vc: User, strategist: User, org_tree: OrgTree
) -> None:
    method = WorkingMethodFactory(target_unit_kinds=[org_tree.hc1a.kind])
    record = AdoptionRecordFactory(unit=org_tree.hc1a, working_method=method)
    url = reverse("goals:adoption_grid", args=[org_tree.vo1.pk])
    prefix = f"c{org_tree.hc1a.pk}m{method.pk}"

    def save_as(user: User, status: str) -> int:
        client = Client()
        client.force_login(user)
        data = {
            f"{prefix}-status": status,
            f"{prefix}-planned_date": "2026-06-01",
            f"{prefix}-actual_date": "",
            f"{prefix}-comment": "",
            f"{prefix}-version": record.version,
        }
        return client.post(url, data).status_code

    results = in_parallel(lambda: save_as(vc, "pagar"), lambda: save_as(strategist, "planerad"))

    assert sorted(results) == [302, 409]
    record.refresh_from_db()
    assert record.status == ("pagar" if results[0] == 302 else "planerad")
    assert AdoptionRecord.history.filter(id=record.pk, history_type="~").count() == 1


# --- a support need's answer: the version compared at write time, under the row lock ---------


def test_two_answers_to_a_support_need_from_stale_copies_the_second_is_refused(
    programme_owner: User, strategist: User, programme_area: ProgrammeArea
) -> None:
    need = SupportNeedFactory(programme_area=programme_area)
    first_saved = threading.Event()

    def first() -> str:
        copy = SupportNeed.objects.get(pk=need.pk)
        with transaction.atomic():
            programme_services.support_need_answer(
                user=programme_owner, need=copy, response="Vi ordnar utbildning."
            )
            first_saved.set()
            time.sleep(0.5)  # the second answer now waits on this row's lock
        return "saved"

    def second() -> str:
        copy = SupportNeed.objects.get(pk=need.pk)  # read before the first commits
        first_saved.wait(5)
        try:
            programme_services.support_need_answer(
                user=strategist, need=copy, response="Inte i år.", status="pagar"
            )
        except StaleVersion:
            return "stale"
        return "saved"

    assert in_parallel(first, second) == ["saved", "stale"]
    need.refresh_from_db()
    assert (need.response, need.status, need.version) == ("Vi ordnar utbildning.", "besvarad", 2)
    assert need.history.filter(history_type="~").count() == 1


def test_two_stale_admin_answer_forms_of_one_support_need_only_one_is_saved(
    programme_owner: User, programme_area: ProgrammeArea, monkeypatch: pytest.MonkeyPatch
) -> None:
    need = SupportNeedFactory(programme_area=programme_area)
    other_owner = UserFactory(
        username="poansvarig2", role=Role.PROGRAMME_OWNER, role__programme_area=programme_area
    )
    url = f"/admin/programmes/supportneed/{need.pk}/change/"
    clients = []
    for user in (programme_owner, other_owner):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        client = Client()
        client.force_login(user)
        clients.append(client)
    forms = [admin_form_data(client.get(url)) for client in clients]  # both at version 1
    # Both forms pass the admin's version check before either answer is written: the window
    # between validating and writing that the write-time comparison closes.
    both_validated = threading.Barrier(2)
    answer = programme_services.support_need_answer

    def answer_after_both_validated(**kwargs: Any) -> Any:
        both_validated.wait(5)
        return answer(**kwargs)

    monkeypatch.setattr(programme_services, "support_need_answer", answer_after_both_validated)

    def post(i: int, response: str) -> int:
        data = {**forms[i], "status": "besvarad", "response": response}
        return clients[i].post(url, data).status_code

    results = in_parallel(lambda: post(0, "Svar ett."), lambda: post(1, "Svar två."))

    assert results == [302, 302]  # the loser is sent back to the form with the conflict message
    need.refresh_from_db()
    assert need.response in {"Svar ett.", "Svar två."}
    assert need.version == 2
    assert need.history.filter(history_type="~").count() == 1


def test_two_parallel_first_closes_of_a_quarter_one_wins() -> None:
    # Imported here: the quarterly report's data set is the dashboards' (followup tests).
    from followup.models import ERROR_REPORT_STALE, QuarterReport
    from tests.followup.dashboard_data import LATEST, dashboard_data_create

    dashboard_data_create(vos=1, hcs_per_vo=2, quarters=2, measures=1, goals=1)
    users = [
        UserFactory(username="strateg", role=Role.STRATEGIST),
        UserFactory(username="administrator", role=Role.ADMIN),
    ]
    url = reverse("quarter_report_action", kwargs={"quarter": LATEST.code, "action": "stang"})

    def close_as(user: User) -> str:
        # Closed or refused, the answer goes back to the report's page, which says which.
        client = Client()
        client.force_login(user)
        page = client.post(url, {"version": 0}, follow=True).content.decode()
        if str(ERROR_REPORT_STALE) in page:
            return "stale"
        return "closed" if "Kvartalet är stängt och rapporten fastställd." in page else "?"

    results = in_parallel(*(lambda u=user: close_as(u) for user in users))

    assert sorted(results) == ["closed", "stale"]
    report = QuarterReport.objects.get()
    assert report.version == 1
    assert report.history.count() == 1
