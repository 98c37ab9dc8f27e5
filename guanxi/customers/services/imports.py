"""Importing customers, contacts and orders from CSV/Excel: upload → map columns → dry run → commit.

How a file becomes records
--------------------------
* Every row is validated in Python with the models' own field validation (``Field.clean``: types,
  lengths, choices, validators such as the credit-code checksum), the model's ``clean()`` (cross-field
  rules, phone normalisation), the admin-defined custom fields (``clean_custom_values``) and the service
  rules (who may own a customer, department, pinyin search keys, one primary contact, a paid order
  activates a prospect). A dry run does all of this and writes nothing.
* Rows are processed in batches (``GUANXI_IMPORT_BATCH_SIZE``, 1,000). Per batch the existing records
  are looked up by external id with one query (``select_for_update`` when committing), then the good
  rows are written with ``bulk_create`` / ``bulk_update`` in one transaction: a batch is written whole
  or not at all. Rows with errors are skipped and listed (line, column, field, message).
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
"""

from __future__ import annotations

import contextlib
import datetime
import io
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.core.text import spreadsheet_safe
from guanxi.governance import permissions
from guanxi.governance.models import AuditLog
from guanxi.governance.selectors import assignable_owner_ids

from ..models import Contact, Customer, ImportEntity, ImportJob, Order, OrderLine, Product, Tag
from .custom_fields import clean_custom_values, definitions_for
from .customers import _apply_search_keys, _department_of
from .import_fields import LINE_KEYS, REF_KEYS, ImportField, check_mapping, fields_for, guess_mapping, remember_mapping
from .import_parsing import (
    ImportFileError,
    Table,
    as_text,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    read_table,
    split_list,
)

logger = logging.getLogger(__name__)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def max_bytes() -> int:
    return _setting("GUANXI_IMPORT_MAX_BYTES", 20 * 1024 * 1024)


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
    table = read_table(content, filename, max_rows=_setting("GUANXI_IMPORT_MAX_ROWS", 200_000))
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

    # The job row is saved (autocommit) before the task is queued, so a worker always finds it.
    run_import_job.enqueue(job.pk)
    job.refresh_from_db()
    return job


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Run a queued job (the task calls this). Safe to retry: committed batches re-apply idempotently."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
        return job
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, started_at=timezone.now())
    job.status = ImportJob.Status.RUNNING
    runner = None
    try:
        _require_import(job.created_by)
        table = read_table(bytes(job.content or b""), job.filename,
                           max_rows=_setting("GUANXI_IMPORT_MAX_ROWS", 200_000))
        runner = RUNNERS[job.entity](job, write=job.mode == ImportJob.Mode.COMMIT)
        with translation.override(translation.get_language() or settings.LANGUAGE_CODE):
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


# ---- choices ----------------------------------------------------------------------------------

CHOICE_SYNONYMS = {
    "company": ["公司", "企业", "单位", "b2b"], "individual": ["个人", "自然人", "b2c", "person"],
    "prospect": ["潜在客户", "潜在", "意向客户"], "active": ["活跃", "成交客户", "正常"],
    "dormant": ["沉睡", "休眠"], "churned": ["流失", "已流失"], "won_back": ["赢回", "挽回", "won back"],
    "paid": ["已付款", "已支付", "已完成", "完成", "成功", "交易成功"], "refunded": ["已退款", "退款"],
    "cancelled": ["已取消", "取消", "canceled", "交易关闭"],
    "store": ["门店", "线下", "线下门店"], "online": ["网店", "线上", "电商", "天猫", "淘宝", "京东"],
    "phone": ["电话", "电话订购"], "sales": ["直销", "销售"], "distributor": ["经销商", "代理商", "分销"],
    "wechat": ["微信", "小程序", "微商城"],
}


def _choice_index(choices: Any) -> dict[str, str]:
    index: dict[str, str] = {}
    for value, label in choices.choices:
        index[value.lower()] = value
        for lang in ("en", "zh-hans"):
            with translation.override(lang):
                index.setdefault(str(label).lower(), value)
        for word in CHOICE_SYNONYMS.get(value, []):
            index.setdefault(word.lower(), value)
    return index


