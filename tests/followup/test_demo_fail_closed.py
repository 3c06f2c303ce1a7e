"""load_demo fails closed (issue 11, finding 7) and synthetic data is marked and bannered.

Demo accounts (password "demo") are made only in the local mode and only in a database whose
every user load_demo made itself; the synthetic values are flagged in the database, and every
signed-in page says so while they exist, in every mode.
"""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from followup.demo import ERROR_FOREIGN_USERS
from followup.models import DemoAccount, ImportBatch, Observation
from organisation.models import Unit
from tests.factories import ImportBatchFactory, ObservationFactory

pytestmark = pytest.mark.django_db

SYNTHETIC_BANNER = "Demodata – syntetiska värden, inte verkliga uppgifter"
LOCAL_BANNER = "Lokalt demoläge – demodata, inte verkliga uppgifter"
HOME = reverse("home")


@pytest.fixture
def no_recompute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("followup.management.commands.load_demo.recompute_all", lambda **kwargs: [])


def run_load_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


# --- no demo accounts beside real users ---------------------------------------------------------


def test_load_demo_makes_no_demo_account_in_a_database_with_a_real_user(
    no_recompute: None,
) -> None:
    User.objects.create_user("anna.andersson", password="en-riktig-fras-2025")  # noqa: S106

    output = run_load_demo()

    assert list(User.objects.values_list("username", flat=True)) == ["anna.andersson"]
    assert not DemoAccount.objects.exists()
    assert "databasen har användare som load_demo inte har skapat (anna.andersson)" in output
    assert "Demokonton /" not in output
    # The plan and the synthetic values are loaded, and they are flagged as synthetic.
    assert ImportBatch.objects.get().synthetic
    assert Observation.objects.exists()


def test_asking_for_demo_accounts_beside_a_real_user_fails_and_writes_nothing() -> None:
    User.objects.create_user("anna.andersson", password="en-riktig-fras-2025")  # noqa: S106

    with pytest.raises(
        CommandError, match=re.escape(ERROR_FOREIGN_USERS.format(usernames="anna.andersson"))
    ):
        run_load_demo("--users")

    assert User.objects.count() == 1
    assert not Unit.objects.exists()


def test_a_user_added_after_the_demo_stops_further_demo_accounts(no_recompute: None) -> None:
    run_load_demo("--plan-only")  # no accounts: the plan only
    User.objects.create_superuser("region-admin", password="en-riktig-fras-2025")  # noqa: S106

    output = run_load_demo()

    assert not User.objects.filter(username__in=["admin", "strateg"]).exists()
    assert "(region-admin)" in output


# --- the banner ---------------------------------------------------------------------------------


@pytest.fixture
def production_mode(settings: Settings) -> None:
    settings.LOCAL_MODE = False


def test_synthetic_banner_shows_in_production_mode_while_synthetic_data_exists(
    client: Client, strategist: User, production_mode: None
) -> None:
    client.force_login(strategist)
    assert SYNTHETIC_BANNER not in client.get(HOME).content.decode()

    batch = ImportBatchFactory(source=ImportBatch.Source.DEMO, synthetic=True)
    shown = client.get(HOME).content.decode()
    batch.delete()
    gone = client.get(HOME).content.decode()

    assert SYNTHETIC_BANNER in shown
    assert LOCAL_BANNER not in shown
    assert SYNTHETIC_BANNER not in gone


def test_demo_values_without_their_batch_still_show_the_banner(
    client: Client, strategist: User, production_mode: None
) -> None:
    ObservationFactory(source=ImportBatch.Source.DEMO)
    client.force_login(strategist)

    assert SYNTHETIC_BANNER in client.get(HOME).content.decode()


def test_real_imports_show_no_synthetic_banner(
    client: Client, strategist: User, production_mode: None
) -> None:
    ObservationFactory(import_batch=ImportBatchFactory())
    client.force_login(strategist)

    content = client.get(HOME).content.decode()

    assert SYNTHETIC_BANNER not in content
    assert "demo-banner" not in content


def test_local_mode_says_which_banner_applies(
    client: Client, strategist: User, settings: Settings
) -> None:
    settings.LOCAL_MODE = True
    client.force_login(strategist)
    assert LOCAL_BANNER in client.get(HOME).content.decode()

    ImportBatchFactory(source=ImportBatch.Source.DEMO, synthetic=True)
    content = client.get(HOME).content.decode()

    assert SYNTHETIC_BANNER in content
    assert "lokalt demoläge" in content


def test_load_demo_in_production_mode_marks_its_values_and_the_banner_shows(
    client: Client, production_mode: None, no_recompute: None
) -> None:
    run_load_demo()
    reader = User.objects.create_superuser("granskare", password="x" * 12)  # noqa: S106
    client.force_login(reader)

    assert not DemoAccount.objects.exists()
    assert set(Observation.objects.values_list("import_batch__synthetic", flat=True)) == {True}
    assert SYNTHETIC_BANNER in client.get(HOME).content.decode()


def test_the_admin_shows_the_synthetic_banner_too(
    client: Client, admin_user: User, production_mode: None
) -> None:
    client.force_login(admin_user)
    assert SYNTHETIC_BANNER not in client.get(reverse("admin:index")).content.decode()

    ImportBatchFactory(source=ImportBatch.Source.DEMO, synthetic=True)

    for url in (reverse("admin:index"), reverse("admin:followup_observation_changelist")):
        assert SYNTHETIC_BANNER in client.get(url).content.decode(), url
