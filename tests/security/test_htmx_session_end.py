"""An htmx request after the session ended (logout elsewhere, idle or absolute timeout) and a
CSRF rejection: what htmx gets instead of the login page swapped into the page."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from followup.models import Observation
from gonv.middleware import LOGGED_OUT_UNSAVED_MESSAGE, OTHER_USER_MESSAGE
from gonv.views import CSRF_REJECTED_MESSAGE, CSRF_RENEWED_HEADER
from tests.factories import OrgTree

pytestmark = pytest.mark.django_db

LOGIN = "/konto/logga-in/"
HTMX = {"HX-Request": "true", "HX-Current-URL": "http://testserver/?kvartal=2025Q2"}


def test_an_htmx_get_sends_the_whole_window_to_login_and_back_to_the_page_shown() -> None:
    # The quarter selector asks for the region; the user is on the portfolio with the query.
    response = Client().get("/?kvartal=2025Q3", headers=HTMX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{LOGIN}?next=/%3Fkvartal%3D2025Q2"
    assert response.content == b""
    assert "no-store" in response["Cache-Control"]
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize(
    "current_url",
    [
        "https://evil.example/phish?x=1",
        "//evil.example/",
        "http://testserver.evil.example/",
        "javascript:alert(1)",
    ],
)
def test_next_is_never_another_hosts_address_from_hx_current_url(current_url: str) -> None:
    response = Client().get(
        "/?kvartal=2025Q3", headers={"HX-Request": "true", "HX-Current-URL": current_url}
    )

    # Not the header's address: the request's own path.
    assert response["HX-Redirect"] == f"{LOGIN}?next=/%3Fkvartal%3D2025Q3"


def test_an_htmx_get_without_hx_current_url_comes_back_to_its_own_path() -> None:
    response = Client().get("/enheter/", headers={"HX-Request": "true"})

    assert response["HX-Redirect"] == f"{LOGIN}?next=/enheter/"


def test_a_plain_get_still_redirects_to_the_login_page() -> None:
    response = Client().get("/?kvartal=2025Q3")

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/%3Fkvartal%3D2025Q3"
    assert "HX-Redirect" not in response


def test_an_htmx_post_keeps_the_page_and_says_why_nothing_was_saved(org_tree: OrgTree) -> None:
    response = Client().post(
        f"/redigera/rapportera/{org_tree.vo1.pk}/",
        {"period": "2025-10"},
        headers={"HX-Request": "true"},
    )

    # htmx swaps no 401 (base.html's htmx-config); static/js/htmx-errors.js shows the text.
    assert response.status_code == 401
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == str(LOGGED_OUT_UNSAVED_MESSAGE)
    assert "Du har blivit utloggad" in response.content.decode()
    assert "HX-Redirect" not in response
    assert "no-store" in response["Cache-Control"]
    assert Observation.objects.count() == 0


def test_an_htmx_get_from_a_form_with_typing_keeps_the_page(org_tree: OrgTree) -> None:
    # The grid's "Ersätt värdet" is a GET, sent from the form that holds the typed values.
    response = Client().get(
        f"/redigera/rapportera/{org_tree.vo1.pk}/",
        headers={"HX-Request": "true", "X-Keep-Page": "true"},
    )

    assert response.status_code == 401
    assert response.content.decode() == str(LOGGED_OUT_UNSAVED_MESSAGE)


def test_a_plain_post_still_redirects_to_the_login_page(org_tree: OrgTree) -> None:
    response = Client().post(f"/redigera/rapportera/{org_tree.vo1.pk}/", {"period": "2025-10"})

    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN}?next=")


def test_a_logged_in_users_htmx_requests_are_untouched(steering_member: User) -> None:
    client = Client()
    client.force_login(steering_member)

    response = client.get("/", headers=HTMX)

    assert response.status_code == 200
    assert "HX-Redirect" not in response


def test_a_logged_in_users_own_redirects_are_untouched(steering_member: User) -> None:
    client = Client()
    client.force_login(steering_member)

    # The landing page redirects elsewhere, not to login: htmx follows it as before.
    response = client.get("/start/", headers=HTMX)

    assert response.status_code == 302
    assert "HX-Redirect" not in response


def test_an_htmx_post_with_a_stale_csrf_token_gets_the_reason_and_a_current_token(
    vc: User, org_tree: OrgTree
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(vc)
    client.get(f"/redigera/rapportera/{org_tree.vo1.pk}/")  # sets the CSRF cookie

    response = client.post(
        f"/redigera/rapportera/{org_tree.vo1.pk}/",
        {"period": "2025-10", "csrfmiddlewaretoken": "x" * 64},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 403
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == str(CSRF_REJECTED_MESSAGE)
    token = response[CSRF_RENEWED_HEADER]
    assert len(token) == 64

    # With that token the same post passes the CSRF check.
    again = client.post(
        f"/redigera/rapportera/{org_tree.vo1.pk}/",
        {"period": "2025-10", "csrfmiddlewaretoken": token},
        headers={"HX-Request": "true"},
    )
    assert again.status_code != 403


def test_a_plain_post_with_a_stale_csrf_token_gets_djangos_page_and_no_token(
    vc: User, org_tree: OrgTree
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(vc)
    client.get(f"/redigera/rapportera/{org_tree.vo1.pk}/")

    response = client.post(
        f"/redigera/rapportera/{org_tree.vo1.pk}/",
        {"period": "2025-10", "csrfmiddlewaretoken": "x" * 64},
    )

    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    assert CSRF_RENEWED_HEADER not in response


# --- a page of one user, sent after another logged in in the same browser ----------------------


def test_every_page_tells_its_htmx_requests_whose_page_it_is(vc: User) -> None:
    client = Client()
    client.force_login(vc)

    page = client.get("/").content.decode()

    assert f'"X-Page-User": "{vc.pk}"' in page


@pytest.mark.parametrize("stale_token", [True, False])
def test_a_save_from_another_users_page_is_refused_and_renews_no_token(
    vc: User, vec: User, org_tree: OrgTree, stale_token: bool
) -> None:
    """A VEC's grid left open on a shared workstation, a VC logged in in another tab since:
    the browser's CSRF token is the VC's now, and the VEC's typing must not be saved in the
    VC's name (nor get the token that would let the page send it again)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(vc)
    client.get(f"/redigera/rapportera/{org_tree.vo1.pk}/")  # sets the CSRF cookie
    token = "x" * 64 if stale_token else client.cookies["csrftoken"].value

    response = client.post(
        f"/redigera/rapportera/{org_tree.vo1.pk}/",
        {"period": "2025-10", "csrfmiddlewaretoken": token},
        headers={"HX-Request": "true", "X-Page-User": str(vec.pk)},
    )

    assert response.status_code == 409
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == str(OTHER_USER_MESSAGE)
    assert CSRF_RENEWED_HEADER not in response
    assert "no-store" in response["Cache-Control"]
    assert Observation.objects.count() == 0


def test_a_save_from_the_users_own_page_passes_the_check(vc: User, org_tree: OrgTree) -> None:
    client = Client()
    client.force_login(vc)

    response = client.post(
        f"/redigera/rapportera/{org_tree.vo1.pk}/",
        {"period": "2025-10"},
        headers={"HX-Request": "true", "X-Page-User": str(vc.pk)},
    )

    assert response.status_code != 409
    assert str(OTHER_USER_MESSAGE) not in response.content.decode()


def test_reading_is_not_refused_for_another_users_page(vc: User, vec: User) -> None:
    """A quarter swap from a page opened by someone else changes nothing: it gets the region
    (for the user logged in now), not the refusal."""
    client = Client()
    client.force_login(vc)

    response = client.get("/", headers={"HX-Request": "true", "X-Page-User": str(vec.pk)})

    assert response.status_code == 200
