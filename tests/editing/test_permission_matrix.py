"""The permission matrix of every page that writes: each URL × each role and anonymous ×
an object inside and outside the user's scope → the expected status.

The test walks the URL resolver: a URL that accepts POST and is not in WRITES (or READS)
fails it, so a new writing page cannot ship without its row here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from followup.models import ImportBatch, ImportJob, Observation, QuarterReport, QuarterReportVersion
from goals.models import AdoptionRecord, Goal
from organisation.models import Role
from programmes.models import Activity, ActivityPlan, ProgrammeArea, SupportNeed
from tests.factories import (
    ActivityFactory,
    ActivityPlanFactory,
    GoalFactory,
    ImportBatchFactory,
    ObservationFactory,
    OrgTree,
    SupportNeedFactory,
    UserFactory,
    WorkingMethodFactory,
)

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "no_role_user",
    "portfolio_owner",
    "steering_member",
    "strategist",
    "admin_user",
    "programme_owner",
    "vc",
    "vec",
)
GLOBAL = frozenset({"strategist", "admin_user"})
READERS = frozenset(ROLES) - {"anonymous", "no_role_user"}


@dataclass
class World:
    """One object inside and one outside each role's scope (PO 1 / VO 1 vs PO 2 / VO 2)."""

    tree: OrgTree
    area_in: ProgrammeArea
    area_out: ProgrammeArea
    goal_in: Goal
    goal_out: Goal
    objects: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def world(
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
    other_programme_area: ProgrammeArea,
    strategist: User,
) -> World:
    hc = org_tree.hc1a.kind
    # The matrix posts an empty form: the strategist's "Begär aktivitetsplaner" box then reads
    # unchecked, a change only if the area asks for plans (PO 1 in the factories), which a form
    # without its version would answer with a conflict. Neither area asks here.
    ProgrammeArea.objects.filter(pk__in=[programme_area.pk, other_programme_area.pk]).update(
        requests_activity_plans=False
    )
    programme_area.refresh_from_db()
    other_programme_area.refresh_from_db()
    w = World(
        tree=org_tree,
        area_in=programme_area,
        area_out=other_programme_area,
        goal_in=GoalFactory(milestone=True, programme_area=programme_area),
        goal_out=GoalFactory(milestone=True, programme_area=other_programme_area),
    )
    w.objects = {
        "method_in": WorkingMethodFactory(programme_area=programme_area, target_unit_kinds=[hc]),
        "method_out": WorkingMethodFactory(
            programme_area=other_programme_area, target_unit_kinds=[hc]
        ),
        "plan_in": ActivityPlanFactory(programme_area=programme_area, unit=org_tree.hc1a),
        "plan_out": ActivityPlanFactory(programme_area=other_programme_area, unit=org_tree.vo2),
        "need_in": SupportNeedFactory(unit=org_tree.hc1a, programme_area=programme_area),
        "need_out": SupportNeedFactory(unit=org_tree.hc2a, programme_area=other_programme_area),
    }
    w.objects["activity_in"] = ActivityFactory(plan=w.objects["plan_in"])
    # An upload of the strategist's whose check failed: only its owner may confirm it (others
    # get 404); its owner and the administrator may cancel it.
    w.objects["job"] = ImportJob.objects.create(
        user=strategist, file_name="v.csv", sha256="0" * 64, source=ImportBatch.Source.MANUAL,
        state=ImportJob.State.FAILED,
    )  # fmt: skip
    # Import batches of a unit inside and outside the VC's and VEC's scope.
    for inside, unit in ((True, org_tree.hc1a), (False, org_tree.hc2a)):
        batch = ImportBatchFactory()
        ObservationFactory(unit=unit, import_batch=batch)
        w.objects[f"batch_{'in' if inside else 'out'}"] = batch
    w.objects["activity_out"] = ActivityFactory(plan=w.objects["plan_out"])
    return w


def expect(allowed: frozenset[str], ok: int, *, others: int = 403) -> dict[str, int]:
    """Anonymous → login, allowed roles → ok, everyone else → `others`."""
    return {
        role: 302 if role == "anonymous" else ok if role in allowed else others for role in ROLES
    }


