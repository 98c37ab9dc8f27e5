"""Weekly series of the service report (Monday-based weeks, local time): tickets opened and resolved, median
first response time, SLA attainment, CSAT and NPS. The opened tickets and the answers come grouped by week
(report_stats.py); only the tickets resolved in the period are one more grouped query."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from ..filters_reports import ReportPeriod
from .report_stats import nps_score, share


def _week(value: Any) -> datetime.date | None:
    """A week key as a date: ORM values are aware datetimes, PostgreSQL's GROUPING SETS rows local naive ones."""
    if isinstance(value, datetime.datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).date()
    return value


def week_starts(period: ReportPeriod) -> list[datetime.date]:
    monday = period.start - datetime.timedelta(days=period.start.weekday())
    weeks = []
    while monday <= period.end:
        weeks.append(monday)
        monday += datetime.timedelta(days=7)
    return weeks


def weekly_trends(*, period: ReportPeriod, tickets: dict[Any, dict[str, Any]], answers: dict[Any, dict[str, Any]],
                  resolved: QuerySet) -> dict[str, list]:
    """`tickets`/`answers`: the week groups of the period's tickets and survey answers; `resolved`: the tickets
    resolved in the period."""
    opened = {_week(k): v for k, v in tickets.items()}
    scores = {_week(k): v for k, v in answers.items()}
    closed = {_week(w): n for w, n in resolved.annotate(week=TruncWeek("resolved_at")).values_list("week")
              .order_by().annotate(n=Count("id"))}
    empty: dict[str, Any] = {}
    series: dict[str, list] = {name: [] for name in (
        "weeks", "opened", "resolved", "frt_median", "fr_attainment", "res_attainment", "csat_avg", "nps")}
    for week in week_starts(period):
        t, s = opened.get(week, empty), scores.get(week, empty)
        frt = t.get("frt")
        series["weeks"].append(week.isoformat())
        series["opened"].append(t.get("tickets", 0))
        series["resolved"].append(closed.get(week, 0))
        series["frt_median"].append(round(frt[0] / 3600.0, 2) if frt and frt[0] is not None else None)
        series["fr_attainment"].append(share(t.get("fr_met", 0), t.get("sla_tickets", 0)))
        series["res_attainment"].append(share(t.get("res_met", 0), t.get("sla_tickets", 0)))
        series["csat_avg"].append(round(float(s["csat_avg"]), 2) if s.get("csat_avg") is not None else None)
        series["nps"].append(nps_score(s.get("promoters", 0), s.get("detractors", 0), s.get("nps_count", 0)))
    return series
