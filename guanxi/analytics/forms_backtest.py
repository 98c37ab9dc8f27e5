"""The back-test form: two dates; the service checks them (order, today, enough history)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.governance.forms import BootstrapMixin


class BacktestForm(BootstrapMixin, forms.Form):
    calibration_end = forms.DateField(
        label=_("Calibration period ends"), widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The model learns from the orders up to the end of this day, as if it were today."))
    holdout_end = forms.DateField(
        label=_("Holdout period ends"), widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Its predictions are compared with the purchases made after the calibration period up to the "
                    "end of this day (today at the latest)."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["holdout_end"].initial = today
        self.fields["calibration_end"].initial = today - timedelta(days=90)
        self._style()
