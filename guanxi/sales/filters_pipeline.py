"""The opportunity list's one filter definition: the web list and `GET /api/opportunities` share it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from guanxi.customers.filters import customer_search_q
from guanxi.customers.models import Customer

from .models import Opportunity, Stage

OPPORTUNITY_SORTS = {
    "-id": ("-id",),
    "close": ("expected_close_date", "-id"),
    "-close": ("-expected_close_date", "-id"),
    "-amount": ("-amount", "-id"),
    "amount": ("amount", "id"),
    "name": ("name", "id"),
    "-updated": ("-updated_at", "-id"),
}
STATUS_CHOICES = [
    ("", _("All statuses")),
    ("open", _("Open")),
    ("won", _("Won")),
    ("lost", _("Lost")),
    ("invalid", _("Invalid")),
    ("closed", _("Closed (won, lost or invalid)")),
]


class OpportunityFilter(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        help_text=_("Opportunity name, or the customer's name, pinyin or phone."))
    pipeline = forms.IntegerField(label=_("Pipeline"), required=False, min_value=1)
    stage = forms.IntegerField(label=_("Stage"), required=False, min_value=1)
    owner = forms.CharField(label=_("Owner"), required=False, help_text=_("A user id or 'me'."))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    close_from = forms.DateField(label=_("Closes from"), required=False,
                                 help_text=_("Expected close date, the first day, YYYY-MM-DD."))
    close_to = forms.DateField(label=_("Closes until"), required=False,
                               help_text=_("Expected close date, the last day (included), YYYY-MM-DD."))
    amount_min = forms.DecimalField(label=_("Amount from"), required=False, min_value=0, max_digits=14,
                                    decimal_places=2)
    amount_max = forms.DecimalField(label=_("Amount up to"), required=False, min_value=0, max_digits=14,
                                    decimal_places=2)
    customer = forms.IntegerField(label=_("Customer"), required=False, min_value=1, help_text=_("A customer id."))
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=[(k, k) for k in OPPORTUNITY_SORTS])

    def clean_owner(self) -> str:
        value = self.cleaned_data["owner"].strip()
        if value and value != "me" and not value.isdigit():
            raise forms.ValidationError(_("Use a user id or 'me'."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("close_from") and data.get("close_to") and data["close_from"] > data["close_to"]:
            self.add_error("close_to", _("The end date must not be before the start date."))
        low, high = data.get("amount_min"), data.get("amount_max")
        if low is not None and high is not None and low > high:
            self.add_error("amount_max", _("The upper amount must not be below the lower one."))
        return data

    def apply(self, qs: QuerySet[Opportunity], user: Any) -> QuerySet[Opportunity]:
        """Narrow `qs` (already limited to what the user sees). Call after is_valid()."""
        data = self.cleaned_data
        text = (data.get("q") or "").strip()
        if text:
            customers = Customer.objects.filter(customer_search_q(text)).values("pk")
            qs = qs.filter(Q(name__icontains=text) | Q(customer_id__in=customers))
        if data.get("pipeline"):
            qs = qs.filter(pipeline_id=data["pipeline"])
        if data.get("stage"):
            qs = qs.filter(stage_id=data["stage"])
        if data.get("customer"):
            qs = qs.filter(customer_id=data["customer"])
        owner = data.get("owner")
        if owner == "me":
            qs = qs.filter(owner_id=user.pk)
        elif owner:
            qs = qs.filter(owner_id=int(owner))
        status = data.get("status")
        if status == "closed":
            qs = qs.exclude(stage__kind=Stage.Kind.OPEN)
        elif status:
            qs = qs.filter(stage__kind=status)
        if data.get("close_from"):
            qs = qs.filter(expected_close_date__gte=data["close_from"])
        if data.get("close_to"):
            qs = qs.filter(expected_close_date__lte=data["close_to"])
        if data.get("amount_min") is not None:
            qs = qs.filter(amount__gte=data["amount_min"])
        if data.get("amount_max") is not None:
            qs = qs.filter(amount__lte=data["amount_max"])
        return qs.order_by(*OPPORTUNITY_SORTS[data.get("sort") or "-id"])
