"""The analysis runs page: the last runs and what they found, a progress bar while one runs (htmx polling every
2 s), and "Run now" (a background task through services/runs.py). VIEW_REPORTS."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guanxi.analytics.models import ChurnState, MetricsRun, Quadrant
from guanxi.core.errors import ConflictError
from guanxi.governance import permissions
from guanxi.web.http import is_htmx, render_fragment, render_page, require, web_view

from ..selectors import metrics as sel
from ..services import runs as svc

TEMPLATE = "analytics/runs/runs.html"
LIST_ROWS = 20


class RunForm(forms.Form):
    as_of = forms.DateField(label=gettext_lazy("As of"), required=False,
                            widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
                            help_text=gettext_lazy("Only data up to the end of this day is used. Empty: today."))


def _number(value: Any, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}g}" if isinstance(value, float) else str(value)


def describe(run: MetricsRun) -> dict[str, Any]:
    """What the page shows of a run's summary: counts with their labels and the fitted models."""
    s = run.summary or {}
    model = s.get("model") or {}
    fits = []
    for key, title, names in (("bgnbd", "BG/NBD", ("r", "alpha", "a", "b")),
                              ("gamma_gamma", "Gamma-Gamma", ("p", "q", "gamma"))):
        fit = model.get(key)
        if fit:
            params = fit.get("params") or {}
            fits.append({"title": title, "converged": bool(fit.get("converged")), "message": fit.get("message", ""),
                         "params": [(n, _number(params.get(n))) for n in names],
                         "log_likelihood": _number(fit.get("log_likelihood"), 10) if key == "bgnbd" else None})
    churn = dict(ChurnState.choices)
    quadrants = dict(Quadrant.choices)
    duration = (run.finished_at - run.started_at).total_seconds() if run.finished_at and run.started_at else None
    return {
        "customers": s.get("customers"), "with_purchases": s.get("with_purchases"),
        "method": s.get("method_label", ""), "fits": fits, "duration": duration,
        "churn": [(str(churn.get(k, k)), n) for k, n in (s.get("churn") or {}).items()],
        "quadrants": [(str(quadrants.get(k, k)), n) for k, n in (s.get("quadrants") or {}).items()],
        "tasks": (s.get("tasks") or {}),
        "percent": round(100 * run.progress / run.total) if run.total else 0,
        "busy": run.status in svc.BUSY,
    }


def _context(request: HttpRequest, form: RunForm | None = None, error: str = "") -> dict[str, Any]:
    runs = list(sel.run_list(user=request.user).select_related("created_by")[:LIST_ROWS])
    return {"runs": [(run, describe(run)) for run in runs], "form": form or RunForm(), "error": error,
            "current": (runs[0], describe(runs[0])) if runs else None}


@web_view
def runs_page(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.VIEW_REPORTS)
    return render_page(request, TEMPLATE, _context(request), fragment="runs")


@require_POST
@web_view
def run_start(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.VIEW_REPORTS)
    form = RunForm(request.POST)
    error, status = "", 200
    if form.is_valid():
        try:
            svc.run_start(actor=request.user, as_of=form.cleaned_data["as_of"])
        except ValidationError as exc:
            for field, msgs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, msgs)
            status = 422
        except ConflictError as exc:
            error, status = exc.message, 409
        else:
            if not is_htmx(request):
                messages.success(request, _("The analysis run has started; its progress shows below."))
                return redirect("analytics:runs")
            form = RunForm()
    else:
        status = 422
    if not is_htmx(request):
        for msg in [error, *(m for msgs in form.errors.values() for m in msgs)]:
            if msg:
                messages.error(request, str(msg))
        return redirect("analytics:runs")
    return render_fragment(request, TEMPLATE, "runs", _context(request, form, error), status=status)


@web_view
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The polled progress card of one run; when it has finished, the page reloads the runs list."""
    run = sel.run_get(user=request.user, pk=pk)
    info = describe(run)
    headers = {} if info["busy"] else {"HX-Trigger": "analytics-run-finished"}
    return render_fragment(request, TEMPLATE, "current", {"current": (run, info)}, headers=headers)
