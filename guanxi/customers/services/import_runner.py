"""The machinery shared by the per-entity importers: reading rows in batches, parsing cells,
reporting row errors, finding customers and existing records, writing and auditing a batch.

A batch is parsed, validated and written in one transaction (``GUANXI_IMPORT_BATCH_SIZE`` rows);
a database error rolls the whole batch back and reports its rows. See ``imports.py`` for the
job lifecycle and ``import_records.py`` / ``import_orders.py`` for the entities.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.governance.models import AuditLog

from ..models import Customer, ImportJob
from .custom_fields import clean_custom_values, definitions_for
from .import_fields import REF_KEYS, ImportField, choice_index, fields_for
from .import_parsing import Table, as_text, parse_bool, parse_date, parse_datetime, parse_decimal, split_list

logger = logging.getLogger(__name__)

Unit = list[tuple[int, list[Any]]]  # the rows processed together: (line, cells)
ParsedUnit = list[tuple[int, dict[str, Any]]]  # (line, {field key: parsed value})


def setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def jsonable(value: Any) -> Any:
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


@dataclass
class Candidate:
    """One record a unit of rows will create or update. `instance` is a model instance, or a row
    dict for the importers that write raw rows (orders)."""

    lines: list[int]
    instance: Any
    is_new: bool
    changes: dict[str, Any]
    fields: set[str] = field(default_factory=set)  # attnames to write when updating
    extra: dict[str, Any] = field(default_factory=dict)


class CustomerRef(NamedTuple):
    """A customer a row refers to: just what the importers need, without building a model instance."""

    id: int
    owner_id: int | None
    lifecycle: str


def external_ids_in(ids: Any) -> dict[str, Any]:
    """Lookup of customers/contacts by external id. `> ''` is implied by the ids (never empty) but
    spelled out so SQLite and PostgreSQL can use the partial unique index (`WHERE external_id > ''`):
    with `IN` alone both scan the whole table."""
    return {"external_id__in": ids, "external_id__gt": ""}


class RowInvalid(Exception):
    pass


class Runner:
    entity = ""
    model: Any = models.Model

    def __init__(self, job: ImportJob, *, write: bool):
        self.job = job
        self.actor: Any = job.created_by
        self.write = write
        self.definitions = definitions_for(self.entity)
        self.fields = fields_for(self.entity, self.definitions)
        self.by_key: dict[str, ImportField] = {f.key: f for f in self.fields}
        self.required = [f for f in self.fields if f.required]
        self.column_of: dict[str, str] = {k: h for h, k in job.mapping.items() if k}
        self.tz = timezone.get_current_timezone()
        self.errors: list[dict[str, Any]] = []
        self.error_lines: set[int] = set()
        self.max_errors = setting("GUANXI_IMPORT_MAX_ERRORS", 10_000)
        self.batch_size = setting("GUANXI_IMPORT_BATCH_SIZE", 1000)
        self.compact = job.total_rows > setting("GUANXI_IMPORT_AUDIT_DETAIL_MAX_ROWS", 10_000)
        self.created = self.updated = self.unchanged = self.processed = 0
        self.seen: dict[str, int] = {}
        self.batch_no = 0
        self.choice_index = {f.key: choice_index(f.choices) for f in self.fields if f.kind == "choice"}
        self.model_fields = {f.name: f for f in self.model._meta.concrete_fields}
        self.editable_ids: set[int] = set()
        self.known_ext: dict[str, CustomerRef] = {}
        self.by_ext: dict[str, CustomerRef] = {}

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

    def _progress(self) -> None:
        ImportJob.objects.filter(pk=self.job.pk).update(
            processed_rows=self.processed, created_count=self.created, updated_count=self.updated,
            unchanged_count=self.unchanged, error_count=len(self.error_lines),
        )

    # -- reading
    def parser(self, spec: ImportField) -> Callable[[Any], Any]:
        """raw cell (not blank) -> value; raises ValidationError with a translated message."""
        kind = spec.kind
        if kind in ("text", "user"):
            return lambda raw: (raw.strip() if type(raw) is str else as_text(raw)) or None
        if kind == "decimal":
            return parse_decimal
        if kind == "date":
            return parse_date
        if kind == "datetime":
            tz = self.tz
            return lambda raw: parse_datetime(raw, tz)
        if kind == "bool":
            return parse_bool
        if kind == "list":
            return split_list
        if kind == "choice":
            index = self.choice_index[spec.key]
            labels = ", ".join(str(label) for _v, label in spec.choices.choices)

            def choice(raw: Any) -> str:
                text = as_text(raw)
                value = index.get(text.lower())
                if value is None:
                    raise ValidationError(_("Unknown value “%(value)s”; use one of: %(choices)s.")
                                          % {"value": text, "choices": labels})
                return value

            return choice
        if kind == "custom":
            return lambda raw: raw.strip() if isinstance(raw, str) else raw
        return lambda raw: raw

    def parse_row(self, line: int, row: list[Any],
                  columns: list[tuple[int, str, Callable[[Any], Any]]]) -> dict[str, Any] | None:
        values: dict[str, Any] = {}
        ok = True
        width = len(row)
        for index, key, parse in columns:
            raw = row[index] if index < width else None
            if raw is None or (type(raw) is str and (not raw or raw.isspace())):
                values[key] = None
                continue
            try:
                values[key] = parse(raw)
            except ValidationError as exc:
                ok = False
                for m in exc.messages:
                    self.error(line, key, m, raw)
        return values if ok else None

    def units(self, table: Table, columns: list[tuple[int, str]]) -> list[Unit]:
        """Rows to process together (an order and its lines); one row each by default."""
        return [[(i + 2, row)] for i, row in enumerate(table.rows) if row]

    def run(self, table: Table) -> None:
        header_index = {h: i for i, h in enumerate(table.headers) if h}
        columns = [(header_index[h], k) for h, k in self.job.mapping.items() if k and h in header_index]
        parsers = [(i, k, self.parser(self.by_key[k])) for i, k in columns]
        batch: list[Unit] = []
        size = 0
        for unit in self.units(table, columns):
            batch.append(unit)
            size += len(unit)
            if size >= self.batch_size:
                self.process_batch(batch, parsers)
                batch, size = [], 0
        if batch:
            self.process_batch(batch, parsers)

    def process_batch(self, units: list[Unit], columns: list[tuple[int, str, Callable[[Any], Any]]]) -> None:
        self.batch_no += 1
        parsed: list[ParsedUnit] = []
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
        for f in self.required:
            if f.required and values.get(f.key) is None and f.key not in errors:
                errors[f.key] = [_("%(field)s is required.") % {"field": f.label}]

    def clean_custom(self, current: dict[str, Any] | None, values: dict[str, Any], is_new: bool,
                     errors: dict[str, list[str]]) -> dict[str, Any] | None:
        """The record's custom values after this row, or None to leave them alone."""
        given = {k[7:]: v for k, v in values.items() if k.startswith("custom.") and v is not None}
        if not given and not is_new:
            return None
        if not given and not self.definitions:
            return {}
        try:
            return clean_custom_values(self.entity, {**(current or {}), **given}, self.definitions)
        except ValidationError as exc:
            errors.update(exc.message_dict)
            return None

    def custom_values(self, inst: Any, values: dict[str, Any], errors: dict[str, list[str]]) -> None:
        custom = self.clean_custom(inst.custom, values, inst.pk is None, errors)
        if custom is not None:
            inst.custom = custom

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

    def users(self, parsed: list[ParsedUnit], key: str) -> dict[str, Any]:
        names = {v[key] for unit in parsed for _l, v in unit if v.get(key)}
        if not names:
            return {}
        return {u.username: u for u in get_user_model().objects.select_related("employee").filter(username__in=names)}

    def resolve_customers(self, parsed: list[ParsedUnit]) -> None:
        """Per batch: at most three queries to find the customers rows refer to (only those the
        actor may change)."""
        ext, codes, names = set(), set(), set()
        for unit in parsed:
            v = unit[0][1]
            if v.get("customer_external_id"):
                ext.add(v["customer_external_id"])
            elif v.get("customer_credit_code"):
                codes.add(v["customer_credit_code"].upper())
            elif v.get("customer_name"):
                names.add(v["customer_name"])
        editable = Customer.objects.editable_by(self.actor).order_by()
        cols = ("id", "owner_id", "lifecycle")
        # Customers found by external id are remembered for the rest of the job (a big file names the
        # same customers again and again); credit codes and names are looked up per batch.
        missing = ext - self.known_ext.keys()
        if missing:
            self.known_ext.update((row[3], CustomerRef(*row[:3])) for row in
                                  editable.filter(**external_ids_in(missing)).values_list(*cols, "external_id"))
        self.by_ext = self.known_ext
        self.by_code: dict[str, list[CustomerRef]] = defaultdict(list)
        self.by_name: dict[str, list[CustomerRef]] = defaultdict(list)
        if codes:
            for row in editable.filter(credit_code__in=codes).values_list(*cols, "credit_code"):
                self.by_code[row[3]].append(CustomerRef(*row[:3]))
        if names:
            for row in editable.filter(name__in=names).values_list(*cols, "name"):
                self.by_name[row[3]].append(CustomerRef(*row[:3]))
        self.customer_refs = {r.id: r for r in self.by_ext.values()}
        for refs in (*self.by_code.values(), *self.by_name.values()):
            self.customer_refs.update((r.id, r) for r in refs)

    def customer_activated(self, pk: int) -> None:
        """Our own write made a prospect active: keep the remembered refs in step."""
        ref = self.customer_refs.get(pk)
        if ref is not None:
            active = ref._replace(lifecycle=Customer.Lifecycle.ACTIVE)
            self.customer_refs[pk] = active
            for key, known in self.known_ext.items():
                if known.id == pk:
                    self.known_ext[key] = active

    def customer_for(self, line: int, v: dict[str, Any]) -> CustomerRef:
        if v.get("customer_external_id"):
            key, value = "customer_external_id", v["customer_external_id"]
            ref = self.by_ext.get(value)
            found = [ref] if ref is not None else []
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

    def existing_check(self, line: int, pk: int, deleted_at: Any, ext: str) -> None:
        if deleted_at is not None:
            self.error(line, "external_id", _("The record with external id “%(id)s” is in the recycle bin; "
                                              "restore it before importing it again.") % {"id": ext}, ext)
            raise RowInvalid()
        if pk not in self.editable_ids:
            self.error(line, "external_id", _("The record with external id “%(id)s” exists but you may not "
                                              "change it.") % {"id": ext}, ext)
            raise RowInvalid()

    def load_existing(self, lookup: dict[str, Any]) -> dict[str, Any]:
        """Existing records by external id, and which of them the actor may change."""
        qs = self.model._base_manager.filter(**lookup).order_by()
        if self.write:
            qs = qs.select_for_update()
        found = {obj.external_id: obj for obj in qs}
        self.editable_ids = set(
            self.model.objects.editable_by(self.actor).filter(pk__in=[o.pk for o in found.values()])
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

    def object_id(self, c: Candidate) -> Any:
        return c.instance.pk

    def object_repr(self, c: Candidate) -> str:
        return str(c.instance)

    def customer_id(self, c: Candidate) -> int | None:
        return getattr(c.instance, "customer_id", None)

    def audit(self, candidates: list[Candidate], units: list[Unit]) -> None:
        """Detailed: a CREATE/UPDATE entry per record. Big jobs (more rows than
        GUANXI_IMPORT_AUDIT_DETAIL_MAX_ROWS) use the compact scheme: updates keep their own entry with
        before/after, creations are listed by id in the batch's IMPORT entry (their values are the
        file's rows, and the job records who imported which file when)."""
        actor, compact = self.actor, self.compact
        entity = str(self.model._meta.model_name)
        rows = [
            AuditLog(actor=actor, action=AuditLog.Action.CREATE if c.is_new else AuditLog.Action.UPDATE,
                     entity=entity, object_id=str(self.object_id(c)), object_repr=self.object_repr(c)[:200],
                     customer_id=self.customer_id(c), changes={**c.changes, "import_job": self.job.pk})
            for c in candidates if not (compact and c.is_new)
        ]
        lines = [line for unit in units for line, _r in unit]
        summary: dict[str, Any] = {
            "batch": self.batch_no, "lines": [min(lines), max(lines)] if lines else [],
            "created": sum(1 for c in candidates if c.is_new),
            "updated": sum(1 for c in candidates if not c.is_new), "source": self.job.source,
        }
        if compact:
            summary["created_ids"] = [self.object_id(c) for c in candidates if c.is_new]
        rows.append(AuditLog(
            actor=actor, action=AuditLog.Action.IMPORT, entity="importjob", object_id=str(self.job.pk),
            object_repr=f"{self.job.get_entity_display()}: {self.job.filename}"[:200], changes=summary,
        ))
        AuditLog.objects.bulk_create(rows, batch_size=500)

    @staticmethod
    def snap(inst: Any, names: list[str]) -> dict[str, Any]:
        return {n: getattr(inst, n) for n in names}

    @staticmethod
    def diff_values(before: dict[str, Any] | None, after: dict[str, Any], names: list[str]) -> dict[str, list[Any]]:
        """Changed fields as {field: [before, after]} (JSON-ready). Compares values, not their text, so
        1200 equals 1200.00 and 10:30+08:00 equals 02:30 UTC."""
        if before is None:
            return {k: [None, jsonable(after[k])] for k in names if after[k] not in (None, "", {})}
        return {k: [jsonable(before[k]), jsonable(after[k])] for k in names if before[k] != after[k]}

    def diff(self, before: dict[str, Any] | None, inst: Any, names: list[str]) -> dict[str, list[Any]]:
        return self.diff_values(before, self.snap(inst, names), names)

    # -- per entity
    def prepare(self, parsed: list[ParsedUnit]) -> None:
        raise NotImplementedError

    def build(self, unit: ParsedUnit) -> Candidate:
        """A candidate for the unit; raises RowInvalid (after reporting) for a bad unit."""
        raise NotImplementedError

    def save(self, candidates: list[Candidate]) -> None:
        self.save_instances(candidates)
