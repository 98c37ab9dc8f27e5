"""The survey responses list's one filter definition: the web list, its Excel export and
`GET /api/surveys/responses` share it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Survey, SurveyResponse


class SurveyResponseFilter(forms.Form):
    survey = forms.IntegerField(label=_("Survey"), required=False, min_value=1, help_text=_("A survey id."))
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *Survey.Kind.choices])
    score_min = forms.IntegerField(label=_("Score from"), required=False, min_value=0, max_value=10)
    score_max = forms.IntegerField(label=_("Score to"), required=False, min_value=0, max_value=10)
    detractors = forms.BooleanField(label=_("Unhappy customers only"), required=False,
                                    help_text=_("NPS 0-6 and CSAT 1-2."))
    answered_from = forms.DateField(label=_("Answered from"), required=False, help_text=_("A date like 2024-05-31."))
    answered_to = forms.DateField(label=_("Answered until"), required=False, help_text=_("A date like 2024-05-31."))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("score_min"), data.get("score_max")
        if low is not None and high is not None and low > high:
            self.add_error("score_max", _("The upper score must not be below the lower one."))
        return data

    def apply(self, qs: QuerySet[SurveyResponse]) -> QuerySet[SurveyResponse]:
        """Narrow `qs` (already limited to what the user sees). Call after is_valid()."""
        data = self.cleaned_data
        if data.get("survey"):
            qs = qs.filter(survey_id=data["survey"])
        if data.get("kind"):
            qs = qs.filter(kind=data["kind"])
        if data.get("score_min") is not None:
            qs = qs.filter(score__gte=data["score_min"])
        if data.get("score_max") is not None:
            qs = qs.filter(score__lte=data["score_max"])
        if data.get("detractors"):
            qs = qs.filter(is_detractor=True)
        if data.get("answered_from"):
            qs = qs.filter(created_at__date__gte=data["answered_from"])
        if data.get("answered_to"):
            qs = qs.filter(created_at__date__lte=data["answered_to"])
        return qs