@dataclass(frozen=True)
class Row:
    """One writing URL: its arguments inside/outside scope and the expected statuses."""

    args: Callable[[World, bool], list[Any]]
    get_in: dict[str, int] | None  # None: POST only (GET answers 405)
    get_out: dict[str, int] | None
    post_in: dict[str, int]
    post_out: dict[str, int]
    post_data: dict[str, str] = field(default_factory=dict)


def area_row(ok_get: int = 200, ok_post: int = 422, *, post_only: bool = False, **kw: Any) -> Row:
    """A URL about a programme area's goals: its owner inside, the strategist everywhere."""
    args = kw.pop("args")
    get_in = None if post_only else expect(GLOBAL | {"programme_owner"}, ok_get)
    get_out = None if post_only else expect(GLOBAL, ok_get)
    return Row(
        args=args,
        get_in=get_in,
        get_out=get_out,
        post_in=expect(GLOBAL | {"programme_owner"}, ok_post),
        post_out=expect(GLOBAL, ok_post),
        **kw,
    )


def unit_row(ok_get: int = 200, ok_post: int = 422, *, post_only: bool = False, **kw: Any) -> Row:
    """A URL about a unit's data: its VC and VEC inside (HC 1A), the strategist everywhere."""
    args = kw.pop("args")
    get_in = kw.pop("get_in", None if post_only else expect(GLOBAL | {"vc", "vec"}, ok_get))
    get_out = kw.pop("get_out", None if post_only else expect(GLOBAL, ok_get))
    return Row(
        args=args,
        get_in=get_in,
        get_out=get_out,
        post_in=expect(GLOBAL | {"vc", "vec"}, ok_post),
        post_out=expect(GLOBAL, ok_post),
        **kw,
    )


def goal(w: World, inside: bool) -> list[Any]:
    return [(w.goal_in if inside else w.goal_out).pk]


def goal_code(w: World, inside: bool) -> list[Any]:
    return [(w.goal_in if inside else w.goal_out).code]


def deleted_goal(w: World, inside: bool) -> list[Any]:
    """A goal deleted from the area (its history keeps it): what "Återställ" brings back."""
    removed = GoalFactory(programme_area=w.area_in if inside else w.area_out)
    pk = removed.pk
    removed.delete()
    return [pk]


def area(w: World, inside: bool) -> list[Any]:
    return [(w.area_in if inside else w.area_out).pk]


def grid_unit(w: World, inside: bool) -> list[Any]:
    return [(w.tree.hc1a if inside else w.tree.vo2).pk]


def plan_row(ok_get: int = 200, ok_post: int = 422, *, post_only: bool = False, **kw: Any) -> Row:
    """A URL writing a VO's activity plan: the VC inside (the plan in VO 1), the strategist
    everywhere; a VEC reads the plan but does not write it (gonv.rules)."""
    kw.setdefault("get_in", None if post_only else expect(GLOBAL | {"vc"}, ok_get))
    row = unit_row(ok_get, ok_post, post_only=post_only, **kw)
    return replace(row, post_in=expect(GLOBAL | {"vc"}, ok_post))


def obj(name: str) -> Callable[[World, bool], list[Any]]:
    return lambda w, inside: [w.objects[f"{name}_{'in' if inside else 'out'}"].pk]


def plan(w: World, inside: bool) -> list[Any]:
    p = w.objects["plan_in" if inside else "plan_out"]
    return [p.programme_area_id, p.unit_id]


def method(w: World, inside: bool) -> list[Any]:
    m = w.objects["method_in" if inside else "method_out"]
    return [m.programme_area_id, m.pk]


# Readers may see a support need of their scope; only some may write to it. A plan's draft
# (both plans here are drafts) is read by its VO (VC 1, and the VEC of HC 1A, the unit of
# plan_in), the area's owner and the strategist (gonv.rules.reads_plan_of); every reader reads
# a submitted or approved plan (tests/editing/test_support_need_close_and_draft_plans.py).
PLAN_READ_IN = expect(GLOBAL | {"programme_owner", "vc", "vec"}, 200)
PLAN_READ_OUT = expect(GLOBAL, 200)
NEED_READ_IN = expect(
    GLOBAL | {"portfolio_owner", "steering_member", "programme_owner", "vc", "vec"}, 200
)
NEED_READ_OUT = expect(GLOBAL | {"portfolio_owner", "steering_member"}, 200)

