"""Bulk writes of the service-desk demo rows with explicit ids and timestamps (auto_now_add fields included),
through the customers demo's TableSpec: executemany on both databases, then PostgreSQL's sequences moved past
the ids written."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max
from django.utils import timezone

from guanxi.customers.demo.writer import TableSpec


class DemoRows:
    """Row dicts by model, numbered as they are added (so later rows can point at earlier ones)."""

    def __init__(self) -> None:
        self.rows: dict[type[models.Model], list[dict[str, Any]]] = {}
        self.next_id: dict[type[models.Model], int] = {}

    def reserve(self, *models_in_order: type[models.Model]) -> None:
        """Fix the order in which models are written (referenced rows first), whatever order rows come in."""
        for model in models_in_order:
            self.rows.setdefault(model, [])

    def peek(self, model: type[models.Model]) -> int:
        """The id the next row of `model` will get."""
        if model not in self.next_id:
            self.next_id[model] = (model._base_manager.aggregate(m=Max("id"))["m"] or 0) + 1
            self.rows.setdefault(model, [])
        return self.next_id[model]

    def add(self, model: type[models.Model], row: dict[str, Any]) -> int:
        """Keep `row` (the dict itself: it may still be changed until `write`) and give it the next id."""
        row["id"] = self.peek(model)
        self.next_id[model] += 1
        self.rows[model].append(row)
        return row["id"]

    def write(self) -> dict[str, int]:
        """Insert everything in the order the models were first added (referenced rows first)."""
        counts: dict[str, int] = {}
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            for model, rows in self.rows.items():
                if not rows:
                    continue
                spec = TableSpec(model)
                cols = ", ".join(qn(c) for c in spec.columns)
                marks = ", ".join(["%s"] * len(spec.columns))
                cursor.executemany(f"INSERT INTO {qn(spec.table)} ({cols}) VALUES ({marks})",  # noqa: S608
                                   spec.tuples(rows))
                name = model._meta.model_name or model.__name__
                counts[name if model._meta.app_label == "support" else f"support_{name}"] = len(rows)
            if connection.vendor == "postgresql":
                for statement in connection.ops.sequence_reset_sql(no_style(), [m for m, r in self.rows.items() if r]):
                    cursor.execute(statement)
        return counts


def taken_numbers(model: type[models.Model], letter: str, *, since: datetime) -> dict[str, int]:
    """The last sequence used per day prefix (T20261123…) from `since` on, so that demo numbers stay unique."""
    first = letter + timezone.localtime(since).strftime("%Y%m%d")
    taken: dict[str, int] = {}
    for number in model._base_manager.filter(number__startswith=letter, number__gte=first).values_list(
            "number", flat=True):
        prefix, seq = number[:9], number[9:]
        if seq.isdigit():
            taken[prefix] = max(taken.get(prefix, 0), int(seq))
    return taken
