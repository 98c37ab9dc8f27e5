"""Web forms of callbacks (the services validate again; these parse and show errors under their fields)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.customers.forms import BootstrapMixin

from .models import Callback, CallbackRule, Ticket

SATISFACTION_CHOICES = [("", _("(not asked)")), ("5", _("5 · Very satisfied")), ("4", _("4 · Satisfied")),
                        ("3", _("3 · Neutral")), ("2", _("2 · Dissatisfied")), ("1", _("1 · Very dissatisfied"))]


class CallbackCompleteForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(label=_("Result"), choices=[
        (Callback.Status.DONE, _("Done")), (Callback.Status.UNREACHABLE, _("Could not reach")),
        (Callback.Status.CANCELLED, _("Cancelled"))])
    outcome = forms.CharField(label=_("Outcome"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 2}),
                              help_text=_("What the customer said; required when the call is done."))
    satisfaction = forms.ChoiceField(label=_("Satisfaction"), required=False, choices=SATISFACTION_CHOICES)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, prefix_id: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if prefix_id is not None:
            self.auto_id = f"id_cb{prefix_id}_%s"
        self.style()


class CallbackRuleForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = CallbackRule
        fields = ["name", "trigger", "days", "ticket_type", "script", "is_active"]
        widgets = {"script": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ticket_type"] = forms.ChoiceField(
            label=_("Only tickets of type"), required=False, choices=[("", _("Any type")), *Ticket.Type.choices],
            help_text=_("For rules after a closed ticket."))
        self.style()

    def _post_clean(self) -> None:  # the service validates the model
        pass

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
