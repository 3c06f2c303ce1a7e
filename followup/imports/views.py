"""Pages of the import: upload → preview → import, progress of large files, the batch with its
undo, and the template to fill in."""

from __future__ import annotations

import csv
import io
import logging
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from base.http import HtmxHttpRequest, require_perm
from base.periods import Quarter

from ..models import ImportBatch, ImportJob
from ..selectors import measures_exist
from . import jobs, parsing, selectors, services, tasks, undo
from .forms import ImportUploadForm
from .report import ImportReport, UndoRefused
from .wording import (
    closed_quarter_note,
    entered_by_names,
    jump_warning,
    manual_replaced_note,
    manual_replaced_warning,
    mixed_replaced_warning,
    more_jumps_text,
    nothing_changed_message,
    nothing_to_import_message,
    source_mismatch_warning,
    stored_message,
    stored_summary,
    system_replaced_warning,
    undo_removes_text,
    undo_restores_text,
    undone_message,
)

logger = logging.getLogger(__name__)

MESSAGE_NOT_READY = gettext_noop(
    "Filen kan inte importeras: den har problem eller är redan importerad."
)
MESSAGE_STORE_FAILED = gettext_noop(
    "Ett oväntat fel inträffade när värdena skulle sparas; inget sparades. Försök igen, eller "
    "kontakta förvaltningen om det händer igen."
)
MESSAGE_CANCELLED = gettext_noop("Importen avbröts och den uppladdade filen ”{name}” togs bort.")
MESSAGE_NOT_CANCELLED = gettext_noop(
    "Importen kunde inte avbrytas: den är redan importerad, avbruten eller utgången."
)
# The batch page's query parameter that asks "Ångra importen?" before the undo's POST.
UNDO_CONFIRM = "angra"
STATUS_STOP_POLLING = 286  # htmx stops polling on this status and still swaps the content
# A running job's page says how far it has come in steps of this share of the rows (a screen
# reader told every second says nothing new); each poll names the step the page has said
# (?sagt=25), and the answer says the next one only when the job has reached it.
PROGRESS_STEP_PERCENT = 25
PROGRESS_SAID_PARAM = "sagt"


def _require_importer(request: HtmxHttpRequest) -> None:
    require_perm(request, "followup.add_observation")


def _own_job(request: HtmxHttpRequest, job_id: uuid.UUID) -> ImportJob:
    job = get_object_or_404(ImportJob, pk=job_id)
    if job.user_id != request.user.pk:
        raise Http404
    return job


@require_http_methods(["GET", "POST"])
@login_required
def import_upload(request: HtmxHttpRequest) -> HttpResponse:
    """Importera mätvärden: choose a file; it is checked, nothing is stored yet."""
    _require_importer(request)
    # Bound on every POST, an empty one too: "choose a file" is an error to show, not a new form.
    form = (
        ImportUploadForm(request.POST, request.FILES, user=request.user)
        if request.method == "POST"
        else ImportUploadForm(user=request.user)
    )
    if request.method == "POST" and form.is_valid():
        job = jobs.import_job_create(
            user=request.user,
            upload=form.cleaned_data["file"],
            source=form.cleaned_data["source"],
            sheet=form.cleaned_data["sheet"],
        )
        try:
            _start(job, "validate")
        except Exception:
            logger.exception("Import job %s could not be checked", job.pk)
            jobs.import_job_fail(job_id=str(job.pk))  # its page says so, not "kontrolleras…"
        return redirect("import_job", job_id=job.pk)
    context = {
        "form": form,
        # A file was chosen but the form was refused for something else: a browser cannot
        # keep a chosen file when the page comes back, so the page asks for it again.
        "choose_again": bool(form.errors) and "file" in request.FILES and not form["file"].errors,
        "batches": selectors.import_batches_for(user=request.user),
        "max_size": services.file_size_label(settings.GONV_IMPORT_MAX_BYTES),
        # A fresh installation has no measures: no file could be imported yet.
        "measures_exist": measures_exist(),
    }
    return render(
        request, "followup/imports/upload.html", context, status=400 if form.errors else 200
    )


def _start(job: ImportJob, step: str) -> None:
    """Run a step ("validate" or "store") of a large file as a task after commit; a small
    file's check runs now (its store: jobs.import_job_store_now)."""
    if job.background:
        task = tasks.import_validate if step == "validate" else tasks.import_store
        signature = task.si(str(job.pk))
        transaction.on_commit(lambda: tasks.send(signature))
    elif step == "validate":
        jobs.import_job_validate(job_id=str(job.pk))
    else:
        jobs.import_job_store_now(job=job)


