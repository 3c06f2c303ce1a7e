"""Writes to programme areas, working methods, activity plans and support needs.

Each service takes the acting user, checks `gonv.rules` on the object as it was and as it will
be saved (base.writes), validates, saves in a transaction and records the user in the
history. Many-to-many fields are set after the row is saved, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from base.history import one_history_record
from base.writes import Actor, apply, authorize_delete, checked_delete, checked_save
from organisation.models import Unit, UnitKind

from .models import (
    Activity,
    ActivityPlan,
    ProgrammeArea,
    ProgrammeAreaProcess,
    SupportingProcess,
    SupportNeed,
    WorkingMethod,
    record_process_links,
)

ERROR_AREA_FORBIDDEN = gettext_noop("Du har inte behörighet att ändra det här programområdet.")
ERROR_METHOD_FORBIDDEN = gettext_noop(
    "Du har inte behörighet att ändra arbetssätt i det här programområdet."
)
ERROR_METHOD_IN_USE = gettext_noop(
    "”{name}” används och kan inte tas bort: {uses}. Ta bort dem eller byt arbetssätt på dem "
    "först, eller behåll arbetssättet."
)
ERROR_PLAN_FORBIDDEN = gettext_noop("Du har inte behörighet att ändra aktivitetsplaner för {unit}.")
ERROR_SUPPORT_NEED_FORBIDDEN = gettext_noop(
    "Du har inte behörighet att framföra stödbehov för {unit}."
)
ERROR_SUPPORT_ANSWER_FORBIDDEN = gettext_noop(
    "Du har inte behörighet att besvara det här stödbehovet."
)

# Structure, rules and answers that belong to another role than the one writing the record
# (gonv.rules: add_programmearea, approve_activityplan, answer_supportneed).
ERROR_AREA_STRUCTURE = gettext_noop(
    "Bara strategen och administratörer flyttar ett programområde till en annan fas eller ändrar "
    "dess nummer, namn, startdatum eller om det begär aktivitetsplaner."
)
ERROR_PLAN_STATUS = gettext_noop(
    "En verksamhet kan skicka in sin aktivitetsplan och ta tillbaka en inlämnad plan innan den "
    "granskats, men inte godkänna den eller öppna en godkänd plan igen: det gör programområdets "
    "ansvariga eller strategen."
)
# A submitted plan is what the reviewer reviews, an approved plan what was agreed: neither
# changes under them (check_plan_open).
ERROR_PLAN_SUBMITTED_LOCKED = gettext_noop(
    "Planen är inlämnad och väntar på granskning, så den kan inte ändras. Ta tillbaka den för "
    "ändring först. Inget har ändrats."
)
ERROR_PLAN_ACCEPTED_LOCKED = gettext_noop(
    "Planen är godkänd, så aktiviteterna och planen kan inte ändras; bara aktiviteternas status "
    "kan rapporteras. Programområdets ansvariga eller strategen kan öppna den för ändring. "
    "Inget har ändrats."
)
ERROR_PLAN_NOT_WITHDRAWABLE = gettext_noop(
    "Bara en inlämnad plan som inte har granskats kan tas tillbaka; den här har status "
    "”{status}”. Inget har ändrats."
)
ERROR_PLAN_APPROVE_FORBIDDEN = gettext_noop(
    "Du har inte behörighet att godkänna aktivitetsplaner i det här programområdet."
)
ERROR_PLAN_NOT_SUBMITTED = gettext_noop(
    "Bara en inlämnad aktivitetsplan kan godkännas eller skickas tillbaka; den här har status "
    "”{status}”. Inget har ändrats."
)
ERROR_PLAN_REVIEW_STATUS = gettext_noop(
    "En granskning godkänner planen eller skickar tillbaka den till utkast för komplettering."
)
ERROR_PLAN_SEND_BACK_COMMENT = gettext_noop(
    "Skriv vad verksamheten behöver komplettera innan planen skickas tillbaka."
)
# Reopening an approved plan for change ("Öppna för ändring") is a review decision too: the
# programme area's, with a comment to the VO on what to change (activity_plan_reopen).
ERROR_PLAN_REOPEN_FORBIDDEN = gettext_noop(
    "Du har inte behörighet att öppna aktivitetsplaner i det här programområdet för ändring."
)
ERROR_PLAN_NOT_ACCEPTED = gettext_noop(
    "Bara en godkänd aktivitetsplan kan öppnas för ändring; den här har status ”{status}”. "
    "Inget har ändrats."
)
ERROR_PLAN_REOPEN_STATUS = gettext_noop(
    "En godkänd plan öppnas för ändring genom att bli ett utkast igen. Inget har ändrats."
)
ERROR_PLAN_REOPEN_COMMENT = gettext_noop(
    "Skriv vad verksamheten ska ändra innan planen öppnas för ändring."
)
ERROR_PLAN_REOPEN_WITH_COMMENT = gettext_noop(
    "En godkänd plan öppnas för ändring med en kommentar till verksamheten: använd ”Öppna för "
    "ändring” på planens sida. Inget har ändrats."
)
ERROR_SUPPORT_ANSWER_BY_RAISER = gettext_noop(
    "Ett stödbehovs status och svar sätts av programområdet, inte av enheten som framförde det."
)
ERROR_SUPPORT_CLOSE_FORBIDDEN = gettext_noop(
    "Du har inte behörighet att avsluta det här stödbehovet: det gör enhetens chefer."
)
ERROR_SUPPORT_CLOSE_NOT_ANSWERED = gettext_noop(
    "Bara ett besvarat stödbehov kan avslutas; det här har status ”{status}”. Inget har ändrats."
)

# Who raised a support need is the acting user, never a value from a form.
_SUPPORT_NEED_SET_BY_SERVICE = frozenset({"raised_by", "created_at"})


def _set_m2m(obj: models.Model, values: Mapping[str, Iterable[models.Model]] | None) -> None:
    for name, related in (values or {}).items():
        getattr(obj, name).set(related)


# --- programme areas --------------------------------------------------------------------------


def _area_m2m(
    delivery_owners: Iterable[User] | None, supporting_processes: Iterable[SupportingProcess] | None
) -> dict[str, Iterable[models.Model]]:
    """The area's many-to-many values to set; None leaves a relation as it is."""
    given: tuple[tuple[str, Iterable[models.Model] | None], ...] = (
        ("delivery_owners", delivery_owners),
        ("supporting_processes", supporting_processes),
    )
    return {name: values for name, values in given if values is not None}


