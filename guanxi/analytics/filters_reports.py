"""The one filter of the customer-value reports (dashboard, 80/20, churn): the web pages, their Excel downloads
and `GET /api/analytics/{dashboard,pareto,churn}` share it — a period (the last n whole months up to today, this
year, or from–to dates) and a department (its sub-departments included)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any, TypeVar

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.governance import permissions
from guanxi.governance.models import Department, Scope
from guanxi.governance.selectors import user_department_ids

PERIODS = [("3", _("Last 3 months")), ("6", _("Last 6 months")), ("12", _("Last 12 months")),
           ("24", _("Last 24 months")), ("36", _("Last 36 months")), ("year", _("This year")),
           ("custom", _("From – to"))]
MAX_DAYS = 3700  # ten years


def month_start(d: datetime.date) -> datetime.date:
    return d.replace(day=1)


def add_months(d: datetime.date, months: int) -> datetime.date:
    """The first day of the month `months` after d's month (negative: before)."""
    index = d.year * 12 + d.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class ReportPeriod:
    """Local dates, both included; `bounds()` are the aware datetimes [start 00:00, day after end 00:00)."""

    start: datetime.date
    end: datetime.date

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        low = timezone.make_aware(datetime.datetime.combine(self.start, datetime.time.min))
        high = timezone.make_aware(datetime.datetime.combine(self.end + datetime.timedelta(days=1),
                                                             datetime.time.min))
        return low, high

    def months(self) -> list[datetime.date]:
        """The first day of every month the period touches."""
        out, current = [], month_start(self.start)
        while current <= self.end:
            out.append(current)
            current = add_months(current, 1)
        return out

    def contains(self, d: datetime.date) -> bool:
        return self.start <= d <= self.end


def department_choices(user: Any) -> list[tuple[int, str]]:
    """Departments the user may narrow a report to: all of them for an everything-scope user, otherwise their
    own department and its sub-departments."""
    qs = Department.objects.order_by("name")
    if permissions.scope_of(user) != Scope.ALL:
        qs = qs.filter(pk__in=user_department_ids(user))
    return list(qs.values_list("pk", "name"))


class ValueReportFilter(forms.Form):
    period = forms.ChoiceField(label=_("Period"), required=False, choices=PERIODS,
                               help_text=_("3, 6, 12, 24 or 36 (whole months up to today), year (this year), or "
                                           "custom with from and to. Default: 12."))
    # "from" is a Python keyword: the field is put into the class namespace by name.
    locals()["from"] = forms.DateField(label=_("From"), required=False,
                                       help_text=_("First day (YYYY-MM-DD); with it the period is custom."))
    to = forms.DateField(label=_("To"), required=False, help_text=_("Last day, included (YYYY-MM-DD)."))
    department = forms.IntegerField(label=_("Department"), required=False, min_value=1,
                                     help_text=_("Department id: its customers and its sub-departments'."))

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_department(self) -> Department | None:
        pk = self.cleaned_data.get("department")
        if pk is None:
            return None
        department = Department.objects.filter(pk=pk).first()
        if department is None:
            raise forms.ValidationError(_("There is no department with this id."))
        if self.user is not None and pk not in {p for p, _name in department_choices(self.user)}:
            raise forms.ValidationError(_("You may only choose your own department or one of its sub-departments."))
        return department

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if {"period", "from", "to"} & set(self.errors):
            return data
        start, end = data.get("from"), data.get("to")
        today = timezone.localdate()
        if data.get("period") == "custom" or start is not None or end is not None:
            end = end or today
            start = start or add_months(end, -11)
            if end > today:
                self.add_error("to", _("The last day cannot be in the future."))
                return data
            if start > end:
                self.add_error("to", _("The last day cannot be before the first day."))
                return data
            if (end - start).days + 1 > MAX_DAYS:
                self.add_error("from", _("Choose at most ten years."))
                return data
            data["period"] = "custom"
        elif data.get("period") == "year":
            start, end = datetime.date(today.year, 1, 1), today
        else:
            months = int(data.get("period") or 12)
            data["period"] = str(months)
            start, end = add_months(today, 1 - months), today
        data["range"] = ReportPeriod(start, end)
        return data

    def params(self) -> dict[str, Any]:
        """The chosen filters as plain values (links, the audit row of an export, the API answer)."""
        data = self.cleaned_data
        period: ReportPeriod = data["range"]
        return {"period": data["period"], "from": period.start.isoformat(), "to": period.end.isoformat(),
                "department": data["department"].pk if data.get("department") else None}


class ParetoFilter(ValueReportFilter):
    by = forms.ChoiceField(label=_("Share over time by"), required=False,
                           choices=[("quarter", _("Quarter")), ("year", _("Year"))],
                           help_text=_("quarter (default) or year."))

    def params(self) -> dict[str, Any]:
        return {**super().params(), "by": self.cleaned_data.get("by") or "quarter"}


F = TypeVar("F", bound=ValueReportFilter)


def bound_filter(form_class: type[F], data: Any, user: Any) -> tuple[F, list[str]]:
    """A valid filter for a page: the request's, or (when it has errors) the defaults plus the error texts."""
    form = form_class({k: v for k, v in data.items() if v != ""}, user=user)
    if form.is_valid():
        return form, []
    errors = [f"{form.fields[k].label if k in form.fields else ''}: {m}".lstrip(": ")
              for k, msgs in form.errors.items() for m in msgs]
    form = form_class({}, user=user)
    form.is_valid()
    return form, errors
