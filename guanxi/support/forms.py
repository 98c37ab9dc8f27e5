"""Web forms of tickets (the services validate again; these only parse)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanxi.customers.models import Contact, Customer, Order, Product

from .models import Ticket


class TicketForm(forms.ModelForm):
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none())

    class Meta:
        model = Ticket
        fields = ["customer", "subject", "type", "priority", "channel"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only customers the user may change.
        self.fields["customer"].queryset = Customer.objects.editable_by(user).order_by("name")  # type: ignore[attr-defined]


class TicketEditForm(forms.ModelForm):
    """The ticket's own fields; contact and order only of its customer."""

    class Meta:
        model = Ticket
        fields = ["subject", "type", "priority", "channel", "contact", "order", "product"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        customer_id = self.instance.customer_id
        self.fields["contact"].queryset = Contact.objects.filter(  # type: ignore[attr-defined]
            customer_id=customer_id, deleted_at__isnull=True).order_by("name")
        self.fields["order"].queryset = Order.objects.filter(  # type: ignore[attr-defined]
            customer_id=customer_id, deleted_at__isnull=True).order_by("-ordered_at")
        self.fields["product"].queryset = Product.objects.filter(is_active=True).order_by("name")  # type: ignore[attr-defined]


class ReplyForm(forms.Form):
    body = forms.CharField(label=pgettext_lazy("ticket reply", "Message"), widget=forms.Textarea(attrs={"rows": 4}), max_length=20000)
    internal = forms.BooleanField(label=_("Internal note (not shown to the customer)"), required=False)
