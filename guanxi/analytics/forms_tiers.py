"""Web forms of the tier and analysis settings: they parse input and show errors; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.models import fields_for_model, model_to_dict
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from guanxi.governance.forms import BootstrapMixin

from .models import AnalyticsPolicy, Tier, TierPolicy

TIER_FIELDS = ["name", "position", "min_spend", "min_points", "benefits", "is_active"]
TIER_POLICY_FIELDS = ["period", "window_months", "downgrade_protection"]
ANALYSIS_FIELDS = ["monetary_window_months", "value_basis", "high_value_percentile", "high_loyalty_score",
                   "at_risk_p_alive", "at_risk_interval_factor", "churned_after_days", "clv_horizon_months",
                   "monthly_discount_rate", "task_lead_days"]

TIER_HELP = {
    "position": _("0 is the lowest tier; each tier needs a rank of its own."),
    "min_spend": _("Net spend (orders less refunds, cancelled orders left out) over the rolling window that "
                   "reaches this tier. A higher tier must need more than a lower one."),
    "min_points": _("Optional: a customer with at least this many points reaches the tier too, whatever they spent."),
    "benefits": _("What members of this tier get (discounts, gifts, service); one per line."),
    "is_active": _("Inactive tiers are skipped; their members move at the next re-tier run."),
}
TIER_POLICY_HELP = {
    "period": _("Tiers are recomputed automatically on the first day of each month, quarter or year."),
    "window_months": _("Spend counts over this many months before the re-tier day."),
    "downgrade_protection": _("A customer who no longer qualifies keeps the tier for one more period before moving "
                              "down; moving up is never delayed."),
}
ANALYSIS_HELP = {
    "monetary_window_months": _("Spend and the RFM scores look at the purchases of this many months before the "
                                "analysis day (12: the last year)."),
    "value_basis": _("Whether a customer's value on the value × loyalty matrix comes from what they spend or from "
                     "the gross profit their orders leave (needs product costs)."),
    "high_value_percentile": _("Customers whose value is at or above this percentile count as high value "
                               "(80: the top 20%)."),
    "high_loyalty_score": _("Loyalty is a score from 0 to 1 built from how long the customer has bought, how "
                            "regularly, how often they come back and, when surveys exist, their NPS. At or above "
                            "this score a customer counts as loyal."),
    "at_risk_p_alive": _("A customer is flagged at risk when the model's probability that they still buy falls "
                         "below this (0.5: less likely than not)."),
    "at_risk_interval_factor": _("… or when the time since their last purchase is longer than this many of their "
                                 "own usual gaps between purchases (2: twice as long as usual)."),
    "churned_after_days": _("A customer with no purchase for this many days counts as lost (churned)."),
    "clv_horizon_months": _("Lifetime value adds up the spend the model expects over this many months."),
    "monthly_discount_rate": _("Money expected later is worth less today: each month's expected spend is "
                               "discounted by this rate (0.01 = 1% a month)."),
    "task_lead_days": _("Owners get a follow-up task this many days before a customer's predicted next purchase "
                        "or run-out date."),
}


class ModelFieldsForm(BootstrapMixin, forms.Form):
    """A plain form with a model's fields (labels, limits) — no model validation: the service does that."""

    model: Any = None
    field_names: list[str] = []
    help: dict[str, Any] = {}

    def __init__(self, *args: Any, instance: Any = None, **kwargs: Any):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = model_to_dict(instance, fields=self.field_names)
        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(self.model, fields=self.field_names))
        for name, field in self.fields.items():
            field.label = capfirst(field.label) if field.label else field.label
            if name in self.help:
                field.help_text = self.help[name]
        self._style()

    def data_for_service(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.field_names}


class TierForm(ModelFieldsForm):
    model = Tier
    field_names = TIER_FIELDS
    help = TIER_HELP

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["benefits"].widget = forms.Textarea(attrs={"rows": 4, "class": "form-control"})
        self.fields["min_points"].widget.attrs["min"] = 0
        self.fields["min_spend"].widget.attrs["min"] = 0


class TierPolicyForm(ModelFieldsForm):
    model = TierPolicy
    field_names = TIER_POLICY_FIELDS
    help = TIER_POLICY_HELP


class AnalyticsPolicyForm(ModelFieldsForm):
    model = AnalyticsPolicy
    field_names = ANALYSIS_FIELDS
    help = ANALYSIS_HELP