# ---- the runner ------------------------------------------------------------------------------

@dataclass
class Candidate:
    lines: list[int]
    instance: Any
    is_new: bool
    changes: dict[str, Any]
    fields: set[str] = field(default_factory=set)  # attnames to write when updating
    extra: dict[str, Any] = field(default_factory=dict)


class RowInvalid(Exception):
    pass


class _Runner:
    entity = ""
    model: type[models.Model] = models.Model

    def __init__(self, job: ImportJob, *, write: bool):
        self.job = job
        self.actor = job.created_by
        self.write = write
        self.definitions = definitions_for(self.entity)
        self.fields = fields_for(self.entity, self.definitions)
        self.by_key: dict[str, ImportField] = {f.key: f for f in self.fields}
        self.column_of: dict[str, str] = {k: h for h, k in job.mapping.items() if k}
        self.tz = timezone.get_current_timezone()
        self.errors: list[dict[str, Any]] = []
        self.error_lines: set[int] = set()
        self.max_errors = _setting("GUANXI_IMPORT_MAX_ERRORS", 10_000)
        self.batch_size = _setting("GUANXI_IMPORT_BATCH_SIZE", 1000)
        self.created = self.updated = self.unchanged = self.processed = 0
        self.seen: dict[str, int] = {}
        self.batch_no = 0
        self.choice_index = {f.key: _choice_index(f.choices) for f in self.fields if f.kind == "choice"}
        self.model_fields = {f.name: f for f in self.model._meta.concrete_fields}

    # -- bookkeeping
    def copy_counts(self, job: ImportJob) -> None:
        job.processed_rows = self.processed
        job.created_count, job.updated_count, job.unchanged_count = self.created, self.updated, self.unchanged
        job.error_count = len(self.error_lines)

    def error(self, line: int, key: str, message: Any, value: Any = None) -> None:
        self.error_lines.add(line)
        if len(self.errors) >= self.max_errors:
            return
        base = key.split(".")[0] if not key.startswith("custom.") else key
        spec = self.by_key.get(base) or self.by_key.get(key)
        if spec is not None:
            label = str(spec.label)
        elif base in self.model_fields:
            label = str(self.model_fields[base].verbose_name)
        else:
            label = ""
        self.errors.append({
            "line": line, "column": self.column_of.get(base, ""), "field": label,
            "value": as_text(value)[:100] if value is not None else "", "message": str(message),
        })

    def validation_errors(self, line: int, exc: ValidationError, values: dict[str, Any]) -> None:
        if hasattr(exc, "error_dict"):
            for key, messages in exc.message_dict.items():
                for m in messages:
                    self.error(line, key if key != "__all__" else "", m, values.get(key))
        else:
            for m in exc.messages:
                self.error(line, "", m)

    def _progress(self) -> None:
        ImportJob.objects.filter(pk=self.job.pk).update(
            processed_rows=self.processed, created_count=self.created, updated_count=self.updated,
            unchanged_count=self.unchanged, error_count=len(self.error_lines),
        )

    # -- reading
    def parse_row(self, line: int, row: list[Any], columns: list[tuple[int, str]]) -> dict[str, Any] | None:
        values: dict[str, Any] = {}
        ok = True
        for index, key in columns:
            raw = row[index] if index < len(row) else None
            spec = self.by_key[key]
            try:
                values[key] = self.parse_value(spec, raw)
            except ValidationError as exc:
                ok = False
                for m in exc.messages:
                    self.error(line, key, m, raw)
        return values if ok else None

    def parse_value(self, spec: ImportField, raw: Any) -> Any:
        kind = spec.kind
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if kind in ("text", "user"):
            return as_text(raw) or None
        if kind == "decimal":
            return parse_decimal(raw)
        if kind == "date":
            return parse_date(raw)
        if kind == "datetime":
            return parse_datetime(raw, self.tz)
        if kind == "bool":
            return parse_bool(raw)
        if kind == "list":
            return split_list(raw)
        if kind == "choice":
            text = as_text(raw)
            value = self.choice_index[spec.key].get(text.lower())
            if value is None:
                raise ValidationError(
                    _("Unknown value “%(value)s”; use one of: %(choices)s.")
                    % {"value": text, "choices": ", ".join(str(label) for _v, label in spec.choices.choices)}
                )
            return value
        if kind == "custom":
            return raw.strip() if isinstance(raw, str) else raw
        return raw

    def units(self, table: Table, columns: list[tuple[int, str]]) -> list[list[tuple[int, list[Any]]]]:
        """Rows to process together (an order and its lines); one row each by default."""
        return [[(i + 2, row)] for i, row in enumerate(table.rows) if row]

    def run(self, table: Table) -> None:
        header_index = {h: i for i, h in enumerate(table.headers) if h}
        columns = [(header_index[h], k) for h, k in self.job.mapping.items() if k and h in header_index]
        batch: list[list[tuple[int, list[Any]]]] = []
        size = 0
        for unit in self.units(table, columns):
            batch.append(unit)
            size += len(unit)
            if size >= self.batch_size:
                self.process_batch(batch, columns)
                batch, size = [], 0
        if batch:
            self.process_batch(batch, columns)

    def process_batch(self, units: list[list[tuple[int, list[Any]]]], columns: list[tuple[int, str]]) -> None:
        self.batch_no += 1
        parsed: list[list[tuple[int, dict[str, Any]]]] = []
        for unit in units:
            rows = []
            for line, row in unit:
                values = self.parse_row(line, row, columns)
                if values is not None:
                    rows.append((line, values))
            if len(rows) == len(unit):
                parsed.append(rows)
        rows_in_batch = sum(len(u) for u in units)
        counts = (self.created, self.updated, self.unchanged)
        context = transaction.atomic() if self.write else contextlib.nullcontext()
        candidates: list[Candidate] = []
        try:
            with context:
                self.prepare(parsed)
                for unit_rows in parsed:
                    try:
                        cand = self.build(unit_rows)
                    except RowInvalid:
                        continue
                    if cand is None:
                        continue
                    if cand.is_new:
                        self.created += 1
                    elif cand.changes or cand.extra.get("changed"):
                        self.updated += 1
                    else:
                        self.unchanged += 1
                        continue
                    candidates.append(cand)
                if self.write and candidates:
                    self.save(candidates)
                    self.audit(candidates, units)
        except DatabaseError as exc:
            logger.warning("import job %s batch %s rolled back: %s", self.job.pk, self.batch_no, exc)
            self.created, self.updated, self.unchanged = counts
            for cand in candidates:
                for line in cand.lines:
                    self.error(line, "", _("This batch of rows could not be saved (%(error)s); none of its "
                                           "rows were written. Fix the file and import it again.")
                               % {"error": str(exc)[:200]})
        self.processed += rows_in_batch
        self._progress()

    # -- validation helpers
    def assign(self, line: int, inst: Any, values: dict[str, Any], keys: list[str]) -> dict[str, list[str]]:
        """Set and validate model fields with the model's own field validation; returns errors."""
        errors: dict[str, list[str]] = {}
        for key in keys:
            value = values.get(key)
            if value is None:
                continue
            model_field = self.model_fields[key]
            try:
                setattr(inst, model_field.attname, model_field.clean(value, inst))
            except ValidationError as exc:
                errors[key] = exc.messages
        return errors

    def check_required(self, values: dict[str, Any], errors: dict[str, list[str]], is_new: bool) -> None:
        if not is_new:
            return
        for f in self.fields:
            if f.required and values.get(f.key) is None and f.key not in errors:
                errors[f.key] = [_("%(field)s is required.") % {"field": f.label}]

    def custom_values(self, inst: Any, values: dict[str, Any], errors: dict[str, list[str]]) -> None:
        given = {k[7:]: v for k, v in values.items() if k.startswith("custom.") and v is not None}
        if not given and inst.pk is not None:
            return
        try:
            inst.custom = clean_custom_values(self.entity, {**(inst.custom or {}), **given}, self.definitions)
        except ValidationError as exc:
            errors.update(exc.message_dict)

    @staticmethod
    def model_clean(inst: Any, errors: dict[str, list[str]]) -> None:
        """The model's own cross-field rules; fields that already failed keep their first message."""
        try:
            inst.clean()
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, messages)

    def fail(self, line: int, errors: dict[str, list[str]], values: dict[str, Any]) -> None:
        for key, messages in errors.items():
            for m in messages:
                self.error(line, key, m, values.get(key))
        raise RowInvalid()

    def duplicate(self, line: int, ext: str | None) -> None:
        if not ext:
            return
        first = self.seen.get(ext)
        if first is not None:
            self.error(line, "external_id", _("External id “%(id)s” already appears on line %(line)d.")
                       % {"id": ext, "line": first}, ext)
            raise RowInvalid()
        self.seen[ext] = line

    def users(self, parsed: list[list[tuple[int, dict[str, Any]]]], key: str) -> dict[str, Any]:
        names = {v[key] for unit in parsed for _l, v in unit if v.get(key)}
        if not names:
            return {}
        return {u.username: u for u in get_user_model().objects.select_related("employee").filter(username__in=names)}

    def resolve_customers(self, parsed: list[list[tuple[int, dict[str, Any]]]]) -> None:
        """Per batch: at most three queries to find the customers rows refer to."""
        ext, codes, names = set(), set(), set()
        for unit in parsed:
            v = unit[0][1]
            if v.get("customer_external_id"):
                ext.add(v["customer_external_id"])
            elif v.get("customer_credit_code"):
                codes.add(v["customer_credit_code"].upper())
            elif v.get("customer_name"):
                names.add(v["customer_name"])
        editable = Customer.objects.editable_by(self.actor).only("id", "owner_id", "lifecycle", "name",
                                                                 "external_id", "credit_code")
        self.by_ext = {c.external_id: c for c in editable.filter(external_id__in=ext)} if ext else {}
        self.by_code: dict[str, list[Customer]] = defaultdict(list)
        self.by_name: dict[str, list[Customer]] = defaultdict(list)
        if codes:
            for c in editable.filter(credit_code__in=codes):
                self.by_code[c.credit_code].append(c)
        if names:
            for c in editable.filter(name__in=names):
                self.by_name[c.name].append(c)

    def customer_for(self, line: int, v: dict[str, Any]) -> Customer:
        if v.get("customer_external_id"):
            key, value = "customer_external_id", v["customer_external_id"]
            found = [self.by_ext[value]] if value in self.by_ext else []
        elif v.get("customer_credit_code"):
            key, value = "customer_credit_code", v["customer_credit_code"].upper()
            found = self.by_code.get(value, [])
        elif v.get("customer_name"):
            key, value = "customer_name", v["customer_name"]
            found = self.by_name.get(value, [])
        else:
            self.error(line, next(iter(k for k in REF_KEYS if k in self.column_of), "customer_name"),
                       _("Say which customer this row belongs to (external id, credit code or name)."))
            raise RowInvalid()
        if not found:
            self.error(line, key, _("No customer you may change matches “%(value)s”.") % {"value": value}, value)
            raise RowInvalid()
        if len(found) > 1:
            self.error(line, key, _("%(n)d customers match “%(value)s”; use the customer's external id or "
                                    "credit code instead.") % {"n": len(found), "value": value}, value)
            raise RowInvalid()
        return found[0]

    def existing_check(self, line: int, inst: Any, editable_ids: set[int], ext: str) -> None:
        if inst.deleted_at is not None:
            self.error(line, "external_id", _("The record with external id “%(id)s” is in the recycle bin; "
                                              "restore it before importing it again.") % {"id": ext}, ext)
            raise RowInvalid()
        if inst.pk not in editable_ids:
            self.error(line, "external_id", _("The record with external id “%(id)s” exists but you may not "
                                              "change it.") % {"id": ext}, ext)
            raise RowInvalid()

    def load_existing(self, model: Any, lookup: dict[str, Any]) -> dict[str, Any]:
        qs = model._base_manager.filter(**lookup)
        if self.write:
            qs = qs.select_for_update()
        found = {obj.external_id: obj for obj in qs}
        self.editable_ids = set(
            model.objects.editable_by(self.actor).filter(pk__in=[o.pk for o in found.values()])
            .values_list("pk", flat=True)
        ) if found else set()
        return found

    # -- writing
    def save_instances(self, candidates: list[Candidate]) -> None:
        now = timezone.now()
        new = [c.instance for c in candidates if c.is_new]
        if new:
            self.model.objects.bulk_create(new, batch_size=500)
        changed = [c for c in candidates if not c.is_new and c.changes]
        if changed:
            names: set[str] = {"version", "updated_at"}
            for c in changed:
                c.instance.version += 1
                c.instance.updated_at = now
                names |= c.fields
            self.model.objects.bulk_update([c.instance for c in changed], sorted(names), batch_size=500)

    def audit(self, candidates: list[Candidate], units: list[list[tuple[int, list[Any]]]]) -> None:
        """Detailed: a CREATE/UPDATE entry per record. Big jobs (more rows than
        GUANXI_IMPORT_AUDIT_DETAIL_MAX_ROWS) use the compact scheme: updates keep their own entry with
        before/after, creations are listed by id in the batch's IMPORT entry (their values are the
        file's rows, and the job records who imported which file when)."""
        actor = self.actor
        compact = self.job.total_rows > _setting("GUANXI_IMPORT_AUDIT_DETAIL_MAX_ROWS", 10_000)
        rows = [
            AuditLog(actor=actor, action=AuditLog.Action.CREATE if c.is_new else AuditLog.Action.UPDATE,
                     entity=self.model._meta.model_name, object_id=str(c.instance.pk),
                     object_repr=str(c.instance)[:200], customer_id=self.customer_id(c.instance),
                     changes={**c.changes, "import_job": self.job.pk})
            for c in candidates if not (compact and c.is_new)
        ]
        lines = [line for unit in units for line, _r in unit]
        summary: dict[str, Any] = {
            "batch": self.batch_no, "lines": [min(lines), max(lines)] if lines else [],
            "created": sum(1 for c in candidates if c.is_new),
            "updated": sum(1 for c in candidates if not c.is_new), "source": self.job.source,
        }
        if compact:
            summary["created_ids"] = [c.instance.pk for c in candidates if c.is_new]
        rows.append(AuditLog(
            actor=actor, action=AuditLog.Action.IMPORT, entity="importjob", object_id=str(self.job.pk),
            object_repr=f"{self.job.get_entity_display()}: {self.job.filename}"[:200], changes=summary,
        ))
        AuditLog.objects.bulk_create(rows, batch_size=500)

    def customer_id(self, instance: Any) -> int | None:
        return getattr(instance, "customer_id", None)

    @staticmethod
    def snap(inst: Any, names: list[str]) -> dict[str, Any]:
        return {n: getattr(inst, n) for n in names}

    def diff(self, before: dict[str, Any] | None, inst: Any, names: list[str]) -> dict[str, list[Any]]:
        """Changed fields as {field: [before, after]} (JSON-ready). Compares values, not their text, so
        1200 equals 1200.00 and 10:30+08:00 equals 02:30 UTC."""
        after = self.snap(inst, names)
        if before is None:
            return {k: [None, _jsonable(v)] for k, v in after.items() if v not in (None, "", {})}
        return {k: [_jsonable(before.get(k)), _jsonable(v)] for k, v in after.items() if before.get(k) != v}

    # -- per entity
    def prepare(self, parsed: list[list[tuple[int, dict[str, Any]]]]) -> None:
        raise NotImplementedError

    def build(self, unit: list[tuple[int, dict[str, Any]]]) -> Candidate | None:
        raise NotImplementedError

    def save(self, candidates: list[Candidate]) -> None:
        self.save_instances(candidates)