def programme_area_create(
    *,
    user: Actor,
    area: ProgrammeArea,
    delivery_owners: Iterable[User] | None = None,
    supporting_processes: Iterable[SupportingProcess] | None = None,
) -> ProgrammeArea:
    """Create a programme area from an unsaved instance (the strategist and administrators)."""
    if area.pk is not None:
        raise ValueError("programme_area_create takes an unsaved area")
    with transaction.atomic():
        checked_save(user=user, obj=area, message=_(ERROR_AREA_FORBIDDEN))
        _set_m2m(area, _area_m2m(delivery_owners, supporting_processes))
    return area


def programme_area_update(
    *,
    user: Actor,
    area: ProgrammeArea,
    data: Mapping[str, Any] | None = None,
    delivery_owners: Iterable[User] | None = None,
    supporting_processes: Iterable[SupportingProcess] | None = None,
) -> ProgrammeArea:
    """Change a programme area (its owner or the strategist)."""
    if area.pk is None:
        raise ValueError("programme_area_update takes a saved area")
    apply(area, data)
    with transaction.atomic():
        check_area_structure(user=user, area=area)
        checked_save(user=user, obj=area, message=_(ERROR_AREA_FORBIDDEN))
        _set_m2m(area, _area_m2m(delivery_owners, supporting_processes))
    return area


def programme_area_edit(
    *,
    user: Actor,
    area: ProgrammeArea,
    description: str,
    delivery_owners: Iterable[User],
    supporting_processes: Iterable[SupportingProcess],
) -> ProgrammeArea:
    """The area's own page ("Redigera programområdet"): its description, delivery owners and
    supporting processes, by its programme owner or the strategist (and, the strategist only,
    whether it asks for activity plans: set on the instance by the form).

    The area is saved from the version on the instance (a stale one raises StaleVersion), its
    delivery owners are in its history; each supporting process linked or unlinked is a
    `ProgrammeAreaProcess` row written through the checked path, with its own history (a new
    link is the region's own, `Provenance.REGION`; a kept link keeps its provenance).
    """
    if area.pk is None:
        raise ValueError("programme_area_edit takes a saved area")
    area.description = description.strip()
    wanted = {process.pk: process for process in supporting_processes}
    # One edit, one history entry: the owners' changes are recorded on their own otherwise.
    with transaction.atomic(), one_history_record(ProgrammeArea, area.pk):
        # The strategist's form sets whether the area asks for activity plans (structure).
        check_area_structure(user=user, area=area)
        checked_save(user=user, obj=area, message=_(ERROR_AREA_FORBIDDEN))
        owners = list(delivery_owners)
        if {owner.pk for owner in owners} != set(area.delivery_owners.values_list("pk", flat=True)):
            area.delivery_owners.set(owners)
        links = list(
            ProgrammeAreaProcess.objects.filter(programme_area=area).select_related(
                "supporting_process", "programme_area"
            )
        )
        for link in links:
            if link.supporting_process_id not in wanted:
                checked_delete(user=user, obj=link, message=_(ERROR_AREA_FORBIDDEN))
        linked = {link.supporting_process_id for link in links}
        for pk, process in wanted.items():
            if pk not in linked:
                link = ProgrammeAreaProcess(programme_area=area, supporting_process=process)
                checked_save(user=user, obj=link, message=_(ERROR_AREA_FORBIDDEN))
        record_process_links(area, saved_now=True)
    return area