WRITES: dict[str, Row] = {
    "goals:goal_edit": area_row(args=goal),
    # "Redigera" in place on the dashboards' Programområde and Mål pages.
    "goal_inline_edit": area_row(args=goal_code),
    "goals:goal_create": area_row(args=area),
    "goals:goal_delete": area_row(ok_post=302, args=goal),
    "goals:goal_move": area_row(
        ok_post=302, post_only=True, args=goal, post_data={"riktning": "upp"}
    ),
    "goals:goal_assess": area_row(args=goal),
    # "Återställ" on a deleted goal: restored (each role's POST is rolled back), then the goal.
    "goals:goal_restore": area_row(ok_post=302, post_only=True, args=deleted_goal),
    # "Redigera programområdet": the description, delivery owners and supporting processes.
    # An empty form is a valid one (every field may be empty): saved, 302.
    "programmes:area_edit": area_row(ok_post=302, args=area),
    "programmes:working_method_create": area_row(args=area),
    "programmes:working_method_edit": area_row(args=method),
    "programmes:working_method_delete": area_row(ok_post=302, args=method),
    "goals:adoption_grid": unit_row(ok_post=302, args=grid_unit),
    "report_grid": unit_row(ok_post=302, args=grid_unit),
    "programmes:activity_plan": plan_row(args=plan, get_in=PLAN_READ_IN, get_out=PLAN_READ_OUT),
    "programmes:activity_plan_submit": plan_row(ok_post=302, post_only=True, args=plan),
    # A draft is not taken back: the writer is sent back to it with why, nothing changes.
    "programmes:activity_plan_withdraw": plan_row(ok_post=302, post_only=True, args=plan),
    # The programme area decides on a plan (its owner, the strategist); these plans are drafts,
    # so an allowed reviewer is sent back to the plan with "only a submitted plan" and nothing
    # changes (tests/editing/test_plan_review.py decides on submitted ones).
    "programmes:activity_plan_review": Row(
        args=plan,
        get_in=None,
        get_out=None,
        post_in=expect(GLOBAL | {"programme_owner"}, 302),
        post_out=expect(GLOBAL, 302),
        post_data={"status": "godkand", "version": "1"},
    ),
    # Reopening an approved plan is the programme area's too; these plans are drafts, so an
    # allowed reviewer is sent back to the plan with "only an approved plan" and nothing
    # changes (tests/editing/test_plan_reopen.py reopens approved ones).
    "programmes:activity_plan_reopen": Row(
        args=plan,
        get_in=None,
        get_out=None,
        post_in=expect(GLOBAL | {"programme_owner"}, 302),
        post_out=expect(GLOBAL, 302),
        post_data={"review_comment": "Ändra tidplanen.", "version": "1"},
    ),
    "programmes:activity_edit": plan_row(args=obj("activity")),
    "programmes:activity_action": plan_row(
        ok_post=302, post_only=True, args=obj("activity"), post_data={"atgard": "klar"}
    ),
    "programmes:support_need_create": Row(
        args=lambda w, inside: [],
        get_in=expect(frozenset({"vc", "vec"}), 200),
        get_out=expect(frozenset({"vc", "vec"}), 200),
        post_in=expect(frozenset({"vc", "vec"}), 422),
        post_out=expect(frozenset({"vc", "vec"}), 422),
    ),
    # Imports: the importers are those who report values (strategist everywhere, VC, VEC).
    "import_upload": Row(
        args=lambda w, inside: [],
        get_in=expect(GLOBAL | {"vc", "vec"}, 200),
        get_out=expect(GLOBAL | {"vc", "vec"}, 200),
        post_in=expect(GLOBAL | {"vc", "vec"}, 400),  # no file: the form's error
        post_out=expect(GLOBAL | {"vc", "vec"}, 400),
    ),
    "import_confirm": Row(
        args=lambda w, inside: [w.objects["job"].pk],
        get_in=None,
        get_out=None,
        # Not ready (nothing previewed) → back to the job for its owner; anyone else's → 404.
        post_in={**expect(GLOBAL | {"vc", "vec"}, 404), "strategist": 302},
        post_out={**expect(GLOBAL | {"vc", "vec"}, 404), "strategist": 302},
    ),
    # Avbryt: the uploader (here the strategist) or a strategist/administrator for anyone's
    # upload; another importer gets 404, as for the job's page.
    "import_cancel": Row(
        args=lambda w, inside: [w.objects["job"].pk],
        get_in=None,
        get_out=None,
        post_in={**expect(GLOBAL | {"vc", "vec"}, 404), "strategist": 302, "admin_user": 302},
        post_out={**expect(GLOBAL | {"vc", "vec"}, 404), "strategist": 302, "admin_user": 302},
    ),
    # Undo is for those who may import (others get 403); it answers them with a redirect to
    # the batch page and says why when it is refused (these batches were made without an
    # import: nothing to attribute). The refusals (scope, demo data, later edits) are tested in
    # tests/followup/imports. Nothing may change here.
    "import_batch_undo": Row(
        args=obj("batch"),
        get_in=None,
        get_out=None,
        post_in=expect(GLOBAL | {"vc", "vec"}, 302),
        post_out=expect(GLOBAL | {"vc", "vec"}, 302),
    ),
    # The quarterly report (nothing computed here: an allowed transition is refused for its
    # state, and the refusal goes back to the report's page, 302). Its rights are global, so
    # "inside" closes the quarter (the strategist's and the administrator's) and "outside"
    # approves it (the portfolio owner's and the administrator's); every transition per role
    # is in tests/followup/test_quarter_report.py.
    # A GET (an old link to an action's URL) goes to the report: every reader.
    "quarter_report_action": Row(
        args=lambda w, inside: ["2025Q4", "stang" if inside else "godkann"],
        get_in=expect(READERS, 302),
        get_out=expect(READERS, 302),
        post_in=expect(GLOBAL, 302),
        post_out=expect(frozenset({"portfolio_owner", "admin_user"}), 302),
        post_data={"version": "0"},
    ),
    "programmes:support_need": Row(
        args=obj("need"),
        get_in=NEED_READ_IN,
        get_out=NEED_READ_OUT,
        post_in=expect(GLOBAL | {"programme_owner"}, 422),
        post_out=expect(GLOBAL, 422),
    ),
    # "Avsluta – svaret räcker": the unit's VC and VEC (HC 1A's need), the strategist; the
    # needs here are not answered, so those allowed are told so (422).
    "programmes:support_need_close": unit_row(post_only=True, args=obj("need")),
}


