"""What a user sees when a request cannot be served as asked: an expired form, a GET of the
logout, a bad request, a refusal, the admin for a non-staff user."""

from __future__ import annotations

import re
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.utils import translation
from django.utils.html import escape
from django.views.defaults import permission_denied

from tests.factories import MeasureFactory

pytestmark = pytest.mark.django_db

LOGIN = "/konto/logga-in/"
LOGOUT = "/konto/logga-ut/"
FOOTER_LINK = '<a href="/tillganglighet/">Tillgänglighetsredogörelse</a>'


@pytest.fixture
def csrf_client() -> Client:
    """A browser that sends a stale token (the test client skips the check otherwise)."""
    return Client(enforce_csrf_checks=True)


# --- an expired form (CSRF) -------------------------------------------------------------------


def test_an_expired_form_shows_a_swedish_page_leading_back_to_where_the_user_was(
    csrf_client: Client, strategist: User
) -> None:
    csrf_client.force_login(strategist)

    response = csrf_client.post(
        "/redigera/inforande/", {"x": "1"}, HTTP_REFERER="http://testserver/redigera/inforande/"
    )

    assert response.status_code == 403
    html = response.content.decode()
    assert '<html lang="sv">' in html
    assert html.count("<h1") == 1
    assert "<h1>Formuläret har gått ut</h1>" in html
    assert "Ladda om sidan och försök igen. Det du skrev sparades inte." in html
    back = '<a href="http://testserver/redigera/inforande/">Tillbaka till sidan du kom från</a>'
    assert back in html
    assert FOOTER_LINK in html
    assert "CSRF-verifikation" not in html


def test_an_expired_form_from_another_site_leads_to_the_start_page(
    csrf_client: Client, strategist: User
) -> None:
    csrf_client.force_login(strategist)

    response = csrf_client.post("/redigera/inforande/", HTTP_REFERER="https://evil.example/x")

    html = response.content.decode()
    assert response.status_code == 403
    assert "evil.example" not in html
    assert '<a href="/">Gå till startsidan</a>' in html


def test_a_stale_login_tab_of_a_user_logged_in_elsewhere_sends_them_on(
    csrf_client: Client, strategist: User
) -> None:
    csrf_client.force_login(strategist)  # logged in in tab B; tab A's token is stale

    response = csrf_client.post(
        LOGIN, {"username": "strateg", "password": "x", "next": "/matt/"}, follow=True
    )

    assert response.redirect_chain[0] == (f"{LOGIN}?next=%2Fmatt%2F", 302)
    assert response.redirect_chain[-1][0] == "/matt/"
    assert response.status_code == 200
    assert "Du är redan inloggad." in response.content.decode()


def test_a_stale_login_form_asks_a_logged_out_user_to_log_in_again(csrf_client: Client) -> None:
    form = {"username": "strateg", "password": "x", "next": "https://evil.example/"}

    response = csrf_client.post(LOGIN, form, follow=True)

    assert response.redirect_chain == [(LOGIN, 302)]
    html = response.content.decode()
    assert "Försök logga in igen." in html
    assert "<h1>Logga in</h1>" in html


def test_logging_out_from_a_stale_tab_asks_again_with_a_fresh_form(
    csrf_client: Client, strategist: User
) -> None:
    csrf_client.force_login(strategist)

    response = csrf_client.post(LOGOUT, follow=True)

    assert response.redirect_chain == [(LOGOUT, 302)]
    assert "<h1>Logga ut?</h1>" in response.content.decode()


# --- GET of the logout ------------------------------------------------------------------------


