"""Import batches in the admin: read-only; only the demo data's batch is deleted, with its values.

A batch's counts, "ångrad" and flag "syntetiska värden" were form fields, and deleting a real
import left its values behind without their origin or undo. Now no one adds or changes a batch
there; the demo data's batch is deleted in one step with its values (history rows, recompute,
the banner gone); a real import's delete is refused, pointing to "Ångra import".
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pytest_django.fixtures import Settings

from followup.imports import undo as import_undo
from followup.imports.undo import (
    DEMO_DELETE_REASON,
    ERROR_BATCH_DELETE_NOT_SYNTHETIC,
    import_batch_delete,
)
from followup.models import ImportBatch, Observation
from tests.factories import ImportBatchFactory, ObservationFactory, OrgTree
from tests.security.conftest import AdminClient

pytestmark = pytest.mark.django_db

SYNTHETIC_BANNER = "Demodata – syntetiska värden, inte verkliga uppgifter"
CHANGELIST = "/admin/followup/importbatch/"
DELETERS = ["strategist", "admin_user"]
NOT_DELETERS = ["portfolio_owner", "steering_member", "programme_owner", "vc", "vec"]


def _url(batch: ImportBatch, action: str) -> str:
    return f"{CHANGELIST}{batch.pk}/{action}/"


def _shown_messages(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def demo(org_tree: OrgTree) -> ImportBatch:
    """The demo data's batch and two of its values (HC 1A and HC 2A, Oct and Nov 2025)."""
    batch = ImportBatchFactory(source=ImportBatch.Source.DEMO, synthetic=True, imported_by=None)
    for unit, month in ((org_tree.hc1a, 10), (org_tree.hc2a, 11)):
        ObservationFactory(
            unit=unit,
            import_batch=batch,
            source=ImportBatch.Source.DEMO,
            period_start=datetime.date(2025, month, 1),
        )
    return batch