class CustomerRunner(_Runner):
    entity = ImportEntity.CUSTOMER
    model = Customer
    MODEL_KEYS = ["name", "short_name", "kind", "credit_code", "industry", "source", "province", "city",
                  "address", "birthday", "lifecycle", "churn_reason", "notes"]

    def __init__(self, job: ImportJob, *, write: bool):
        super().__init__(job, write=write)
        self.assignable = assignable_owner_ids(self.actor)
        self.keys = [k for k in self.MODEL_KEYS if k in self.column_of]
        self.actor_department = _department_of(self.actor)

    def prepare(self, parsed: list[list[tuple[int, dict[str, Any]]]]) -> None:
        ext = {u[0][1]["external_id"] for u in parsed if u[0][1].get("external_id")}
        self.existing = self.load_existing(Customer, {"external_id__in": ext}) if ext else {}
        self.owners = self.users(parsed, "owner")
        self.current_tags: dict[int, set[str]] = defaultdict(set)
        if "tags" in self.column_of and self.existing:
            through = Customer.tags.through
            for cid, name in through.objects.filter(customer_id__in=[c.pk for c in self.existing.values()]
                                                    ).values_list("customer_id", "tag__name"):
                self.current_tags[cid].add(name)

    def build(self, unit: list[tuple[int, dict[str, Any]]]) -> Candidate | None:
        line, v = unit[0]
        ext = v.get("external_id")
        self.duplicate(line, ext)
        inst = self.existing.get(ext) if ext else None
        if inst is not None:
            self.existing_check(line, inst, self.editable_ids, ext)
        is_new = inst is None
        names = [*self.keys, "owner_id", "department_id", "custom"]
        if is_new:
            inst = Customer(external_id=ext, owner=self.actor, created_by=self.actor,
                            department=self.actor_department)
            before: dict[str, Any] | None = None
        else:
            before = self.snap(inst, names)
        errors = self.assign(line, inst, v, self.keys)
        self.check_required(v, errors, is_new)
        owner_name = v.get("owner")
        if owner_name:
            owner = self.owners.get(owner_name)
            if owner is None:
                errors["owner"] = [_("No user is called “%(name)s”.") % {"name": owner_name}]
            elif self.assignable is not None and owner.pk not in self.assignable:
                errors["owner"] = [_("You cannot make this person the owner.")]
            else:
                inst.owner = owner
                inst.department = _department_of(owner) or inst.department
        self.custom_values(inst, v, errors)
        self.model_clean(inst, errors)
        if errors:
            self.fail(line, errors, v)
        changes = self.diff(before, inst, names)
        if is_new or "name" in changes or "short_name" in changes:
            _apply_search_keys(inst)
        cand = Candidate([line], inst, is_new, changes, fields=set(changes) | {"search_pinyin", "search_initials"})
        if v.get("tags") is not None:
            wanted = {t[:50] for t in v["tags"]}
            if is_new or wanted != self.current_tags.get(inst.pk, set()):
                cand.extra.update(tags=wanted, changed=True)
                changes["tags"] = [sorted(self.current_tags.get(inst.pk, set())), sorted(wanted)]
        return cand

    def save(self, candidates: list[Candidate]) -> None:
        self.save_instances(candidates)
        tagged = [c for c in candidates if "tags" in c.extra]
        if not tagged:
            return
        names = set().union(*(c.extra["tags"] for c in tagged))
        if names:
            Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
        tag_ids = dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
        through = Customer.tags.through
        through.objects.filter(customer_id__in=[c.instance.pk for c in tagged if not c.is_new]).delete()
        through.objects.bulk_create([through(customer_id=c.instance.pk, tag_id=tag_ids[n])
                                     for c in tagged for n in c.extra["tags"]], ignore_conflicts=True)

    def customer_id(self, instance: Any) -> int | None:
        return instance.pk


