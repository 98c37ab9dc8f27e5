"""Targets (业绩目标): the list and form for those who set them, and the performance page for everyone."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.errors import PermissionDeniedError
from guanxi.web.http import render_page, web_view

from ..forms_pipeline import TargetForm
from ..models import Target
from ..selectors import forecast as fsel
from ..selectors import performance as psel
from ..services import targets as svc


def _period(request: HttpRequest) -> tuple[fsel.Period, list[str]]:
    try:
        return fsel.parse_period(request.GET.get("period")), []
    except ValidationError as exc:
        return fsel.parse_period(None), [str(m) for m in exc.messages]


@web_view
def performance_view(request: HttpRequest) -> HttpResponse:
    period, errors = _period(request)
    perf = psel.performance(user=request.user, period=period)
    choices = fsel.period_choices()
    if period.key not in {k for k, _ in choices}:
        choices.insert(0, (period.key, period.key))
    return render_page(request, "sales/pipeline/performance.html", {
        "perf": perf, "period": period, "periods": choices, "errors": errors,
        "can_set_targets": psel.target_write_scope(request.user) is not None,
        "metric_labels": dict(Target.Metric.choices),
    }, fragment="results")


def _require_setter(request: HttpRequest) -> None:
    if psel.target_write_scope(request.user) is None:
        raise PermissionDeniedError()


@web_view
def target_list_view(request: HttpRequest) -> HttpResponse:
    _require_setter(request)
    scope = psel.target_write_scope(request.user)
    rows = [(t, scope is not None and scope.allows(t), fsel.period_of(t.period, t.period_start).key)
            for t in psel.target_list(user=request.user)[:500]]
    return render_page(request, "sales/pipeline/targets.html", {"rows": rows, "section": "targets"})


def _form(request: HttpRequest, *args: object, **kwargs: object) -> TargetForm:
    return TargetForm(*args, departments=psel.departments_for_targets(request.user),  # type: ignore[arg-type]
                      people=psel.people_for_targets(request.user), **kwargs)  # type: ignore[arg-type]


@web_view
def target_create_view(request: HttpRequest) -> HttpResponse:
    _require_setter(request)
    form = _form(request, request.POST or None, initial={"period_start": fsel.parse_period(None).start})
    if request.method == "POST" and form.is_valid():
        try:
            svc.target_create(actor=request.user, data=form.service_data())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Target saved."))
            return redirect("sales:targets")
    return render_page(request, "sales/pipeline/target_form.html", {"form": form, "target": None,
                                                                    "section": "targets"},
                       status=422 if form.is_bound else 200)


@web_view
def target_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_setter(request)
    target = psel.target_get(user=request.user, pk=pk)
    form = _form(request, request.POST or None, instance=target)
    if request.method == "POST" and form.is_valid():
        try:
            svc.target_update(actor=request.user, target=target, data=form.service_data())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Target saved."))
            return redirect("sales:targets")
    return render_page(request, "sales/pipeline/target_form.html", {"form": form, "target": target,
                                                                    "section": "targets"},
                       status=422 if form.is_bound else 200)


@require_POST
@web_view
def target_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    target = psel.target_get(user=request.user, pk=pk)
    svc.target_delete(actor=request.user, target=target)
    messages.success(request, _("Target deleted."))
    return redirect("sales:targets")