@pytest.fixture
def recomputes(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The quarters each recompute request asked for."""
    calls: list[list[str]] = []

    def record(quarters: Any, trigger: str = "change") -> None:
        calls.append(sorted(q.code for q in quarters))

    monkeypatch.setattr(import_undo.triggers, "request_recompute", record)
    return calls


@pytest.mark.parametrize("role", DELETERS)
def test_the_strategist_deletes_the_demo_batch_and_its_values_in_one_step(
    admin_client_as: AdminClient,
    demo: ImportBatch,
    org_tree: OrgTree,
    recomputes: list[list[str]],
    settings: Settings,
    role: str,
) -> None:
    settings.LOCAL_MODE = False
    real = ObservationFactory(unit=org_tree.hc1b)
    client = admin_client_as(role)
    user = User.objects.get(pk=client.session["_auth_user_id"])
    assert SYNTHETIC_BANNER in client.get(reverse("home")).content.decode()
    recomputes.clear()  # those of making the values

    page = client.get(_url(demo, "delete"))
    response = client.post(_url(demo, "delete"), {"post": "yes"})

    assert (page.status_code, response.status_code) == (200, 302)
    assert not ImportBatch.objects.exists()
    assert list(Observation.objects.all()) == [real]
    removed = Observation.history.filter(history_change_reason=DEMO_DELETE_REASON)
    assert sorted(removed.values_list("history_type", "history_user")) == [
        ("-", user.pk),
        ("-", user.pk),
    ]
    # One recompute, from the first quarter with a removed value on (as after an undo).
    [quarters] = recomputes
    assert quarters[0] == "2025Q4"
    assert SYNTHETIC_BANNER not in client.get(reverse("home")).content.decode()


def test_the_bulk_delete_deletes_the_demo_batch_with_its_values(
    admin_client_as: AdminClient, demo: ImportBatch, recomputes: list[list[str]]
) -> None:
    client = admin_client_as("strategist")

    confirm = client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [demo.pk]})
    response = client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [demo.pk], "post": "yes"},
    )

    assert (confirm.status_code, response.status_code) == (200, 302)
    assert not ImportBatch.objects.exists()
    assert not Observation.objects.exists()
    assert Observation.history.filter(history_change_reason=DEMO_DELETE_REASON).count() == 2


def test_a_value_a_person_wrote_over_the_demo_stays_when_the_demo_is_deleted(
    strategist: User, demo: ImportBatch, recomputes: list[list[str]]
) -> None:
    corrected = Observation.objects.filter(import_batch=demo).first()
    assert corrected is not None
    corrected.source = ImportBatch.Source.MANUAL
    corrected.overrides_source = ImportBatch.Source.DEMO
    corrected.save()

    removed = import_batch_delete(user=strategist, batch=demo)

    assert removed == 1
    corrected.refresh_from_db()
    assert corrected.import_batch is None
    assert corrected.history.first().history_change_reason == DEMO_DELETE_REASON


@pytest.mark.parametrize("role", NOT_DELETERS)
def test_other_roles_cannot_delete_the_demo_batch(
    admin_client_as: AdminClient, demo: ImportBatch, request: pytest.FixtureRequest, role: str
) -> None:
    client = admin_client_as(role)

    single = client.post(_url(demo, "delete"), {"post": "yes"})
    bulk = client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [demo.pk], "post": "yes"}
    )

    assert single.status_code == 403
    # Readers see the list without the delete action (200).
    assert bulk.status_code in (200, 403)
    assert ImportBatch.objects.get() == demo
    assert Observation.objects.filter(import_batch=demo).count() == 2
    with pytest.raises(PermissionDenied):
        import_batch_delete(user=request.getfixturevalue(role), batch=demo)


@pytest.mark.parametrize("role", DELETERS)
def test_a_real_imports_delete_is_refused_pointing_to_its_undo(
    admin_client_as: AdminClient, org_tree: OrgTree, request: pytest.FixtureRequest, role: str
) -> None:
    batch = ImportBatchFactory(created_count=1)
    ObservationFactory(unit=org_tree.hc1a, import_batch=batch, source=ImportBatch.Source.CYKLOP)
    client = admin_client_as(role)
    link = f'<a href="{reverse("import_batch", args=[batch.pk])}">Till importens sida</a>'

    page = client.get(_url(batch, "delete"), follow=True)
    confirmed = client.post(_url(batch, "delete"), {"post": "yes"}, follow=True)
    bulk = client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [batch.pk], "post": "yes"},
        follow=True,
    )

    for response in (page, confirmed, bulk):
        assert response.status_code == 200
        [message] = _shown_messages(response)
        assert message.startswith(ERROR_BATCH_DELETE_NOT_SYNTHETIC)
        assert link in response.content.decode()
    assert ImportBatch.objects.get() == batch
    assert Observation.objects.get().import_batch == batch
    assert batch.history.count() == 1
    with pytest.raises(ValidationError):
        import_batch_delete(user=request.getfixturevalue(role), batch=batch)


@pytest.mark.parametrize("role", DELETERS)
def test_the_batchs_admin_page_is_read_only_and_its_form_posts_nothing(
    admin_client_as: AdminClient, role: str
) -> None:
    batch = ImportBatchFactory(created_count=3, sha256="a" * 64)
    client = admin_client_as(role)

    page = client.get(_url(batch, "change"))
    posted = client.post(
        _url(batch, "change"),
        {"source": "demo", "created_count": "0", "synthetic": "on", "undone_at_0": "2025-01-01"},
    )
    add = client.get(f"{CHANGELIST}add/")

    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="_save"' not in content
    assert 'name="created_count"' not in content
    assert (posted.status_code, add.status_code) == (403, 403)
    batch.refresh_from_db()
    assert (batch.source, batch.created_count, batch.synthetic, batch.undone_at) == (
        ImportBatch.Source.CYKLOP,
        3,
        False,
        None,
    )


def test_the_batchs_admin_page_says_what_its_one_unit_and_vo_are(
    admin_client_as: AdminClient, org_tree: OrgTree
) -> None:
    # Once "Enda enhet" / "Enda VO": read as the only unit there is, not the one the batch wrote.
    batch = ImportBatchFactory(unit_count=1, only_unit=org_tree.hc1a, only_vo=org_tree.vo1)

    content = admin_client_as("strategist").get(_url(batch, "change")).content.decode()

    assert "Enhet (om importen gällde en enda):" in content
    assert "Verksamhetsområde (om alla enheter hör till ett):" in content
    assert org_tree.hc1a.name in content
    assert org_tree.vo1.name in content
    assert "Enda enhet" not in content
    assert "Enda VO" not in content
    assert "Historikens id" not in content  # where its history rows lie: not for the admin
    with translation.override("en"):
        labels = [
            str(ImportBatch._meta.get_field(f).verbose_name) for f in ("only_unit", "only_vo")
        ]
    assert labels == [
        "unit (if the import was for one only)",
        "operational area (if all its units belong to one)",
    ]


def test_nobody_may_add_or_change_a_batch_not_even_a_superuser(client: Client) -> None:
    superuser = User.objects.create_superuser("root", password="x" * 12)  # noqa: S106
    batch = ImportBatchFactory()
    client.force_login(superuser)

    assert client.get(f"{CHANGELIST}add/").status_code == 403
    assert client.post(_url(batch, "change"), {"synthetic": "on"}).status_code == 403
    batch.refresh_from_db()
    assert not batch.synthetic
