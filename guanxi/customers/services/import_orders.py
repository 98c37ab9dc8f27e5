"""Importing orders (one row per order, or one row per order line), built for big files.

Orders are the bulk of what shops export (100,000s of rows), so this importer avoids Django's
per-object machinery while keeping every rule:

* Cells are checked with `field_rule` (import_checks.py): cheap tests derived from the model fields
  (length, choices, non-negative, digits/decimal places), falling back to ``Field.clean`` — so
  the error messages and field names are the model's.
* Per batch, one query finds the existing orders by ``(source, external id)`` as plain values and
  at most three find the customers; rows are dicts, not model instances.
* New orders are written with the demo/bench writer (`BulkWriter`: COPY on PostgreSQL, executemany
  on SQLite) with ids taken from the table's sequence, filling every column the services fill
  (salesperson = the customer's owner, currency, custom values, timestamps, version 1).
* A re-imported row is compared value by value with the stored order; an unchanged row costs no
  write at all. Changed orders are re-read ``FOR UPDATE`` and written with ``bulk_update`` only if
  nobody changed them since they were read (else the row is reported and skipped).
* A paid order activates its prospect customer, as ``order_create`` does.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connections, router
from django.utils import timezone
from django.utils.translation import gettext as _

from ..demo.writer import BulkWriter
from ..models import Customer, ImportEntity, ImportJob, Order, OrderLine, Product
from .import_checks import field_rule
from .import_fields import LINE_KEYS
from .import_parsing import Table, as_text
from .import_runner import Candidate, ParsedUnit, RowInvalid, Runner, Unit

CENT = Decimal("0.01")


def allocate_ids(model: Any, count: int, using: str) -> list[int]:
    """`count` fresh primary keys for `model`, safe with other writers: the PostgreSQL sequence, or on
    SQLite (whose write transactions are exclusive: BEGIN IMMEDIATE) past both the largest id and the
    AUTOINCREMENT counter."""
    conn = connections[using]
    table = model._meta.db_table
    column = model._meta.pk.column
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [conn.ops.quote_name(table), column, count])
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT MAX({conn.ops.quote_name(column)}) FROM {conn.ops.quote_name(table)}")  # noqa: S608
        top = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        top = max(top, row[0] if row else 0)
    return list(range(top + 1, top + 1 + count))


class OrderRunner(Runner):
    entity = ImportEntity.ORDER
    model = Order
    MODEL_KEYS = ["number", "status", "channel", "ordered_at", "currency", "total_amount", "cost_amount"]
    LINE_FIELDS = (("line_description", "description"), ("line_quantity", "quantity"),
                   ("line_unit_price", "unit_price"))

    def __init__(self, job: ImportJob, *, write: bool):
        super().__init__(job, write=write)
        self.keys = [k for k in self.MODEL_KEYS if k in self.column_of]
        self.rules = {k: field_rule(self.model_fields[k]) for k in self.keys}
        self.with_lines = bool(LINE_KEYS & set(self.column_of))
        line_fields = {f.name: f for f in OrderLine._meta.concrete_fields}
        self.line_rules = {name: field_rule(line_fields[name]) for _k, name in self.LINE_FIELDS}
        self.line_defaults = {name: line_fields[name].get_default() for _k, name in self.LINE_FIELDS}
        self.names = [*self.keys, "customer_id", "salesperson_id", "custom"]
        if self.with_lines and "total_amount" not in self.names:
            self.names.append("total_amount")
        self.stored = list(dict.fromkeys(["id", "external_id", "deleted_at", "version", "number", "status",
                                          *self.names]))  # what is read of an existing order
        # a new order starts from the model's defaults, as Order(...) would
        self.new_row = {f.attname: f.get_default() for f in Order._meta.concrete_fields
                        if not (f.primary_key or getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))}
        self.new_row["external_source"] = job.source
        self.using = router.db_for_write(Order)
        self.writer: BulkWriter | None = None

    # -- reading
    def units(self, table: Table, columns: list[tuple[int, str]]) -> list[Unit]:
        ext_col = next((i for i, k in columns if k == "external_id"), None)
        if not self.with_lines or ext_col is None:
            return super().units(table, columns)
        groups: dict[str, Unit] = {}
        order: list[Unit] = []
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

    def prepare(self, parsed: list[ParsedUnit]) -> None:
        self.resolve_customers(parsed)
        ext = {u[0][1]["external_id"] for u in parsed if u[0][1].get("external_id")}
        self.existing: dict[str, dict[str, Any]] = {}
        if ext:
            for row in (Order._base_manager.using(self.using)
                        .filter(external_source=self.job.source, external_id__in=ext).order_by()
                        .values(*self.stored)):
                self.existing[row["external_id"]] = row
        # An order may be changed by whoever may change its (current) customer.
        owners = {row["customer_id"] for row in self.existing.values() if row["deleted_at"] is None}
        editable_customers = owners & set(self.customer_refs)
        if owners - editable_customers:
            editable_customers |= set(Customer.objects.editable_by(self.actor).filter(
                pk__in=owners - editable_customers).values_list("pk", flat=True))
        self.editable_ids = {row["id"] for row in self.existing.values()
                             if row["deleted_at"] is None and row["customer_id"] in editable_customers}
        self.salespeople = self.users(parsed, "salesperson")
        self.products: dict[str, Product] = {}
        self.old_lines: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        if self.with_lines:
            skus = {v["line_sku"] for u in parsed for _l, v in u if v.get("line_sku")}
            self.products = {p.sku: p for p in Product.objects.filter(sku__in=skus)} if skus else {}
            if self.existing:
                old = (OrderLine.objects.filter(order_id__in=[o["id"] for o in self.existing.values()])
                       .order_by("id").values_list("order_id", "product_id", "description", "quantity", "unit_price"))
                for order_id, product_id, description, quantity, unit_price in old:
                    self.old_lines[order_id].append(self.line_key(product_id, description, quantity, unit_price))

    @staticmethod
    def line_key(product_id: Any, description: str, quantity: Any, unit_price: Any) -> tuple[Any, ...]:
        return (product_id, description, Decimal(quantity).normalize(), Decimal(unit_price).normalize())

    def build_lines(self, unit: ParsedUnit) -> list[dict[str, Any]]:
        built, bad = [], False
        for line, v in unit:
            if not any(v.get(k) is not None for k in LINE_KEYS):
                continue
            ol: dict[str, Any] = {"product_id": None, **self.line_defaults}
            errors: dict[str, list[str]] = {}
            sku = v.get("line_sku")
            if sku:
                product = self.products.get(sku)
                if product is None:
                    errors["line_sku"] = [_("No product has the SKU “%(sku)s”.") % {"sku": sku}]
                else:
                    ol.update(product_id=product.pk, description=product.name, unit_price=product.price)
            for key, name in self.LINE_FIELDS:
                value = v.get(key)
                if value is None:
                    continue
                try:
                    ol[name] = self.line_rules[name](value)
                except ValidationError as exc:
                    errors[key] = exc.messages
            if errors:
                bad = True
                for key, messages in errors.items():
                    for m in messages:
                        self.error(line, key, m, v.get(key))
                continue
            ol["amount"] = (Decimal(ol["quantity"]) * Decimal(ol["unit_price"])).quantize(CENT)
            built.append(ol)
        if bad:
            raise RowInvalid()
        return built

    def build(self, unit: ParsedUnit) -> Candidate:
        line, v = unit[0]
        ext = v.get("external_id")
        if not self.with_lines or len(unit) == 1:
            self.duplicate(line, ext)
        customer = self.customer_for(line, v)
        old = self.existing.get(ext) if ext else None
        if old is None:
            row = self.new_row.copy()
            row["external_id"] = ext
            row["salesperson_id"] = customer.owner_id
        else:
            self.existing_check(line, old["id"], old["deleted_at"], str(ext))
            row = old.copy()
        is_new = old is None
        row["customer_id"] = customer.id
        errors: dict[str, list[str]] = {}
        rules = self.rules
        for key in self.keys:
            value = v[key]
            if value is not None:
                try:
                    row[key] = rules[key](value)
                except ValidationError as exc:  # the model field's own messages
                    errors[key] = exc.messages
        self.check_required(v, errors, is_new)
        person_name = v.get("salesperson")
        if person_name:
            person = self.salespeople.get(person_name)
            if person is None:
                errors["salesperson"] = [_("No user is called “%(name)s”.") % {"name": person_name}]
            else:
                row["salesperson_id"] = person.pk
        custom = self.clean_custom(row["custom"], v, is_new, errors)
        if custom is not None:
            row["custom"] = custom
        if errors:
            self.fail(line, errors, v)
        lines = self.build_lines(unit) if self.with_lines else []
        if lines:
            row["total_amount"] = sum((ol["amount"] for ol in lines), Decimal("0"))
        if is_new:
            changes = {} if self.compact else self.diff_values(None, row, self.names)
        else:
            changes = self.diff_values(old, row, self.names)
        cand = Candidate([ln for ln, _v in unit], row, is_new, changes, fields=set(changes))
        if self.with_lines:
            wanted = [self.line_key(ol["product_id"], ol["description"], ol["quantity"], ol["unit_price"])
                      for ol in lines]
            if is_new or wanted != self.old_lines.get(row["id"], []):
                cand.extra.update(lines=lines, changed=True)
                if not is_new:
                    changes["lines"] = [len(self.old_lines.get(row["id"], [])), len(lines)]
        return cand

    # -- writing
    def save(self, candidates: list[Candidate]) -> None:
        now = timezone.now()
        updates = [c.instance["id"] for c in candidates if not c.is_new]
        if updates:
            locked = dict(Order._base_manager.using(self.using).select_for_update()
                          .filter(pk__in=updates).values_list("pk", "version"))
            # in place: the audit that follows sees the same list
            candidates[:] = [c for c in candidates if c.is_new or self.still_current(c, locked)]
        new = [c.instance for c in candidates if c.is_new]
        conn = connections[self.using]
        # the batch's time stamp, converted once (SQLite stores text) rather than per row by the writer
        stamp = conn.ops.adapt_datetimefield_value(now) if conn.vendor == "sqlite" else now
        for row, pk in zip(new, allocate_ids(Order, len(new), self.using) if new else [], strict=True):
            row.update(id=pk, created_at=stamp, updated_at=stamp, version=1)
            if not row["custom"]:
                row["custom"] = "{}"  # JSON text, so the writer need not encode it per row
        changed = [c for c in candidates if not c.is_new and c.changes]
        if changed:
            fields: set[str] = {"version", "updated_at"}
            for c in changed:
                c.instance["version"] += 1
                c.instance["updated_at"] = now
                fields |= c.fields
            fields.discard("lines")
            Order._base_manager.using(self.using).bulk_update(
                [Order(id=c.instance["id"], **{f: c.instance[f] for f in fields}) for c in changed],
                sorted(fields), batch_size=500)
        replaced = [c.instance["id"] for c in candidates if not c.is_new and "lines" in c.extra]
        if replaced:
            OrderLine.objects.using(self.using).filter(order_id__in=replaced).delete()
        lines = [{**ol, "order_id": c.instance["id"]} for c in candidates for ol in c.extra.get("lines", [])]
        if new or lines:
            if self.writer is None:
                self.writer = BulkWriter(self.using)
            self.writer.write({"order": new, "order_line": lines})
        # a paid order makes a prospect an active customer (as order_create does)
        prospects = {c.instance["customer_id"] for c in candidates if c.instance["status"] == Order.Status.PAID
                     and self.customer_refs[c.instance["customer_id"]].lifecycle == Customer.Lifecycle.PROSPECT}
        if prospects:
            Customer.objects.using(self.using).filter(pk__in=prospects, lifecycle=Customer.Lifecycle.PROSPECT).update(
                lifecycle=Customer.Lifecycle.ACTIVE)
            for pk in prospects:
                self.customer_activated(pk)

    def still_current(self, c: Candidate, locked: dict[int, int]) -> bool:
        """Whether an order about to be updated is as it was read (its version); else report the row."""
        if locked.get(c.instance["id"]) == c.instance["version"]:
            return True
        self.updated -= 1
        for line in c.lines:
            self.error(line, "external_id", _("The order with external id “%(id)s” was changed by someone else "
                                              "during the import; import the file again.")
                       % {"id": c.instance["external_id"]}, c.instance["external_id"])
        return False

    def audit(self, candidates: list[Candidate], units: list[Unit]) -> None:
        if candidates:
            super().audit(candidates, units)

    def object_id(self, c: Candidate) -> Any:
        return c.instance["id"]

    def object_repr(self, c: Candidate) -> str:
        return str(c.instance["number"] or f"#{c.instance['id']}")

    def customer_id(self, c: Candidate) -> int | None:
        return int(c.instance["customer_id"])
