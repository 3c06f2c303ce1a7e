"""Finding 5: guessing is limited on every login (django-axes), and unlocking is possible."""

from __future__ import annotations

import datetime

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from tests.factories import TEST_PASSWORD

SITE_LOGIN = "/konto/logga-in/"
ADMIN_LOGIN = "/admin/login/"
ADDRESS = "10.1.2.3"
LIMIT = 5


@pytest.fixture(autouse=True)
def _lockout_settings(settings: Settings) -> None:
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)


def attempt(
    client: Client, url: str, username: str, password: str, address: str = ADDRESS
) -> object:
    return client.post(
        url, {"username": username, "password": password}, REMOTE_ADDR=address, follow=False
    )


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def guess(client: Client, url: str, username: str, times: int, address: str = ADDRESS) -> object:
    response = None
    for n in range(times):
        response = attempt(client, url, username, f"fel-{n}", address)
    return response


def age_attempts(minutes: float) -> None:
    """Move the recorded failures back in time, as if `minutes` had passed."""
    for row in AccessAttempt.objects.all():
        row.attempt_time -= datetime.timedelta(minutes=minutes)
        row.save(update_fields=["attempt_time"])


@pytest.mark.parametrize("url", [SITE_LOGIN, ADMIN_LOGIN])
def test_after_five_failures_the_right_password_does_not_log_in_until_the_period_ends(
    strategist: User, url: str
) -> None:
    client = Client()
    before = guess(client, url, "strateg", LIMIT - 1)
    assert before.status_code == 200  # the ordinary form with its error

    locked = attempt(client, url, "strateg", "fel-igen")
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "För många misslyckade inloggningsförsök" in text
    assert "försök igen efter kl." in text

    right = attempt(client, url, "strateg", TEST_PASSWORD)
    assert right.status_code == 429
    assert not logged_in(client)

    age_attempts(14)  # still within the 15 minutes
    assert attempt(client, url, "strateg", TEST_PASSWORD).status_code == 429
    assert not logged_in(client)

    age_attempts(2)  # now 16 minutes since the last failure
    assert attempt(client, url, "strateg", TEST_PASSWORD).status_code == 302
    assert logged_in(client)


def test_the_lockout_page_says_when_to_try_again(strategist: User) -> None:
    client = Client()
    guess(client, SITE_LOGIN, "strateg", LIMIT - 1)
    before = timezone.localtime(timezone.now())

    page = attempt(client, SITE_LOGIN, "strateg", "fel").content.decode()

    ends = before + datetime.timedelta(minutes=15)
    possible = {
        (ends + datetime.timedelta(minutes=m)).strftime("kl. %H:%M den %Y-%m-%d") for m in (0, 1)
    }
    assert any(when in page for when in possible), page


def test_a_lockout_holds_for_the_username_from_that_address_only(strategist: User) -> None:
    guess(Client(), SITE_LOGIN, "strateg", LIMIT)

    elsewhere = Client()
    assert attempt(elsewhere, SITE_LOGIN, "strateg", TEST_PASSWORD, "10.9.9.9").status_code == 302


def test_the_number_of_failures_is_a_setting(strategist: User, settings: Settings) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    client = Client()

    assert guess(client, SITE_LOGIN, "strateg", 2).status_code == 429


def test_the_management_command_unlocks_a_username(strategist: User) -> None:
    client = Client()
    guess(client, SITE_LOGIN, "strateg", LIMIT)
    assert attempt(client, SITE_LOGIN, "strateg", TEST_PASSWORD).status_code == 429

    call_command("axes_reset_username", "strateg")

    assert attempt(client, SITE_LOGIN, "strateg", TEST_PASSWORD).status_code == 302


def test_an_administrator_unlocks_in_the_admin(strategist: User) -> None:
    guess(Client(), SITE_LOGIN, "strateg", LIMIT)
    superuser = User.objects.create_superuser("huvudadmin", password=TEST_PASSWORD)
    admin = Client()
    admin.force_login(superuser)
    attempt_row = AccessAttempt.objects.get(username="strateg")

    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert "strateg" in listing.content.decode()
    deleted = admin.post(
        f"/admin/axes/accessattempt/{attempt_row.pk}/delete/", {"post": "yes"}, follow=False
    )
    assert deleted.status_code == 302

    assert attempt(Client(), SITE_LOGIN, "strateg", TEST_PASSWORD).status_code == 302


def test_a_successful_login_clears_the_earlier_failures(strategist: User) -> None:
    client = Client()
    guess(client, SITE_LOGIN, "strateg", LIMIT - 1)
    assert attempt(client, SITE_LOGIN, "strateg", TEST_PASSWORD).status_code == 302
    client.logout()

    assert guess(client, SITE_LOGIN, "strateg", LIMIT - 1).status_code == 200
