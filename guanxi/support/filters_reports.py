"""The service report's one filter definition: the web page, its Excel download and
`GET /api/support/reports/service` share it (period or from–to dates, team, ticket type, product)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.customers.models import Product
from guanxi.governance.models import Department

from .models import Ticket

PERIODS = [("7", _("Last 7 days")), ("30", _("Last 30 days")), ("90", _("Last 90 days")),
           ("custom", _("From – to"))]
MAX_DAYS = 731  # two years: weekly trends stay readable and the queries stay small


@dataclass(frozen=True)
class ReportPeriod:
    """Local dates, both included; `bounds()` are the aware datetimes [start 00:00, day after end 00:00)."""

    start: datetime.date
    end: datetime.date

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        low = timezone.make_aware(datetime.datetime.combine(self.start, datetime.time.min))
        high = timezone.make_aware(datetime.datetime.combine(self.end + datetime.timedelta(days=1), datetime.time.min))
        return low, high

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class ReportFilter(forms.Form):
    period = forms.ChoiceField(label=_("Period"), required=False, choices=PERIODS,
                               help_text=_("7, 30 or 90 (the last days up to today), or custom with from and to."))
    # "from" is a Python keyword: the field is put into the class namespace by name.
    locals()["from"] = forms.DateField(label=_("From"), required=False,
                                       help_text=_("First day (YYYY-MM-DD); with it the period is custom."))
    to = forms.DateField(label=_("To"), required=False, help_text=_("Last day, included (YYYY-MM-DD)."))
    team = forms.IntegerField(label=_("Team"), required=False, min_value=1,
                              help_text=_("Department id: tickets of this team and its sub-teams."))
    type = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("All types")), *Ticket.Type.choices])
    product = forms.IntegerField(label=_("Product"), required=False, min_value=1, help_text=_("Product id."))

    def clean_team(self) -> Department | None:
        pk = self.cleaned_data.get("team")
        if pk is None:
            return None
        team = Department.objects.filter(pk=pk).first()
        if team is None:
            raise forms.ValidationError(_("There is no team with this id."))
        return team

    def clean_product(self) -> Product | None:
        pk = self.cleaned_data.get("product")
        if pk is None:
            return None
        product = Product.objects.filter(pk=pk).first()
        if product is None:
            raise forms.ValidationError(_("There is no product with this id."))
        return product

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        custom = data.get("period") == "custom" or start is not None or end is not None
        if {"period", "from", "to"} & set(self.errors):
            return data
        today = timezone.localdate()
        if custom:
            end = end or today
            start = start or end - datetime.timedelta(days=29)
            if start > end:
                self.add_error("to", _("The last day cannot be before the first day."))
                return data
            if (end - start).days + 1 > MAX_DAYS:
                self.add_error("from", _("Choose at most %(days)d days.") % {"days": MAX_DAYS})
                return data
            data["period"] = "custom"
        else:
            days = int(data.get("period") or 30)
            data["period"] = str(days)
            start, end = today - datetime.timedelta(days=days - 1), today
        data["range"] = ReportPeriod(start, end)
        return data

    def params(self) -> dict[str, Any]:
        """The chosen filters as plain values (for links, the audit row of an export, the API answer)."""
        data = self.cleaned_data
        period: ReportPeriod = data["range"]
        return {"period": data["period"], "from": period.start.isoformat(), "to": period.end.isoformat(),
                "team": data["team"].pk if data.get("team") else None, "type": data.get("type") or None,
                "product": data["product"].pk if data.get("product") else None}