def restore_process_links(*, user: Actor, area: ProgrammeArea, record: Any) -> bool:
    """The area's supporting processes as at its historical `record` (an admin revert): links
    not in the record's snapshot are removed, missing ones made again and kept ones given back
    the provenance and note they had then, each through the checked path with its own history;
    the area's history records it. True if a link was removed, made or changed."""
    written = False
    wanted = {row.supporting_process_id: row for row in record.supporting_processes.all()}
    # The links' own history says which version they went back to, as the area's does.
    reason = getattr(area, "_change_reason", None)
    with transaction.atomic():
        links = list(
            ProgrammeAreaProcess.objects.filter(programme_area=area).select_related(
                "supporting_process", "programme_area"
            )
        )
        for link in links:
            link._change_reason = reason  # type: ignore[attr-defined]
            row = wanted.get(link.supporting_process_id)
            if row is None:
                checked_delete(user=user, obj=link, message=_(ERROR_AREA_FORBIDDEN))
                written = True
            elif (link.provenance, link.provenance_note) != (row.provenance, row.provenance_note):
                # A link kept since the version is part of it too: "Exempel" with its note
                # again, not left as the region's later decision.
                link.provenance, link.provenance_note = row.provenance, row.provenance_note
                checked_save(user=user, obj=link, message=_(ERROR_AREA_FORBIDDEN))
                written = True
        linked = {link.supporting_process_id for link in links}
        existing = set(SupportingProcess.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        for pk, row in wanted.items():
            if pk not in linked and pk in existing:  # a process deleted since stays away
                link = ProgrammeAreaProcess(
                    programme_area=area,
                    supporting_process_id=pk,
                    provenance=row.provenance,
                    provenance_note=row.provenance_note,
                )
                link._change_reason = reason  # type: ignore[attr-defined]
                checked_save(user=user, obj=link, message=_(ERROR_AREA_FORBIDDEN))
                written = True
        record_process_links(area)
    return written


# What places an area in the portfolio (check_area_structure): not its owner's to change.
AREA_STRUCTURE_FIELDS = ("phase", "number", "name", "start_date", "requests_activity_plans")


def check_area_structure(*, user: Actor, area: ProgrammeArea) -> None:
    """Refuse a changed phase, number, name, start date or request for activity plans unless the
    user shapes the portfolio.

    An area's owner edits its contents; which phase (and so which organisation) it belongs to,
    its number, its name, its start date (which goals' pacing starts from) and whether it asks
    the VOs for activity plans are structure,
    the strategist's and administrators' (those who may add an area). Asked with the stored
    row, so a history revert to an older phase or name is refused too.
    """
    fields = [f for f in ProgrammeArea._meta.concrete_fields if f.name in AREA_STRUCTURE_FIELDS]
    stored = (
        ProgrammeArea.objects.filter(pk=area.pk)
        .values_list(*(field.attname for field in fields))
        .first()
    )
    if stored is None or stored == tuple(
        field.to_python(getattr(area, field.attname)) for field in fields
    ):
        return
    if not user.has_perm("programmes.add_programmearea"):
        raise PermissionDenied(_(ERROR_AREA_STRUCTURE))


def programme_area_delete(*, user: Actor, area: ProgrammeArea) -> None:
    """Delete a programme area (refused by the database while goals or plans point at it)."""
    checked_delete(user=user, obj=area, message=_(ERROR_AREA_FORBIDDEN))


# --- working methods --------------------------------------------------------------------------


def working_method_create(
    *, user: Actor, method: WorkingMethod, target_unit_kinds: Iterable[UnitKind] | None = None
) -> WorkingMethod:
    """Create a working method in a programme area the user owns."""
    if method.pk is not None:
        raise ValueError("working_method_create takes an unsaved method")
    with transaction.atomic():
        checked_save(user=user, obj=method, message=_(ERROR_METHOD_FORBIDDEN))
        if target_unit_kinds is not None:
            method.target_unit_kinds.set(target_unit_kinds)
    return method


def working_method_update(
    *,
    user: Actor,
    method: WorkingMethod,
    data: Mapping[str, Any] | None = None,
    target_unit_kinds: Iterable[UnitKind] | None = None,
) -> WorkingMethod:
    """Change a working method; it may not be moved to an area the user does not own."""
    if method.pk is None:
        raise ValueError("working_method_update takes a saved method")
    apply(method, data)
    with transaction.atomic():
        checked_save(user=user, obj=method, message=_(ERROR_METHOD_FORBIDDEN))
        if target_unit_kinds is not None:
            method.target_unit_kinds.set(target_unit_kinds)
    return method


def working_method_uses(method: WorkingMethod) -> list[str]:
    """What uses the method, in words ("2 mål", "14 registreringar av införandestatus")."""
    goals = method.goals.count()
    records = method.adoption_records.count()
    uses = []
    if goals:
        uses.append(ngettext("%(count)d mål", "%(count)d mål", goals) % {"count": goals})
    if records:
        uses.append(
            ngettext(
                "%(count)d registrering av införandestatus",
                "%(count)d registreringar av införandestatus",
                records,
            )
            % {"count": records}
        )
    return uses


def check_working_method_unused(method: WorkingMethod) -> None:
    """Refuse to delete a method that goals or adoption records use, saying what uses it."""
    uses = working_method_uses(method)
    if uses:
        raise ValidationError(
            _(ERROR_METHOD_IN_USE).format(name=method.name, uses=_(" och ").join(uses)),
            code="in_use",
        )


def working_method_delete(*, user: Actor, method: WorkingMethod) -> None:
    """Delete a working method nothing uses (no goal, no adoption record), recorded in its
    history; one in use is refused with what uses it (the database's PROTECT holds too)."""
    with transaction.atomic():
        WorkingMethod.objects.select_for_update().filter(pk=method.pk).first()
        authorize_delete(user=user, obj=method, message=_(ERROR_METHOD_FORBIDDEN))
        check_working_method_unused(method)
        checked_delete(user=user, obj=method, message=_(ERROR_METHOD_FORBIDDEN))


# --- activity plans and their activities ------------------------------------------------------


def activity_plan_create(*, user: Actor, plan: ActivityPlan) -> ActivityPlan:
    """Create a VO's activity plan for a programme area (the VO's VC or the strategist)."""
    if plan.pk is not None:
        raise ValueError("activity_plan_create takes an unsaved plan")
    check_plan_status(user=user, plan=plan)
    _stamp_submission(plan)
    return checked_save(user=user, obj=plan, message=_plan_message(plan))


def activity_plan_update(
    *, user: Actor, plan: ActivityPlan, data: Mapping[str, Any] | None = None
) -> ActivityPlan:
    """Change an activity plan; submitting it stamps the time it was submitted. A submitted or
    approved plan's contents stay as they are (check_plan_contents): only its status moves."""
    if plan.pk is None:
        raise ValueError("activity_plan_update takes a saved plan")
    apply(plan, data, forbidden=_PLAN_SET_BY_SERVICE)
    with transaction.atomic():
        check_plan_contents(plan)
        check_plan_status(user=user, plan=plan)
        check_not_reopened(plan)
        _stamp_submission(plan)
        _stamp_status_decision(user=user, plan=plan)
        return checked_save(user=user, obj=plan, message=_plan_message(plan))


# What the VO writes in a plan (beside its activities); fixed while it is submitted or approved.
_PLAN_CONTENT_FIELDS = ("programme_area_id", "unit_id", "comment")
LOCKED_STATUSES = (ActivityPlan.Status.SUBMITTED, ActivityPlan.Status.ACCEPTED)


def check_plan_open(*, plan_id: int | None, status_only: bool = False) -> None:
    """Refuse a change to a submitted plan's activities, and to an approved plan's except their
    status (how the VO reports progress on what was agreed). Locks the plan's row, so a change
    and a submission or review of the same plan never cross."""
    if plan_id is None:
        return
    status = (
        ActivityPlan.objects.select_for_update()
        .filter(pk=plan_id)
        .values_list("status", flat=True)
        .first()
    )
    if status == ActivityPlan.Status.SUBMITTED:
        raise ValidationError(_(ERROR_PLAN_SUBMITTED_LOCKED), code="plan_locked")
    if status == ActivityPlan.Status.ACCEPTED and not status_only:
        raise ValidationError(_(ERROR_PLAN_ACCEPTED_LOCKED), code="plan_locked")


def check_plan_contents(plan: ActivityPlan) -> None:
    """Refuse a change to a submitted or approved plan's own fields (the page, the admin, a
    history revert): its status is all that changes, by submitting, taking back or a review."""
    stored = ActivityPlan.objects.filter(pk=plan.pk).values_list("status", *_PLAN_CONTENT_FIELDS)
    row = stored.first()
    if row is None or row[0] not in LOCKED_STATUSES:
        return
    if tuple(getattr(plan, name) for name in _PLAN_CONTENT_FIELDS) == row[1:]:
        return
    message = (
        ERROR_PLAN_SUBMITTED_LOCKED
        if row[0] == ActivityPlan.Status.SUBMITTED
        else ERROR_PLAN_ACCEPTED_LOCKED
    )
    raise ValidationError(_(message), code="plan_locked")


def activity_plan_withdraw(*, user: Actor, plan: ActivityPlan) -> ActivityPlan:
    """Take a submitted plan not yet reviewed back to draft ("Ta tillbaka för ändring"): the VO
    (or the strategist) who writes it. It leaves the reviewers' queue; the history records it,
    and an earlier review's comment stays for the VO to complete."""
    if plan.pk is None:
        raise ValueError("activity_plan_withdraw takes a saved plan")
    with transaction.atomic():
        stored = ActivityPlan.objects.select_for_update().get(pk=plan.pk)
        if not user.has_perm("programmes.change_activityplan", stored):
            raise PermissionDenied(_plan_message(stored))
        if stored.status != ActivityPlan.Status.SUBMITTED:
            raise ValidationError(
                _(ERROR_PLAN_NOT_WITHDRAWABLE).format(status=stored.get_status_display()),
                code="plan_not_submitted",
            )
        stored.status = ActivityPlan.Status.DRAFT
        _stamp_submission(stored)
        stored.full_clean()
        stored._history_user = user  # type: ignore[attr-defined]
        stored.save()
    plan.refresh_from_db()
    return plan


# The review is the reviewer's (activity_plan_review); the submission time the service's.
_PLAN_SET_BY_SERVICE = frozenset(
    {"submitted_at", "review_comment", "reviewed_by", "reviewed_at", "reopened"}
)


def _stamp_status_decision(*, user: Actor, plan: ActivityPlan) -> None:
    """A status the area sets by editing the plan itself (the strategist in the admin, allowed
    by check_plan_status) is a decision too: it is theirs and now, and an earlier review's
    comment no longer speaks for it (the history keeps it)."""
    before = ActivityPlan.objects.filter(pk=plan.pk).values_list("status", flat=True).first()
    submitted = (ActivityPlan.Status.DRAFT, ActivityPlan.Status.SUBMITTED)
    if before is None or before == plan.status or (before, plan.status) == submitted:
        return
    if _is_withdrawal(user=user, plan=plan, before=before):
        return
    plan.reviewed_by = user if isinstance(user, User) else None
    plan.reviewed_at = timezone.now()
    plan.review_comment = ""
    plan.reopened = False  # an approved plan is reopened only by activity_plan_reopen


def _is_withdrawal(*, user: Actor, plan: ActivityPlan, before: str) -> bool:
    """A submitted plan back to draft by one who writes but does not review it: the VO taking
    it back (activity_plan_withdraw), not a decision of the programme area."""
    return (before, plan.status) == (
        ActivityPlan.Status.SUBMITTED,
        ActivityPlan.Status.DRAFT,
    ) and not user.has_perm("programmes.approve_activityplan", plan)


def check_plan_status(*, user: Actor, plan: ActivityPlan) -> None:
    """Refuse a status change the user may not make: the VO drafts and submits its plan; only
    the programme area (its owner, the strategist) approves it or sends it back to draft.

    Compared with the stored row, so a history revert to an approved version is refused too.
    """
    stored = ActivityPlan.objects.filter(pk=plan.pk).values_list("status", "programme_area_id")
    before, area_id = stored.first() or (ActivityPlan.Status.DRAFT, plan.programme_area_id)
    if plan.status == before:
        return
    if (before, plan.status) == (ActivityPlan.Status.DRAFT, ActivityPlan.Status.SUBMITTED):
        return
    if _is_withdrawal(user=user, plan=plan, before=before):
        return  # the change permission (checked_save) decides who may
    approve = "programmes.approve_activityplan"
    if user.has_perm(approve, plan) and user.has_perm(
        approve, ActivityPlan(programme_area_id=area_id)
    ):
        return
    raise PermissionDenied(_(ERROR_PLAN_STATUS))


def activity_plan_review(
    *, user: Actor, plan: ActivityPlan, status: str, comment: str = ""
) -> ActivityPlan:
    """Approve a submitted plan ("Godkänd") or send it back to draft for completion, with a
    comment to the VO (required when sending back): the programme area's owner, the strategist.

    Decided on the version the reviewer saw (`plan.version`): a plan changed since is refused
    with StaleVersion (within `deliberate_overwrite` the overwritten version counts). Only the
    status and the review (comment, reviewer, time) change; the plan's contents stay the VO's.
    A repeat of the decision already stored writes nothing.
    """
    if plan.pk is None:
        raise ValueError("activity_plan_review takes a saved plan")
    comment = comment.strip()
    with transaction.atomic():
        stored = ActivityPlan.objects.select_for_update().get(pk=plan.pk)
        if not user.has_perm("programmes.approve_activityplan", stored):
            raise PermissionDenied(_(ERROR_PLAN_APPROVE_FORBIDDEN))
        if (stored.status, stored.review_comment) == (status, comment):
            plan.refresh_from_db()
            return plan
        check_plan_review(stored=stored, status=status, comment=comment)
        _write_decision(
            user=user,
            stored=stored,
            version=plan.version,
            status=status,
            comment=comment,
            reopened=False,
        )
    plan.refresh_from_db()
    return plan


def _write_decision(
    *, user: Actor, stored: ActivityPlan, version: int, status: str, comment: str, reopened: bool
) -> None:
    """Write a reviewer's decision (approve, send back, reopen) onto the locked row, from the
    version the reviewer saw: Versioned.save compares it with the stored row, so a stale
    decision is refused. `reopened` tells a reopened approved plan from one sent back."""
    stored.version = version
    stored.status = status
    stored.review_comment = comment
    stored.reopened = reopened
    stored.reviewed_by = user if isinstance(user, User) else None
    stored.reviewed_at = timezone.now()
    _stamp_submission(stored)
    stored.full_clean()
    stored._history_user = user  # type: ignore[attr-defined]
    stored.save()


def check_plan_review(*, stored: ActivityPlan, status: str, comment: str) -> None:
    """Refuse a review of a plan not submitted (a draft is the VO's, an approved plan is
    settled), a status a review does not set, and a send-back without a comment to the VO."""
    if stored.status != ActivityPlan.Status.SUBMITTED:
        raise ValidationError(
            _(ERROR_PLAN_NOT_SUBMITTED).format(status=stored.get_status_display()),
            code="plan_not_submitted",
        )
    if status not in (ActivityPlan.Status.ACCEPTED, ActivityPlan.Status.DRAFT):
        raise ValidationError(_(ERROR_PLAN_REVIEW_STATUS), code="plan_review_status")
    if status == ActivityPlan.Status.DRAFT and not comment.strip():
        raise ValidationError(
            {"review_comment": ValidationError(_(ERROR_PLAN_SEND_BACK_COMMENT), code="required")}
        )


def check_not_reopened(plan: ActivityPlan) -> None:
    """Refuse moving an approved plan's status by editing the plan: reopening it takes a
    comment to the VO, so it is activity_plan_reopen's (the page's "Öppna för ändring", the
    admin), never a bare status change."""
    before = ActivityPlan.objects.filter(pk=plan.pk).values_list("status", flat=True).first()
    if before == ActivityPlan.Status.ACCEPTED and plan.status != before:
        raise ValidationError(_(ERROR_PLAN_REOPEN_WITH_COMMENT), code="plan_reopen_comment")


def activity_plan_reopen(*, user: Actor, plan: ActivityPlan, comment: str) -> ActivityPlan:
    """Reopen an approved plan for change ("Öppna för ändring"): back to draft, with a comment
    to the VO on what to change: the programme area's owner, the strategist (those who approve
    it; never the VO's own managers).

    Decided on the version the reviewer saw (`plan.version`): a plan changed since is refused
    with StaleVersion. The VO sees the comment on the plan's page and in "Att göra" as a plan
    opened for change (`reopened`, not "skickad tillbaka"); the history records who reopened
    it and why.
    """
    if plan.pk is None:
        raise ValueError("activity_plan_reopen takes a saved plan")
    comment = comment.strip()
    with transaction.atomic():
        stored = ActivityPlan.objects.select_for_update().get(pk=plan.pk)
        if not user.has_perm("programmes.approve_activityplan", stored):
            raise PermissionDenied(_(ERROR_PLAN_REOPEN_FORBIDDEN))
        check_plan_reopen(stored=stored, status=ActivityPlan.Status.DRAFT, comment=comment)
        _write_decision(
            user=user,
            stored=stored,
            version=plan.version,
            status=ActivityPlan.Status.DRAFT,
            comment=comment,
            reopened=True,
        )
    plan.refresh_from_db()
    return plan


def check_plan_reopen(*, stored: ActivityPlan, status: str, comment: str) -> None:
    """Refuse reopening a plan that is not approved, to another status than draft, or without
    a comment to the VO."""
    if stored.status != ActivityPlan.Status.ACCEPTED:
        raise ValidationError(
            _(ERROR_PLAN_NOT_ACCEPTED).format(status=stored.get_status_display()),
            code="plan_not_accepted",
        )
    if status != ActivityPlan.Status.DRAFT:
        raise ValidationError(_(ERROR_PLAN_REOPEN_STATUS), code="plan_reopen_status")
    if not comment.strip():
        raise ValidationError(
            {"review_comment": ValidationError(_(ERROR_PLAN_REOPEN_COMMENT), code="required")}
        )


def activity_plan_delete(*, user: Actor, plan: ActivityPlan) -> None:
    """Delete a draft activity plan with its activities (a submitted or approved one is
    taken back or reopened first)."""
    with transaction.atomic():
        check_plan_open(plan_id=plan.pk)
        checked_delete(user=user, obj=plan, message=_plan_message(plan))


def activity_create(*, user: Actor, activity: Activity) -> Activity:
    """Add an activity to a draft plan the user may change."""
    if activity.pk is not None:
        raise ValueError("activity_create takes an unsaved activity")
    with transaction.atomic():
        check_plan_open(plan_id=activity.plan_id)
        return checked_save(user=user, obj=activity, message=_plan_message(activity.plan))


# What the VO writes in an activity; its status and status description are progress, reported
# on an approved plan too (_ACTIVITY_PROGRESS_FIELDS).
_ACTIVITY_CONTENT_FIELDS = ("plan_id", "title", "responsible", "start_date", "end_date")
_ACTIVITY_PROGRESS_FIELDS = ("status", "status_note")


def activity_update(
    *, user: Actor, activity: Activity, data: Mapping[str, Any] | None = None
) -> Activity:
    """Change an activity of a draft plan, or the status and status description of one of an
    approved plan; it may not be moved to a plan the user may not change."""
    if activity.pk is None:
        raise ValueError("activity_update takes a saved activity")
    apply(activity, data)
    with transaction.atomic():
        stored = (
            Activity.objects.filter(pk=activity.pk)
            .values(*_ACTIVITY_PROGRESS_FIELDS, *_ACTIVITY_CONTENT_FIELDS)
            .first()
        )

        def unchanged(names: tuple[str, ...]) -> bool:
            return stored is not None and all(stored[n] == getattr(activity, n) for n in names)

        same = unchanged(_ACTIVITY_CONTENT_FIELDS)
        if same and unchanged(_ACTIVITY_PROGRESS_FIELDS):
            return activity  # nothing to write (a status form sent as it was)
        check_plan_open(plan_id=stored["plan_id"] if stored else None, status_only=same)
        if not same:
            check_plan_open(plan_id=activity.plan_id)
        return checked_save(user=user, obj=activity, message=_plan_message(activity.plan))


def activity_delete(*, user: Actor, activity: Activity) -> None:
    """Delete an activity of a draft plan the user may change."""
    with transaction.atomic():
        check_plan_open(plan_id=activity.plan_id)
        checked_delete(user=user, obj=activity, message=_plan_message(activity.plan))


def _plan_message(plan: ActivityPlan) -> str:
    unit = Unit.objects.filter(pk=plan.unit_id).values_list("name", flat=True).first()
    return _(ERROR_PLAN_FORBIDDEN).format(unit=unit or "–")


def _stamp_submission(plan: ActivityPlan) -> None:
    if plan.status == ActivityPlan.Status.DRAFT:
        plan.submitted_at = None
    elif plan.submitted_at is None:
        plan.submitted_at = timezone.now()


# --- support needs (the dialogue model) -------------------------------------------------------


def support_need_raise(
    *, user: Actor, unit: Unit, programme_area: ProgrammeArea, text: str
) -> SupportNeed:
    """Raise a support need for a unit in the user's scope; the user is recorded as raiser."""
    need = SupportNeed(unit=unit, programme_area=programme_area, text=text)
    need.raised_by = user  # type: ignore[assignment]
    return checked_save(
        user=user, obj=need, message=_(ERROR_SUPPORT_NEED_FORBIDDEN).format(unit=unit.name)
    )


def support_need_update(
    *, user: Actor, need: SupportNeed, data: Mapping[str, Any] | None = None
) -> SupportNeed:
    """Change a support need (its unit's managers): text, unit, area; never who raised it."""
    if need.pk is None:
        raise ValueError("support_need_update takes a saved support need")
    apply(need, data, forbidden=_SUPPORT_NEED_SET_BY_SERVICE | {"status", "response"})
    if not user.has_perm("programmes.add_supportneed", need):
        # Answering (area) rights do not extend to rewriting the need or moving it.
        raise PermissionDenied(_(ERROR_SUPPORT_NEED_FORBIDDEN).format(unit=need.unit.name))
    check_support_need_answer(user=user, need=need)
    return checked_save(
        user=user, obj=need, message=_(ERROR_SUPPORT_NEED_FORBIDDEN).format(unit=need.unit.name)
    )


def support_need_answer(
    *, user: Actor, need: SupportNeed, response: str, status: str = SupportNeed.Status.ANSWERED
) -> SupportNeed:
    """Answer a support need (the programme area's owner or the strategist), from the version
    `need` carries (the form's): refused with StaleVersion if the need was saved since."""
    if need.pk is None:
        raise ValueError("support_need_answer takes a saved support need")
    with transaction.atomic():
        stored = SupportNeed.objects.select_for_update().get(pk=need.pk)
        # The area's right, not change_supportneed (which the raising unit's managers have).
        if not user.has_perm("programmes.answer_supportneed", stored):
            raise PermissionDenied(_(ERROR_SUPPORT_ANSWER_FORBIDDEN))
        stored.response = response
        stored.status = status
        # Only the answer is written (onto the row as stored, locked), but from the version the
        # answer was based on: the save compares it with the locked row now, at write time (a
        # deliberate overwrite, "Spara mina ändringar", is based on the version it overwrites),
        # so of two answers from one version the second is refused, not written over the first.
        stored.version = need.version
        checked_save(user=user, obj=stored, message=_(ERROR_SUPPORT_ANSWER_FORBIDDEN))
    need.refresh_from_db()
    return need


def support_need_close(*, user: Actor, need: SupportNeed) -> SupportNeed:
    """Close an answered support need ("Avsluta – svaret räcker"): the unit's managers who may
    raise it (its VC or VEC) or the strategist, from the version `need` carries (the page's):
    refused with StaleVersion if the need was saved since, so a newer answer is read first."""
    if need.pk is None:
        raise ValueError("support_need_close takes a saved support need")
    with transaction.atomic():
        stored = SupportNeed.objects.select_for_update().get(pk=need.pk)
        if not user.has_perm("programmes.close_supportneed", stored):
            raise PermissionDenied(_(ERROR_SUPPORT_CLOSE_FORBIDDEN))
        if stored.status != SupportNeed.Status.ANSWERED:
            raise ValidationError(
                _(ERROR_SUPPORT_CLOSE_NOT_ANSWERED).format(status=stored.get_status_display())
            )
        stored.status = SupportNeed.Status.CLOSED
        # As support_need_answer: only the status is written, onto the locked row, from the
        # version the closing was based on (compared at write time).
        stored.version = need.version
        checked_save(user=user, obj=stored, message=_(ERROR_SUPPORT_CLOSE_FORBIDDEN))
    need.refresh_from_db()
    return need


def _is_closing(*, user: Actor, need: SupportNeed, stored: tuple[str, str]) -> bool:
    """An answered need closed by one who may close it, its answer as it was."""
    return (
        stored[0] == SupportNeed.Status.ANSWERED
        and need.status == SupportNeed.Status.CLOSED
        and stored[1] == need.response
        and user.has_perm("programmes.close_supportneed", need)
    )


def check_support_need_answer(*, user: Actor, need: SupportNeed) -> None:
    """Refuse a changed status or answer unless the user answers for the need's area, or
    closes an answered need of a unit they manage (support_need_close).

    Compared with the stored row: the admin's form and a history revert hand over the whole
    need, status and answer included.
    """
    stored = SupportNeed.objects.filter(pk=need.pk).values_list("status", "response").first()
    if stored is None or stored == (need.status, need.response):
        return
    if _is_closing(user=user, need=need, stored=stored):
        return
    if not user.has_perm("programmes.answer_supportneed", need):
        raise PermissionDenied(_(ERROR_SUPPORT_ANSWER_BY_RAISER))


def support_need_delete(*, user: Actor, need: SupportNeed) -> None:
    """Delete a support need (the strategist and administrators)."""
    checked_delete(
        user=user, obj=need, message=_(ERROR_SUPPORT_NEED_FORBIDDEN).format(unit=need.unit.name)
    )
