"""REST endpoints of the customer-value reports: the same numbers and filters as the dashboard, 80/20 and churn
pages (guanxi/analytics/filters_reports.py), as JSON and as their Excel downloads. View-reports right (403)."""

# No `from __future__ import annotations`: ninja reads these signatures at import time.
from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from ninja import Query, Router, Schema

from guanxi.api.params import filter_query_schema, query_error
from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.governance import permissions

from .filters_reports import ParetoFilter, ValueReportFilter
from .selectors.churn import churn_report
from .selectors.dashboard import dashboard
from .selectors.pareto import pareto_report
from .services import report_export as export

router = Router(tags=["analytics"])

ReportQuery = filter_query_schema(ValueReportFilter, "ValueReportQuery")
ParetoQuery = filter_query_schema(ParetoFilter, "ParetoReportQuery")


class ApiRequest(HttpRequest):
    auth: Any


class PeriodOut(Schema):
    start: date
    end: date


class DashboardOut(Schema):
    period: PeriodOut
    filters: dict[str, Any]
    as_of: date | None
    customers: int
    at_risk_count: int
    lifecycle: list[dict[str, Any]]
    quadrants: list[dict[str, Any]]
    tiers: list[dict[str, Any]]
    tier_moves: list[dict[str, Any]]
    revenue: list[dict[str, Any]]
    churn: list[dict[str, Any]]
    at_risk: list[dict[str, Any]]
    forecast: dict[str, Any]


class SharesOut(Schema):
    customers: int
    top_count: int
    revenue: float
    top_revenue: float
    revenue_share: float | None
    profit: float
    top_profit: float
    profit_share: float | None


class CurvePointOut(Schema):
    customers: float
    revenue: float


class ParetoOut(Schema):
    period: PeriodOut
    filters: dict[str, Any]
    total: SharesOut
    curve: list[CurvePointOut]
    over_time: list[dict[str, Any]]
    top: list[dict[str, Any]]


class GroupOut(Schema):
    key: str
    label: str
    source: str
    churned: int
    at_risk: int
    year_spend: float
    clv: float


class ChurnCustomerOut(Schema):
    id: int
    name: str
    state: str
    owner: str
    last_purchase: date | None
    churn_date: date | None
    year_spend: float
    clv: float
    reasons: str


class ChurnOut(Schema):
    period: PeriodOut
    filters: dict[str, Any]
    churned_after_days: int
    churned: int
    at_risk: int
    year_spend_lost: float
    year_spend_at_risk: float
    clv_at_risk: float
    by: dict[str, list[GroupOut]]
    customers: list[ChurnCustomerOut]


def _data(filters: Any) -> dict[str, Any]:
    return dict(filters.model_dump(exclude_none=True))


def _form(form_class: type[ValueReportFilter], data: dict[str, Any], user: Any) -> Any:
    if not permissions.can(user, permissions.VIEW_REPORTS):
        raise PermissionDeniedError()
    form = form_class(data, user=user)
    if not form.is_valid():
        raise query_error({k: [str(m) for m in v] for k, v in form.errors.items()})
    return form


FILTERS = (" Customers you may see, optionally of one `department` (with its sub-departments); `period` 3, 6, 12, 24 "
           "or 36 whole months up to today, `year`, or `from`/`to` dates. Needs the view-reports right (403).")
DASHBOARD = ("Lifecycle and value × loyalty counts (with each quadrant's share of spend), customers per tier, tier "
             "moves, revenue and repeat-purchase rate, churn and win-back per month, top at-risk customers and the "
             "next-90-day forecast." + FILTERS)
PARETO = ("Revenue and gross-profit share of the top 20% of buyers (ranked by net spend in the period), the Pareto "
          "curve in percent, the share per quarter or year (`by`) and the top customers." + FILTERS)
CHURN = ("Customers churned in the period and at risk now, by reason (each of a customer's reasons counts), tier, "
         "region, product category, owner and quarter, with the spend of their last year and their CLV." + FILTERS)
EXPORTS: dict[str, tuple[type[ValueReportFilter], Any]] = {
    "dashboard": (ValueReportFilter, export.dashboard_export), "pareto": (ParetoFilter, export.pareto_export),
    "churn": (ValueReportFilter, export.churn_export)}


@router.get("/analytics/dashboard", response=DashboardOut, summary="Management dashboard: counts, trends, forecast",
            description=DASHBOARD)
def dashboard_get(request: ApiRequest, filters: Query[ReportQuery]) -> Any:  # type: ignore[valid-type]
    form = _form(ValueReportFilter, _data(filters), request.auth)
    return dashboard(user=request.auth, filters=form).as_dict()


@router.get("/analytics/pareto", response=ParetoOut, summary="80/20 report: share of the top 20% of customers",
            description=PARETO)
def pareto_get(request: ApiRequest, filters: Query[ParetoQuery]) -> Any:  # type: ignore[valid-type]
    form = _form(ParetoFilter, _data(filters), request.auth)
    return pareto_report(user=request.auth, filters=form).as_dict()


@router.get("/analytics/churn", response=ChurnOut, summary="Churn report: churned and at-risk customers",
            description=CHURN)
def churn_get(request: ApiRequest, filters: Query[ReportQuery]) -> Any:  # type: ignore[valid-type]
    form = _form(ValueReportFilter, _data(filters), request.auth)
    return churn_report(user=request.auth, filters=form).as_dict()


@router.get("/analytics/{report}/export.xlsx", response={200: None}, summary="A customer-value report as Excel",
            openapi_extra={"responses": {"200": {"content": {export.XLSX: {}}}}})
def report_xlsx(request: ApiRequest, report: str, filters: Query[ParetoQuery]) -> HttpResponse:  # type: ignore[valid-type]
    """`report` is dashboard, pareto or churn, with the query parameters of its JSON endpoint (`by` only for
    pareto). Needs the view-reports and export rights; audited, and counts towards your role's daily export row
    limit (403 over it)."""
    if report not in EXPORTS:
        raise NotFoundError()
    form_class, build = EXPORTS[report]
    data = _data(filters)
    if form_class is not ParetoFilter:
        data.pop("by", None)
    form = _form(form_class, data, request.auth)
    if not permissions.can(request.auth, permissions.EXPORT):
        raise PermissionDeniedError()
    file = build(actor=request.auth, filters=form)
    response = HttpResponse(file.content, content_type=export.XLSX)
    response["Content-Disposition"] = content_disposition_header(True, file.filename) or "attachment"
    return response
