"""The ticket list's one filter definition: the web list and `GET /api/tickets` share it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from guanxi.core.text import person_name
from guanxi.customers.filters import customer_search_q
from guanxi.customers.models import Customer
from guanxi.governance.models import Department, Role
from guanxi.governance.selectors import active_users

from .models import SlaState, Ticket

# The agents' "what needs me now" view: about to breach, or breached and still running.
NEEDS_ATTENTION = "attention"
# The work still to do: the list's default on the web, so a queue is not buried under its history.
ACTIVE = "active"
RUNNING = [Ticket.Status.NEW, Ticket.Status.OPEN, Ticket.Status.WAITING, Ticket.Status.REOPENED]


class TicketFilter(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        help_text=_("Ticket subject or number, or the customer's name."))
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), (ACTIVE, _("Open work (not resolved or closed)")),
                                        *Ticket.Status.choices])
    type = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("All types")), *Ticket.Type.choices])
    priority = forms.ChoiceField(label=_("Priority"), required=False,
                                 choices=[("", _("All priorities")), *Ticket.Priority.choices])
    # "me", "none" or a service agent's or manager's user id (filled per form, like the teams).
    assignee = forms.ChoiceField(label=_("Assignee"), required=False, choices=[("", _("Anyone"))])
    sla_state = forms.ChoiceField(
        label=_("SLA"), required=False,
        choices=[("", _("Any SLA state")), (NEEDS_ATTENTION, _("About to breach or breached (open tickets)")),
                 *SlaState.choices, ("none", _("No SLA"))])
    # Choices are the departments, filled per form (a query at import time would hit the database).
    team = forms.ChoiceField(label=_("Team"), required=False, choices=[("", _("Any team"))])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", _("Any team")), ("none", _("No team")),  # type: ignore[attr-defined]
                                       *((str(pk), name) for pk, name in
                                         Department.objects.order_by("name", "id").values_list("pk", "name"))]
        staff = active_users().filter(employee__role__in=[Role.SERVICE_AGENT, Role.SERVICE_MANAGER])
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("", _("Anyone")), ("me", _("Me")), ("none", _("Nobody")),
            *((str(user.pk), person_name(user)) for user in staff)]

    def apply(self, qs: QuerySet[Ticket], user: Any) -> QuerySet[Ticket]:
        """Narrow `qs` (already limited to what the user sees). Call after is_valid()."""
        data = self.cleaned_data
        text = (data.get("q") or "").strip()
        if text:
            customers = Customer.objects.filter(customer_search_q(text)).values("pk")
            qs = qs.filter(Q(subject__icontains=text) | Q(number__iexact=text) | Q(customer_id__in=customers))
        if data.get("status") == ACTIVE:
            qs = qs.filter(status__in=RUNNING)
        elif data.get("status"):
            qs = qs.filter(status=data["status"])
        for name in ("type", "priority"):
            if data.get(name):
                qs = qs.filter(**{name: data[name]})
        state = data.get("sla_state")
        if state == NEEDS_ATTENTION:
            qs = qs.filter(sla_state__in=[SlaState.AT_RISK, SlaState.BREACHED], status__in=RUNNING)
        elif state == "none":
            qs = qs.filter(sla_state="")
        elif state:
            qs = qs.filter(sla_state=state)
        if data.get("team") == "none":
            qs = qs.filter(team__isnull=True)
        elif data.get("team"):
            qs = qs.filter(team_id=int(data["team"]))
        if data.get("assignee") == "me":
            qs = qs.filter(assignee=user)
        elif data.get("assignee") == "none":
            qs = qs.filter(assignee__isnull=True)
        elif data.get("assignee"):
            qs = qs.filter(assignee_id=int(data["assignee"]))
        return qs


class HolidayFilter(forms.Form):
    """The holiday list's filter (`GET /api/support/holidays`)."""

    year = forms.IntegerField(label=_("Year"), required=False, min_value=1900, max_value=2999,
                              help_text=_("Only the days of this year."))
