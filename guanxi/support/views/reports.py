"""The service report page (per agent and team, trend charts) and its Excel download."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from guanxi.core.errors import PermissionDeniedError
from guanxi.governance import permissions
from guanxi.web.http import query_without, render_page, require, web_view

from ..filters_reports import ReportFilter
from ..models import Ticket
from ..selectors import reports as sel
from ..services.reports import XLSX, service_report_export

TEMPLATE = "support/reports/service.html"


def columns() -> list[tuple[str, str]]:
    """The agents table's sortable columns after the name: (sort key, header)."""
    return [("tickets", _("Tickets")), ("resolved", _("Resolved")), ("frt_median", _("First response median (h)")),
            ("frt_p90", _("First response p90 (h)")), ("res_median", _("Resolution median (h)")),
            ("res_p90", _("Resolution p90 (h)")), ("fr_attainment", _("First response SLA met")),
            ("res_attainment", _("Resolution SLA met")), ("reopen_rate", _("Reopen rate")),
            ("csat_avg", _("CSAT")), ("nps", _("NPS"))]


def sort_choices(current: str) -> list[tuple[str, str]]:
    choices = [("name", _("Agent name")), ("-name", _("Agent name, Z to A")), *((f"-{key}", _("%(column)s, highest first") % {"column": label})
                                      for key, label in columns())]
    if current not in {value for value, _label in choices}:
        label = dict(columns()).get(current.lstrip("-"), current)
        choices.append((current, _("%(column)s, lowest first") % {"column": label}
                        if not current.startswith("-") else str(label)))
    return choices


def _filters(request: HttpRequest) -> ReportFilter:
    return ReportFilter({k: v for k, v in request.GET.items() if v != "" and k != "sort"})


def _sort(request: HttpRequest) -> str:
    sort = request.GET.get("sort", "-tickets")
    return sort if sort.lstrip("-") in sel.SORTS else "-tickets"


def chart_options(trends: dict[str, list]) -> dict[str, Any]:
    """ECharts options of the four trend charts, by the id of the element each is drawn in."""
    weeks = trends["weeks"]

    def chart(series: list[dict[str, Any]], y_axis: Any, **extra: Any) -> dict[str, Any]:
        return {"tooltip": {"trigger": "axis"}, "legend": {"top": 0},
                "grid": {"left": 8, "right": 8, "top": 36, "bottom": 8, "containLabel": True},
                "xAxis": {"type": "category", "data": weeks}, "yAxis": y_axis, "series": series, **extra}

    def line(name: str, key: str, **extra: Any) -> dict[str, Any]:
        return {"name": name, "type": "line", "data": trends[key], "connectNulls": True, **extra}

    return {
        "chart-volume": chart([{"name": _("Tickets opened"), "type": "bar", "data": trends["opened"]},
                               {"name": _("Tickets resolved"), "type": "bar", "data": trends["resolved"]}],
                              {"type": "value", "minInterval": 1}),
        "chart-response": chart([line(_("First response, median (h)"), "frt_median")],
                                {"type": "value", "name": _("hours")}),
        "chart-sla": chart([line(_("First response SLA met"), "fr_attainment"),
                            line(_("Resolution SLA met"), "res_attainment")],
                           {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}}),
        "chart-satisfaction": chart(
            [line(_("CSAT average"), "csat_avg"), line(_("NPS"), "nps", yAxisIndex=1)],
            [{"type": "value", "min": 1, "max": 5, "name": "CSAT"},
             {"type": "value", "min": -100, "max": 100, "name": "NPS"}]),
    }


@web_view
def service_report_view(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.VIEW_REPORTS)
    filters = _filters(request)
    errors: list[str] = []
    if not filters.is_valid():
        errors = [f"{filters.fields[k].label if k in filters.fields else ''}: {m}".lstrip(": ")
                  for k, msgs in filters.errors.items() for m in msgs]
        filters = ReportFilter({})
        filters.is_valid()
    sort = _sort(request)
    report = sel.service_report(user=request.user, filters=filters, sort=sort)
    params = filters.params()
    context = {
        "report": report, "filters": filters, "params": params, "errors": errors, "sort": sort,
        "query": query_without(request, "sort"), "choices": sel.report_choices(request.user),
        "types": Ticket.Type.choices, "charts": chart_options(report.trends),
        "can_export": permissions.can(request.user, permissions.EXPORT),
        "list_type": params["type"] or "", "columns": columns(),
        "sort_choices": sort_choices(sort),
    }
    return render_page(request, TEMPLATE, context, fragment="results")


@web_view
def service_report_export_view(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.VIEW_REPORTS)
    require(request.user, permissions.EXPORT)
    filters = _filters(request)
    if not filters.is_valid():
        return HttpResponse("\n".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in filters.errors.items()),
                            status=400, content_type="text/plain; charset=utf-8")
    try:
        export = service_report_export(actor=request.user, filters=filters, sort=_sort(request))
    except PermissionDeniedError as exc:
        if exc.message == PermissionDeniedError().message:
            raise
        messages.error(request, exc.message)  # the daily row limit, and how many rows are left
        return redirect(reverse("support:reports_service") + "?" + request.GET.urlencode())
    response = HttpResponse(export.content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, export.filename) or "attachment"
    return response