def test_opening_the_logout_address_asks_with_the_button_and_a_way_back(
    client: Client, strategist: User
) -> None:
    client.force_login(strategist)

    response = client.get(LOGOUT, HTTP_REFERER="http://testserver/matt/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="sv">' in html
    assert "<h1>Logga ut?</h1>" in html
    assert f'<form method="post" action="{LOGOUT}">' in html
    assert 'href="http://testserver/matt/">Avbryt</a>' in html
    # Still logged in: a GET changes nothing.
    assert client.get("/matt/").status_code == 200


def test_opening_the_logout_address_when_logged_out_goes_to_the_login_page(
    client: Client,
) -> None:
    response = client.get(LOGOUT)

    assert response.status_code == 302
    assert response["Location"] == LOGIN


# --- a bad request (400) ----------------------------------------------------------------------


def test_a_request_for_an_unknown_host_gets_the_swedish_400_page(client: Client) -> None:
    response = client.get("/", HTTP_HOST="okand.example")

    assert response.status_code == 400
    html = response.content.decode()
    assert '<html lang="sv">' in html
    assert html.count("<h1") == 1
    assert "<h1>Felaktig förfrågan</h1>" in html
    assert "Gå till startsidan och försök igen därifrån." in html
    assert '<a href="/">Gå till startsidan</a>' in html
    assert FOOTER_LINK in html
    assert "Bad Request" not in html


# --- a refusal (403) --------------------------------------------------------------------------


def test_the_403_page_says_what_each_role_may_do_and_to_ask_the_strategist(
    vc: User, vec: User, steering_member: User, programme_owner: User
) -> None:
    expected = {
        vc: "Du kan se uppföljningen för alla enheter. Du kan rapportera för enheterna i ditt "
        "verksamhetsområde. Behöver du mer behörighet, kontakta strategen.",
        vec: "Du kan se uppföljningen för alla enheter. Du kan rapportera för din egen enhet.",
        steering_member: "Du kan se uppföljningen för alla enheter, men inte ändra den.",
        programme_owner: "Du kan ändra ditt eget programområde (PO 1).",
    }
    for user, sentence in expected.items():
        request = RequestFactory().get("/")
        request.user = user
        html = permission_denied(request, PermissionDenied()).content.decode()
        assert "Du har inte behörighet att se eller ändra det här." in html, user
        assert sentence in html, user


def test_the_strategist_is_not_told_to_ask_the_strategist(strategist: User) -> None:
    request = RequestFactory().get("/")
    request.user = strategist
    html = permission_denied(request, PermissionDenied()).content.decode()

    assert "Du har inte behörighet att se eller ändra det här." in html
    assert "kontakta strategen" not in html


# --- the login page after a timeout or for a deep link -----------------------------------------


def test_a_deep_link_or_ended_session_says_why_the_login_page_is_shown(client: Client) -> None:
    response = client.get("/matt/", follow=True)

    assert response.redirect_chain == [(f"{LOGIN}?next=/matt/", 302)]
    html = response.content.decode()
    assert "Du behöver logga in för att se sidan." in html
    assert "Om du var inloggad har du blivit utloggad" in html
    assert "Logga in för att fortsätta." in html


def test_the_login_page_opened_directly_does_not_say_the_user_was_logged_out(
    client: Client,
) -> None:
    html = client.get(LOGIN).content.decode()

    assert "blivit utloggad" not in html


# --- the user's own password ------------------------------------------------------------------

PASSWORD_PAGE = "/konto/losenord/"


def test_every_user_finds_byt_losenord_in_the_header(client: Client, vec: User) -> None:
    client.force_login(vec)

    html = client.get("/matt/").content.decode()

    assert f'<a href="{PASSWORD_PAGE}">Byt lösenord</a>' in html


def test_a_vec_changes_their_password_and_it_is_recorded(
    client: Client, vec: User, admin_user: User, caplog: pytest.LogCaptureFixture
) -> None:
    vec.set_password("gammalt-losen-1")
    vec.save()
    client.force_login(vec)

    page = client.get(PASSWORD_PAGE).content.decode()
    assert "<h1>Byt lösenord</h1>" in page
    assert "Ditt lösenord måste innehålla minst 8 tecken." in page
    assert "<ul><li>" not in page  # Django's HTML help list inside a <p>
    # The password in use is "Nuvarande", not Django's "Gammalt lösenord".
    assert re.search(r'<label for="id_old_password"[^>]*>\s*Nuvarande lösenord', page)
    assert "Gammalt lösenord" not in page
    form = {
        "old_password": "gammalt-losen-1",
        "new_password1": "Vintergata-Norrsken-42",
        "new_password2": "Vintergata-Norrsken-42",
    }
    with caplog.at_level("INFO", logger="gonv.security"):
        response = client.post(PASSWORD_PAGE, form, follow=True)

    assert response.redirect_chain == [("/konto/losenord/klart/", 302)]
    assert "<h1>Lösenordet är bytt</h1>" in response.content.decode()
    vec.refresh_from_db()
    assert vec.check_password("Vintergata-Norrsken-42")
    # Still logged in (the session hash was updated).
    assert client.get("/matt/").status_code == 200
    assert any('"event": "password_changed"' in line for line in caplog.messages)
    # In the user's history in the admin, as the admin's own password change records it.
    client.force_login(admin_user)
    history = client.get(f"/admin/auth/user/{vec.pk}/history/").content.decode()
    assert "Ändrade lösenord." in history


def test_a_weak_or_mistyped_password_is_refused_in_swedish(client: Client, vec: User) -> None:
    vec.set_password("gammalt-losen-1")
    vec.save()
    client.force_login(vec)

    response = client.post(
        PASSWORD_PAGE,
        {"old_password": "fel", "new_password1": "12345", "new_password2": "12345"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Formuläret innehåller fel" in html
    assert "Det nuvarande lösenordet är fel. Skriv det igen." in html
    assert "Det här lösenordet är för kort." in html
    vec.refresh_from_db()
    assert vec.check_password("gammalt-losen-1")


def test_guessing_the_current_password_counts_towards_the_lockout(
    client: Client, vec: User, caplog: pytest.LogCaptureFixture
) -> None:
    """A session left open must not let anyone guess the password (which outlives it): each
    wrong current password is a failed login for django-axes and the security log."""
    vec.set_password("gammalt-losen-1")
    vec.save()
    client.force_login(vec)
    guess = {
        "new_password1": "Vintergata-Norrsken-42",
        "new_password2": "Vintergata-Norrsken-42",
    }

    with caplog.at_level("INFO", logger="gonv.security"):
        for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
            response = client.post(PASSWORD_PAGE, {"old_password": f"gissning-{attempt}", **guess})
            assert "Det nuvarande lösenordet är fel. Skriv det igen." in response.content.decode()
        locked = client.post(PASSWORD_PAGE, {"old_password": "gissning-sista", **guess})
        right = client.post(PASSWORD_PAGE, {"old_password": "gammalt-losen-1", **guess})

    failures = AccessAttempt.objects.get(username=vec.username).failures_since_start
    assert failures == settings.AXES_FAILURE_LIMIT
    assert locked.status_code == 429
    # Locked out: not even the right password changes it now.
    assert right.status_code == 429
    vec.refresh_from_db()
    assert vec.check_password("gammalt-losen-1")
    logged = [line for line in caplog.messages if '"event": "login_failed"' in line]
    assert len(logged) >= settings.AXES_FAILURE_LIMIT - 1


def test_the_password_page_needs_a_login(client: Client) -> None:
    response = client.get(PASSWORD_PAGE)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={PASSWORD_PAGE}"


# --- the admin for a user who is not staff ----------------------------------------------------


def test_a_vc_opening_the_admin_gets_a_heading_and_a_way_back(client: Client, vc: User) -> None:
    client.force_login(vc)

    response = client.get("/admin/", follow=True)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<h1") == 1
    assert "<h1>Ingen tillgång till administrationen</h1>" in html
    assert '<a href="/">Tillbaka till GONV-uppföljning</a>' in html
    assert FOOTER_LINK in html


def test_the_admin_login_has_a_heading_and_a_way_back(client: Client) -> None:
    html = client.get("/admin/login/").content.decode()

    assert "<h1>Logga in till administrationen</h1>" in html
    assert '<a href="/">Tillbaka till GONV-uppföljning</a>' in html


# --- a fresh installation: empty pages say who fills them and where ---------------------------

NO_UNITS = (
    "Inga enheter är inlagda ännu. Strategen eller administratören lägger in organisationen "
    "under Administration."
)
ADMIN_LINK = '<a href="/admin/">Gå till Administration</a>'


@pytest.mark.parametrize("path", ["/redigera/rapportera/", "/redigera/inforande/"])
def test_the_reporting_start_pages_without_units_say_who_enters_them(
    client: Client, strategist: User, path: str
) -> None:
    client.force_login(strategist)

    html = client.get(path).content.decode()

    assert NO_UNITS in html
    assert ADMIN_LINK in html
    assert "Välj verksamhetsområde eller enhet." not in html
    assert "Inga enheter.<" not in html


@pytest.mark.parametrize("path", ["/", "/programomraden/"])
def test_the_portfolio_pages_without_phases_say_who_enters_them(
    client: Client, strategist: User, path: str
) -> None:
    client.force_login(strategist)

    html = client.get(path).content.decode()

    assert (
        "Inga faser är inlagda ännu. Strategen lägger in faser och programområden under "
        "Administration." in html
    )


def test_the_measure_page_without_measures_offers_no_import_or_reporting(
    client: Client, strategist: User
) -> None:
    client.force_login(strategist)

    html = client.get("/matt/").content.decode()

    assert "Inga mått är inlagda ännu. Strategen lägger in mått under Administration." in html
    assert 'class="action-links"' not in html


def test_the_import_page_without_measures_says_so_instead_of_the_upload_form(
    client: Client, strategist: User
) -> None:
    client.force_login(strategist)

    html = client.get("/importera/").content.decode()

    assert "Inga mått är inlagda ännu. Strategen lägger in mått under Administration." in html
    assert ADMIN_LINK in html
    assert 'type="file"' not in html


def test_the_measure_and_import_pages_offer_the_upload_once_a_measure_exists(
    client: Client, strategist: User
) -> None:
    MeasureFactory()
    client.force_login(strategist)

    assert 'class="action-links"' in client.get("/matt/").content.decode()
    assert 'type="file"' in client.get("/importera/").content.decode()


# --- English: the measure list is "Measures" ----------------------------------------------------


def test_in_english_the_measure_list_is_measures_and_a_column_is_measure(
    client: Client, strategist: User
) -> None:
    MeasureFactory()
    client.force_login(strategist)

    with translation.override("en"):
        html = client.get("/matt/").content.decode()
        assert translation.pgettext("plural", "Mått") == "Measures"
        assert translation.gettext("Mått") == "Measure"

    assert "<title>Measures – GONV follow-up</title>" in html
    assert "<h1>Measures</h1>" in html
    assert 'aria-current="page">Measures</a>' in html
    assert '<th scope="col" role="columnheader">Measure</th>' in html


# --- not found (404) --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "sentence"),
    [
        ("/enheter/FINNSINTE/", "Det finns ingen enhet med koden ”FINNSINTE”."),
        ("/enheter/FINNSINTE/underenheter/", "Det finns ingen enhet med koden ”FINNSINTE”."),
        ("/matt/finns-inte/", "Det finns inget mått med koden ”finns-inte”."),
        ("/mal/finns-inte/", "Det finns inget mål eller delmål med koden ”finns-inte”."),
        ("/programomraden/99/", "Det finns inget programområde med nummer 99."),
        ("/rapporter/2025Q9/", "”2025Q9” är inte ett kvartal; skriv till exempel 2025Q4."),
        ("/rapporter/finns-inte/", "”finns-inte” är inte ett kvartal; skriv till exempel 2025Q4."),
    ],
)
def test_an_address_naming_what_does_not_exist_says_what_was_not_found(
    client: Client, strategist: User, settings: Any, url: str, sentence: str
) -> None:
    settings.DEBUG = False
    client.force_login(strategist)

    response = client.get(url)

    assert response.status_code == 404
    html = response.content.decode()
    assert '<html lang="sv">' in html
    assert "<h1>Sidan hittades inte</h1>" in html
    assert f"<p>{escape(sentence)}</p>" in html
    assert FOOTER_LINK in html


def test_the_code_of_the_address_is_shown_escaped(client: Client, strategist: User) -> None:
    client.force_login(strategist)

    html = client.get("/enheter/%3Cb%3E/").content.decode()

    assert "<p>Det finns ingen enhet med koden ”&lt;b&gt;”.</p>" in html
    assert "<b>" not in html


def test_other_404s_show_the_generic_page_without_djangos_english_text(
    client: Client, strategist: User, org_tree: Any
) -> None:
    client.force_login(strategist)

    for url in ["/finns-inte-alls/", f"/enheter/{org_tree.hc1a.code}/att-gora/finns-inte/"]:
        response = client.get(url)

        assert response.status_code == 404, url
        html = response.content.decode()
        assert "<h1>Sidan hittades inte</h1>" in html
        assert "Kontrollera att adressen är rätt stavad." in html
        assert "Det finns ingen" not in html
        assert "Listan finns inte" not in html  # a plain Http404's text is not shown
        assert "Page not found" not in html
        assert "Tried" not in html
        assert "resolver" not in html.lower()
