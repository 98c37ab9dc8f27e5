"""The service report (issue 4 §10): per agent and per team, over a period and what the user may see.

Definitions (all over the tickets *opened* in the period, unless said otherwise; times are wall-clock hours):
- first response time: created → first_responded_at; resolution time: created → resolved_at (median, p90);
- SLA attainment: of the tickets with an SLA policy, the share not breached (first response; resolution);
- reopen rate: tickets reopened at least once / tickets resolved at least once (resolved now, or reopened);
- CSAT: answers of kind csat given in the period — average score and share of 4–5; NPS: answers of kind nps,
  % promoters (9–10) − % detractors (0–6); both credited to the answer's agent and its ticket's team;
- breakdowns: tickets by type and product, complaints by product, returns (requested in the period) by reason
  and, through their lines' products, by product and reason; weekly trends (trends.py).

Visibility: tickets from Ticket.objects.visible_to(user) (a service manager sees their teams); survey answers
and returns of those tickets, or without a ticket, of customers the user sees.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from guanxi.core.errors import PermissionDeniedError
from guanxi.core.text import person_name
from guanxi.customers.models import Product
from guanxi.customers.models.visibility import customer_read_q
from guanxi.governance import permissions
from guanxi.governance.models import Department, Role
from guanxi.governance.selectors import department_subtree_ids, user_department_ids

from ..filters_reports import ReportFilter, ReportPeriod
from ..models import ReturnLine, ReturnRequest, RoutingRule, SurveyResponse, Ticket
from ..models.tickets import queue_q, ticket_read_q
from .report_stats import Groups, nps_score, response_groups, share, ticket_groups
from .report_trends import weekly_trends

SORTS = ("name", "tickets", "resolved", "frt_median", "frt_p90", "res_median", "res_p90", "fr_attainment",
         "res_attainment", "reopen_rate", "csat_avg", "nps")


@dataclass
class Row:
    """One agent (key: user id), one team (department id) or everything (key None)."""

    key: int | None
    label: str = ""
    tickets: int = 0
    resolved: int = 0
    frt_median: float | None = None
    frt_p90: float | None = None
    res_median: float | None = None
    res_p90: float | None = None
    sla_tickets: int = 0
    fr_met: int = 0
    res_met: int = 0
    fr_attainment: float | None = None
    res_attainment: float | None = None
    reopened: int = 0
    ever_resolved: int = 0
    reopen_rate: float | None = None
    csat_count: int = 0
    csat_avg: float | None = None
    csat_satisfied: float | None = None
    nps_count: int = 0
    nps: float | None = None

    def finish(self) -> None:
        self.fr_attainment = share(self.fr_met, self.sla_tickets)
        self.res_attainment = share(self.res_met, self.sla_tickets)
        self.reopen_rate = share(self.reopened, self.ever_resolved)


@dataclass
class Report:
    period: ReportPeriod
    filters: dict[str, Any]
    total: Row
    agents: list[Row]
    teams: list[Row]
    by_type: list[dict[str, Any]] = field(default_factory=list)
    by_product: list[dict[str, Any]] = field(default_factory=list)
    complaints_by_product: list[dict[str, Any]] = field(default_factory=list)
    return_reasons: list[dict[str, Any]] = field(default_factory=list)
    return_reasons_by_product: list[dict[str, Any]] = field(default_factory=list)
    trends: dict[str, list[Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["period"] = {"from": self.period.start.isoformat(), "to": self.period.end.isoformat(),
                          "days": self.period.days}
        return data


def check_report_access(user: Any) -> None:
    if not permissions.can(user, permissions.VIEW_REPORTS):
        raise PermissionDeniedError()


def report_tickets(*, user: Any, data: dict[str, Any]) -> QuerySet[Ticket]:
    """The tickets the user sees, narrowed by team (with sub-teams), type and product (not by period)."""
    qs = Ticket.objects.visible_to(user)
    if data.get("team"):
        qs = qs.filter(team_id__in=department_subtree_ids(data["team"].pk))
    if data.get("type"):
        qs = qs.filter(type=data["type"])
    if data.get("product"):
        qs = qs.filter(product=data["product"])
    return qs


def report_responses(*, user: Any, data: dict[str, Any]) -> QuerySet[SurveyResponse]:
    """Survey answers of visible tickets; without a ticket, of visible customers (for service staff only those
    credited to their own people or to nobody)."""
    loose = Q(ticket__isnull=True) & customer_read_q(user, "customer__")
    if queue_q(user) != Q():
        loose &= (Q(agent__isnull=True) | Q(agent_id=user.pk)
                  | Q(agent__employee__department_id__in=user_department_ids(user)))
    qs = SurveyResponse.objects.filter((Q(ticket__isnull=False) & ticket_read_q(user, "ticket__")) | loose)
    if data.get("team"):
        teams = department_subtree_ids(data["team"].pk)
        qs = qs.filter(Q(ticket__team_id__in=teams)
                       | Q(ticket__isnull=True, agent__employee__department_id__in=teams))
    if data.get("type"):
        qs = qs.filter(ticket__type=data["type"])
    if data.get("product"):
        qs = qs.filter(Q(product=data["product"]) | Q(ticket__product=data["product"]))
    return qs


def report_returns(*, user: Any, data: dict[str, Any]) -> QuerySet[ReturnRequest]:
    qs = ReturnRequest.objects.visible_to(user).filter(Q(ticket__isnull=True) | ticket_read_q(user, "ticket__"))
    if data.get("team") or data.get("type"):
        qs = qs.filter(ticket__in=report_tickets(user=user, data={**data, "product": None}).values("pk"))
    if data.get("product"):
        qs = qs.filter(lines__order_line__product=data["product"]).distinct()
    return qs


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600.0, 2)


def _fill(row: Row, counts: dict[str, Any] | None, answers: dict[str, Any] | None) -> Row:
    """A row from its ticket group (counts, frt/res [median, p90] seconds) and its survey-answer group."""
    counts = counts or {}
    for name in ("tickets", "resolved", "sla_tickets", "fr_met", "res_met", "reopened", "ever_resolved"):
        setattr(row, name, counts.get(name) or 0)
    for name in ("frt", "res"):
        median, p90 = counts.get(name) or (None, None)
        setattr(row, f"{name}_median", _hours(median))
        setattr(row, f"{name}_p90", _hours(p90))
    if answers:
        row.csat_count, row.nps_count = answers["csat_count"], answers["nps_count"]
        row.csat_avg = round(float(answers["csat_avg"]), 2) if answers["csat_avg"] is not None else None
        row.csat_satisfied = share(answers["csat_good"], answers["csat_count"])
        row.nps = nps_score(answers["promoters"], answers["detractors"], answers["nps_count"])
    row.finish()
    return row


def _rows(counts: dict[Any, Any], answers: dict[Any, Any], labels: dict[Any, str]) -> list[Row]:
    keys = set(counts) | {k for k in answers if k is not None}
    return [_fill(Row(key=k, label=labels.get(k, "")), counts.get(k), answers.get(k)) for k in keys]


def sort_rows(rows: list[Row], sort: str) -> list[Row]:
    """By a column of SORTS ("-" first: descending); rows without a value last either way."""
    name = sort.lstrip("-")
    if name not in SORTS:
        name, sort = "tickets", "-tickets"
    reverse = sort.startswith("-")
    if name == "name":
        return sorted(rows, key=lambda r: r.label, reverse=reverse)
    present = sorted((r for r in rows if getattr(r, name) is not None), key=lambda r: getattr(r, name),
                     reverse=reverse)
    return present + [r for r in rows if getattr(r, name) is None]


def service_report(*, user: Any, filters: ReportFilter, sort: str = "-tickets") -> Report:
    """The whole report for a valid `filters` form; PermissionDeniedError without VIEW_REPORTS."""
    check_report_access(user)
    data = filters.cleaned_data
    period: ReportPeriod = data["range"]
    low, high = period.bounds()
    base = report_tickets(user=user, data=data)
    tickets = base.filter(created_at__gte=low, created_at__lt=high)
    answers = report_responses(user=user, data=data).filter(created_at__gte=low, created_at__lt=high)
    returns = report_returns(user=user, data=data).filter(created_at__gte=low, created_at__lt=high)

    groups = ticket_groups(tickets)
    scores = response_groups(answers)
    agent_keys = set(groups["agent"]) | set(scores["agent"])
    team_keys = set(groups["team"]) | set(scores["team"])
    users: dict[Any, str] = {u.pk: person_name(u) for u in get_user_model().objects.filter(
        pk__in=[k for k in agent_keys if k])}
    users[None] = _("Unassigned")
    teams: dict[Any, str] = dict(Department.objects.filter(pk__in=[k for k in team_keys if k]).values_list("pk", "name"))
    teams[None] = _("No team")
    report = Report(
        period=period, filters=filters.params(),
        total=_fill(Row(key=None, label=_("Total")), groups["all"].get(None), scores["all"].get(None)),
        agents=sort_rows(_rows(groups["agent"], scores["agent"], users), sort),
        teams=sort_rows(_rows(groups["team"], scores["team"], teams), "name"),
    )
    _breakdowns(report, groups, returns)
    report.trends = weekly_trends(period=period, tickets=groups["week"], answers=scores["week"],
                                  resolved=base.filter(resolved_at__gte=low, resolved_at__lt=high))
    return report


def _breakdowns(report: Report, groups: Groups, returns: QuerySet[ReturnRequest]) -> None:
    types = dict(Ticket.Type.choices)
    reasons = dict(ReturnRequest.Reason.choices)
    by_type = [(t, row["tickets"]) for t, row in groups["type"].items()]
    by_product = [(p, row["tickets"]) for p, row in groups["product"].items()]
    complaints = [(p, row["tickets"]) for (t, p), row in groups["type_product"].items() if t == Ticket.Type.COMPLAINT]
    by_reason = returns.values_list("reason").order_by().annotate(n=Count("id", distinct=True))
    reason_product = list(ReturnLine.objects.filter(request__in=returns.values("pk"))
                          .values_list("order_line__product_id", "request__reason").order_by()
                          .annotate(n=Count("request_id", distinct=True)))
    product_ids = {p for p, _n in by_product + complaints if p} | {p for p, _r, _n in reason_product if p}
    names = dict(Product.objects.filter(pk__in=product_ids).values_list("pk", "name"))

    def product(pk: int | None) -> dict[str, Any]:
        return {"product": pk, "label": names.get(pk, "") if pk else _("No product")}

    def ranked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(rows, key=lambda r: (-r["count"], str(r.get("label", ""))))

    report.by_type = ranked([{"type": t, "label": str(types.get(t, t)), "count": n} for t, n in by_type])
    report.by_product = ranked([{**product(p), "count": n} for p, n in by_product])
    report.complaints_by_product = ranked([{**product(p), "count": n} for p, n in complaints])
    report.return_reasons = ranked([{"reason": r, "label": str(reasons.get(r, r)), "count": n} for r, n in by_reason])
    report.return_reasons_by_product = sorted(
        ({**product(p), "reason": r, "reason_label": str(reasons.get(r, r)), "count": n} for p, r, n in reason_product),
        key=lambda r: (str(r["label"]), -r["count"]))


def report_choices(user: Any) -> dict[str, list[tuple[int, str]]]:
    """Teams (departments with service staff or routing rules; a department-bound service manager: their own)
    and products for the filter menus."""
    teams = Department.objects.filter(
        Q(employees__role__in=[Role.SERVICE_AGENT, Role.SERVICE_MANAGER])
        | Q(pk__in=RoutingRule.objects.values("team_id"))).distinct()
    if queue_q(user) != Q():
        teams = teams.filter(pk__in=user_department_ids(user))
    products = Product.objects.filter(is_active=True).order_by("name").values_list("pk", "name")[:500]
    return {"teams": list(teams.order_by("name").values_list("pk", "name")), "products": list(products)}