def earlier_version(w: World, inside: bool) -> list[Any]:
    """The region's report of 2025Q4 with an earlier version (a close a reopening ended)."""
    report, _new = QuarterReport.objects.get_or_create(organisation=w.tree.region, quarter="2025Q4")
    if not report.versions.exists():
        QuarterReportVersion.objects.create(
            report=report, number=1, closed_at=timezone.now(), content_html="<p>Rapport</p>",
            content_sha256="0" * 64, ended_as="oppnad_igen", ended_at=timezone.now(),
        )  # fmt: skip
    return ["2025Q4", 1]


# Pages that only read (GET; a POST answers 405): who may see them.
SCOPED_START = {**expect(GLOBAL, 200), "vc": 302, "vec": 302}
READS: dict[str, tuple[Callable[[World, bool], list[Any]], dict[str, int]]] = {
    "home": (lambda w, i: [], expect(READERS, 200)),
    "goals:area": (area, expect(READERS, 200)),
    "goals:goal_detail": (goal, expect(READERS, 200)),
    "goal_inline_block": (goal_code, expect(READERS, 200)),
    "goals:goal_history": (goal, expect(READERS, 200)),
    "goals:goal_kind_fields": (lambda w, i: [], expect(READERS, 200)),
    "goals:adoption_start": (lambda w, i: [], SCOPED_START),
    "report_start": (lambda w, i: [], SCOPED_START),
    "programmes:working_methods": (area, expect(READERS, 200)),
    "programmes:activity_plans": (lambda w, i: [], expect(READERS, 200)),
    "programmes:support_needs": (lambda w, i: [], expect(READERS, 200)),
    "quarter_report_list": (lambda w, i: [], expect(READERS, 200)),
    "quarter_report_detail": (lambda w, i: ["2025Q4"], expect(READERS, 200)),
    # A report's earlier version: read by every reader, written by nobody.
    "quarter_report_version": (earlier_version, expect(READERS, 200)),
}
# Not pages of the application's own: Django's login/logout and the admin (its own checks), the
# user's own password (every logged-in user, no object of the domain; tests/test_error_pages),
# and staying logged in (every logged-in user, writes no data; tests/security/test_session_warning).
OUTSIDE = {"login", "logout", "password_change", "session_keepalive"}


