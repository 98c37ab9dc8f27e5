"""The order list's one filter definition (web list now; the API's /orders can use the same form)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .filters import customer_search_q
from .models import Customer, Order

ORDER_SORTS = {
    "-ordered": ("-ordered_at", "-id"),
    "ordered": ("ordered_at", "id"),
    "-amount": ("-total_amount", "-id"),
    "amount": ("total_amount", "id"),
}


class OrderFilter(forms.Form):
    q = forms.CharField(label=_("Customer or order number"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *Order.Status.choices])
    channel = forms.ChoiceField(label=_("Sales channel"), required=False,
                                choices=[("", _("All channels")), *Order.Channel.choices])
    date_from = forms.DateField(label=_("From"), required=False)
    date_to = forms.DateField(label=_("To"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=[(k, k) for k in ORDER_SORTS])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return data

    @staticmethod
    def _day_start(day: datetime.date) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))

    def apply(self, qs: QuerySet[Order]) -> QuerySet[Order]:
        """Narrow `qs` (already limited to what the user sees). Call after is_valid()."""
        data = self.cleaned_data
        text = (data.get("q") or "").strip()
        if text:
            customers = Customer.objects.filter(customer_search_q(text)).values("pk")
            qs = qs.filter(Q(customer_id__in=customers) | Q(number=text))
        for field in ("status", "channel"):
            if data.get(field):
                qs = qs.filter(**{field: data[field]})
        if data.get("date_from"):
            qs = qs.filter(ordered_at__gte=self._day_start(data["date_from"]))
        if data.get("date_to"):
            qs = qs.filter(ordered_at__lt=self._day_start(data["date_to"] + datetime.timedelta(days=1)))
        return qs.order_by(*ORDER_SORTS[data.get("sort") or "-ordered"])
