"""Grouped statistics for the service report, in as few passes over the tickets as possible.

`ticket_groups(qs)` and `response_groups(qs)` return {set name: {group key: {measure: value}}} for the sets
below (a key is one value, a tuple for two dimensions, None for everything). On PostgreSQL each is ONE query:
the rows are read once and grouped by GROUPING SETS, with the medians and 90th percentiles computed by
`percentile_cont`. SQLite has neither, so there each set is a grouped ORM query and the percentiles are taken
in Python from the durations alone (one float per ticket, never model instances), with the same linear
interpolation as percentile_cont. The tests run the same numbers on both databases.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import connections
from django.db.models import Avg, Count, F, FloatField, Func, Q, QuerySet
from django.db.models.functions import Coalesce, TruncWeek

FRACTIONS = (0.5, 0.9)


class Seconds(Func):
    """Seconds from the datetime column `start` to `end` (NULL if either is NULL), computed in SQL."""

    output_field = FloatField()

    def __init__(self, end: str, start: str) -> None:
        super().__init__(F(end), F(start))

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM (%(expressions)s))::double precision",
                           arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="((julianday(%(expressions)s)) * 86400.0)",
                           arg_joiner=") - julianday(", **extra)


def percentile(ordered: Sequence[float], fraction: float) -> float | None:
    """The same as percentile_cont: linear interpolation between the closest ranks of sorted values."""
    if not ordered:
        return None
    k = (len(ordered) - 1) * fraction
    low = math.floor(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def share(part: int, whole: int) -> float | None:
    """Percent with one decimal; None when there is nothing to divide by."""
    return round(part * 100.0 / whole, 1) if whole else None


def nps_score(promoters: int, detractors: int, answers: int) -> float | None:
    """% promoters − % detractors, one decimal."""
    return round((promoters - detractors) * 100.0 / answers, 1) if answers else None


# ---------------------------------------------------------------- what is grouped and counted

TICKET_COLUMNS = {
    "g_agent": F("assignee_id"), "g_team": F("team_id"), "g_week": TruncWeek("created_at"), "g_type": F("type"),
    "g_product": F("product_id"), "frt": Seconds("first_responded_at", "created_at"),
    "res": Seconds("resolved_at", "created_at"), "t_resolved": F("resolved_at"), "t_policy": F("sla_policy_id"),
    "t_frb": F("first_response_breached"), "t_rb": F("resolution_breached"), "t_reopens": F("reopen_count"),
}
TICKET_SETS = {"agent": ("g_agent",), "team": ("g_team",), "week": ("g_week",), "all": (), "type": ("g_type",),
               "product": ("g_product",), "type_product": ("g_type", "g_product")}
# The same counts twice: SQL over the columns above (PostgreSQL), ORM over the model (SQLite).
TICKET_SQL = {
    "tickets": "COUNT(*)",
    "resolved": "COUNT(*) FILTER (WHERE t_resolved IS NOT NULL)",
    "sla_tickets": "COUNT(*) FILTER (WHERE t_policy IS NOT NULL)",
    "fr_met": "COUNT(*) FILTER (WHERE t_policy IS NOT NULL AND NOT t_frb)",
    "res_met": "COUNT(*) FILTER (WHERE t_policy IS NOT NULL AND NOT t_rb)",
    "reopened": "COUNT(*) FILTER (WHERE t_reopens > 0)",
    "ever_resolved": "COUNT(*) FILTER (WHERE t_resolved IS NOT NULL OR t_reopens > 0)",
    "frt": "percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY frt)",
    "res": "percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY res)",
}
TICKET_ORM = {
    "tickets": Count("id"),
    "resolved": Count("id", filter=Q(resolved_at__isnull=False)),
    "sla_tickets": Count("id", filter=Q(sla_policy__isnull=False)),
    "fr_met": Count("id", filter=Q(sla_policy__isnull=False, first_response_breached=False)),
    "res_met": Count("id", filter=Q(sla_policy__isnull=False, resolution_breached=False)),
    "reopened": Count("id", filter=Q(reopen_count__gt=0)),
    "ever_resolved": Count("id", filter=Q(resolved_at__isnull=False) | Q(reopen_count__gt=0)),
}
# Survey answers: credited to their agent, and to their ticket's team (without a ticket: the agent's department).
RESPONSE_COLUMNS = {
    "g_agent": F("agent_id"), "g_team": Coalesce("ticket__team_id", "agent__employee__department_id"),
    "g_week": TruncWeek("created_at"), "r_kind": F("kind"), "r_score": F("score"),
}
RESPONSE_SETS = {"agent": ("g_agent",), "team": ("g_team",), "week": ("g_week",), "all": ()}
RESPONSE_SQL = {
    "csat_count": "COUNT(*) FILTER (WHERE r_kind = 'csat' AND r_score IS NOT NULL)",
    "csat_avg": "AVG(r_score) FILTER (WHERE r_kind = 'csat')",
    "csat_good": "COUNT(*) FILTER (WHERE r_kind = 'csat' AND r_score >= 4)",
    "nps_count": "COUNT(*) FILTER (WHERE r_kind = 'nps' AND r_score IS NOT NULL)",
    "promoters": "COUNT(*) FILTER (WHERE r_kind = 'nps' AND r_score >= 9)",
    "detractors": "COUNT(*) FILTER (WHERE r_kind = 'nps' AND r_score <= 6)",
}
RESPONSE_ORM = {
    "csat_count": Count("id", filter=Q(kind="csat", score__isnull=False)),
    "csat_avg": Avg("score", filter=Q(kind="csat")),
    "csat_good": Count("id", filter=Q(kind="csat", score__gte=4)),
    "nps_count": Count("id", filter=Q(kind="nps", score__isnull=False)),
    "promoters": Count("id", filter=Q(kind="nps", score__gte=9)),
    "detractors": Count("id", filter=Q(kind="nps", score__lte=6)),
}

Groups = dict[str, dict[Any, dict[str, Any]]]


def ticket_groups(qs: QuerySet) -> Groups:
    """Counts and durations (frt, res: [median, p90] in seconds, or None) of `qs`'s tickets, per TICKET_SETS."""
    if connections[qs.db].vendor == "postgresql":
        return _grouping_sets(qs, TICKET_COLUMNS, TICKET_SETS, TICKET_SQL)
    groups = _orm_sets(qs, TICKET_COLUMNS, TICKET_SETS, TICKET_ORM)
    _python_percentiles(qs, groups, [s for s in TICKET_SETS if s not in ("type", "product", "type_product")])
    return groups


