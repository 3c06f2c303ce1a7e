"""The portfolio owner's organisation: an owner assigned to one organisation approves and sends
back that organisation's quarterly reports only (page, service, admin); one with no unit keeps
every organisation; administrators are unaffected."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from followup import services
from followup.models import QuarterReport
from followup.selectors import Organisation, organisations
from goals.models import AdoptionRecord
from organisation.models import Role, RoleAssignment, Unit
from tests.admin_forms import admin_post, form_errors
from tests.factories import UnitFactory, UserFactory
from tests.followup.dashboard_data import LATEST, DashboardData, SecondOrganisation

TESTLAND = "?organisation=REG"
BERGLAND = "?organisation=BERG"


def page_url(organisation: str) -> str:
    return reverse("quarter_report_detail", kwargs={"quarter": LATEST.code}) + organisation


def action_url(action: str, organisation: str) -> str:
    url = reverse("quarter_report_action", kwargs={"quarter": LATEST.code, "action": action})
    return url + organisation


def organisation(code: str) -> Organisation:
    return next(o for o in organisations() if o.code == code)


def closed(code: str) -> QuarterReport:
    """The organisation's report of the latest quarter, closed by the strategist."""
    strategist = User.objects.filter(username="strateg").first() or UserFactory(
        username="strateg", role=Role.STRATEGIST
    )
    return services.quarter_report_close(
        user=strategist, organisation=organisation(code), quarter=LATEST, version=0
    )


def owner_of(unit: Unit | None, username: str = "portfoljagare") -> User:
    return UserFactory(username=username, role=Role.PORTFOLIO_OWNER, role__unit=unit)


def state(report: QuarterReport) -> tuple[object, ...]:
    """What a refused request must leave as it was: the row and its history."""
    report.refresh_from_db()
    return (
        report.status,
        report.version,
        report.content_sha256,
        report.approved_by_id,
        report.returned_by_id,
        report.history.count(),
    )


@pytest.fixture
def two(testland: DashboardData, bergland: SecondOrganisation) -> tuple[Unit, Unit]:
    """Region Testland ("Region A") and Region Bergland ("Region B")."""
    return testland.region, bergland.region


# --- the page ----------------------------------------------------------------------------------


def test_the_owner_of_region_a_sees_no_buttons_on_region_bs_report_and_a_forged_post_is_403(
    client: Client, two: tuple[Unit, Unit]
) -> None:
    region_a, _region_b = two
    report = closed("BERG")
    before = state(report)
    client.force_login(owner_of(region_a))

    page = client.get(page_url(BERGLAND)).content.decode()
    approved = client.post(
        action_url("godkann", BERGLAND), {"confirmed": "1", "version": report.version}
    )
    returned = client.post(
        action_url("skicka-tillbaka", BERGLAND),
        {"version": report.version, "comment": "Skickas tillbaka av fel portföljägare"},
    )

    assert "Fastställd" in page
    assert "Godkänn rapporten" not in page
    assert "Skicka tillbaka" not in page
    assert "Rapporten för Region Bergland godkänns av dess egen portföljägare" in page
    assert approved.status_code == returned.status_code == 403
    assert state(report) == before


def test_the_owner_of_region_a_approves_region_as_report_on_the_page(
    client: Client, two: tuple[Unit, Unit]
) -> None:
    region_a, _region_b = two
    report = closed("REG")
    owner = owner_of(region_a)
    client.force_login(owner)

    page = client.get(page_url(TESTLAND)).content.decode()
    approved = client.post(
        action_url("godkann", TESTLAND), {"confirmed": "1", "version": report.version}
    )

    assert "Godkänn rapporten" in page
    assert approved.status_code == 302
    report.refresh_from_db()
    assert report.status == QuarterReport.Status.APPROVED
    assert report.approved_by == owner


def test_the_owner_of_region_a_sends_back_region_as_report_not_region_bs(
    client: Client, two: tuple[Unit, Unit]
) -> None:
    region_a, _region_b = two
    own, other = closed("REG"), closed("BERG")
    client.force_login(owner_of(region_a))

    sent = client.post(
        action_url("skicka-tillbaka", TESTLAND),
        {"version": own.version, "comment": "Komplettera kommentaren"},
    )

    assert sent.status_code == 302
    own.refresh_from_db()
    other.refresh_from_db()
    assert own.status == QuarterReport.Status.DRAFT
    assert other.status == QuarterReport.Status.CLOSED


# --- the services --------------------------------------------------------------------------------


def test_the_services_refuse_region_bs_report_to_the_owner_of_region_a(
    two: tuple[Unit, Unit],
) -> None:
    region_a, region_b = two
    report = closed("BERG")
    before = state(report)
    owner = owner_of(region_a)

    with pytest.raises(PermissionDenied):
        services.quarter_report_approve(
            user=owner, organisation_id=region_b.pk, quarter=LATEST, version=report.version
        )
    with pytest.raises(PermissionDenied):
        services.quarter_report_send_back(
            user=owner,
            organisation_id=region_b.pk,
            quarter=LATEST,
            version=report.version,
            comment="Nej",
        )

    assert state(report) == before
    assert not owner.has_perm("followup.approve_quarterreport", report)


