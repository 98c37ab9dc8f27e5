"""Importing customers, contacts and orders from CSV/Excel: upload → map columns → dry run → commit.

This module is the job's lifecycle (upload, mapping, queueing, running, the error report); the rows
are handled by the importers: ``import_runner.py`` (batches, parsing, errors, audit),
``import_records.py`` (customers, contacts) and ``import_orders.py`` (orders, built for big files).

How a file becomes records
--------------------------
* Every row is validated in Python with the models' own field validation (``Field.clean``: types,
  lengths, choices, validators such as the credit-code checksum — orders use cheap checks derived
  from the same fields, falling back to ``Field.clean``), the model's ``clean()`` (cross-field
  rules, phone normalisation), the admin-defined custom fields (``clean_custom_values``) and the service
  rules (who may own a customer, department, pinyin search keys, one primary contact, a paid order
  activates a prospect). A dry run does all of this and writes nothing.
* Rows are processed in batches (``GUANXI_IMPORT_BATCH_SIZE``, 1,000). Per batch the existing records
  are looked up by external id with one query, then the good rows are written in one transaction
  (customers and contacts: ``bulk_create`` / ``bulk_update``; orders: COPY / executemany through the
  bulk writer): a batch is written whole or not at all. Rows with errors are skipped and listed
  (line, column, field, message).
* Idempotent: a row whose external id exists updates that record (customers and contacts by
  ``external_id``, orders by ``(source, external_id)``); an unchanged row writes nothing. Empty cells
  leave the existing value alone when updating.
* Orders: one row per order, or one row per order *line* — rows sharing an external id are the lines
  of one order (order fields are read from the first of them; re-importing replaces the lines).
  The customer is found by its external id, credit code or exact name (in that order).
* Audit: one IMPORT entry per batch (job, lines, counts) plus one CREATE/UPDATE entry per record with
  the imported fields' before/after, all bulk-inserted in the batch's transaction. Jobs bigger than
  ``GUANXI_IMPORT_AUDIT_DETAIL_MAX_ROWS`` (10,000) list created ids in the batch entry instead of one
  CREATE entry each (updates always get their own entry).
* The task is queued with ``transaction.on_commit``: a caller's transaction commits the job first.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.core.text import spreadsheet_safe
from guanxi.governance import permissions

from ..models import ImportEntity, ImportJob
from .import_fields import check_mapping, fields_for, guess_mapping, remember_mapping
from .import_orders import OrderRunner
from .import_parsing import ImportFileError, read_table
from .import_records import ContactRunner, CustomerRunner
from .import_runner import Candidate, RowInvalid, Runner, setting

__all__ = [
    "RUNNERS", "Candidate", "ContactRunner", "CustomerRunner", "ImportFileError", "OrderRunner", "RowInvalid",
    "Runner", "import_errors_xlsx", "import_job_create", "import_job_get", "import_job_run", "import_job_start",
    "import_jobs_of", "max_bytes",
]

logger = logging.getLogger(__name__)

RUNNERS: dict[str, type[Runner]] = {
    ImportEntity.CUSTOMER: CustomerRunner,
    ImportEntity.CONTACT: ContactRunner,
    ImportEntity.ORDER: OrderRunner,
}


def max_bytes() -> int:
    return setting("GUANXI_IMPORT_MAX_BYTES", 20 * 1024 * 1024)


# ---- jobs ------------------------------------------------------------------------------------

def _require_import(actor: Any) -> None:
    if not permissions.can(actor, permissions.IMPORT):
        raise PermissionDeniedError()


def import_job_create(*, actor: Any, entity: str, filename: str, content: bytes, source: str = "") -> ImportJob:
    """Check and store an uploaded file; guesses the column mapping. Bad files raise ImportFileError."""
    _require_import(actor)
    if entity not in ImportEntity.values:
        raise ValidationError({"entity": [_("Choose customers, contacts or orders.")]})
    limit = max_bytes()
    if len(content) > limit:
        raise ImportFileError(_("The file is too large (%(size)d MB); the limit is %(limit)d MB.")
                              % {"size": len(content) // (1024 * 1024), "limit": limit // (1024 * 1024)})
    table = read_table(content, filename, max_rows=setting("GUANXI_IMPORT_MAX_ROWS", 200_000))
    source = (source or "import").strip()[:30]
    job = ImportJob(
        created_by=actor, entity=entity, source=source, filename=(filename or "upload")[:255],
        file_format=table.file_format, encoding=table.encoding, content=content, headers=table.headers,
        total_rows=sum(1 for r in table.rows if r),
    )
    job.mapping = guess_mapping(user=actor, entity=entity, headers=[h for h in table.headers if h])
    job.save()
    return job


def import_job_get(*, user: Any, pk: Any) -> ImportJob:
    """A job its uploader (or an admin) may see."""
    qs = ImportJob.objects.select_related("created_by")
    if not permissions.can(user, permissions.IMPORT):
        raise PermissionDeniedError()
    if not permissions.can(user, permissions.CONFIGURE):
        qs = qs.filter(created_by=user)
    try:
        return qs.get(pk=pk)
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None


def import_jobs_of(*, user: Any, limit: int = 20) -> list[ImportJob]:
    if not permissions.can(user, permissions.IMPORT):
        return []
    return list(ImportJob.objects.filter(created_by=user).defer("content", "errors")[:limit])


def import_job_start(*, actor: Any, job: ImportJob, mode: str, mapping: dict[str, str] | None = None) -> ImportJob:
    """Set the mapping (remembered for next time) and queue a dry run or the real import."""
    _require_import(actor)
    if job.created_by_id != actor.pk and not permissions.can(actor, permissions.CONFIGURE):
        raise NotFoundError()
    if mode not in ImportJob.Mode.values:
        raise ValidationError({"mode": [_("Choose a dry run or the import.")]})
    if job.is_active:
        raise ValidationError({"__all__": [_("This import is already running.")]})
    if job.content is None:
        raise ValidationError({"__all__": [_("This file has already been imported; upload it again to re-import.")]})
    headers = [h for h in job.headers if h]
    fields = fields_for(job.entity)
    clean = check_mapping(job.entity, headers, mapping if mapping is not None else job.mapping, fields)
    remember_mapping(user=actor, entity=job.entity, mapping=clean)
    job.mapping = clean
    job.mode = mode
    job.status = ImportJob.Status.QUEUED
    job.processed_rows = job.created_count = job.updated_count = job.unchanged_count = job.error_count = 0
    job.errors, job.message, job.started_at, job.finished_at = [], "", None, None
    if mode == ImportJob.Mode.DRY_RUN:
        job.dry_run_ok = False
    job.save()
    from ..tasks import run_import_job  # services and tasks call each other (import-linter "services : tasks")

    # Queued once the job row is committed, so a worker always finds it (at once outside a transaction).
    # The worker writes the row errors in the language of the person who started the import.
    pk, language = job.pk, translation.get_language() or settings.LANGUAGE_CODE
    transaction.on_commit(lambda: run_import_job.enqueue(pk, language))
    job.refresh_from_db()
    return job


def import_job_run(*, job_id: int, language: str | None = None) -> ImportJob | None:
    """Run a queued job (the task calls this). Safe to retry: committed batches re-apply idempotently.

    `language` is the language the job's messages are written in (the uploader's), else the active one.
    """
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        return _import_job_run(job_id)


def _import_job_run(job_id: int) -> ImportJob | None:
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
        return job
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, started_at=timezone.now())
    job.status = ImportJob.Status.RUNNING
    runner = None
    try:
        _require_import(job.created_by)
        table = read_table(bytes(job.content or b""), job.filename,
                           max_rows=setting("GUANXI_IMPORT_MAX_ROWS", 200_000))
        runner = RUNNERS[job.entity](job, write=job.mode == ImportJob.Mode.COMMIT)
        runner.run(table)
        job.status = ImportJob.Status.DONE
        if job.mode == ImportJob.Mode.DRY_RUN:
            job.dry_run_ok = True
        else:
            job.content = None  # imported: the bytes are no longer needed
    except (ImportFileError, PermissionDeniedError) as exc:
        job.status, job.message = ImportJob.Status.FAILED, exc.message
    except Exception:
        logger.exception("import job %s failed", job.pk)
        job.status = ImportJob.Status.FAILED
        job.message = _("The import stopped because of an unexpected error. Batches already reported as "
                        "imported are saved; run the import again to finish (it will not duplicate records).")
    if runner is not None:
        runner.copy_counts(job)
        job.errors = sorted(runner.errors, key=lambda e: e["line"])
    job.finished_at = timezone.now()
    job.save()
    return job


def import_errors_xlsx(job: ImportJob) -> bytes:
    """The row-level error report as an Excel workbook."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False})
    sheet = workbook.add_worksheet(_("Errors")[:31])
    bold = workbook.add_format({"bold": True})
    heads = [_("Line"), _("Column"), _("Field"), _("Value"), _("Message")]
    for c, h in enumerate(heads):
        sheet.write_string(0, c, h, bold)
    for r, e in enumerate(job.errors, start=1):
        sheet.write_number(r, 0, e.get("line") or 0)
        for c, k in enumerate(("column", "field", "value", "message"), start=1):
            sheet.write_string(r, c, str(spreadsheet_safe(str(e.get(k) or ""))))
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 3, 22)
    sheet.set_column(4, 4, 70)
    sheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()
