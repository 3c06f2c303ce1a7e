"""The accessibility statement (lagen 2018:1937, Digg's template): public, linked from every
page, and saying what the installation's settings say."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.core.checks import ERROR, WARNING
from django.test import Client, RequestFactory
from django.views.defaults import server_error
from pytest_django.fixtures import Settings

from gonv.checks import accessibility_statement_settings

URL = "/tillganglighet/"
FOOTER_LINK = f'<a href="{URL}">Tillgänglighetsredogörelse</a>'

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_reads_the_statement_without_logging_in(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Tillgänglighet för GONV-uppföljning</h1>" in html
    assert "delvis förenlig med lagen om tillgänglighet till digital offentlig service" in html
    assert "WCAG 2.1" in html
    assert "Myndigheten för digital förvaltning (Digg)" in html
    assert 'href="https://www.digg.se/tdosanmalan"' in html
    assert "självskattning" in html
    assert "axe-core" in html


def test_statement_names_the_known_shortcomings_with_the_session_limits_in_force(
    client: Client, settings: Settings
) -> None:
    settings.SESSION_COOKIE_AGE = 20 * 60
    settings.SESSION_ABSOLUTE_SECONDS = 8 * 60 * 60
    settings.SESSION_WARNING_SECONDS = 3 * 60

    html = client.get(URL).content.decode()

    assert "Du loggas ut efter 20 minuter utan aktivitet. 3 minuter innan visas en varning" in html
    assert "loggas alla dessutom ut senast 8 timmar efter inloggningen" in html
    assert "Den tiden går inte att förlänga; du varnas 3 minuter innan." in html
    # The grids and the goal form keep what was typed (static/js/htmx-errors.js); the rest lose it.
    assert "När du rapporterar värden, ändrar införandet av arbetssätt eller redigerar" in html
    assert "I övriga formulär går det du har skrivit men inte sparat förlorat." in html
    assert "2.2.1" in html
    assert "standardadministrationen i ramverket Django" in html


def test_default_contact_is_said_to_be_a_placeholder(client: Client) -> None:
    html = client.get(URL).content.decode()

    assert "Region Gävleborg står bakom GONV-uppföljning." in html
    assert 'href="mailto:tillganglighet@example.se"' in html
    assert "exempeladress" in html
    assert "Telefon:" not in html
    assert "Senaste bedömningen gjordes den 2 dec 2026." in html


def test_statement_shows_the_configured_publisher_contact_and_date(
    client: Client, settings: Settings
) -> None:
    settings.GONV_ORGANISATION_NAME = "Region Testland"
    settings.GONV_ACCESSIBILITY_CONTACT_EMAIL = "webb@testland.se"
    settings.GONV_ACCESSIBILITY_CONTACT_PHONE = "010-123 45 67"
    settings.GONV_ACCESSIBILITY_STATEMENT_DATE = datetime.date(2027, 3, 15)
    settings.GONV_ACCESSIBILITY_ASSESSMENT_DATE = datetime.date(2027, 3, 15)

    html = client.get(URL).content.decode()

    assert "Region Testland står bakom GONV-uppföljning." in html
    assert "Region Gävleborg" not in html
    # Both places Digg's template asks for a contact: needing content, reporting a shortcoming.
    assert html.count('href="mailto:webb@testland.se"') == 2
    assert 'href="tel:010-1234567"' in html
    assert "exempeladress" not in html
    assert "Senaste bedömningen gjordes den 15 mar 2027." in html
    assert "Redogörelsen uppdaterades senast den 15 mar 2027." in html


def test_login_page_links_to_the_statement_in_its_text_and_footer(client: Client) -> None:
    html = client.get("/konto/logga-in/").content.decode()

    assert html.count(f'href="{URL}"') == 2
    assert FOOTER_LINK in html


def test_every_page_footer_links_to_the_statement(client: Client, strategist: User) -> None:
    client.force_login(strategist)

    for path in ("/", "/matt/", "/finns-inte/"):
        assert FOOTER_LINK in client.get(path).content.decode(), path


def test_admin_pages_link_to_the_statement(client: Client, admin_user: User) -> None:
    client.force_login(admin_user)

    html = client.get("/admin/").content.decode()

    assert FOOTER_LINK in html


def test_500_page_links_to_the_statement() -> None:
    html = server_error(RequestFactory().get("/")).content.decode()

    assert FOOTER_LINK in html


def test_the_assessment_and_the_update_have_their_own_dates(
    client: Client, settings: Settings
) -> None:
    settings.GONV_ACCESSIBILITY_ASSESSMENT_DATE = datetime.date(2027, 2, 1)
    settings.GONV_ACCESSIBILITY_STATEMENT_DATE = datetime.date(2027, 3, 15)

    html = client.get(URL).content.decode()

    assert "Senaste bedömningen gjordes den 1 feb 2027." in html
    assert "Redogörelsen uppdaterades senast den 15 mar 2027." in html


# --- the system check: production names a real contact and real dates -------------------------


def test_production_with_the_placeholder_address_is_an_error(settings: Settings) -> None:
    settings.PRODUCTION = True

    problems = accessibility_statement_settings()

    errors = [p for p in problems if p.level == ERROR]
    assert [e.id for e in errors] == ["gonv.E001"]
    assert "tillganglighet@example.se" in errors[0].msg
    # Both dates are the built-in default too.
    assert [p.id for p in problems if p.level == WARNING] == ["gonv.W002", "gonv.W002"]


def test_production_with_its_own_contact_and_dates_passes(settings: Settings) -> None:
    settings.PRODUCTION = True
    settings.GONV_ACCESSIBILITY_CONTACT_EMAIL = "webb@testland.se"
    settings.GONV_ACCESSIBILITY_STATEMENT_DATE = datetime.date(2027, 3, 15)
    settings.GONV_ACCESSIBILITY_ASSESSMENT_DATE = datetime.date(2027, 2, 1)

    assert accessibility_statement_settings() == []


def test_production_with_a_default_date_is_a_warning(settings: Settings) -> None:
    settings.PRODUCTION = True
    settings.GONV_ACCESSIBILITY_CONTACT_EMAIL = "webb@testland.se"
    settings.GONV_ACCESSIBILITY_ASSESSMENT_DATE = datetime.date(2027, 2, 1)

    problems = accessibility_statement_settings()

    assert [(p.level, p.id) for p in problems] == [(WARNING, "gonv.W002")]
    assert "GONV_ACCESSIBILITY_STATEMENT_DATE" in problems[0].msg


def test_the_local_demo_mode_keeps_the_placeholders_without_a_check_message(
    settings: Settings,
) -> None:
    settings.PRODUCTION = False

    assert accessibility_statement_settings() == []
