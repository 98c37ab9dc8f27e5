"""Web forms of the pool area: they parse input and show errors; the services decide what is valid."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from guanxi.core.text import person_name
from guanxi.customers.models import Customer, CustomerTeamMember
from guanxi.governance.models import Department
from guanxi.governance.selectors import active_users
from guanxi.web.forms import DateInput, StyledForm

from .models import Pool
from .selectors.pool import RULE_FIELDS

LEVELS = list(Customer.Level.choices)
DAYS_HELP = _("Empty: this rule is off.")


def _user_choices(users: Any, blank: str | None = None) -> list[tuple[Any, str]]:
    choices: list[tuple[Any, str]] = [("", blank)] if blank is not None else []
    return choices + [(u.pk, f"{person_name(u)} ({u.username})") for u in users]


# ---------------------------------------------------------------- pool rules


def level_field(level: str, name: str) -> str:
    return f"level_{level}_{name}"


class PoolForm(StyledForm):
    name = forms.CharField(label=_("name"), max_length=100)
    department = forms.TypedChoiceField(label=_("department"), coerce=int, empty_value=None, required=False,
                                        help_text=_("Empty: the company-wide pool."))
    is_active = forms.BooleanField(label=_("recycling on"), required=False)
    no_follow_up_days = forms.IntegerField(label=_("recycle after days without follow-up"), required=False,
                                           help_text=_("Counted from the later of the last follow-up and the claim."))
    no_opportunity_days = forms.IntegerField(label=_("recycle when no opportunity within days of claiming"),
                                             required=False, help_text=DAYS_HELP)
    not_won_days = forms.IntegerField(label=_("recycle when not won within days of claiming"), required=False,
                                      help_text=DAYS_HELP)
    warn_days_before = forms.IntegerField(label=_("warn the owner days before"), initial=3)
    exempt_won = forms.BooleanField(label=_("never recycle customers who have bought"), required=False,
                                    initial=True)
    exempt_open_opportunity = forms.BooleanField(label=_("never recycle customers with an open opportunity"),
                                                 required=False, initial=True)
    daily_claim_limit = forms.IntegerField(label=_("claims per rep per day"), required=False,
                                           help_text=_("Empty: no limit."))
    holding_limit = forms.IntegerField(label=_("customers a rep may hold"), required=False,
                                       help_text=_("Empty: no limit."))
    holding_counts_won = forms.BooleanField(label=_("customers who have bought count toward the holding limit"),
                                            required=False)
    reclaim_block_days = forms.IntegerField(label=_("days before a former owner may claim again"), initial=0)
    lock_limit = forms.IntegerField(label=_("key customers a rep may lock"), initial=5)

    def __init__(self, data: Any = None, *, pool: Pool | None = None, **kwargs: Any):
        if pool is not None and data is None and "initial" not in kwargs:
            initial = {name: getattr(pool, name) for name in self.base_fields if hasattr(pool, name)}
            initial["department"] = pool.department_id
            for rule in pool.level_rules.all():
                for name in RULE_FIELDS:
                    initial[level_field(rule.level, name)] = getattr(rule, name)
            kwargs["initial"] = initial
        super().__init__(data, **kwargs)
        taken = set(Pool.objects.exclude(pk__in=[pool.pk] if pool is not None else []).filter(department__isnull=False)
                    .values_list("department_id", flat=True))
        departments = Department.objects.exclude(pk__in=taken).order_by("name")
        company = [("", _("— the whole company —"))]
        if pool is not None and pool.pk and pool.department_id is None:
            cast(forms.ChoiceField, self.fields["department"]).choices = company  # the company pool stays one
        else:
            cast(forms.ChoiceField, self.fields["department"]).choices = company + [(d.pk, d.name) for d in departments]
        for level, _label in LEVELS:
            for name in RULE_FIELDS:
                field = forms.IntegerField(required=False, label=f"{level}: {capfirst(self.base_fields[name].label)}")
                field.widget.attrs.update({"class": "form-control form-control-sm", "inputmode": "numeric"})
                self.fields[level_field(level, name)] = field

    def level_rows(self) -> list[tuple[str, Any, list[Any]]]:
        return [(level, label, [self[level_field(level, name)] for name in RULE_FIELDS]) for level, label in LEVELS]

    def pool_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in
                ("name", "is_active", "no_follow_up_days", "no_opportunity_days", "not_won_days", "warn_days_before",
                 "exempt_won", "exempt_open_opportunity", "daily_claim_limit", "holding_limit", "holding_counts_won",
                 "reclaim_block_days", "lock_limit")}
        department_id = self.cleaned_data.get("department")
        data["department"] = Department.objects.filter(pk=department_id).first() if department_id else None
        return data

    def level_rules(self) -> list[dict[str, Any]]:
        return [{"level": level, **{name: self.cleaned_data.get(level_field(level, name)) for name in RULE_FIELDS}}
                for level, _label in LEVELS]

    def field_for_error(self, name: str) -> str | None:
        # "level_rules.2.no_follow_up_days" (from the service) -> the row's input.
        if name.startswith("level_rules."):
            _prefix, n, field = name.split(".", 2)
            level = LEVELS[int(n)][0] if n.isdigit() and int(n) < len(LEVELS) else ""
            candidate = level_field(level, field)
            return candidate if candidate in self.fields else None
        return super().field_for_error(name)


# ---------------------------------------------------------------- pool actions


class ReleaseForm(StyledForm):
    reason = forms.CharField(label=_("reason"), max_length=200,
                             widget=forms.TextInput(attrs={"placeholder": _("e.g. no budget this year")}))


class AssignForm(StyledForm):
    to_user = forms.TypedChoiceField(label=_("Give to"), coerce=int)
    reason = forms.CharField(label=_("reason"), max_length=200, required=False)
    override = forms.BooleanField(label=_("Go over the holding limit"), required=False)

    def __init__(self, *args: Any, people: Any, can_override: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["to_user"]).choices = _user_choices(people, blank="")
        if not can_override:
            del self.fields["override"]


class TeamMemberForm(StyledForm):
    user = forms.TypedChoiceField(label=_("member"), coerce=int)
    access = forms.ChoiceField(label=_("access"), choices=CustomerTeamMember.Access.choices)
    until = forms.DateField(label=_("until"), required=False, widget=DateInput(),
                            help_text=_("The last day of access; empty for no end."))

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any):
        super().__init__(*args, **kwargs)
        people = active_users().exclude(pk=customer.owner_id)
        cast(forms.ChoiceField, self.fields["user"]).choices = _user_choices(people[:500], blank="")


# ---------------------------------------------------------------- handover


class HandoverForm(StyledForm):
    MODES = [
        ("one", _("Everything to one person")),
        ("even", _("Split evenly between several people")),
        ("list", _("Customers by list, the rest evenly")),
        ("pool", _("Customers back to the public pool")),
    ]

    from_user = forms.TypedChoiceField(label=_("Hand over from"), coerce=int)
    mode = forms.ChoiceField(label=_("How"), choices=MODES, initial="one", widget=forms.RadioSelect)
    receivers = forms.TypedMultipleChoiceField(label=_("Receivers"), coerce=int, required=False,
                                               help_text=_("One for “everything to one person”; several to split."))
    reason = forms.CharField(label=_("reason"), max_length=200, required=False)
    keep_read_until = forms.DateField(label=_("Keep read-only access until"), required=False, widget=DateInput(),
                                      help_text=_("The old owner stays on the account team, read only, until "
                                                  "this day. Empty: no access."))
    departed = forms.BooleanField(label=_("The person has left"), required=False,
                                  help_text=_("Marks the employee as departed: no login, API tokens revoked."))

    def __init__(self, *args: Any, people: Any, receivers: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["from_user"]).choices = [("", "")] + [
            (u.pk, f"{person_name(u)} ({u.username})" + ("" if u.is_active else " — " + str(_("departed"))))
            for u in people]
        cast(forms.ChoiceField, self.fields["receivers"]).choices = _user_choices(receivers)
        self.fields["receivers"].widget.attrs["size"] = 6

    def assignments(self, data: Any) -> dict[int, int]:
        """`assign_<customer id>` = receiver id, from the list table."""
        result: dict[int, int] = {}
        for key, value in data.items():
            if key.startswith("assign_") and key[7:].isdigit() and str(value).isdigit():
                result[int(key[7:])] = int(value)
        return result
