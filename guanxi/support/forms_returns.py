"""Web forms of returns (the services validate again; these only parse)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.customers.models import OrderLine

from .models import ReturnRequest


class ReturnForm(forms.Form):
    """Kind, reason, details and refund, plus one quantity field per order line (`qty_<line id>`)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ReturnRequest.Kind.choices)
    reason = forms.ChoiceField(label=_("Reason"), choices=ReturnRequest.Reason.choices)
    reason_note = forms.CharField(label=_("Details"), required=False, max_length=1000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    refund_amount = forms.DecimalField(label=_("Refund amount"), min_value=Decimal("0"), max_digits=14,
                                       decimal_places=2, required=False, initial=Decimal("0"),
                                       help_text=_("Filled in from the items chosen; change it if needed."))

    def __init__(self, *args: Any, order_lines: list[OrderLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_lines = order_lines
        for line in order_lines:
            self.fields[f"qty_{line.pk}"] = forms.DecimalField(
                label=_("Quantity to return"), required=False, min_value=Decimal("0"), max_digits=12,
                decimal_places=2, initial=Decimal("0"), widget=forms.NumberInput(attrs={
                    "step": "any", "min": "0", "max": str(getattr(line, "returnable", line.quantity)),
                    "data-price": str(line.unit_price)}))
        # The page fills the refund from the quantities (Alpine) until the user types an amount.
        self.fields["refund_amount"].widget.attrs.update({"x-ref": "refund", "x-on:input": "touched = true",
                                                          "step": "0.01"})
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def line_rows(self) -> list[tuple[OrderLine, forms.BoundField]]:
        return [(line, self[f"qty_{line.pk}"]) for line in self.order_lines]

    def lines(self) -> list[tuple[OrderLine, Decimal]]:
        """The lines with a quantity above zero (call after is_valid())."""
        rows = [(line, self.cleaned_data.get(f"qty_{line.pk}") or Decimal("0")) for line in self.order_lines]
        return [(line, qty) for line, qty in rows if qty > 0]

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        """Service errors keyed `lines.<n>.quantity` go under that line's quantity input."""
        chosen = self.lines()
        for key, messages in errors.items():
            field = key if key in self.fields else None
            if key.startswith("lines."):
                parts = key.split(".")
                if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(chosen):
                    field = f"qty_{chosen[int(parts[1])][0].pk}"
            self.add_error(field, messages)  # type: ignore[arg-type]


class DecideForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)