class ContactRunner(_Runner):
    entity = ImportEntity.CONTACT
    model = Contact
    MODEL_KEYS = ["name", "title", "mobile", "phone", "email", "wechat", "birthday", "is_primary"]

    def __init__(self, job: ImportJob, *, write: bool):
        super().__init__(job, write=write)
        self.keys = [k for k in self.MODEL_KEYS if k in self.column_of]

    def prepare(self, parsed: list[list[tuple[int, dict[str, Any]]]]) -> None:
        ext = {u[0][1]["external_id"] for u in parsed if u[0][1].get("external_id")}
        self.existing = self.load_existing(Contact, {"external_id__in": ext}) if ext else {}
        self.resolve_customers(parsed)

    def build(self, unit: list[tuple[int, dict[str, Any]]]) -> Candidate | None:
        line, v = unit[0]
        ext = v.get("external_id")
        self.duplicate(line, ext)
        customer = self.customer_for(line, v)
        inst = self.existing.get(ext) if ext else None
        if inst is not None:
            self.existing_check(line, inst, self.editable_ids, ext)
        is_new = inst is None
        names = [*self.keys, "customer_id", "custom"]
        if is_new:
            inst = Contact(external_id=ext, customer=customer)
            before: dict[str, Any] | None = None
        else:
            before = self.snap(inst, names)
            inst.customer = customer
        errors = self.assign(line, inst, v, self.keys)
        self.check_required(v, errors, is_new)
        self.custom_values(inst, v, errors)
        self.model_clean(inst, errors)  # normalises the mobile to E.164
        if errors:
            self.fail(line, errors, v)
        changes = self.diff(before, inst, names)
        return Candidate([line], inst, is_new, changes, fields=set(changes) | {"mobile_last4"})

    def save(self, candidates: list[Candidate]) -> None:
        self.save_instances(candidates)
        # One primary contact per customer: the last imported primary wins; a customer without one gets
        # its first imported contact (as contact_create does).
        primary: dict[int, int] = {}
        for c in candidates:
            if c.instance.is_primary:
                primary[c.instance.customer_id] = c.instance.pk
        if primary:
            Contact.objects.filter(customer_id__in=list(primary), is_primary=True).exclude(
                pk__in=list(primary.values())).update(is_primary=False)
        touched = {c.instance.customer_id for c in candidates} - set(primary)
        if touched:
            have = set(Contact.objects.filter(customer_id__in=touched, is_primary=True, deleted_at__isnull=True)
                       .values_list("customer_id", flat=True))
            first: dict[int, int] = {}
            for c in candidates:
                if c.instance.customer_id not in have:
                    first.setdefault(c.instance.customer_id, c.instance.pk)
            if first:
                Contact.objects.filter(pk__in=list(first.values())).update(is_primary=True)