def _source_warning(job: ImportJob, preview: ImportReport) -> str:
    """Said above Importera: measures whose own source is not the system chosen for the file.

    Nothing when the chosen source is Manuell inrapportering: reporting any measure's value by
    hand is legitimate (the grid does it too), and the upload page offers that source for a
    filled-in template, so a warning there would contradict its own help."""
    if not preview.ok or not preview.measures or job.source == ImportBatch.Source.MANUAL:
        return ""
    others = selectors.measures_of_other_source(measure_ids=preview.measures, source=job.source)
    if not others:
        return ""
    return source_mismatch_warning(str(job.get_source_display()), others, len(others))


def _replace_warning(job: ImportJob, preview: ImportReport) -> str:
    """Said above Importera, once, when the import replaces values reported by hand or, for a
    file imported as Manuell inrapportering, values a system's import wrote (Cyklop, Cosmic …):
    the reporting grid, too, asks before a system's value is replaced by hand. A manual file
    that replaces both kinds gets one warning naming both, not two that say the same."""
    if not preview.ok:
        return ""
    # Only values someone else reported by hand, naming who: the user's own earlier values
    # are only changed values (a VC correcting what they typed in the grid).
    manual = preview.manual_replaced
    people = entered_by_names(preview.manual_replaced_by)
    if job.source != ImportBatch.Source.MANUAL:
        return manual_replaced_warning(manual, people) if manual else ""
    replaced = {
        source: count
        for source, count in preview.replaced_sources.items()
        if source != ImportBatch.Source.MANUAL and source in ImportBatch.Source.values
    }
    names = [str(source.label) for source in ImportBatch.Source if source in replaced]
    system = sum(replaced.values())
    if manual and system:
        return mixed_replaced_warning(manual, system, names, people)
    if system:
        return system_replaced_warning(system, names)
    return manual_replaced_warning(manual, people) if manual else ""


def _closed_notes(preview: ImportReport) -> list[str]:
    """Said in the preview: values of quarters whose quarterly report is closed or approved."""
    if not preview.ok or not preview.quarter_values:
        return []
    closed = selectors.closed_quarters(codes=list(preview.quarter_values))
    return [
        closed_quarter_note(preview.quarter_values[code], Quarter.parse(code).label, status)
        for code, status in sorted(closed.items())
    ]


def _progress_step(done: int, total: int) -> int:
    """The share of the rows done, down to a step (0, 25, 50, 75): 100 % is said by the
    outcome, and the total is an estimate the count may pass before the job ends."""
    step = done * 100 // total // PROGRESS_STEP_PERCENT * PROGRESS_STEP_PERCENT
    return min(step, 100 - PROGRESS_STEP_PERCENT)


def _said_step(request: HtmxHttpRequest) -> int | None:
    """The step the polling page has said (None: not a poll of this page, or no number)."""
    try:
        return int(request.GET.get(PROGRESS_SAID_PARAM, ""))
    except ValueError:
        return None


def _job_context(job: ImportJob) -> dict[str, object]:
    running = job.state in (ImportJob.State.VALIDATING, ImportJob.State.STORING)
    done = jobs.progress_of(job) if running else 0
    result = ImportReport.from_dict(job.result)
    preview = ImportReport.from_dict(job.preview)
    stored_text = ""
    if job.state == ImportJob.State.STORED:
        stored_text = (
            stored_summary(result.created, result.changed)
            if job.batch_id
            else nothing_changed_message(result.unchanged)
        )
    context: dict[str, object] = {
        "job": job,
        "running": running,
        "rows_done": done,
        "rows_total": max(job.row_estimate, done, 1),
        "progress_step": _progress_step(done, max(job.row_estimate, done, 1)),
        "said_param": PROGRESS_SAID_PARAM,
        "preview": preview,
        # Said above Importera: the import would replace values someone reported by hand, or
        # (a manual file) values a system imported.
        "replace_warning": _replace_warning(job, preview),
        # Every value in the file is already there: said instead of offering Importera.
        "nothing_to_import": (
            nothing_to_import_message(preview.unchanged)
            if preview.ok and not preview.file_level and not (preview.created or preview.changed)
            else ""
        ),
        # Said above Importera: values that moved more than the grid allows without a comment.
        "jump_warning": (
            jump_warning(preview.jump_count, preview.jumps[0].pct)
            if preview.ok and preview.jumps
            else ""
        ),
        "more_jumps": (
            more_jumps_text(preview.jump_count - len(preview.jumps))
            if preview.jump_count > len(preview.jumps)
            else ""
        ),
        "source_warning": _source_warning(job, preview),
        "closed_notes": _closed_notes(preview),
        "result": result,
        "stored_text": stored_text,
        "max_age_hours": settings.GONV_IMPORT_MAX_AGE_HOURS,
        "stalled_minutes": settings.GONV_IMPORT_STALLED_MINUTES,
    }
    # Importera is described by every warning above it.
    context["described_by"] = " ".join(
        name
        for name, key in (
            ("jump-warning", "jump_warning"),
            ("source-warning", "source_warning"),
            ("replace-warning", "replace_warning"),
        )
        if context[key]
    )
    return context


