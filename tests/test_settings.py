"""Settings: production is hardened, the embedded mode runs with nothing installed, sessions end.

The tests marked `subprocess` run `manage.py` in a child process whose environment holds only
what each test sets, because settings are read from the environment once, at start-up.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from gonv.middleware import SESSION_STARTED_KEY
from tests.helpers import ROOT, base_env, manage

TEST_DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@localhost:5432/gonv")
TEST_REDIS_URL = os.environ.get("REDIS_URL", "redis://localhost:6379/0")
LOGIN_PAGE = "/konto/logga-in/"


# What production requires of the accessibility statement (gonv.checks).
PRODUCTION_STATEMENT = {
    "GONV_ACCESSIBILITY_CONTACT_EMAIL": "tillganglighet@region.example.se",
    "GONV_ACCESSIBILITY_STATEMENT_DATE": "2027-01-15",
}


def production_env(**variables: str) -> dict[str, str]:
    """The production profile with every required variable set, then `variables` on top."""
    return base_env(
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="gonv.example.se",
        DATABASE_URL=TEST_DATABASE_URL,
        REDIS_URL=TEST_REDIS_URL,
        **(PRODUCTION_STATEMENT | variables),
    )


def csp_directives(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as directive → sources."""
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


# --- production -------------------------------------------------------------------------------


@pytest.mark.subprocess
def test_subprocess_production_deploy_check_reports_no_issues() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.subprocess
def test_subprocess_production_refuses_the_placeholder_accessibility_contact() -> None:
    env = production_env()
    del env["GONV_ACCESSIBILITY_CONTACT_EMAIL"]
    del env["GONV_ACCESSIBILITY_STATEMENT_DATE"]

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "gonv.E001" in result.stderr
    assert "GONV_ACCESSIBILITY_CONTACT_EMAIL is the placeholder" in result.stderr
    assert "gonv.W002" in result.stderr


@pytest.mark.subprocess
def test_subprocess_production_refuses_to_start_without_a_secret_key() -> None:
    env = production_env()
    del env["SECRET_KEY"]

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DJANGO_ENV=production." in result.stderr


@pytest.mark.subprocess
def test_subprocess_production_refuses_to_start_without_allowed_hosts() -> None:
    env = production_env()
    del env["ALLOWED_HOSTS"]

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set when DJANGO_ENV=production." in result.stderr


# --- the embedded mode: SQLite, eager Celery, local-memory cache ------------------------------


@pytest.fixture(scope="module")
def embedded_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The embedded mode on a fresh SQLite file, migrated."""
    env = base_env(SQLITE_PATH=str(tmp_path_factory.mktemp("embedded") / "gonv.sqlite3"))
    result = manage("migrate", "--no-input", "--verbosity", "0", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return env


@pytest.mark.subprocess
def test_subprocess_embedded_mode_uses_sqlite_eager_tasks_and_a_local_cache(
    embedded_env: dict[str, str],
) -> None:
    script = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'engine': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']),"
        "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'cache': s.CACHES['default']['BACKEND'],"
        "'local': s.LOCAL_MODE}))"
    )

    result = manage("shell", "-c", script, env=embedded_env)

    assert result.returncode == 0, result.stderr
    mode = json.loads(result.stdout.strip().splitlines()[-1])
    assert mode == {
        "engine": "django.db.backends.sqlite3",
        "name": embedded_env["SQLITE_PATH"],
        "eager": True,
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "local": True,
    }


OVERLAPPING_WRITERS_SCRIPT = """
import threading, time
from django.db import connection, transaction

# A table of its own: the demo test after this one needs a database with no data.
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE overlap_probe (name text)")
started = threading.Event()

def first_writer():
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO overlap_probe VALUES ('first')")
        started.set()
        time.sleep(1.0)
    connection.close()

thread = threading.Thread(target=first_writer)
thread.start()
started.wait()
# A transaction that reads before it writes, as a recompute does, while the other one writes.
with transaction.atomic(), connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM overlap_probe")
    cursor.execute("INSERT INTO overlap_probe VALUES ('second')")
thread.join()
with connection.cursor() as cursor:
    cursor.execute("SELECT count(*) FROM overlap_probe")
    print("WRITERS", cursor.fetchone()[0])
    cursor.execute("DROP TABLE overlap_probe")
