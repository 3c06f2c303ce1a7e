"""Finding 8 and 9: health reporting, failing and worker-killing tasks, the poison goal."""

from __future__ import annotations

import datetime
import os
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from base.periods import Quarter
from followup import recompute_marks, services, tasks
from followup.models import ComputeRun, GoalResult, RecomputeRequest
from goals.status import Status
from programmes.models import ProgrammeArea
from tests.factories import GoalFactory
from tests.security.test_broker_down import closed_port_url

Q4 = Quarter(2025, 4)

# --- /halsa/ ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_health_in_the_embedded_mode_is_ok_without_a_broker() -> None:
    response = Client().get("/halsa/")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"], body["broker"]) == ("ok", "ok", "inbyggd")
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_health_with_a_reachable_broker_is_ok(settings: Any) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.REDIS_URL = settings.CELERY_BROKER_URL = os.environ.get(
        "REDIS_URL", "redis://localhost:6379/0"
    )

    response = Client().get("/halsa/")

    assert response.status_code == 200
    assert response.json()["broker"] == "ok"


@pytest.mark.django_db
def test_health_with_the_broker_down_is_503_and_says_which_part(settings: Any) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.REDIS_URL = settings.CELERY_BROKER_URL = closed_port_url()
    recompute_marks.mark_dirty([Q4])

    response = Client().get("/halsa/")

    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["database"], body["broker"]) == ("fel", "ok", "fel")
    assert body["pending_recomputes"] == 1


@pytest.mark.django_db
def test_health_needs_no_login_and_names_no_user() -> None:
    body = Client().get("/halsa/").content.decode()

    assert "login" not in body
    assert set(Client().get("/halsa/").json()) == {
        "status",
        "database",
        "broker",
        "pending_recomputes",
    }


# --- failing tasks ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_failing_computation_leaves_the_quarter_dirty_and_tells_the_administrator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recompute_marks.mark_dirty([Q4])
    recompute_marks.claim_dirty()

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "quarter_compute", broken)

    result = tasks.compute_quarter.apply(args=[Q4.code, "test"])

    assert result.failed()
    [run] = ComputeRun.objects.filter(quarter=Q4.code)
    assert run.failed
    assert run.error == "RuntimeError: disk full"
    assert run.finished_at is None
    # Dirty and waiting again: the next trigger or the nightly run claims it.
    assert recompute_marks.claim_dirty() == [Q4]


@pytest.mark.django_db
def test_a_successful_computation_clears_the_mark_and_a_failed_run_is_not_its_time(
    programme_area: ProgrammeArea,
) -> None:
    GoalFactory(programme_area=programme_area)
    recompute_marks.mark_dirty([Q4])
    ComputeRun.objects.create(quarter=Q4.code, started_at="2025-12-01T00:00Z", error="X: y")

    tasks.compute_quarter.apply(args=[Q4.code, "test"]).get()

    assert not RecomputeRequest.objects.exists()
    assert ComputeRun.objects.filter(quarter=Q4.code, error="").count() == 1


@pytest.mark.django_db
def test_the_admin_lists_failed_runs_with_their_error(strategist: Any) -> None:
    ComputeRun.objects.create(
        quarter=Q4.code, started_at="2025-12-01T00:00Z", error="RuntimeError: disk full"
    )
    client = Client()
    client.force_login(strategist)

    page = client.get("/admin/followup/computerun/")

    assert page.status_code == 200
    assert "RuntimeError: disk full" in page.content.decode()


@pytest.mark.django_db
def test_a_task_that_kills_its_worker_is_redelivered_a_bounded_number_of_times(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.GONV_TASK_MAX_DELIVERIES = 3
    calls: list[str] = []

    def dies(**kwargs: Any) -> Any:
        calls.append("run")
        raise SystemExit("worker killed")  # what the redelivered message finds: a fresh start

    monkeypatch.setattr(services, "quarter_compute", dies)

    # A message whose worker died comes back with the same id and retry count.
    for _ in range(3):
        with pytest.raises(SystemExit):
            tasks.compute_quarter.apply(args=[Q4.code, "test"], task_id="lost-1", throw=True)
    fourth = tasks.compute_quarter.apply(args=[Q4.code, "test"], task_id="lost-1").get()

    assert calls == ["run"] * 3
    assert "error" in fourth
    [run] = ComputeRun.objects.filter(quarter=Q4.code).exclude(error__startswith="SystemExit")
    assert "Gav upp efter 3 leveranser" in run.error
    assert recompute_marks.claim_dirty() == [Q4]  # still marked for recompute


# --- the poison goal --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_goal_with_inconsistent_data_gets_no_data_and_the_rest_of_the_quarter_is_computed(
    programme_area: ProgrammeArea,
) -> None:
    healthy = GoalFactory(programme_area=programme_area, title="Frisk")
    # Saved past the forms: an adoption goal whose area starts after its deadline.
    late_area = ProgrammeArea.objects.create(
        phase=programme_area.phase,
        number=9,
        name="Sent område",
        start_date=datetime.date(2027, 1, 1),
    )
    poison = GoalFactory(adoption=True, programme_area=late_area, start_date=None)

    services.quarter_compute(quarter=Q4, today=datetime.date(2025, 12, 31))

    bad = GoalResult.objects.get(goal=poison, quarter=Q4.code)
    assert bad.status == Status.NO_DATA
    assert "startdatumet (eller programområdets start) är efter måldatumet" in bad.explanation
    assert bad.basis["rule"] == "inconsistent_inputs"
    good = GoalResult.objects.get(goal=healthy, quarter=Q4.code)
    assert good.status not in (None, Status.NO_DATA)


@pytest.mark.django_db
def test_compute_followup_finishes_a_quarter_with_a_poison_goal(
    programme_area: ProgrammeArea,
) -> None:
    late_area = ProgrammeArea.objects.create(
        phase=programme_area.phase, number=9, name="Sent", start_date=datetime.date(2027, 1, 1)
    )
    GoalFactory(adoption=True, programme_area=late_area, start_date=None)
    GoalFactory(programme_area=programme_area)

    call_command("compute_followup", "--quarter", Q4.code)

    assert GoalResult.objects.filter(quarter=Q4.code).count() == 2
