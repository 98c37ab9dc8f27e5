"""Web forms of the complaint card (the services validate again; these only parse)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Compensation


class StepForm(forms.Form):
    done = forms.BooleanField(label=_("Done"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)


class CompensationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Compensation.Kind.choices)
    amount = forms.DecimalField(label=_("Face value"), min_value=Decimal("0"), max_digits=14, decimal_places=2,
                                required=False, initial=Decimal("0"))
    cost = forms.DecimalField(label=_("Cost to us"), min_value=Decimal("0"), max_digits=14, decimal_places=2,
                              required=False, initial=Decimal("0"))
    description = forms.CharField(label=_("Description"), required=False, max_length=200)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm" if isinstance(
                field.widget, forms.Select) else "form-control form-control-sm"


class CloseAnywayForm(forms.Form):
    reason = forms.CharField(label=_("Reason for closing with the follow-up open"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2, "class": "form-control form-control-sm"}))