def test_an_owner_without_a_unit_approves_every_organisations_report(
    two: tuple[Unit, Unit],
) -> None:
    """An assignment without a unit keeps its meaning from before organisations: every one."""
    region_a, region_b = two
    owner = owner_of(None)
    reports = [closed("REG"), closed("BERG")]

    for unit, report in zip((region_a, region_b), reports, strict=True):
        approved = services.quarter_report_approve(
            user=owner, organisation_id=unit.pk, quarter=LATEST, version=report.version
        )
        assert approved.status == QuarterReport.Status.APPROVED


def test_an_administrator_approves_any_organisations_report(
    client: Client, two: tuple[Unit, Unit]
) -> None:
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    report = closed("BERG")
    client.force_login(admin)

    page = client.get(page_url(BERGLAND)).content.decode()
    approved = client.post(
        action_url("godkann", BERGLAND), {"confirmed": "1", "version": report.version}
    )

    assert "Godkänn rapporten" in page
    assert approved.status_code == 302
    report.refresh_from_db()
    assert report.status == QuarterReport.Status.APPROVED


def test_owning_an_organisation_writes_nothing_about_its_units(
    testland: DashboardData, bergland: SecondOrganisation
) -> None:
    """The owner's unit names the reports they approve: it is no VC's subtree to write in."""
    owner = owner_of(testland.region)
    record = AdoptionRecord.objects.filter(unit__in=testland.hcs).first()

    assert record is not None
    assert owner.has_perm("goals.view_adoptionrecord", record)
    assert not owner.has_perm("goals.change_adoptionrecord", record)
    assert not owner.has_perm("followup.add_observation")
    assert not owner.has_perm("followup.close_quarterreport", QuarterReport())


# --- where the owner lands ---------------------------------------------------------------------


def test_the_owner_sees_their_own_organisations_reports_by_default(
    client: Client, two: tuple[Unit, Unit]
) -> None:
    """Region Bergland is first by name; the owner of Region Testland lands on their own."""
    region_a, _region_b = two
    client.force_login(owner_of(region_a))

    listed = client.get(reverse("quarter_report_list")).content.decode()
    home = client.get(reverse("home"))

    assert "Rapporterna för Region Testland." in listed
    assert home.context["organisation_selection"].organisation.code == "REG"


def test_with_one_organisation_its_owner_approves_the_trees_report(
    testland: DashboardData,
) -> None:
    """One organisation: the report is the root's, approved by its owner, not another root's."""
    strategist = UserFactory(username="strateg", role=Role.STRATEGIST)
    report = services.quarter_report_close(
        user=strategist, organisation=None, quarter=LATEST, version=0
    )
    other_root = UnitFactory(code="ANNAN", name="Annan region", kind=testland.region.kind)

    assert owner_of(testland.region).has_perm("followup.approve_quarterreport", report)
    assert not owner_of(other_root, "annan").has_perm("followup.approve_quarterreport", report)


# --- the admin ---------------------------------------------------------------------------------


def test_the_admin_gives_a_portfolio_owner_an_organisation_never_a_vo(
    client: Client, two: tuple[Unit, Unit], testland: DashboardData
) -> None:
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    person = UserFactory(username="per")
    client.force_login(admin)
    add = reverse("admin:organisation_roleassignment_add")

    refused = admin_post(
        client, add, user=person.pk, role=Role.PORTFOLIO_OWNER, unit=testland.vos[0].pk
    )
    saved = admin_post(client, add, user=person.pk, role=Role.PORTFOLIO_OWNER, unit=two[1].pk)

    assert refused.status_code == 200
    assert form_errors(refused) == [
        "Portföljägarens enhet måste vara en organisation (region eller kommun): en enhet "
        "överst i enhetsträdet eller en enhet som en fas tillhör."
    ]
    assert saved.status_code == 302
    assert list(RoleAssignment.objects.filter(user=person).values_list("role", "unit")) == [
        (Role.PORTFOLIO_OWNER, two[1].pk)
    ]


def test_the_owner_of_region_a_cannot_take_region_b_or_approve_it_in_the_admin(
    client: Client, two: tuple[Unit, Unit]
) -> None:
    region_a, region_b = two
    owner = owner_of(region_a)
    owner.is_staff = True
    owner.save()
    assignment = RoleAssignment.objects.get(user=owner)
    report = closed("BERG")
    before = state(report)
    client.force_login(owner)
    change = reverse("admin:organisation_roleassignment_change", args=[assignment.pk])
    report_change = reverse("admin:followup_quarterreport_change", args=[report.pk])

    retargeted = client.post(
        change, {"user": owner.pk, "role": Role.PORTFOLIO_OWNER, "unit": region_b.pk}
    )
    approved = client.post(report_change, {"status": "godkand", "quarter": LATEST.code})

    assert retargeted.status_code == 403
    assert approved.status_code == 403
    assignment.refresh_from_db()
    assert assignment.unit == region_a
    assert state(report) == before
