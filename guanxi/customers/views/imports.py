"""Import pages: upload → map columns → dry run → import, with a progress bar polled by htmx."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from guanxi.core.errors import GuanxiError, NotFoundError, PermissionDeniedError
from guanxi.governance import permissions

from ..models import ImportEntity, ImportJob
from ..services.import_fields import fields_for
from ..services.imports import (
    import_errors_xlsx,
    import_job_create,
    import_job_get,
    import_job_start,
    import_jobs_of,
    max_bytes,
)

ERRORS_SHOWN = 200


class UploadForm(forms.Form):
    entity = forms.ChoiceField(label=gettext_lazy("What to import"), choices=ImportEntity.choices)
    file = forms.FileField(label=gettext_lazy("File (.csv or .xlsx)"))
    source = forms.CharField(label=gettext_lazy("Source system"), required=False, max_length=30, initial="import",
                             help_text=gettext_lazy("Orders: external ids are unique within this source."))


def _need_import(request: HttpRequest) -> None:
    if not permissions.can(request.user, permissions.IMPORT):
        raise PermissionDenied(_("You do not have permission to do this."))


def _job(request: HttpRequest, pk: int) -> ImportJob:
    try:
        return import_job_get(user=request.user, pk=pk)
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from None
    except NotFoundError:
        raise Http404() from None


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    _need_import(request)
    form = UploadForm(request.POST or None, request.FILES or None,
                      initial={"entity": request.GET.get("entity", ImportEntity.CUSTOMER)})
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > max_bytes():
            form.add_error("file", _("The file is too large (%(size)d MB); the limit is %(limit)d MB.")
                           % {"size": upload.size // (1024 * 1024), "limit": max_bytes() // (1024 * 1024)})
        else:
            try:
                job = import_job_create(actor=request.user, entity=form.cleaned_data["entity"],
                                        filename=upload.name, content=upload.read(),
                                        source=form.cleaned_data["source"])
            except ValidationError as exc:
                for m in exc.messages:
                    form.add_error(None, m)
            except GuanxiError as exc:
                form.add_error("file", exc.message)
            else:
                return redirect("customers_io:import_mapping", pk=job.pk)
    return render(request, "customers/io/import_start.html", {
        "form": form, "jobs": import_jobs_of(user=request.user), "limit_mb": max_bytes() // (1024 * 1024),
    })


@login_required
@require_http_methods(["GET", "POST"])
def import_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    fields = fields_for(job.entity)
    headers = [h for h in job.headers if h]
    mapping = dict(job.mapping)
    errors: list[str] = []
    if request.method == "POST":
        mapping = {h: request.POST.get(f"col_{i}", "") for i, h in enumerate(headers)}
        mode = ImportJob.Mode.COMMIT if request.POST.get("action") == "commit" else ImportJob.Mode.DRY_RUN
        try:
            import_job_start(actor=request.user, job=job, mode=mode, mapping=mapping)
        except ValidationError as exc:
            errors = exc.messages
        except GuanxiError as exc:
            errors = [exc.message]
        else:
            return redirect("customers_io:import_job", pk=job.pk)
    samples = _samples(job)
    columns = [
        {"index": i, "header": h, "field": mapping.get(h, ""), "samples": [s[i] for s in samples if i < len(s)]}
        for i, h in enumerate(headers)
    ]
    return render(request, "customers/io/import_mapping.html", {
        "job": job, "fields": fields, "columns": columns, "errors": errors,
        "ignored": [c["header"] for c in columns if not c["field"]],
    })


def _samples(job: ImportJob) -> list[list[str]]:
    from ..services.import_parsing import as_text, read_table

    if job.content is None:
        return []
    try:
        table = read_table(bytes(job.content), job.filename, max_rows=10**9)
    except GuanxiError:
        return []
    index = [i for i, h in enumerate(job.headers) if h]
    return [[as_text(row[i])[:40] if i < len(row) else "" for i in index] for row in table.rows if row][:3]


@login_required
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    context = {"job": job, "errors": job.errors[:ERRORS_SHOWN], "more_errors": max(0, len(job.errors) - ERRORS_SHOWN)}
    if request.headers.get("HX-Request"):
        return render(request, "customers/io/import_job.html#progress", context)
    return render(request, "customers/io/import_job.html", context)


@login_required
@require_POST
def import_commit(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    try:
        import_job_start(actor=request.user, job=job, mode=ImportJob.Mode.COMMIT)
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    except GuanxiError as exc:
        messages.error(request, exc.message)
    return redirect("customers_io:import_job", pk=job.pk)


@login_required
def import_errors_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    response = HttpResponse(
        import_errors_xlsx(job), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.xlsx"'
    return response
