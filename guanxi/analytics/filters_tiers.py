"""The one filter of tier movements: the settings page's movements table and `GET /api/analytics/tier-…`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import TierChange


class _MovementFilter(forms.Form):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        if start and end and start > end:
            self.add_error("to", _("The end of the period cannot be before its start."))
        return data


# The query parameters are literally ?from=&to=, and `from` cannot be a class attribute: build the class.
TierMovementFilter: type[forms.Form] = type("TierMovementFilter", (_MovementFilter,), {
    "__module__": __name__,
    "from": forms.DateField(label=_("From"), required=False, help_text=_("First re-tier day to include (YYYY-MM-DD).")),
    "to": forms.DateField(label=_("To"), required=False, help_text=_("Last re-tier day to include (YYYY-MM-DD).")),
    "direction": forms.ChoiceField(label=_("Direction"), required=False,
                                   choices=[("", _("Any")), *TierChange.Direction.choices],
                                   help_text=_("up, down, kept (by downgrade protection) or first")),
})
