"""Pages of the import: upload → preview → import, progress of large files, the batch with its
undo, and the template to fill in."""

from __future__ import annotations

import csv
import io
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from base.http import HtmxHttpRequest

from ..models import ImportBatch, ImportJob
from . import jobs, selectors, services, tasks
from .forms import ImportUploadForm
from .services import ImportReport

MESSAGE_STORED = gettext_noop("Importen är klar: {created} nya och {changed} ändrade värden.")
MESSAGE_NOTHING_CHANGED = gettext_noop(
    "Inget ändrades: alla {unchanged} värden i filen fanns redan."
)
MESSAGE_UNDONE = gettext_noop(
    "Importen är ångrad: {removed} värden togs bort och {restored} återställdes."
)
MESSAGE_NOT_READY = gettext_noop(
    "Filen kan inte importeras: den har problem eller är redan importerad."
)
MESSAGE_CANCELLED = gettext_noop("Importen avbröts och den uppladdade filen ”{name}” togs bort.")
MESSAGE_NOT_CANCELLED = gettext_noop(
    "Importen kunde inte avbrytas: den är redan importerad, avbruten eller utgången."
)
STATUS_STOP_POLLING = 286  # htmx stops polling on this status and still swaps the content


def _require_importer(request: HtmxHttpRequest) -> None:
    if not request.user.has_perm("followup.add_observation"):
        raise PermissionDenied


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
        ImportUploadForm(request.POST, request.FILES)
        if request.method == "POST"
        else ImportUploadForm()
    )
    if request.method == "POST" and form.is_valid():
        job = jobs.import_job_create(
            user=request.user,
            upload=form.cleaned_data["file"],
            source=form.cleaned_data["source"],
            sheet=form.cleaned_data["sheet"],
        )
        _start(job, "validate")
        return redirect("import_job", job_id=job.pk)
    context = {
        "form": form,
        "batches": selectors.import_batches_for(user=request.user),
        "max_size": services.file_size_label(settings.GONV_IMPORT_MAX_BYTES),
    }
    return render(
        request, "followup/imports/upload.html", context, status=400 if form.errors else 200
    )


def _start(job: ImportJob, step: str) -> None:
    """Run a step ("validate" or "store") now, or for a large file as a task after commit."""
    if job.background:
        task = tasks.import_validate if step == "validate" else tasks.import_store
        signature = task.si(str(job.pk))
        transaction.on_commit(lambda: tasks.send(signature))
    elif step == "validate":
        jobs.import_job_validate(job_id=str(job.pk))
    else:
        jobs.import_job_store(job_id=str(job.pk))


def _job_context(job: ImportJob) -> dict[str, object]:
    running = job.state in (ImportJob.State.VALIDATING, ImportJob.State.STORING)
    done = jobs.progress_of(job) if running else 0
    return {
        "job": job,
        "running": running,
        "rows_done": done,
        "rows_total": max(job.row_estimate, done, 1),
        "preview": ImportReport.from_dict(job.preview),
        "result": ImportReport.from_dict(job.result),
        "max_age_hours": settings.GONV_IMPORT_MAX_AGE_HOURS,
    }


@require_GET
@login_required
@vary_on_headers("HX-Request")
def import_job(request: HtmxHttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """The job: a progress bar while it runs, then the preview (or the outcome)."""
    _require_importer(request)
    job = _own_job(request, job_id)
    context = _job_context(job)
    if request.htmx:
        response = render(request, "followup/imports/job.html#job-state", context)
        if not context["running"]:
            response.status_code = STATUS_STOP_POLLING
        return response
    return render(request, "followup/imports/job.html", context)


@require_POST
@login_required
def import_confirm(request: HtmxHttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """Importera: store the previewed file, all or nothing."""
    _require_importer(request)
    job = _own_job(request, job_id)
    preview = ImportReport.from_dict(job.preview)
    if not preview.ok or not jobs.import_job_start_store(job=job):
        if job.state not in (ImportJob.State.CANCELLED, ImportJob.State.EXPIRED):
            messages.error(request, _(MESSAGE_NOT_READY))  # else the job's page says why
        return redirect("import_job", job_id=job.pk)
    _start(job, "store")
    job.refresh_from_db()
    if job.state == ImportJob.State.STORED:
        result = ImportReport.from_dict(job.result)
        if job.batch_id is None:
            messages.info(request, _(MESSAGE_NOTHING_CHANGED).format(unchanged=result.unchanged))
            return redirect("import_job", job_id=job.pk)
        messages.success(
            request, _(MESSAGE_STORED).format(created=result.created, changed=result.changed)
        )
        return redirect("import_batch", pk=job.batch_id)
    return redirect("import_job", job_id=job.pk)


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
    if not request.user.has_perm("followup.view_importbatch", batch):
        raise PermissionDenied
    refusal = services.import_batch_undo_refusal(user=request.user, batch=batch)
    context = {
        "batch": batch,
        "values": selectors.import_batch_values(batch=batch),
        "can_undo": refusal is None,
        "undo_refusal": refusal,
    }
    return render(request, "followup/imports/batch.html", context)


@require_POST
@login_required
def import_batch_undo(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Ångra import: revert the batch as a whole, or say why not (to those who may import)."""
    _require_importer(request)
    batch = get_object_or_404(ImportBatch, pk=pk)
    try:
        result = services.import_batch_undo(user=request.user, batch=batch)
    except services.UndoRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request, _(MESSAGE_UNDONE).format(removed=result.removed, restored=result.restored)
        )
    return redirect("import_batch", pk=batch.pk)


@require_GET
@login_required
def import_template(request: HtmxHttpRequest, kind: str) -> HttpResponse:
    """The template to fill in: the user's units × the measures they report, latest period."""
    _require_importer(request)
    if kind not in ("csv", "xlsx"):
        raise Http404
    rows = selectors.import_template_rows(user=request.user)
    header = selectors.TEMPLATE_HEADER
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

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(_("Mätvärden"))
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
