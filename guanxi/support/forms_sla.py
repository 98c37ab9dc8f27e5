"""Web forms of the SLA area: they parse input and show errors; the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.text import person_name
from guanxi.customers.models import Customer, Product
from guanxi.web.forms import DateInput, StyledForm, TimeInput

from .models import Ticket
from .selectors.sla import assignable_users, team_choices

WEEKDAYS = [("1", _("Monday")), ("2", _("Tuesday")), ("3", _("Wednesday")), ("4", _("Thursday")),
            ("5", _("Friday")), ("6", _("Saturday")), ("7", _("Sunday"))]
LEVELS = [("", _("Any level")), *Customer.Level.choices]


class SlaPolicyForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    priority = forms.ChoiceField(label=_("Priority"), choices=Ticket.Priority.choices, initial="normal")
    customer_level = forms.ChoiceField(label=_("Customer level"), choices=LEVELS, required=False,
                                       help_text=_("A policy for a level wins over one for any level."))
    first_response_minutes = forms.IntegerField(
        label=_("First response within (business minutes)"),
        help_text=_("Counted in business hours: with 09:00–18:00, one working day is 540 minutes."))
    resolution_minutes = forms.IntegerField(label=_("Resolution within (business minutes)"))
    warning_minutes = forms.IntegerField(label=_("Warn before breach (business minutes)"), initial=60,
                                         help_text=_("0: no warning."))
    business_start = forms.TimeField(label=_("Business hours start"), initial="09:00", widget=TimeInput())
    business_end = forms.TimeField(label=_("Business hours end"), initial="18:00", widget=TimeInput())
    weekdays = forms.MultipleChoiceField(label=_("Working weekdays"), choices=WEEKDAYS, required=False,
                                         initial=["1", "2", "3", "4", "5"], widget=forms.CheckboxSelectMultiple,
                                         help_text=_("Holidays and make-up working days (调休) of the holiday "
                                                     "calendar override these."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    @classmethod
    def for_policy(cls, policy: Any) -> SlaPolicyForm:
        return cls(initial={
            "name": policy.name, "priority": policy.priority, "customer_level": policy.customer_level,
            "first_response_minutes": policy.first_response_minutes,
            "resolution_minutes": policy.resolution_minutes, "warning_minutes": policy.warning_minutes,
            "business_start": policy.business_start, "business_end": policy.business_end,
            "weekdays": [p for p in policy.weekdays.split(",") if p], "is_active": policy.is_active})


class HolidayForm(StyledForm):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    is_workday = forms.BooleanField(label=_("Make-up working day (调休): a weekend day that is worked"),
                                    required=False)
    name = forms.CharField(label=_("Name"), max_length=100, required=False)


class HolidayImportForm(StyledForm):
    text = forms.CharField(
        label=_("Days, one line each"), widget=forms.Textarea(attrs={"rows": 8}), max_length=20000,
        help_text=_("A date or a range, optionally “workday” for a make-up working day, then a name: "
                    "“2026-10-01..2026-10-07 国庆节”, “2026-09-20 workday 国庆节调休”. Days already in the calendar "
                    "are updated."))

    def field_for_error(self, name: str) -> str | None:
        return "text"

    def message_for_error(self, name: str, message: str) -> str:
        if name.startswith("lines."):
            return str(_("Line %(line)s: %(message)s") % {"line": name.split(".", 1)[1], "message": message})
        return message


class RoutingRuleForm(StyledForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    position = forms.IntegerField(label=_("Position"), required=False, min_value=0,
                                  help_text=_("Rules are tried from the lowest position up; the first that "
                                              "matches wins. Empty: last."))
    ticket_type = forms.ChoiceField(label=_("Ticket type"), required=False,
                                    choices=[("", _("Any type")), *Ticket.Type.choices])
    product = forms.ModelChoiceField(label=_("Product"), required=False, queryset=Product.objects.none(),
                                     empty_label=_("Any product"))
    province = forms.CharField(label=_("Region (province)"), required=False, max_length=20,
                               help_text=_("The customer's province, e.g. 广东; empty: any region."))
    customer_level = forms.ChoiceField(label=_("Customer level"), choices=LEVELS, required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=team_choices(), empty_label=None)
    round_robin = forms.BooleanField(label=_("Assign round-robin to the team's agents"), required=False,
                                     initial=True)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["team"].queryset = team_choices()  # type: ignore[attr-defined]

    @classmethod
    def for_rule(cls, rule: Any) -> RoutingRuleForm:
        return cls(initial={name: getattr(rule, name) for name in (
            "name", "position", "ticket_type", "province", "customer_level", "round_robin", "is_active")}
            | {"product": rule.product_id, "team": rule.team_id})


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return person_name(obj)


class ReassignForm(StyledForm):
    team = forms.ModelChoiceField(label=_("Team"), required=False, queryset=team_choices(),
                                  empty_label=_("No team"))
    assignee = UserChoiceField(label=_("Assignee"), required=False, queryset=assignable_users(),
                               empty_label=_("Nobody"))

    def __init__(self, *args: Any, ticket: Ticket, **kwargs: Any):
        kwargs.setdefault("initial", {"team": ticket.team_id, "assignee": ticket.assignee_id})
        super().__init__(*args, **kwargs)
        # The current assignee stays a choice even without a service role.
        self.fields["assignee"].queryset = assignable_users(also=ticket.assignee_id)  # type: ignore[attr-defined]
        self.fields["team"].queryset = team_choices()  # type: ignore[attr-defined]
