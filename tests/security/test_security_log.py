"""Finding 5: logins, failures, lockouts, denials, role changes and reverts reach the security log.

The log is one JSON object a line on stderr with at least event, user, address, path and
outcome (README, "Security"); the region's log collection relies on those names.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from gonv.security_log import security_event
from organisation.models import Role, RoleAssignment
from organisation.services import role_assign_trusted
from tests.factories import TEST_PASSWORD
from tests.helpers import base_env, manage

ADDRESS = "10.20.30.40"
LOGIN = "/konto/logga-in/"
REQUIRED = {"time", "event", "user", "address", "path", "outcome"}


@pytest.fixture
def security_lines(caplog: pytest.LogCaptureFixture) -> Any:
    """The security log's records so far, parsed."""
    caplog.set_level(logging.INFO, logger="gonv.security")

    def lines(event: str | None = None) -> list[dict[str, Any]]:
        parsed = [
            json.loads(record.getMessage())
            for record in caplog.records
            if record.name == "gonv.security"
        ]
        for line in parsed:
            assert line.keys() >= REQUIRED, line
        return [line for line in parsed if event is None or line["event"] == event]

    return lines


def login(client: Client, username: str, password: str) -> Any:
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ADDRESS)


def test_a_login_is_logged_with_user_and_address(strategist: User, security_lines: Any) -> None:
    login(Client(), "strateg", TEST_PASSWORD)

    [line] = security_lines("login")
    assert line["user"] == "strateg"
    assert line["address"] == ADDRESS
    assert line["path"] == LOGIN
    assert line["outcome"] == "success"


def test_a_failed_login_is_logged_with_the_username_tried(
    strategist: User, security_lines: Any
) -> None:
    login(Client(), "strateg", "fel-lösenord")

    [line] = security_lines("login_failed")
    assert (line["user"], line["address"], line["outcome"]) == ("strateg", ADDRESS, "failure")
    assert "fel-lösenord" not in json.dumps(line)


def test_a_lockout_is_logged_with_when_it_ends(
    strategist: User, security_lines: Any, settings: Any
) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        login(client, "strateg", "fel")

    [line] = security_lines("lockout")
    assert (line["user"], line["address"], line["outcome"]) == ("strateg", ADDRESS, "locked")
    assert line["until"]


def test_a_permission_denial_is_logged_with_user_and_address(
    no_role_user: User, security_lines: Any
) -> None:
    client = Client()
    client.force_login(no_role_user)

    response = client.get("/", REMOTE_ADDR=ADDRESS)

    assert response.status_code == 403
    [line] = security_lines("permission_denied")
    assert (line["user"], line["address"], line["path"]) == ("utanroll", ADDRESS, "/")
    assert line["outcome"] == "denied"


def test_role_changes_and_removals_are_logged(strategist: User, security_lines: Any) -> None:
    user = User.objects.create_user("ny-person")

    assignment = role_assign_trusted(user=user, role=Role.PORTFOLIO_OWNER)
    assignment.role = Role.ADMIN
    assignment.save()
    assignment.delete()

    created, changed = security_lines("role_changed")
    assert (created["subject"], created["role"], created["created"]) == (
        "ny-person",
        "portfoljagare",
        True,
    )
    assert (changed["role"], changed["created"]) == ("admin", False)
    [removed] = security_lines("role_removed")
    assert removed["subject"] == "ny-person"


def test_a_role_change_in_the_admin_names_who_made_it(
    strategist: User, security_lines: Any
) -> None:
    superuser = User.objects.create_superuser("huvudadmin", password=TEST_PASSWORD)
    target = User.objects.create_user("ny-person")
    client = Client()
    client.force_login(superuser)

    response = client.post(
        "/admin/organisation/roleassignment/add/",
        {"user": target.pk, "role": Role.STEERING_GROUP},
        REMOTE_ADDR=ADDRESS,
    )

    assert response.status_code == 302
    [line] = security_lines("role_changed")
    assert (line["user"], line["address"], line["subject"]) == ("huvudadmin", ADDRESS, "ny-person")


def test_a_history_revert_in_the_admin_is_logged(strategist: User, security_lines: Any) -> None:
    superuser = User.objects.create_superuser("huvudadmin", password=TEST_PASSWORD)
    assignment = RoleAssignment.objects.get(user=strategist)
    old_version = assignment.history.earliest()
    assignment.role = Role.STEERING_GROUP
    assignment.save()
    client = Client()
    client.force_login(superuser)
    url = f"/admin/organisation/roleassignment/{assignment.pk}/history/{old_version.history_id}/"

    page = client.get(url)
    assert page.status_code == 200
    response = client.post(
        url, {"user": strategist.pk, "role": Role.STRATEGIST}, REMOTE_ADDR=ADDRESS
    )

    assert response.status_code == 302
    [line] = security_lines("history_revert")
    assert (line["user"], line["address"]) == ("huvudadmin", ADDRESS)
    assert line["model"] == "organisation.RoleAssignment"
    assert line["object_id"] == assignment.pk
    assert line["reverted_to"] == old_version.history_id


def test_security_event_is_there_for_other_code_to_log_through(security_lines: Any) -> None:
    record = security_event("import_refused", user=None, outcome="denied", rows=3)

    assert security_lines("import_refused") == [record]
    assert record["rows"] == 3


@pytest.mark.subprocess
def test_the_security_log_is_one_json_object_a_line_on_stderr() -> None:
    result = manage(
        "shell",
        "-c",
        "from gonv.security_log import security_event; security_event('probe', outcome='ok')",
        env=base_env(),
    )

    assert result.returncode == 0, result.stderr
    [line] = [json.loads(line) for line in result.stderr.splitlines() if '"probe"' in line]
    assert line.keys() >= REQUIRED
    assert (line["event"], line["outcome"]) == ("probe", "ok")
    assert '"probe"' not in result.stdout
