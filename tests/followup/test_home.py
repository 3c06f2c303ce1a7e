"""The start page (portfolio overview), the page shell around it, login, logout and error pages."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.views.defaults import server_error
from pytest_django.fixtures import DjangoAssertNumQueries, Settings

from base.http import LOGGED_OUT_MESSAGE
from base.periods import Quarter
from followup.cache import bump_generation
from followup.services import quarter_compute
from goals.models import Goal
from goals.selectors import portfolio_overview
from programmes.models import ProgrammeArea, ProgrammeAreaProcess
from tests.factories import (
    TEST_PASSWORD,
    GoalFactory,
    PhaseFactory,
    ProgrammeAreaFactory,
    SupportingProcessFactory,
)
from tests.helpers import PHASE2_AREAS

HOME = reverse("home")
LOGIN = reverse("login")
LOGOUT = reverse("logout")
NO_ROLE_TEXT = (
    "Du har ingen roll i GONV-uppföljning ännu. Kontakta strategen för att få behörighet."
)
EMPTY_AREA_TEXT = "Inga mål är satta för programområdet ännu."

AREAS = PHASE2_AREAS


@pytest.fixture
def areas(db: None) -> dict[int, ProgrammeArea]:
    """The six programme areas of Fas 2."""
    phase = PhaseFactory()
    return {
        number: ProgrammeAreaFactory(phase=phase, number=number, name=name)
        for number, name in AREAS
    }


@pytest.fixture
def portfolio(areas: dict[int, ProgrammeArea]) -> dict[str, Goal]:
    """Goals of the plan for PO 1, 2, 3, 4 and 6; PO 5 has none yet."""
    po1, po2, po3, po4, po6 = areas[1], areas[2], areas[3], areas[4], areas[6]
    po1.supporting_processes.add(SupportingProcessFactory(name="Personcentrering"))
    teamrond = GoalFactory(
        adoption=True,
        programme_area=po1,
        title="Teamrond införd på alla hälsocentraler",
        deadline=datetime.date(2026, 12, 31),
    )
    goals = {
        "po1_direction": GoalFactory(
            direction=True, programme_area=po1, title="Ökat teamarbete i hela vården"
        ),
        "po1_teamrond": teamrond,
        "po1_half": GoalFactory(
            adoption=True,
            programme_area=po1,
            parent=teamrond,
            working_method=teamrond.working_method,
            title="Teamrond införd på 50 % av hälsocentralerna",
            target_share=Decimal("50"),
            deadline=datetime.date(2025, 12, 31),
        ),
        "po2_instrument": GoalFactory(
            programme_area=po2,
            title="Enhetligt riskbedömningsinstrument implementerat",
            deadline=datetime.date(2026, 12, 31),
        ),
        "po3_do": GoalFactory(
            measure_absolute=True,
            programme_area=po3,
            title="Alla patienter med behov av samordning har en DÖ i Cosmic",
            target_value=Decimal("100"),
            measure__unit="%",
            deadline=datetime.date(2030, 12, 31),
        ),
        "po4_digital": GoalFactory(
            direction=True,
            programme_area=po4,
            title="Fortsatt ökad användning av digitala verktyg",
        ),
        "po6_methods": GoalFactory(
            adoption=True,
            programme_area=po6,
            title="Nära vårdens arbetssätt används på alla hälsocentraler",
        ),
    }
    goals["po2_decided"] = GoalFactory(
        programme_area=po2,
        parent=goals["po2_instrument"],
        title="Riskbedömningsinstrument beslutat",
        deadline=datetime.date(2025, 12, 31),
    )
    return goals


def _make_goals(area: ProgrammeArea, count: int) -> None:
    """`count` goals of every kind in one area, each with one milestone."""
    traits = ("adoption", "deliverable", "measure_absolute", "measure_relative", "direction")
    for index in range(count):
        goal = GoalFactory(programme_area=area, **{traits[index % len(traits)]: True})
        GoalFactory(programme_area=area, parent=goal, adoption=True)


# --- access -----------------------------------------------------------------------------------


def test_anonymous_user_is_redirected_to_login(client: Client) -> None:
    response = client.get(HOME)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={HOME}"


def test_user_without_a_role_gets_403_with_the_swedish_explanation(
    client: Client, no_role_user: User, portfolio: dict[str, Goal]
) -> None:
    client.force_login(no_role_user)

    response = client.get(HOME)

    assert response.status_code == 403
    content = response.content.decode()
    assert NO_ROLE_TEXT in content
    assert "Teamrond" not in content
    assert 'lang="sv"' in content


def test_post_to_the_start_page_is_not_allowed(client: Client, strategist: User) -> None:
    client.force_login(strategist)

    assert client.post(HOME).status_code == 405


# --- the start page ---------------------------------------------------------------------------


@pytest.mark.parametrize("role_user", ["strategist", "portfolio_owner", "vc", "vec"])
def test_every_role_sees_all_six_programme_areas(
    client: Client, request: pytest.FixtureRequest, role_user: str, portfolio: dict[str, Goal]
) -> None:
    client.force_login(request.getfixturevalue(role_user))

    response = client.get(HOME)

    assert response.status_code == 200
    content = response.content.decode()
    for number, name in AREAS:
        assert f"PO {number}. {name}" in content


def test_start_page_lists_goals_and_milestones_with_kind_deadline_and_target(
    client: Client, strategist: User, portfolio: dict[str, Goal]
) -> None:
    client.force_login(strategist)

    response = client.get(HOME)

    content = response.content.decode()
    assert ">Fas 2: göra, lära, bredda (2025–2027)</h2>" in content
    # PO 1: the goal, its milestone (visibly marked), deadlines as "31 dec 2025" in <time>.
    assert "Teamrond införd på alla hälsocentraler" in content
    assert "Teamrond införd på 50 % av hälsocentralerna" in content
    assert '<time datetime="2025-12-31">31 dec 2025</time>' in content
    assert '<time datetime="2026-12-31">31 dec 2026</time>' in content
    assert "Målnivå: 50\u00a0% av hälsocentralerna" in content
    assert "Målnivå: 100\u00a0% av hälsocentralerna" in content
    for kind in ("Införande", "Inriktning", "Leverans", "Mått"):
        assert f'<span class="goal-kind">{kind}</span>' in content
    assert '<span class="goal-tag goal-tag-milestone">Delmål</span>' in content
    assert content.count("goal-tag-milestone") == 2  # PO 1 and PO 2 have one milestone each
    # PO 3: a measure goal with its target value; PO 4: a direction goal without a deadline.
    assert "Målnivå: 100 %" in content
    assert "inget måldatum" in content
    assert "Personcentrering" in content
    assert '<time datetime="2025-03-01">1 mar 2025</time>' in content
    # PO 5 has no goals yet.
    assert content.count(EMPTY_AREA_TEXT) == 1


def test_supporting_processes_are_a_list_whose_example_badge_stays_with_its_process(
    client: Client, strategist: User, portfolio: dict[str, Goal]
) -> None:
    po1 = portfolio["po1_teamrond"].programme_area
    link = ProgrammeAreaProcess.objects.create(
        programme_area=po1,
        supporting_process=SupportingProcessFactory(name="Ledarskap"),
        provenance="exempel",
        provenance_note="Exempel på stödjande process.",
    )
    client.force_login(strategist)

    content = client.get(HOME).content.decode()

    processes = content[content.index(f'id="po-{po1.pk}-processes"') :]
    processes = processes[: processes.index("</ul>")]
    # One process a line: no run-on text whose next name follows an opened note (", Digit…").
    assert f'<ul class="area-process-list" aria-labelledby="po-{po1.pk}-processes">' in processes
    assert "<li>Ledarskap<details" in processes
    assert "<li>Personcentrering</li>" in processes
    assert ", " not in processes
    # On paper the badge stays a closed label: its note does not land between the names.
    assert '<details class="provenance-toggle" data-print-closed>' in processes
    assert link.provenance_note in processes


def test_milestone_is_listed_under_its_goal(
    client: Client, strategist: User, portfolio: dict[str, Goal]
) -> None:
    client.force_login(strategist)

    content = client.get(HOME).content.decode()

    goal_at = content.index("Teamrond införd på alla hälsocentraler")
    milestone_list_at = content.index('class="milestone-list"', goal_at)
    assert goal_at < milestone_list_at < content.index("Teamrond införd på 50 %")
    assert content.index("Teamrond införd på 50 %") < content.index("PO 2. Prevention</a></h3>")


def test_empty_portfolio_says_so(client: Client, strategist: User) -> None:
    client.force_login(strategist)

    response = client.get(HOME)

    assert response.status_code == 200
    assert "Inga faser är inlagda ännu." in response.content.decode()


def test_start_page_runs_a_fixed_number_of_queries_however_many_goals(
    client: Client, strategist: User, areas: dict[int, ProgrammeArea]
) -> None:
    client.force_login(strategist)
    _make_goals(areas[1], 2)
    client.get(HOME)  # warm up: first-request work such as content types is not counted
    bump_generation()  # cold, as after a recompute or an edit (as the goals below are)
    with CaptureQueriesContext(connection) as few:
        assert client.get(HOME).status_code == 200
    _make_goals(areas[2], 10)
    _make_goals(areas[3], 1)

    with CaptureQueriesContext(connection) as many:
        response = client.get(HOME)

    assert response.content.decode().count('class="goal milestone"') == 13
    assert len(many) == len(few), [query["sql"] for query in many.captured_queries]


def test_start_page_query_count_is_pinned(
    client: Client,
    strategist: User,
    areas: dict[int, ProgrammeArea],
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    client.force_login(strategist)
    _make_goals(areas[1], 5)
    quarter_compute(quarter=Quarter.containing(timezone.localdate()))
    client.get(HOME)
    bump_generation()  # cold: as right after a recompute, nothing of the page cached

    # session, user, role assignments; the computed quarters; the phases' organisations (for
    # the organisation select); phases, their timeline, areas, supporting-process links, goals,
    # milestones; the quarter's goal results and its computation time; the region and the
    # measures (no units here, so no results to read); the session save
    # (SESSION_SAVE_EVERY_REQUEST) inside its savepoint; and, never cached, the quarterly
    # reports waiting for the strategist (the notices above the quarter selector). Whether
    # synthetic data exists (the banner) is cached by the warm-up request.
    with django_assert_num_queries(20):
        client.get(HOME)
    # Warm: the quarter's region from the cache; the session, user, roles and the reports
    # waiting remain.
    with django_assert_num_queries(7):
        client.get(HOME)


# --- htmx -------------------------------------------------------------------------------------


def test_start_page_varies_on_hx_request(client: Client, strategist: User) -> None:
    client.force_login(strategist)

    response = client.get(HOME)

    assert "HX-Request" in response["Vary"]


def test_htmx_request_gets_only_the_quarter_region(
    client: Client, strategist: User, portfolio: dict[str, Goal]
) -> None:
    client.force_login(strategist)

    response = client.get(HOME, headers={"HX-Request": "true"})

    content = response.content.decode()
    assert response.status_code == 200
    # The document's title first (nothing is computed: no quarter to name), then the region.
    assert content.lstrip().startswith(
        '<title>Portfölj – GONV-uppföljning</title>\n  <div id="quarter-region"'
    )
    assert '<div id="portfolio"' in content
    assert "<html" not in content
    assert "PO 1. Teamarbete" in content
    assert "Teamrond införd på 50 % av hälsocentralerna" in content


def test_programme_area_card_renders_alone_for_later_htmx_swaps(
    portfolio: dict[str, Goal],
) -> None:
    (phase,) = portfolio_overview()
    area = next(area for area in phase.programme_areas.all() if area.number == 1)

    html = render_to_string("followup/home.html#programme-area", {"area": area})

    assert html.lstrip().startswith('<section class="card area-card" id="po-')
    assert "PO 1. Teamarbete" in html
    assert "Teamrond införd på 50 % av hälsocentralerna" in html
    assert "PO 2. Prevention" not in html


# --- the page shell ---------------------------------------------------------------------------


def test_response_carries_a_csp_without_unsafe_inline(client: Client, strategist: User) -> None:
    client.force_login(strategist)

    response = client.get(HOME)

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


def test_pages_have_no_inline_scripts_or_styles(
    client: Client, strategist: User, portfolio: dict[str, Goal]
) -> None:
    client.force_login(strategist)
    pages = [client.get(HOME), Client().get(LOGIN)]

    for response in pages:
        content = response.content.decode()
        assert "<script>" not in content
        assert "style=" not in content
        assert "<style" not in content
        for chunk in content.split("<script")[1:]:
            assert chunk.lstrip().startswith("src="), chunk[:80]


def test_shell_has_landmarks_skip_link_and_htmx_wiring(client: Client, strategist: User) -> None:
    client.force_login(strategist)

    content = client.get(HOME).content.decode()

    assert '<html lang="sv">' in content
    body = content[content.index("<body") :]
    first_link = body[body.index("<a") : body.index("</a>")]
    assert 'href="#main"' in first_link
    assert "Hoppa till huvudinnehållet" in first_link
    assert '<main id="main"' in content
    for landmark in ("<header", "<nav", "<footer"):
        assert landmark in content
    assert 'role="status"' in content
    assert "vendor/htmx/htmx.min.js" in content
    assert '"includeIndicatorStyles": false' in content
    assert 'hx-headers=\'{"X-CSRFToken": "' in content


def test_header_shows_name_roles_logout_form_and_admin_link_for_staff(
    client: Client, strategist: User, vc: User
) -> None:
    client.force_login(strategist)
    content = client.get(HOME).content.decode()

    assert strategist.get_full_name() in content
    assert "Strateg GONV" in content
    assert f'method="post" action="{LOGOUT}"' in content
    assert reverse("admin:index") in content

    client.force_login(vc)
    content = client.get(HOME).content.decode()

    assert "Verksamhetschef (VC)" in content
    assert reverse("admin:index") not in content


def test_local_mode_banner_shows_only_in_local_mode(
    client: Client, strategist: User, settings: Settings
) -> None:
    client.force_login(strategist)
    banner = "Lokalt demoläge – demodata, inte verkliga uppgifter"

    settings.LOCAL_MODE = True
    assert banner in client.get(HOME).content.decode()

    settings.LOCAL_MODE = False
    assert banner not in client.get(HOME).content.decode()


def test_an_english_browser_still_gets_the_swedish_interface(
    client: Client, strategist: User
) -> None:
    client.force_login(strategist)

    content = client.get(HOME, headers={"Accept-Language": "en"}).content.decode()

    assert '<html lang="sv">' in content
    assert "Hoppa till huvudinnehållet" in content


def test_the_english_catalogue_translates_the_interface_when_chosen() -> None:
    with translation.override("en"):
        assert translation.gettext("Hoppa till huvudinnehållet") == "Skip to main content"
        assert translation.gettext("Logga ut") == "Log out"


def test_the_english_catalogue_has_every_import_problem() -> None:
    """The import's messages are constants translated where shown (gettext_noop marks them
    for makemessages): each must have its English, or an English interface would mix in
    Swedish problems."""
    from followup.imports import messages, parsing, rows, staged, undo

    constants = [
        value
        for module in (parsing, messages, rows, staged, undo)
        for name, value in vars(module).items()
        if name.startswith("ERROR_") and isinstance(value, str)
    ]
    assert len(constants) > 30
    with translation.override("en"):
        untranslated = [text for text in constants if translation.gettext(text) == text]
    assert untranslated == []


def test_the_english_catalogue_has_every_permission_refusal() -> None:
    """The services' refusals are constants translated where raised, as the import's are: each
    must have its English, or a refused English user would read Swedish."""
    from base import admin, writes
    from followup import services as followup_services
    from goals import services as goal_services
    from organisation import services as organisation_services
    from programmes import services as programme_services

    constants = {
        f"{module.__name__}.{name}": value
        for module in (
            admin,
            writes,
            followup_services,
            goal_services,
            organisation_services,
            programme_services,
        )
        for name, value in vars(module).items()
        if name.startswith("ERROR_") and isinstance(value, str)
    }
    assert len([name for name in constants if "FORBIDDEN" in name]) >= 15
    with translation.override("en"):
        untranslated = [
            name for name, text in constants.items() if translation.gettext(text) == text
        ]
    assert untranslated == []


# Message constants that are not the interface's: the load_demo command's output and data-set
# errors are written in both languages at once, the status engine's are English programming
# errors (the goal page words them through its own table), and the compute task's is stored
# as the failed run's error for the administrator.
NOT_INTERFACE_MESSAGES = frozenset({"followup.dataset", "followup.demo", "goals.status"})
NOT_INTERFACE_CONSTANTS = frozenset({"followup.tasks.ERROR_TOO_MANY_DELIVERIES"})


def test_the_english_catalogue_has_every_message_constant_of_the_apps() -> None:
    """A message kept in a module constant (ERROR_*, MESSAGE_*, *_MESSAGE) is extracted only when
    marked (gettext_noop or gettext_lazy); an unmarked one, or one the catalogue lacks, shows
    Swedish in an English interface."""
    import importlib
    import pkgutil

    from django.utils.functional import Promise

    found: dict[str, str | Promise] = {}
    for package in ("base", "organisation", "programmes", "goals", "followup"):
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if ".migrations" in info.name or info.name in NOT_INTERFACE_MESSAGES:
                continue
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                qualified = f"{info.name}.{name}"
                if (
                    (name.startswith(("ERROR_", "MESSAGE_")) or name.endswith("_MESSAGE"))
                    and isinstance(value, str | Promise)
                    and qualified not in NOT_INTERFACE_CONSTANTS
                ):
                    found[qualified] = value
    assert len(found) > 100
    with translation.override("en"):
        untranslated = [
            name
            for name, text in found.items()
            if (str(text) if isinstance(text, Promise) else translation.gettext(text))
            == (text._args[0] if isinstance(text, Promise) else text)
        ]
    assert untranslated == []


# --- login and logout -------------------------------------------------------------------------


def test_login_page_is_swedish_with_labelled_fields_and_autocomplete(client: Client) -> None:
    content = client.get(LOGIN).content.decode()

    assert "<h1>Logga in</h1>" in content
    assert '<label for="id_username">Användarnamn</label>' in content
    assert '<label for="id_password">Lösenord</label>' in content
    assert 'autocomplete="username"' in content
    assert 'autocomplete="current-password"' in content
    assert 'role="alert"' not in content


def test_failed_login_shows_an_error_summary_with_role_alert(
    client: Client, strategist: User
) -> None:
    response = client.post(LOGIN, {"username": "strateg", "password": "fel"})

    content = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in content
    assert "Det gick inte att logga in" in content
    assert "användarnamn och lösenord" in content  # Django's own Swedish message


def test_missing_fields_are_named_in_the_error_summary(client: Client) -> None:
    content = client.post(LOGIN, {"username": "", "password": ""}).content.decode()

    assert 'href="#id_username"' in content
    assert 'href="#id_password"' in content
    assert 'aria-invalid="true"' in content


def test_login_lands_on_the_start_page(client: Client, strategist: User) -> None:
    response = client.post(LOGIN, {"username": "strateg", "password": TEST_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == HOME


def test_logout_needs_post_and_returns_to_login_with_a_swedish_message(
    client: Client, strategist: User
) -> None:
    client.force_login(strategist)
    # A GET asks (tests/test_error_pages.py) and does not log out.
    assert client.get(LOGOUT).status_code == 200
    assert client.get(HOME).status_code == 200

    response = client.post(LOGOUT, follow=True)

    assert response.redirect_chain[-1][0] == LOGIN
    assert str(LOGGED_OUT_MESSAGE) == "Du är nu utloggad."
    assert str(LOGGED_OUT_MESSAGE) in response.content.decode()
    assert client.get(HOME).status_code == 302


# --- error pages ------------------------------------------------------------------------------


def test_404_page_is_swedish(client: Client, strategist: User) -> None:
    client.force_login(strategist)

    response = client.get("/finns-inte/")

    assert response.status_code == 404
    assert "Sidan hittades inte" in response.content.decode()


def test_500_page_is_swedish_and_needs_no_request_context(db: None) -> None:
    response = server_error(RequestFactory().get("/"))

    content = response.content.decode()
    assert response.status_code == 500
    assert "Tekniskt fel" in content
    assert '<html lang="sv">' in content