"""


@pytest.mark.subprocess
def test_subprocess_embedded_mode_lets_overlapping_writers_wait_their_turn(
    embedded_env: dict[str, str],
) -> None:
    """Two users writing at once in the embedded mode (an import's recompute while another
    user saves) both succeed, one after the other, instead of "database is locked"."""
    result = manage("shell", "-c", OVERLAPPING_WRITERS_SCRIPT, env=embedded_env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "WRITERS 2" in result.stdout


DEMO_LOGIN_SCRIPT = """
from django.test import Client
client = Client()
# Through the login form: django-axes checks every login against a request.
client.post("/konto/logga-in/", {"username": "strateg", "password": "demo"})
assert "_auth_user_id" in client.session, "the demo strategist cannot log in"
response = client.get("/")
assert response.status_code == 200, response.status_code
assert "Teamarbete" in response.content.decode(), "PO 1 Teamarbete is not on the start page"
print("START PAGE OK")
"""


@pytest.mark.subprocess
def test_subprocess_embedded_demo_strategist_logs_in_and_sees_teamarbete(
    embedded_env: dict[str, str],
) -> None:
    if not (ROOT / "followup" / "management" / "commands" / "load_demo.py").exists():
        pytest.skip("manage.py load_demo is not written yet")

    loaded = manage("load_demo", env=embedded_env)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr

    result = manage("shell", "-c", DEMO_LOGIN_SCRIPT, env=embedded_env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "START PAGE OK" in result.stdout


def make_run_server_command(port: int) -> str:
    """The command `make run` serves the app with, as make would run it, on another port."""
    dry_run = subprocess.run(
        ["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.replace("\\\n", " ")
    [command] = [line for line in dry_run.splitlines() if "manage.py runserver" in line]
    assert "127.0.0.1:8000" in command
    return command.replace("127.0.0.1:8000", f"127.0.0.1:{port}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(url: str) -> tuple[int, str]:
    """Status and body of a GET, errors included."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (our own server)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.subprocess
def test_subprocess_make_run_shows_the_swedish_404_page_and_serves_static_files(
    embedded_env: dict[str, str],
) -> None:
    port = free_port()
    # A shell as make's recipe has, and a session of its own: runserver's reloader is a child.
    server = subprocess.Popen(  # noqa: S602 (make's own recipe line)
        make_run_server_command(port),
        shell=True,
        cwd=ROOT,
        env=embedded_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                status, _body = fetch(f"{base}/konto/logga-in/")
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("make run's server did not answer")
        assert status == 200

        status, body = fetch(f"{base}/felstavad-adress/")
        assert status == 404
        assert "Sidan hittades inte" in body
        assert "Using the URLconf" not in body  # Django's technical 404 page
        assert fetch(f"{base}/static/css/app.css")[0] == 200
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)


# --- Content Security Policy (the same in every mode) -----------------------------------------


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy(client: Client) -> None:
    response = client.get(LOGIN_PAGE)

    header = response["Content-Security-Policy"]
    directives = csp_directives(header)
    assert "'unsafe-inline'" not in header
    assert "'unsafe-eval'" not in header
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
def test_redirects_carry_the_policy_too(client: Client) -> None:
    response = client.get("/")

    assert response.status_code == 302
    assert "object-src 'none'" in response["Content-Security-Policy"]


# --- sessions: 30 minutes idle, 12 hours at most ----------------------------------------------


def test_sessions_end_after_thirty_idle_minutes_and_twelve_hours_in_all() -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_ABSOLUTE_SECONDS == 12 * 60 * 60
    assert settings.SESSION_COOKIE_HTTPONLY is True


def test_each_request_gives_the_session_another_thirty_minutes(
    client: Client, strategist: User
) -> None:
    client.force_login(strategist)

    response = client.get("/")

    assert response.status_code == 200
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 30 * 60
    assert client.session.get_expiry_age() == 30 * 60


def _start_session_at(client: Client, started: int) -> None:
    session = client.session
    session[SESSION_STARTED_KEY] = started
    session.save()


def test_a_session_older_than_the_absolute_limit_is_logged_out(
    client: Client, strategist: User
) -> None:
    client.force_login(strategist)
    assert client.get("/").status_code == 200
    _start_session_at(client, int(time.time()) - settings.SESSION_ABSOLUTE_SECONDS - 1)

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_PAGE}?next=/"
    assert "_auth_user_id" not in client.session


def test_an_active_session_within_the_absolute_limit_stays_logged_in(
    client: Client, strategist: User
) -> None:
    client.force_login(strategist)
    _start_session_at(client, int(time.time()) - settings.SESSION_ABSOLUTE_SECONDS + 60)

    assert client.get("/").status_code == 200
    assert client.session["_auth_user_id"] == str(strategist.pk)


def test_the_absolute_limit_counts_from_the_first_request_after_login(
    client: Client, strategist: User
) -> None:
    before = int(time.time())
    client.force_login(strategist)

    client.get("/")

    assert before <= client.session[SESSION_STARTED_KEY] <= int(time.time())


def test_logging_in_again_after_the_absolute_limit_starts_a_new_session(
    client: Client, strategist: User
) -> None:
    client.force_login(strategist)
    client.get("/")
    _start_session_at(client, int(time.time()) - settings.SESSION_ABSOLUTE_SECONDS - 1)
    client.get("/")

    client.force_login(strategist)

    assert client.get("/").status_code == 200
