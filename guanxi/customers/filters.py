"""One filter definition per list, used by the web list, the API list and exports alike."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.text import digits_only

from .models import Contact, Customer, Order
from .search import text_q

CUSTOMER_SORTS = {
    "name": "name",
    "-name": "-name",
    "created": "created_at",
    "-created": "-created_at",
    "last_follow_up": "last_interaction_at",
    "-last_follow_up": "-last_interaction_at",
    "id": "id",
    "-id": "-id",
}


def customer_search_q(text: str) -> Q:
    """Name or short name substring, pinyin or initials substring, phone number or its last four digits,
    credit code. Index-backed for terms of 3+ characters (2+ on SQLite): see `search.py`."""
    text = text.strip()
    if not text:
        return Q()
    digits = digits_only(text)
    if digits and len(digits) >= 4 and len(digits) >= len(text.replace(" ", "").replace("-", "").lstrip("+")):
        # Index-friendly: the indexed mobile_last4 (always mobile[-4:]) narrows the contacts to a
        # few hundred before any LIKE, and an uncorrelated IN is computed once per query instead of
        # once per customer scanned (bench/RESULTS.md).
        phones = Contact.objects.filter(mobile_last4=digits[-4:], deleted_at__isnull=True)
        if len(digits) > 4:
            phones = phones.filter(mobile__endswith=digits[-11:])
        # The name may contain the digits too. `icontains` is `contains` for a text without letters, and
        # it is the expression the trigram / FTS index serves. One IN over a UNION: an OR of an IN and a
        # LIKE made PostgreSQL scan every customer (1.6 s), the UNION is two index look-ups.
        named = Customer.objects.filter(text_q(text, None, name_only=True)).order_by().values("pk")
        return Q(pk__in=phones.order_by().values("customer_id").union(named))
    key = text.lower().replace(" ", "")
    # Keys are stored lower-case, so a plain (case-sensitive) contains is enough.
    q = text_q(text, key if key.isascii() and key.isalnum() else None)
    if len(text) == 18:
        q |= Q(credit_code=text.upper())
    return q


class CustomerFilter(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("All types")), *Customer.Kind.choices])
    lifecycle = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *Customer.Lifecycle.choices]
    )
    owner = forms.CharField(label=_("Owner"), required=False, help_text=_("A user id, 'me' or 'none' (public pool)."))
    department = forms.IntegerField(label=_("Department"), required=False, min_value=1)
    province = forms.CharField(label=_("Province"), required=False, max_length=20)
    industry = forms.CharField(label=_("Industry"), required=False, max_length=50)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=50)
    has_orders = forms.NullBooleanField(label=_("Has orders"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=[(k, k) for k in CUSTOMER_SORTS])

    def clean_owner(self) -> str:
        value = self.cleaned_data["owner"].strip()
        if value and value not in {"me", "none"} and not value.isdigit():
            raise forms.ValidationError(_("Use a user id, 'me' or 'none'."))
        return value

    def apply(self, qs: QuerySet[Customer], user: Any) -> QuerySet[Customer]:
        """Narrow `qs` (already limited to what the user sees). Call after is_valid()."""
        data = self.cleaned_data
        if data.get("q"):
            qs = qs.filter(customer_search_q(data["q"]))
        for field in ("kind", "lifecycle", "province", "industry"):
            if data.get(field):
                qs = qs.filter(**{field: data[field]})
        owner = data.get("owner")
        if owner == "me":
            qs = qs.filter(owner_id=user.pk)
        elif owner == "none":
            qs = qs.filter(owner__isnull=True)
        elif owner:
            qs = qs.filter(owner_id=int(owner))
        if data.get("department"):
            qs = qs.filter(department_id=data["department"])
        if data.get("tag"):
            qs = qs.filter(tags__name=data["tag"])
        if data.get("has_orders") is not None:
            has = Exists(Order.objects.filter(customer=OuterRef("pk"), deleted_at__isnull=True))
            qs = qs.filter(has if data["has_orders"] else ~has)
        return qs.order_by(CUSTOMER_SORTS[data.get("sort") or "-id"], "-id")


ORDER_SORTS = {
    "-ordered": ("-ordered_at", "-id"),
    "ordered": ("ordered_at", "id"),
    "-amount": ("-total_amount", "-id"),
    "amount": ("total_amount", "id"),
}


class OrderFilter(forms.Form):
    """The order list's filters: the web list, `GET /api/orders` and the order export."""

    q = forms.CharField(label=_("Customer or order number"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *Order.Status.choices])
    channel = forms.ChoiceField(label=_("Sales channel"), required=False,
                                choices=[("", _("All channels")), *Order.Channel.choices])
    date_from = forms.DateField(label=_("From"), required=False, help_text=_("The first day, YYYY-MM-DD."))
    date_to = forms.DateField(label=_("To"), required=False, help_text=_("The last day (included), YYYY-MM-DD."))
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=[(k, k) for k in ORDER_SORTS])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date must not be before the start date."))
        return data

    @staticmethod
    def _day_start(day: datetime.date) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))

    def apply(self, qs: QuerySet[Order]) -> QuerySet[Order]:
        """Narrow `qs` (already limited to what the user sees). Call after is_valid()."""
        data = self.cleaned_data
        text = (data.get("q") or "").strip()
        if text:
            customers = Customer.objects.filter(customer_search_q(text)).values("pk")
            qs = qs.filter(Q(customer_id__in=customers) | Q(number=text))
        for field in ("status", "channel"):
            if data.get(field):
                qs = qs.filter(**{field: data[field]})
        if data.get("date_from"):
            qs = qs.filter(ordered_at__gte=self._day_start(data["date_from"]))
        if data.get("date_to"):
            qs = qs.filter(ordered_at__lt=self._day_start(data["date_to"] + datetime.timedelta(days=1)))
        return qs.order_by(*ORDER_SORTS[data.get("sort") or "-ordered"])
