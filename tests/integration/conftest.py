"""A real Celery worker on the real Redis broker and the suite's PostgreSQL test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from gonv.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate: Callable[[], object], *, timeout: float = 60, what: str = "") -> object:
    """Poll until the predicate is truthy; fail with a clear message at the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what or predicate}")


class Worker:
    """A `celery worker` subprocess consuming this run's queue."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        db = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": (
                f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or 'localhost'}:"
                f"{db['PORT'] or 5432}/{db['NAME']}"
            ),
            "REDIS_URL": django_settings.REDIS_URL,
            "CELERY_QUEUE": django_settings.CELERY_TASK_DEFAULT_QUEUE,
            # Short, so a task lost with a killed worker comes back within the test.
            "CELERY_VISIBILITY_TIMEOUT": "20",
            # No dashboards rendered after each recompute (followup.warm): not what these test.
            "GONV_WARM_DASHBOARDS": "0",
        }
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "gonv",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-Q",
                django_settings.CELERY_TASK_DEFAULT_QUEUE,
                "-n",
                f"itest-{os.getpid()}@%h",
            ],  # fmt: skip
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: b" ready." in self.log_path.read_bytes(), what="the worker to start")

    def child_pids(self) -> list[int]:
        """The prefork pool's child processes (where tasks run)."""
        assert self.process is not None
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        ).stdout
        return [int(pid) for pid in out.split()]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def worker(transactional_db, settings, tmp_path) -> Iterator[Worker]:
    """Broker mode with a short coalescing delay, and a running worker on a purged queue."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.GONV_RECOMPUTE_DELAY_SECONDS = 3
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    running = Worker(tmp_path / "worker.log")
    running.start()
    try:
        yield running
    finally:
        running.stop()
        celery_app.control.purge()
