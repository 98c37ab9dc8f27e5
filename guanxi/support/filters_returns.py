"""The return list's one filter definition: the web list and `GET /api/returns` share it."""

from __future__ import annotations

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from guanxi.customers.filters import customer_search_q
from guanxi.customers.models import Customer

from .models import ReturnRequest


class ReturnFilter(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        help_text=_("Return number, order number or the customer's name."))
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *ReturnRequest.Status.choices])
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("All kinds")), *ReturnRequest.Kind.choices])
    reason = forms.ChoiceField(label=_("Reason"), required=False,
                               choices=[("", _("All reasons")), *ReturnRequest.Reason.choices])

    def apply(self, qs: QuerySet[ReturnRequest]) -> QuerySet[ReturnRequest]:
        """Narrow `qs` (already limited to what the user sees). Call after is_valid()."""
        data = self.cleaned_data
        text = (data.get("q") or "").strip()
        if text:
            customers = Customer.objects.filter(customer_search_q(text)).values("pk")
            qs = qs.filter(Q(number__iexact=text) | Q(order__number__iexact=text) | Q(customer_id__in=customers))
        for name in ("status", "kind", "reason"):
            if data.get(name):
                qs = qs.filter(**{name: data[name]})
        return qs