def client_for(role: str, request: pytest.FixtureRequest) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    return client


def _cases() -> Iterator[Any]:
    for name in WRITES:
        for inside in (True, False):
            yield pytest.param(name, inside, id=f"{name}-{'in' if inside else 'out'}")


@pytest.mark.parametrize(("name", "inside"), list(_cases()))
def test_writing_url_answers_each_role_as_the_matrix_says(
    name: str, inside: bool, world: World, request: pytest.FixtureRequest
) -> None:
    row = WRITES[name]
    url = reverse(name, args=row.args(world, inside))
    expected_get = row.get_in if inside else row.get_out
    expected_post = row.post_in if inside else row.post_out
    wrong = []
    for role in ROLES:
        client = client_for(role, request)
        # Each role starts from the same data: what one role's POST wrote is rolled back.
        with transaction.atomic():
            got = client.get(url).status_code
            if got != (405 if expected_get is None else expected_get[role]):
                wrong.append(f"GET as {role}: {got}")
            before = _snapshot()
            response = client.post(url, row.post_data)
            if response.status_code != expected_post[role]:
                wrong.append(f"POST as {role}: {response.status_code}")
            refused = expected_post[role] == 403 or role == "anonymous"
            if refused and _snapshot() != before:
                wrong.append(f"POST as {role} was refused but changed data")
            if role == "anonymous" and "/konto/logga-in/" not in response.get("Location", ""):
                wrong.append("anonymous POST not sent to the login page")
            transaction.set_rollback(True)
    assert wrong == [], f"{url}: {wrong}"


def _snapshot() -> tuple[Any, ...]:
    return (
        list(Goal.objects.values_list("pk", "version")),
        list(AdoptionRecord.objects.values_list("pk", "version")),
        list(Activity.objects.values_list("pk", "version")),
        list(SupportNeed.objects.values_list("pk", "version")),
        sorted(ActivityPlan.objects.values_list("pk", "version", "status")),
        sorted(Observation.objects.values_list("pk", "version")),
        list(ImportBatch.objects.values_list("pk", "undone_at")),
        list(ImportJob.objects.values_list("pk", "state")),
        list(QuarterReport.objects.values_list("pk", "version")),
    )


@pytest.mark.parametrize("name", list(READS))
def test_reading_url_answers_each_role_and_refuses_post(
    name: str, world: World, request: pytest.FixtureRequest
) -> None:
    args, codes = READS[name]
    url = reverse(name, args=args(world, True))
    wrong = []
    for role in ROLES:
        client = client_for(role, request)
        got = client.get(url).status_code
        if got != codes[role]:
            wrong.append(f"GET as {role}: {got}")
        posted = client.post(url).status_code
        if posted != 405:
            wrong.append(f"POST as {role}: {posted}")
    assert wrong == [], f"{url}: {wrong}"


def _patterns(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from _patterns(entry, namespace)
        elif entry.name:
            yield f"{prefix}{entry.name}", entry


def test_every_url_that_accepts_post_is_in_the_matrix(strategist: User) -> None:
    client = Client()
    client.force_login(strategist)
    unlisted = []
    for name, pattern in _patterns(get_resolver()):
        if name in WRITES or name in READS or name in OUTSIDE:
            continue
        # A value each converter accepts and no object has.
        samples = {"uuid": "00000000-0000-0000-0000-000000000000", "str": "x", "slug": "x"}
        kwargs = {
            key: samples.get(type(conv).__name__.removesuffix("Converter").lower(), 999999)
            for key, conv in pattern.pattern.converters.items()
        }
        url = reverse(name, kwargs=kwargs)
        if client.post(url).status_code != 405:  # it takes a POST: it writes
            unlisted.append(name)
    assert unlisted == [], f"writing URLs missing from the permission matrix: {unlisted}"


def test_the_matrix_lists_only_urls_that_exist() -> None:
    names = {name for name, _ in _patterns(get_resolver())}
    assert set(WRITES) | set(READS) <= names


@pytest.fixture
def programme_owner(programme_area: ProgrammeArea) -> User:
    return UserFactory(
        username="poansvarig", role=Role.PROGRAMME_OWNER, role__programme_area=programme_area
    )