class OrderRunner(_Runner):
    entity = ImportEntity.ORDER
    model = Order
    MODEL_KEYS = ["number", "status", "channel", "ordered_at", "currency", "total_amount", "cost_amount"]

    def __init__(self, job: ImportJob, *, write: bool):
        super().__init__(job, write=write)
        self.keys = [k for k in self.MODEL_KEYS if k in self.column_of]
        self.with_lines = bool(LINE_KEYS & set(self.column_of))
        self.line_fields = {f.name: f for f in OrderLine._meta.concrete_fields}

    def units(self, table: Table, columns: list[tuple[int, str]]) -> list[list[tuple[int, list[Any]]]]:
        ext_col = next((i for i, k in columns if k == "external_id"), None)
        if not self.with_lines or ext_col is None:
            return super().units(table, columns)
        groups: dict[str, list[tuple[int, list[Any]]]] = {}
        order: list[Any] = []
        for i, row in enumerate(table.rows):
            if not row:
                continue
            ext = as_text(row[ext_col]) if ext_col < len(row) else ""
            if not ext:
                order.append([(i + 2, row)])
                continue
            if ext not in groups:
                groups[ext] = []
                order.append(groups[ext])
            groups[ext].append((i + 2, row))
        return order

    def prepare(self, parsed: list[list[tuple[int, dict[str, Any]]]]) -> None:
        ext = {u[0][1]["external_id"] for u in parsed if u[0][1].get("external_id")}
        self.existing = self.load_existing(
            Order, {"external_source": self.job.source, "external_id__in": ext}) if ext else {}
        self.resolve_customers(parsed)
        self.salespeople = self.users(parsed, "salesperson")
        skus = {v["line_sku"] for u in parsed for _l, v in u if v.get("line_sku")}
        self.products = {p.sku: p for p in Product.objects.filter(sku__in=skus)} if skus else {}
        self.old_lines: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        if self.with_lines and self.existing:
            for ol in OrderLine.objects.filter(order_id__in=[o.pk for o in self.existing.values()]).order_by("id"):
                self.old_lines[ol.order_id].append(self.line_key(ol))

    @staticmethod
    def line_key(ol: OrderLine) -> tuple[Any, ...]:
        return (ol.product_id, ol.description, Decimal(ol.quantity).normalize(), Decimal(ol.unit_price).normalize())

    def build_lines(self, unit: list[tuple[int, dict[str, Any]]]) -> list[OrderLine]:
        built, bad = [], False
        for line, v in unit:
            if not any(v.get(k) is not None for k in LINE_KEYS):
                continue
            ol = OrderLine()
            errors: dict[str, list[str]] = {}
            sku = v.get("line_sku")
            if sku:
                product = self.products.get(sku)
                if product is None:
                    errors["line_sku"] = [_("No product has the SKU “%(sku)s”.") % {"sku": sku}]
                else:
                    ol.product = product
                    ol.description = product.name
                    ol.unit_price = product.price
            for key, name in (("line_description", "description"), ("line_quantity", "quantity"),
                              ("line_unit_price", "unit_price")):
                value = v.get(key)
                if value is None:
                    continue
                try:
                    setattr(ol, name, self.line_fields[name].clean(value, ol))
                except ValidationError as exc:
                    errors[key] = exc.messages
            if errors:
                bad = True
                for key, messages in errors.items():
                    for m in messages:
                        self.error(line, key, m, v.get(key))
                continue
            ol.amount = (Decimal(ol.quantity) * Decimal(ol.unit_price)).quantize(Decimal("0.01"))
            built.append(ol)
        if bad:
            raise RowInvalid()
        return built

    def build(self, unit: list[tuple[int, dict[str, Any]]]) -> Candidate | None:
        line, v = unit[0]
        ext = v.get("external_id")
        if not self.with_lines or len(unit) == 1:
            self.duplicate(line, ext)
        customer = self.customer_for(line, v)
        inst = self.existing.get(ext) if ext else None
        if inst is not None:
            self.existing_check(line, inst, self.editable_ids, ext)
        is_new = inst is None
        names = [*self.keys, "customer_id", "salesperson_id", "custom"]
        if self.with_lines and "total_amount" not in names:
            names.append("total_amount")
        if is_new:
            inst = Order(external_source=self.job.source, external_id=ext, customer=customer,
                         salesperson_id=customer.owner_id)
            before: dict[str, Any] | None = None
        else:
            before = self.snap(inst, names)
            inst.customer = customer
        errors = self.assign(line, inst, v, self.keys)
        self.check_required(v, errors, is_new)
        if v.get("salesperson"):
            person = self.salespeople.get(v["salesperson"])
            if person is None:
                errors["salesperson"] = [_("No user is called “%(name)s”.") % {"name": v["salesperson"]}]
            else:
                inst.salesperson = person
        self.custom_values(inst, v, errors)
        if errors:
            self.fail(line, errors, v)
        lines = self.build_lines(unit) if self.with_lines else []
        if lines:
            inst.total_amount = sum((ol.amount for ol in lines), Decimal("0"))
        changes = self.diff(before, inst, names)
        cand = Candidate([ln for ln, _v in unit], inst, is_new, changes, fields=set(changes))
        if self.with_lines:
            wanted = [self.line_key(ol) for ol in lines]
            if is_new or wanted != self.old_lines.get(inst.pk, []):
                cand.extra.update(lines=lines, changed=True)
                if not is_new:
                    changes["lines"] = [len(self.old_lines.get(inst.pk, [])), len(lines)]
        return cand

    def save(self, candidates: list[Candidate]) -> None:
        self.save_instances(candidates)
        replaced = [c.instance.pk for c in candidates if not c.is_new and "lines" in c.extra]
        if replaced:
            OrderLine.objects.filter(order_id__in=replaced).delete()
        new_lines = []
        for c in candidates:
            for ol in c.extra.get("lines", []):
                ol.order = c.instance
                new_lines.append(ol)
        if new_lines:
            OrderLine.objects.bulk_create(new_lines, batch_size=1000)
        paid = {c.instance.customer_id for c in candidates if c.instance.status == Order.Status.PAID}
        if paid:
            Customer.objects.filter(pk__in=paid, lifecycle=Customer.Lifecycle.PROSPECT).update(
                lifecycle=Customer.Lifecycle.ACTIVE)


RUNNERS: dict[str, type[_Runner]] = {
    ImportEntity.CUSTOMER: CustomerRunner,
    ImportEntity.CONTACT: ContactRunner,
    ImportEntity.ORDER: OrderRunner,
}
