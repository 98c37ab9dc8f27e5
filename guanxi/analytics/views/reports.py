"""The customer-value pages: the management dashboard, the 80/20 report, the churn report, and their Excel
downloads (VIEW_REPORTS; the downloads also EXPORT)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import content_disposition_header, urlencode

from guanxi.analytics.models import AnalyticsPolicy, ChurnState
from guanxi.core.errors import PermissionDeniedError
from guanxi.governance import permissions
from guanxi.web.http import render_page, require, web_view

from ..filters_reports import PERIODS, ParetoFilter, ValueReportFilter, bound_filter, department_choices
from ..selectors.churn import churn_report
from ..selectors.churn_reasons import source_labels
from ..selectors.dashboard import dashboard
from ..selectors.pareto import pareto_report
from ..services import report_export as export
from .report_charts import churn_charts, dashboard_charts, pareto_charts


def _context(request: HttpRequest, form: ValueReportFilter, errors: list[str], **extra: Any) -> dict[str, Any]:
    params = form.params()
    keep = {k: v for k, v in params.items() if v not in (None, "")}
    if keep.get("period") != "custom":
        keep.pop("from", None)
        keep.pop("to", None)
    query = urlencode(keep)
    return {"filters": form, "params": params, "errors": errors, "query": query,
            "departments": department_choices(request.user), "periods": PERIODS,
            "can_export": permissions.can(request.user, permissions.EXPORT), **extra}


@web_view
def dashboard_view(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.VIEW_REPORTS)
    form, errors = bound_filter(ValueReportFilter, request.GET, request.user)
    board = dashboard(user=request.user, filters=form)
    context = _context(request, form, errors, board=board, charts=dashboard_charts(board),
                       churned_after=AnalyticsPolicy.current().churned_after_days,
                       scored=[q for q in board.quadrants if q["key"]],
                       unscored=next(q for q in board.quadrants if not q["key"]))
    return render_page(request, "analytics/reports/dashboard.html", context, fragment="results")


@web_view
def pareto_view(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.VIEW_REPORTS)
    form, errors = bound_filter(ParetoFilter, request.GET, request.user)
    report = pareto_report(user=request.user, filters=form)
    context = _context(request, form, errors, report=report, charts=pareto_charts(report))
    return render_page(request, "analytics/reports/pareto.html", context, fragment="results")


@web_view
def churn_view(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.VIEW_REPORTS)
    form, errors = bound_filter(ValueReportFilter, request.GET, request.user)
    report = churn_report(user=request.user, filters=form)
    context = _context(request, form, errors, report=report, charts=churn_charts(report),
                       sources=source_labels(), states=dict(ChurnState.choices),
                       dimensions=[("tier", "chart-tier"), ("region", "chart-region"), ("product", "chart-product"),
                                   ("owner", "chart-owner")])
    return render_page(request, "analytics/reports/churn.html", context, fragment="results")


EXPORTS: dict[str, tuple[type[ValueReportFilter], Callable[..., export.ReportFile], str]] = {
    "dashboard": (ValueReportFilter, export.dashboard_export, "analytics:dashboard"),
    "pareto": (ParetoFilter, export.pareto_export, "analytics:pareto"),
    "churn": (ValueReportFilter, export.churn_export, "analytics:churn"),
}


@web_view
def report_export_view(request: HttpRequest, report: str) -> HttpResponse:
    """One Excel download per report, a sheet per chart or table (the same filters as the page)."""
    require(request.user, permissions.VIEW_REPORTS)
    require(request.user, permissions.EXPORT)
    form_class, build, page = EXPORTS[report]
    form = form_class({k: v for k, v in request.GET.items() if v != ""}, user=request.user)
    if not form.is_valid():
        return HttpResponse("\n".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items()),
                            status=400, content_type="text/plain; charset=utf-8")
    try:
        file = build(actor=request.user, filters=form)
    except PermissionDeniedError as exc:
        if exc.message == PermissionDeniedError().message:
            raise
        messages.error(request, exc.message)  # the daily row limit, and how many rows are left
        return redirect(reverse(page) + "?" + request.GET.urlencode())
    response = HttpResponse(file.content, content_type=export.XLSX)
    response["Content-Disposition"] = content_disposition_header(True, file.filename) or "attachment"
    return response
