"""The lead list's one filter definition: the web list, `GET /api/leads` and bulk actions share it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from guanxi.core.text import company_key, digits_only

from .models import Lead

LEAD_SORTS = {
    "-id": "-id",
    "id": "id",
    "-score": "-score",
    "score": "score",
    "-last_follow_up": "-last_interaction_at",
    "last_follow_up": "last_interaction_at",
    "name": "name",
}


def lead_search_q(text: str) -> Q:
    """Name, company (as typed or its 查重 key), email, or a mobile number (whole or its end)."""
    text = text.strip()
    if not text:
        return Q()
    digits = digits_only(text)
    if digits and len(digits) >= 4 and len(digits) >= len(text.replace(" ", "").replace("-", "").lstrip("+")):
        return Q(mobile__endswith=digits[-11:]) | Q(name__contains=text)
    q = Q(name__icontains=text) | Q(company__icontains=text)
    key = company_key(text)
    if key:
        q |= Q(company_key=key)
    if "@" in text:
        q |= Q(email=text.lower())
    elif text.isascii():
        q |= Q(email__icontains=text)
    return q


class LeadFilter(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        help_text=_("Name, company, mobile or email."))
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), ("open", _("Open (not converted or disqualified)")),
                                        *Lead.Status.choices])
    source = forms.ChoiceField(label=_("Source"), required=False, choices=[("", _("All sources")),
                                                                          *Lead.Source.choices])
    campaign = forms.IntegerField(label=_("Campaign"), required=False, min_value=1)
    owner = forms.CharField(label=_("Owner"), required=False, help_text=_("A user id, 'me' or 'none' (unassigned)."))
    province = forms.CharField(label=_("Province"), required=False, max_length=20)
    score_min = forms.IntegerField(label=_("Score from"), required=False, min_value=0, max_value=100)
    score_max = forms.IntegerField(label=_("Score to"), required=False, min_value=0, max_value=100)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=[(k, k) for k in LEAD_SORTS])

    def clean_owner(self) -> str:
        value = self.cleaned_data["owner"].strip()
        if value and value not in {"me", "none"} and not value.isdigit():
            raise forms.ValidationError(_("Use a user id, 'me' or 'none'."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("score_min"), data.get("score_max")
        if low is not None and high is not None and low > high:
            self.add_error("score_max", _("The upper score must not be below the lower one."))
        return data

    def apply(self, qs: QuerySet[Lead], user: Any) -> QuerySet[Lead]:
        """Narrow `qs` (already limited to what the user sees). Call after is_valid()."""
        data = self.cleaned_data
        if data.get("q"):
            qs = qs.filter(lead_search_q(data["q"]))
        status = data.get("status")
        if status == "open":
            qs = qs.exclude(status__in=[Lead.Status.CONVERTED, Lead.Status.DISQUALIFIED])
        elif status:
            qs = qs.filter(status=status)
        if data.get("source"):
            qs = qs.filter(source=data["source"])
        if data.get("campaign"):
            qs = qs.filter(campaign_id=data["campaign"])
        if data.get("province"):
            qs = qs.filter(province__startswith=data["province"].strip())
        owner = data.get("owner")
        if owner == "me":
            qs = qs.filter(owner_id=user.pk)
        elif owner == "none":
            qs = qs.filter(owner__isnull=True)
        elif owner:
            qs = qs.filter(owner_id=int(owner))
        if data.get("score_min") is not None:
            qs = qs.filter(score__gte=data["score_min"])
        if data.get("score_max") is not None:
            qs = qs.filter(score__lte=data["score_max"])
        return qs.order_by(LEAD_SORTS[data.get("sort") or "-id"], "-id")
