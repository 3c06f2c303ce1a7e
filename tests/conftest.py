"""Fixtures shared by the whole suite: a small unit tree and one user per role.

Keep this file small; fixtures for one app belong in that test folder's own conftest.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import Client, override_settings
from pytest_django.fixtures import Settings

from organisation.models import Role
from programmes.models import ProgrammeArea
from tests.factories import OrgTree, ProgrammeAreaFactory, UserFactory, org_tree_create
from tests.followup.imports.world import CorpusWorld, corpus_world_create


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "subprocess: runs manage.py in a child process with a controlled environment"
    )


SCAN_STEP = 10_000


def _clear_caches() -> None:
    """Empty every configured cache."""
    for alias in django_settings.CACHES:
        cache = caches[alias]
        if isinstance(cache, RedisCache):
            # Only our keys: FLUSHDB would also wipe other runs and a Celery broker.
            client = cache._cache.get_client(write=True)
            # SCAN walks the whole keyspace, other runs' and benchmarks' keys included: in big
            # steps, not Redis's default of 10 keys a round trip, which cost ~0.4 s a test
            # with 50,000 other keys in Redis (16 ms in steps of 1,000).
            pattern = cache.make_key("*", version="*")
            keys = list(client.scan_iter(match=pattern, count=SCAN_STEP))
            if keys:
                client.delete(*keys)
        else:
            cache.clear()


@pytest.fixture(scope="session", autouse=True)
def _own_cache_keys() -> Iterator[None]:
    """Give this test process cache keys of its own, removed at the end.

    Parallel runs and xdist workers share one Redis, so each clears only its own keys; a Celery
    worker a test starts inherits the prefix through the environment.
    """
    prefix = f"gonv-test-{os.getpid()}"
    own = {alias: {**conf, "KEY_PREFIX": prefix} for alias, conf in django_settings.CACHES.items()}
    previous = os.environ.get("CACHE_KEY_PREFIX")
    os.environ["CACHE_KEY_PREFIX"] = prefix
    try:
        with override_settings(CACHES=own):
            yield
            _clear_caches()
    finally:
        if previous is None:
            os.environ.pop("CACHE_KEY_PREFIX", None)
        else:
            os.environ["CACHE_KEY_PREFIX"] = previous


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Every test starts with an empty cache."""
    _clear_caches()


@pytest.fixture(autouse=True)
def _tasks_run_in_process(settings: Settings) -> None:
    """Recomputes triggered by a commit run in-process, as in the embedded mode.

    Only tests/integration talks to a real worker; elsewhere a committed change must not leave
    messages on the shared broker for no one.
    """
    settings.CELERY_TASK_ALWAYS_EAGER = True
    # The recompute chain's last step renders the dashboards into the cache: seconds of work
    # no test but the one about it wants (tests/followup/test_warm.py turns it on).
    settings.GONV_WARM_DASHBOARDS = False


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Settings) -> None:
    """Hash test passwords cheaply; the real hasher costs a third of a second per user."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- the unit tree ----------------------------------------------------------------------------


@pytest.fixture
def org_tree(db: None) -> OrgTree:
    """Region → Primärvård → VO 1 (HC 1A, HC 1B) and VO 2 (HC 2A, HC 2B)."""
    return org_tree_create()


@pytest.fixture
def programme_area(db: None) -> ProgrammeArea:
    """PO 1 Teamarbete."""
    return ProgrammeAreaFactory(number=1, name="Teamarbete")


@pytest.fixture
def other_programme_area(db: None) -> ProgrammeArea:
    """PO 2 Prevention (owned by nobody in these fixtures)."""
    return ProgrammeAreaFactory(number=2, name="Prevention")


# --- one user per role ------------------------------------------------------------------------


@pytest.fixture
def strategist(db: None) -> User:
    """Strateg GONV, with access to the admin site."""
    return UserFactory(username="strateg", is_staff=True, role=Role.STRATEGIST)


@pytest.fixture
def admin_user(db: None) -> User:
    """An administrator by role (not a Django superuser); replaces pytest-django's fixture."""
    return UserFactory(username="administrator", is_staff=True, role=Role.ADMIN)


@pytest.fixture
def portfolio_owner(db: None) -> User:
    return UserFactory(username="portfoljagare", role=Role.PORTFOLIO_OWNER)


@pytest.fixture
def steering_member(db: None) -> User:
    return UserFactory(username="styrgrupp", role=Role.STEERING_GROUP)


@pytest.fixture
def programme_owner(programme_area: ProgrammeArea) -> User:
    """Responsible for PO 1 (`programme_area`) only."""
    return UserFactory(
        username="poansvarig", role=Role.PROGRAMME_OWNER, role__programme_area=programme_area
    )


@pytest.fixture
def vc(org_tree: OrgTree) -> User:
    """Verksamhetschef of VO 1."""
    return UserFactory(username="vc1", role=Role.HEAD_OF_AREA, role__unit=org_tree.vo1)


@pytest.fixture
def vec(org_tree: OrgTree) -> User:
    """Vårdenhetschef of HC 1A (in VO 1)."""
    return UserFactory(username="vec1a", role=Role.HEAD_OF_UNIT, role__unit=org_tree.hc1a)


@pytest.fixture
def no_role_user(db: None) -> User:
    return UserFactory(username="utanroll")


@pytest.fixture
def strategist_client(client: Client, strategist: User) -> Client:
    """The test client, logged in as the strategist."""
    client.force_login(strategist)
    return client


# --- the import corpus's world (the import tests and the browser's) ---------------------------


@pytest.fixture
def corpus_world(
    org_tree: OrgTree, strategist: User, vc: User, vec: User, settings: Settings, tmp_path: Path
) -> CorpusWorld:
    """The org tree, four measures, a closed unit, a clinic; uploads wait in tmp_path."""
    settings.GONV_IMPORT_DIR = tmp_path
    return corpus_world_create(org_tree, {"strateg": strategist, "vc1": vc, "vec1a": vec})
