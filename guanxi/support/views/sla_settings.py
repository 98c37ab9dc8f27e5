"""Settings → SLA policies and the holiday calendar (capability MANAGE_SERVICE)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.governance import permissions
from guanxi.web.http import render_page, require, web_view

from ..forms_sla import HolidayForm, HolidayImportForm, SlaPolicyForm
from ..models import Holiday, SlaPolicy
from ..selectors import sla as sel
from ..services import sla_config as svc
from ..services.business_hours import parse_weekdays

URGENCY = {p: i for i, p in enumerate(["urgent", "high", "normal", "low"])}


@web_view
def sla_policy_list_view(request: HttpRequest) -> HttpResponse:
    policies = sorted(sel.sla_policy_list(user=request.user),
                      key=lambda p: (URGENCY.get(p.priority, 9), p.customer_level, p.name))
    for p in policies:
        p.weekday_names = " ".join(  # type: ignore[attr-defined]
            str(WEEKDAYS_ABBR[d - 1]) for d in sorted(parse_weekdays(p.weekdays)))
    return render_page(request, "support/sla/policy_list.html", {"section": "sla_policies", "policies": policies})


def _policy_form_page(request: HttpRequest, policy: SlaPolicy | None) -> HttpResponse:
    if request.method == "POST":
        form = SlaPolicyForm(request.POST)
        if form.is_valid():
            try:
                saved = svc.sla_policy_save(actor=request.user, policy=policy, data=dict(form.cleaned_data))
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Saved the SLA policy “%(name)s”.") % {"name": saved.name})
                return redirect("support:sla_policies")
    else:
        form = SlaPolicyForm.for_policy(policy) if policy else SlaPolicyForm()
    return render_page(request, "support/sla/policy_form.html",
                       {"section": "sla_policies", "form": form, "policy": policy},
                       status=422 if form.is_bound else 200)


@web_view
def sla_policy_create_view(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.MANAGE_SERVICE)
    return _policy_form_page(request, None)


@web_view
def sla_policy_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _policy_form_page(request, sel.sla_policy_get(user=request.user, pk=pk))


@require_POST
@web_view
def sla_policy_active_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate (or activate again) a policy; tickets keep the due times they have."""
    policy = sel.sla_policy_get(user=request.user, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        svc.sla_policy_save(actor=request.user, policy=policy, data={"is_active": active})
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    else:
        messages.success(request, (_("Activated “%(name)s”.") if active else _("Deactivated “%(name)s”."))
                         % {"name": policy.name})
    return redirect("support:sla_policies")


# ---------------------------------------------------------------- holidays


def _year(request: HttpRequest) -> int:
    value = request.GET.get("year", "")
    return int(value) if value.isdigit() and 1900 < int(value) < 3000 else timezone.localdate().year


def _holiday_page(request: HttpRequest, year: int, *, form: HolidayForm | None = None,
                  import_form: HolidayImportForm | None = None, status: int = 200) -> HttpResponse:
    years = sorted(set(sel.holiday_years()) | {year, timezone.localdate().year})
    context: dict[str, Any] = {
        "section": "holidays", "year": year, "years": years,
        "holidays": list(sel.holiday_list(user=request.user, year=year)),
        "form": form or HolidayForm(), "import_form": import_form or HolidayImportForm(),
    }
    return render_page(request, "support/sla/holiday_list.html", context, status=status)


@web_view
def holiday_list_view(request: HttpRequest) -> HttpResponse:
    return _holiday_page(request, _year(request))


def _back_to_year(day: Any) -> HttpResponse:
    return redirect(f"{reverse('support:sla_holidays')}?year={day.year}")


@require_POST
@web_view
def holiday_create_view(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.MANAGE_SERVICE)
    form = HolidayForm(request.POST)
    if form.is_valid():
        try:
            day = svc.holiday_save(actor=request.user, holiday=None, data=dict(form.cleaned_data))
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Added %(date)s.") % {"date": day.date.isoformat()})
            return _back_to_year(day.date)
    year = form.cleaned_data["date"].year if form.cleaned_data.get("date") else _year(request)
    return _holiday_page(request, year, form=form, status=422)


@web_view
def holiday_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    holiday = sel.holiday_get(user=request.user, pk=pk)
    if request.method == "POST":
        form = HolidayForm(request.POST)
        if form.is_valid():
            try:
                saved = svc.holiday_save(actor=request.user, holiday=holiday, data=dict(form.cleaned_data))
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("Saved %(date)s.") % {"date": saved.date.isoformat()})
                return _back_to_year(saved.date)
    else:
        form = HolidayForm(initial={"date": holiday.date, "is_workday": holiday.is_workday, "name": holiday.name})
    return render_page(request, "support/sla/holiday_form.html",
                       {"section": "holidays", "form": form, "holiday": holiday},
                       status=422 if form.is_bound else 200)


@require_POST
@web_view
def holiday_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    holiday: Holiday = sel.holiday_get(user=request.user, pk=pk)
    svc.holiday_delete(actor=request.user, holiday=holiday)
    messages.success(request, _("Removed %(date)s.") % {"date": holiday.date.isoformat()})
    return _back_to_year(holiday.date)


@require_POST
@web_view
def holiday_import_view(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.MANAGE_SERVICE)
    form = HolidayImportForm(request.POST)
    if form.is_valid():
        try:
            result = svc.holidays_import(actor=request.user, text=form.cleaned_data["text"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Holiday calendar: %(created)d days added, %(updated)d changed, "
                                        "%(unchanged)d unchanged.") % result)
            return redirect(f"{reverse('support:sla_holidays')}?year={_year(request)}")
    return _holiday_page(request, _year(request), import_form=form, status=422)
