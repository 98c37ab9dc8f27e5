"""Import and export endpoints: upload a file and start a dry run or an import, follow its progress,
read its errors (JSON or Excel); export customers and contacts with the customer list's filters, orders
with the order list's."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from guanxi.core.errors import GuanxiError, PermissionDeniedError
from guanxi.governance import permissions

from .models import ImportJob
from .services.exports import export_filters, export_http_response, export_prepare
from .services.imports import (
    import_errors_xlsx,
    import_job_create,
    import_job_get,
    import_job_start,
    max_bytes,
)

router = Router(tags=["import and export"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportJobOut(Schema):
    id: int
    entity: str
    source: str
    filename: str
    file_format: str
    encoding: str
    mode: str
    status: str
    headers: list[str]
    mapping: dict[str, str]
    total_rows: int
    processed_rows: int
    percent: int
    created_count: int
    updated_count: int
    unchanged_count: int
    error_count: int
    dry_run_ok: bool
    message: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ImportErrorOut(Schema):
    line: int
    column: str
    field: str
    value: str
    message: str


class ImportErrorsOut(Schema):
    count: int
    stored: int
    items: list[ImportErrorOut]


class StartIn(Schema):
    mode: Literal["dry_run", "commit"] = "commit"
    mapping: dict[str, str] | None = None


def _handle(exc: GuanxiError) -> None:
    if isinstance(exc, PermissionDeniedError):
        raise exc
    raise ValidationError({"file": [exc.message]})


@router.post("/imports", response={201: ImportJobOut}, summary="Upload a file and start a dry run or an import")
def import_create(request: HttpRequest, file: File[UploadedFile],
                  entity: Form[Literal["customer", "contact", "order"]],
                  mode: Form[Literal["dry_run", "commit"]] = "dry_run",
                  source: Form[str] = "import", mapping: Form[str] = "") -> Status[ImportJob]:
    """`mapping` is optional JSON {"column in the file": "field"}; without it the columns are mapped
    from their names (Chinese or English) and your last mapping for this record type."""
    if not permissions.can(request.user, permissions.IMPORT):
        raise PermissionDeniedError()
    if file.size and file.size > max_bytes():
        raise ValidationError({"file": [_("The file is too large (%(size)d MB); the limit is %(limit)d MB.")
                                        % {"size": file.size // (1024 * 1024), "limit": max_bytes() // (1024 * 1024)}]})
    parsed_mapping = None
    if mapping:
        try:
            parsed_mapping = json.loads(mapping)
            if not isinstance(parsed_mapping, dict):
                raise ValueError
        except ValueError:
            raise ValidationError({"mapping": [_("Send the mapping as a JSON object {\"column\": \"field\"}.")]})
    try:
        job = import_job_create(actor=request.user, entity=entity, filename=file.name or "upload",
                                content=file.read(), source=source)
    except GuanxiError as exc:
        _handle(exc)
    try:
        job = import_job_start(actor=request.user, job=job, mode=mode, mapping=parsed_mapping)
    except ValidationError as exc:
        raise ValidationError({"mapping": exc.messages})
    return Status(201, job)


@router.get("/imports/{job_id}", response=ImportJobOut, summary="Status and progress of an import")
def import_status(request: HttpRequest, job_id: int) -> ImportJob:
    return import_job_get(user=request.user, pk=job_id)


@router.post("/imports/{job_id}/start", response=ImportJobOut, summary="Run a dry run or the import again")
def import_restart(request: HttpRequest, job_id: int, payload: StartIn) -> ImportJob:
    job = import_job_get(user=request.user, pk=job_id)
    return import_job_start(actor=request.user, job=job, mode=payload.mode, mapping=payload.mapping)


@router.get("/imports/{job_id}/errors", response=ImportErrorsOut, summary="Row-level errors (line, field, message)")
def import_errors(request: HttpRequest, job_id: int, offset: int = 0, limit: int = 100) -> dict[str, Any]:
    job = import_job_get(user=request.user, pk=job_id)
    limit = max(1, min(limit, 1000))
    offset = max(0, offset)
    return {"count": job.error_count, "stored": len(job.errors), "items": job.errors[offset:offset + limit]}


@router.get("/imports/{job_id}/errors.xlsx", summary="The error report as Excel",
            response={200: None}, openapi_extra={"responses": {"200": {"content": {XLSX: {}}}}})
def import_errors_download(request: HttpRequest, job_id: int) -> HttpResponse:
    job = import_job_get(user=request.user, pk=job_id)
    response = HttpResponse(import_errors_xlsx(job), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.xlsx"'
    return response


@router.get("/exports/{entity}.{fmt}", summary="Export with the list's filters (customers, contacts, orders)",
            response={200: None}, openapi_extra={"responses": {"200": {"content": {XLSX: {}, "text/csv": {}}}}})
def export(request: HttpRequest, entity: Literal["customer", "contact", "order"],
           fmt: Literal["csv", "xlsx"]) -> HttpResponseBase:
    """Customers and contacts take the customer list's query parameters (q, kind, lifecycle, owner,
    department, province, industry, tag, has_orders, sort; contacts are those of the matching customers);
    orders take the order list's (`GET /api/orders`: q, status, channel, date_from, date_to, sort).

    Needs the export permission; each export is audited and counts towards your role's daily row limit:
    an export over it is refused with 403 (the detail says how many rows are left today) and nothing is
    exported. The file names its exporter and the time (file name, last row, Excel document properties);
    contacts' mobile, phone and email are masked as on screen for customers you do not own."""
    if not permissions.can(request.user, permissions.EXPORT):
        raise PermissionDeniedError()
    filters = export_filters(entity, request.GET)
    if not filters.is_valid():
        raise ValidationError({k: [str(m) for m in v] for k, v in filters.errors.items()})
    export = export_prepare(user=request.user, entity=entity, filters=filters, fmt=fmt,
                            params=filters.cleaned_data)
    return export_http_response(export)
