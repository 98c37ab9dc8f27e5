"""The ticket list's one filter definition: the web list and `GET /api/tickets` share it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from guanxi.customers.filters import customer_search_q
from guanxi.customers.models import Customer

from .models import Ticket


class TicketFilter(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        help_text=_("Ticket subject or number, or the customer's name."))
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *Ticket.Status.choices])
    type = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("All types")), *Ticket.Type.choices])
    priority = forms.ChoiceField(label=_("Priority"), required=False,
                                 choices=[("", _("All priorities")), *Ticket.Priority.choices])
    assignee = forms.ChoiceField(label=_("Assignee"), required=False,
                                 choices=[("", _("Anyone")), ("me", _("Me")), ("none", _("Nobody"))])

    def apply(self, qs: QuerySet[Ticket], user: Any) -> QuerySet[Ticket]:
        """Narrow `qs` (already limited to what the user sees). Call after is_valid()."""
        data = self.cleaned_data
        text = (data.get("q") or "").strip()
        if text:
            customers = Customer.objects.filter(customer_search_q(text)).values("pk")
            qs = qs.filter(Q(subject__icontains=text) | Q(number__iexact=text) | Q(customer_id__in=customers))
        for name in ("status", "type", "priority"):
            if data.get(name):
                qs = qs.filter(**{name: data[name]})
        if data.get("assignee") == "me":
            qs = qs.filter(assignee=user)
        elif data.get("assignee") == "none":
            qs = qs.filter(assignee__isnull=True)
        return qs
