"""REST endpoints of the service desk: reports. The same numbers as the service report page (and the same
filters: guanxi/support/filters_reports.py), as JSON and as the Excel download."""

# No `from __future__ import annotations`: ninja reads these signatures at import time.
from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from ninja import Query, Router, Schema

from guanxi.api.params import filter_query_schema, query_error
from guanxi.core.errors import PermissionDeniedError
from guanxi.governance import permissions

from .filters_reports import ReportFilter
from .selectors import reports as sel
from .services.reports import XLSX, service_report_export

router = Router(tags=["reports"])

ServiceReportQuery = filter_query_schema(ReportFilter, "ServiceReportQuery")
SORT_HELP = ("Order of the agents: " + ", ".join(sel.SORTS) + "; a leading '-' sorts highest first.")


class ApiRequest(HttpRequest):
    auth: Any


class RowOut(Schema):
    key: int | None
    label: str
    tickets: int
    resolved: int
    frt_median: float | None
    frt_p90: float | None
    res_median: float | None
    res_p90: float | None
    sla_tickets: int
    fr_met: int
    res_met: int
    fr_attainment: float | None
    res_attainment: float | None
    reopened: int
    ever_resolved: int
    reopen_rate: float | None
    csat_count: int
    csat_avg: float | None
    csat_satisfied: float | None
    nps_count: int
    nps: float | None


class CountOut(Schema):
    label: str
    count: int
    type: str | None = None
    product: int | None = None
    reason: str | None = None
    reason_label: str | None = None


class TrendsOut(Schema):
    weeks: list[date]
    opened: list[int]
    resolved: list[int]
    frt_median: list[float | None]
    fr_attainment: list[float | None]
    res_attainment: list[float | None]
    csat_avg: list[float | None]
    nps: list[float | None]


class ServiceReportOut(Schema):
    period: dict[str, Any]
    filters: dict[str, Any]
    total: RowOut
    agents: list[RowOut]
    teams: list[RowOut]
    by_type: list[CountOut]
    by_product: list[CountOut]
    complaints_by_product: list[CountOut]
    return_reasons: list[CountOut]
    return_reasons_by_product: list[CountOut]
    trends: TrendsOut


def _form(filters: Any) -> ReportFilter:
    form = ReportFilter(filters.model_dump(exclude_none=True))
    if not form.is_valid():
        raise query_error({k: [str(m) for m in v] for k, v in form.errors.items()})
    return form


@router.get("/support/reports/service", response=ServiceReportOut,
            summary="Service report: per agent and team, breakdowns and weekly trends")
def service_report(request: ApiRequest, filters: Query[ServiceReportQuery],  # type: ignore[valid-type]
                   sort: str = Query("-tickets", description=SORT_HELP)) -> Any:
    """Tickets opened in the period (`period` 7, 30 or 90 days up to today, or `from`/`to` dates) that you may
    see, optionally of one `team` (with its sub-teams), `type` and `product`. Times are wall-clock hours
    (median and 90th percentile); SLA attainment and reopen rate in percent; CSAT (1–5) and NPS (−100…100)
    from the survey answers given in the period. Needs the view-reports permission (403 otherwise)."""
    return sel.service_report(user=request.auth, filters=_form(filters), sort=sort).as_dict()


@router.get("/support/reports/service/export.xlsx", response={200: None},
            summary="The service report as an Excel file (one sheet per table)",
            openapi_extra={"responses": {"200": {"content": {XLSX: {}}}}})
def service_report_xlsx(request: ApiRequest, filters: Query[ServiceReportQuery],  # type: ignore[valid-type]
                        sort: str = Query("-tickets", description=SORT_HELP)) -> HttpResponse:
    """The same query parameters as `GET /api/support/reports/service`. Needs the view-reports and export
    permissions; audited, and counts towards your role's daily export row limit (403 over it)."""
    if not permissions.can(request.auth, permissions.EXPORT):
        raise PermissionDeniedError()
    export = service_report_export(actor=request.auth, filters=_form(filters), sort=sort)
    response = HttpResponse(export.content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, export.filename) or "attachment"
    return response