def response_groups(qs: QuerySet) -> Groups:
    if connections[qs.db].vendor == "postgresql":
        return _grouping_sets(qs, RESPONSE_COLUMNS, RESPONSE_SETS, RESPONSE_SQL)
    return _orm_sets(qs, RESPONSE_COLUMNS, RESPONSE_SETS, RESPONSE_ORM)


def _key(row: dict[str, Any] | tuple, dims: tuple[str, ...]) -> Any:
    values = tuple(row[d] for d in dims) if isinstance(row, dict) else row
    return None if not dims else values[0] if len(dims) == 1 else values


def _grouping_sets(qs: QuerySet, columns: dict[str, Any], sets: dict[str, tuple[str, ...]],
                   measures: dict[str, str]) -> Groups:
    """One query: the rows of `qs` as `columns`, grouped by every set at once (GROUPING() tells which)."""
    dims = [d for d in columns if any(d in group for group in sets.values())]
    sql, params = qs.order_by().values(**{c: e for c, e in columns.items() if not c.startswith("g_") or c in dims}
                                       ).query.sql_with_params()
    masks = {sum(1 << (len(dims) - 1 - i) for i, d in enumerate(dims) if d not in group): name
             for name, group in sets.items()}
    select = ", ".join([f"GROUPING({', '.join(dims)})", *dims, *(f"{sql_} AS {name}" for name, sql_ in measures.items())])
    grouping = ", ".join("(" + ", ".join(group) + ")" for group in sets.values())
    result: Groups = {name: {} for name in sets}
    with connections[qs.db].cursor() as cursor:
        cursor.execute(f"SELECT {select} FROM ({sql}) AS s GROUP BY GROUPING SETS ({grouping})", params)  # noqa: S608
        for row in cursor.fetchall():
            name = masks[row[0]]
            keys = dict(zip(dims, row[1:1 + len(dims)], strict=True))
            result[name][_key(keys, sets[name])] = dict(zip(measures, row[1 + len(dims):], strict=True))
    return result


def _orm_sets(qs: QuerySet, columns: dict[str, Any], sets: dict[str, tuple[str, ...]],
              aggregates: dict[str, Any]) -> Groups:
    annotated = qs.order_by().annotate(**{d: e for d, e in columns.items() if d.startswith("g_")})
    result: Groups = {}
    for name, group in sets.items():
        if not group:
            result[name] = {None: annotated.aggregate(**aggregates)}
            continue
        rows = annotated.values(*group).annotate(**aggregates)
        result[name] = {_key(r, group): {k: r[k] for k in aggregates} for r in rows}
    return result


def _python_percentiles(qs: QuerySet, groups: Groups, names: list[str]) -> None:
    """Add frt and res ([median, p90] seconds) to `groups[name]` from one read of the durations (SQLite)."""
    dims = {name: TICKET_SETS[name] for name in names}
    used = sorted({d for group in dims.values() for d in group})
    values: dict[str, dict[Any, tuple[list[float], list[float]]]] = {n: defaultdict(lambda: ([], [])) for n in names}
    rows = (qs.order_by().filter(Q(first_responded_at__isnull=False) | Q(resolved_at__isnull=False))
            .annotate(**{d: TICKET_COLUMNS[d] for d in used}, frt=TICKET_COLUMNS["frt"], res=TICKET_COLUMNS["res"])
            .values_list(*used, "frt", "res"))
    for row in rows.iterator(chunk_size=5000):
        by_dim = dict(zip(used, row, strict=False))
        for name, group in dims.items():
            bucket = values[name][_key(by_dim, group)]
            if row[-2] is not None:
                bucket[0].append(row[-2])
            if row[-1] is not None:
                bucket[1].append(row[-1])
    for name in names:
        for key, row in groups[name].items():
            frts, ress = (sorted(v) for v in values[name].get(key, ([], [])))
            row["frt"] = [percentile(frts, f) for f in FRACTIONS] if frts else None
            row["res"] = [percentile(ress, f) for f in FRACTIONS] if ress else None