@require_GET
@login_required
@vary_on_headers("HX-Request")
def import_job(request: HtmxHttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """The job: a progress bar while it runs, then the preview (or the outcome).

    Polled by htmx while it runs: the answer is the count and the bar alone (#job-progress,
    the page's controls stay as they are, and in focus), with the step reached said out of band
    when the page has not said it yet; once the job is done, the whole state (#job-state), and
    the polling stops."""
    _require_importer(request)
    job = _own_job(request, job_id)
    if job.state in jobs.RUNNING and jobs.import_jobs_interrupt_stalled(job_id=job.pk):
        job.refresh_from_db()  # its task or request was lost: said, not waited for forever
    context = _job_context(job)
    if request.htmx:
        if context["running"]:
            said = _said_step(request)
            context["announce"] = said is not None and said != context["progress_step"]
            return render(request, "followup/imports/job.html#job-progress", context)
        # With the page's <title>, which follows the state (htmx sets it from the response).
        response = render(
            request, "followup/imports/job.html#job-state", {**context, "partial": True}
        )
        response.status_code = STATUS_STOP_POLLING
        # The poll came from #job-progress; the outcome replaces what was around it too.
        response["HX-Retarget"] = "#job-state"
        response["HX-Reswap"] = "outerHTML"
        return response
    return render(request, "followup/imports/job.html", context)


@require_POST
@login_required
def import_confirm(request: HtmxHttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """Importera: store the previewed file, all or nothing."""
    _require_importer(request)
    job = _own_job(request, job_id)
    preview = ImportReport.from_dict(job.preview)
    if not preview.ok:
        messages.error(request, _(MESSAGE_NOT_READY))
        return redirect("import_job", job_id=job.pk)
    try:
        started = _store(job)
    except Exception:
        # Nothing was stored (the values and the job's state commit together): the job is
        # READY again (a store in this request) or FAILED with its message (a task).
        logger.exception("Import job %s could not be stored", job.pk)
        job.refresh_from_db()
        if job.state == ImportJob.State.READY:
            messages.error(request, _(MESSAGE_STORE_FAILED))
        return redirect("import_job", job_id=job.pk)
    if not started:
        if job.state not in (ImportJob.State.CANCELLED, ImportJob.State.EXPIRED):
            messages.error(request, _(MESSAGE_NOT_READY))  # else the job's page says why
        return redirect("import_job", job_id=job.pk)
    if job.state == ImportJob.State.STORED:
        result = ImportReport.from_dict(job.result)
        if job.batch_id is None:
            messages.info(request, nothing_changed_message(result.unchanged))
            return redirect("import_job", job_id=job.pk)
        messages.success(request, stored_message(result.created, result.changed))
        return redirect("import_batch", pk=job.batch_id)
    return redirect("import_job", job_id=job.pk)


def _store(job: ImportJob) -> bool:
    """Importera: in this request, or for a large file as a task after commit (the page then
    polls its progress). False if the job no longer waits for it."""
    if not job.background:
        return jobs.import_job_store_now(job=job)
    if not jobs.import_job_start_store(job=job):
        return False
    _start(job, "store")
    job.refresh_from_db()
    return True


@require_POST
@login_required
def import_cancel(request: HtmxHttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """Avbryt: delete the waiting upload (its uploader, or a strategist for anyone's)."""
    _require_importer(request)
    job = get_object_or_404(ImportJob, pk=job_id)
    if not request.user.has_perm("followup.delete_importjob", job):
        raise Http404  # as for another user's job page: not revealed
    if jobs.import_job_cancel(user=request.user, job=job):
        messages.success(request, _(MESSAGE_CANCELLED).format(name=job.file_name))
    else:
        messages.error(request, _(MESSAGE_NOT_CANCELLED))
    return redirect("import_upload")


@require_GET
@login_required
def import_batch(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """An import batch: who, when, which file, the counts, its values, and "Ångra import"."""
    batch = get_object_or_404(ImportBatch.objects.select_related("imported_by", "undone_by"), pk=pk)
    require_perm(request, "followup.view_importbatch", batch)
    refusal = undo.import_batch_undo_refusal(user=request.user, batch=batch)
    # "Ångra import" asks first (?angra, a GET: no JavaScript, nothing written): how many
    # values the undo would remove and restore, with "Ångra importen" (the POST) and Avbryt.
    confirming = UNDO_CONFIRM in request.GET and refusal is None
    confirm_lines: list[str] = []
    if confirming:
        removed, restored = selectors.import_batch_undo_counts(batch=batch)
        confirm_lines = [
            *([undo_removes_text(removed)] if removed else []),
            *([undo_restores_text(restored)] if restored else []),
        ]
    context = {
        "batch": batch,
        "values": selectors.import_batch_values(batch=batch),
        # Who had reported by hand the values it replaced, named as the upload preview does.
        "manual_note": (
            manual_replaced_note(sum(replaced.values()), entered_by_names(replaced))
            if (replaced := selectors.import_batch_manual_replaced(batch=batch))
            else ""
        ),
        "can_undo": refusal is None,
        "undo_refusal": refusal,
        "confirming": confirming,
        "confirm_lines": confirm_lines,
        "confirm_param": UNDO_CONFIRM,
    }
    return render(request, "followup/imports/batch.html", context)


@require_POST
@login_required
def import_batch_undo(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Ångra importen (after the batch page's confirmation, ?angra): revert the batch as a
    whole, or say why not (to those who may import)."""
    _require_importer(request)
    batch = get_object_or_404(ImportBatch, pk=pk)
    try:
        result = undo.import_batch_undo(user=request.user, batch=batch)
    except UndoRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, undone_message(result.removed, result.restored))
    return redirect("import_batch", pk=batch.pk)


# The XLSX template's column widths (Excel's unit: about one character of its default font).
TEMPLATE_WIDTH_PADDING = 2
TEMPLATE_WIDTH_MAX = 60  # a very long name wraps in its cell rather than widen the sheet
# Columns the user fills in are empty in the template: wide enough to type into, the comment
# for a sentence.
TEMPLATE_WIDTH_MIN = {
    parsing.COLUMN_LABELS["value"]: 12,
    parsing.COLUMN_LABELS["numerator"]: 12,
    parsing.COLUMN_LABELS["denominator"]: 12,
    parsing.COLUMN_LABELS["comment"]: 40,
}


def template_column_widths(header: tuple[str, ...], rows: list[list[str]]) -> list[float]:
    """Each column as wide as its longest text (the header's too) and a little more, so that
    no unit's or measure's name is cut off in Excel (whose default, 13, cut most of them), at
    most TEMPLATE_WIDTH_MAX."""
    widths = []
    for index, name in enumerate(header):
        longest = max([len(name), *(len(str(row[index])) for row in rows)])
        width = max(longest + TEMPLATE_WIDTH_PADDING, TEMPLATE_WIDTH_MIN.get(name, 0))
        widths.append(float(min(width, TEMPLATE_WIDTH_MAX)))
    return widths


@require_GET
@login_required
def import_template(request: HtmxHttpRequest, kind: str) -> HttpResponse:
    """The template to fill in: the user's units × the measures they report, latest period."""
    _require_importer(request)
    if kind not in ("csv", "xlsx"):
        raise Http404
    rows = list(selectors.import_template_rows(user=request.user))
    header = parsing.TEMPLATE_HEADER
    if kind == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
        # With a BOM, so Excel on Windows reads it as UTF-8.
        response = HttpResponse(
            "\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8"
        )
    else:
        from openpyxl import Workbook
        from openpyxl.utils import get_column_letter

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(_("Mätvärden"))
        # Set before the first row (a write-only sheet writes its columns first): every name
        # readable without widening a column in Excel, and the header kept in view while the
        # user scrolls down hundreds of rows.
        for index, width in enumerate(template_column_widths(header, rows), start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        output = io.BytesIO()
        workbook.save(output)
        response = HttpResponse(
            output.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="matvarden-mall.{kind}"'
    return response
