"""Fast bulk writes of generated rows: executemany on SQLite, COPY (or executemany) on PostgreSQL.

Columns come from each model's concrete fields, so a field added later (with a default)
is filled with its default without touching this file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.core.management.color import no_style
from django.db import connections, models
from django.db.models import Max

from ..models import Contact, Customer, Interaction, Order, OrderLine, Task

JSON_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class TableSpec:
    def __init__(self, model: type[models.Model], *, with_id: bool = True, using: str = "default") -> None:
        conn = connections[using]
        fields = [f for f in model._meta.concrete_fields if with_id or not f.primary_key]
        self.model = model
        self.table = model._meta.db_table
        self.columns = [str(f.column) for f in fields]
        self.attnames = [f.attname for f in fields]
        self.defaults: list[Any] = [
            None if (f.primary_key or getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
            else f.get_default()
            for f in fields
        ]
        adapters: list[tuple[int, Callable[[Any], Any]]] = []
        sqlite = conn.vendor == "sqlite"
        for i, f in enumerate(fields):
            if isinstance(f, models.JSONField):
                adapters.append((i, JSON_DUMPS))
                self.defaults[i] = JSON_DUMPS(self.defaults[i]) if self.defaults[i] is not None else None
            elif sqlite and isinstance(f, models.DateTimeField):
                adapters.append((i, conn.ops.adapt_datetimefield_value))
            elif sqlite and isinstance(f, models.DateField):
                adapters.append((i, conn.ops.adapt_datefield_value))
        self.adapters = adapters

    def tuples(self, rows: Iterable[dict[str, Any]]) -> list[tuple[Any, ...]]:
        names, defaults, adapters = self.attnames, self.defaults, self.adapters
        out = []
        for row in rows:
            values = [row.get(n, d) for n, d in zip(names, defaults, strict=True)]
            for i, adapt in adapters:
                v = values[i]
                if v is not None and not isinstance(v, str):
                    values[i] = adapt(v)
            out.append(tuple(values))
        return out


TABLES: dict[str, tuple[type[models.Model], bool]] = {
    "customer": (Customer, True),
    "customer_tag": (Customer.tags.through, False),
    "contact": (Contact, True),
    "order": (Order, True),
    "order_line": (OrderLine, False),
    "interaction": (Interaction, True),
    "task": (Task, False),
}
ORDER = ["customer", "customer_tag", "contact", "order", "order_line", "interaction", "task"]


class BulkWriter:
    """Insert row dicts table by table. `copy=True` uses PostgreSQL COPY (bench)."""

    def __init__(self, using: str = "default", *, copy: bool | None = None) -> None:
        self.using = using
        self.connection = connections[using]
        self.copy = self.connection.vendor == "postgresql" if copy is None else copy
        self.specs = {key: TableSpec(model, with_id=with_id, using=using) for key, (model, with_id) in TABLES.items()}
        self.counts: dict[str, int] = dict.fromkeys(TABLES, 0)

    def write(self, rows_by_table: dict[str, list[dict[str, Any]]]) -> None:
        with self.connection.cursor() as cursor:
            for key in ORDER:
                rows = rows_by_table.get(key)
                if not rows:
                    continue
                spec = self.specs[key]
                tuples = spec.tuples(rows)
                qn = self.connection.ops.quote_name
                cols = ", ".join(qn(c) for c in spec.columns)
                if self.copy:
                    raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                    with raw.copy(f"COPY {qn(spec.table)} ({cols}) FROM STDIN") as copy:
                        for t in tuples:
                            copy.write_row(t)
                else:
                    marks = ", ".join(["%s"] * len(spec.columns))
                    cursor.executemany(f"INSERT INTO {qn(spec.table)} ({cols}) VALUES ({marks})", tuples)  # noqa: S608
                self.counts[key] += len(tuples)

    def finish(self) -> None:
        """Move PostgreSQL sequences past the ids written explicitly."""
        if self.connection.vendor != "postgresql":
            return
        sql = self.connection.ops.sequence_reset_sql(no_style(), [m for m, _ in TABLES.values()])
        with self.connection.cursor() as cursor:
            for statement in sql:
                cursor.execute(statement)


def next_ids(using: str = "default") -> dict[str, int]:
    """The first free id of each table the generator numbers itself."""
    result = {}
    for key, model in (("customer", Customer), ("contact", Contact), ("order", Order), ("interaction", Interaction)):
        top = model._base_manager.using(using).aggregate(m=Max("id"))["m"] or 0
        result[key] = top + 1
    return result
