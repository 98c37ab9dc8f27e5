"""Back-tests: the form and the list of past ones; a result page (polled while the background task runs)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from guanxi.core.errors import ConflictError
from guanxi.governance import permissions
from guanxi.web.http import page_number, render_page, require, slice_page, web_view

from ..forms_backtest import BacktestForm
from ..selectors import backtest as sel
from ..services.backtest import backtest_run

PER_PAGE = 20


@web_view
def backtest_list(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.VIEW_REPORTS)
    form = BacktestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                run = backtest_run(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_service_errors(exc)
            except ConflictError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The back-test has started; this page shows its result when it is done."))
                return redirect("analytics:backtest_detail", pk=run.pk)
        status = 422
    page = page_number(request)
    runs, has_next = slice_page(sel.backtest_list(user=request.user), page, PER_PAGE)
    for run in runs:
        run.verdict = sel.verdict(run)  # type: ignore[attr-defined]
        run.error = sel.error_text(run)  # type: ignore[attr-defined]
    return render_page(request, "analytics/backtest/list.html",
                       {"form": form, "runs": runs, "page": page, "has_next": has_next}, status=status)


@web_view
def backtest_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = sel.backtest_get(user=request.user, pk=pk)
    context = {"run": run, "busy": sel.is_busy(run), "verdict": sel.verdict(run), "error": sel.error_text(run),
               "result": run.result or {}, "groups": sel.group_tables(run)}
    return render_page(request, "analytics/backtest/detail.html", context, fragment="result")
