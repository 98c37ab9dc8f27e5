"""Form pieces shared by the domains' web forms: Bootstrap classes on every widget, service errors on their fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs: Any):
        super().__init__(format="%H:%M", **kwargs)


class StyledForm(forms.Form):
    """Bootstrap classes on every widget; service errors put on the fields they name."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.label = capfirst(field.label) if field.label else field.label
            widget = field.widget
            if isinstance(widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple, forms.RadioSelect)):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()
        self._mark_invalid()

    def _mark_invalid(self) -> None:
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()

    def add_service_errors(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for name, messages in exc.message_dict.items():
                target = self.field_for_error(name)
                for message in messages:
                    self.add_error(target, self.message_for_error(name, message))
        else:
            for message in exc.messages:
                self.add_error(None, message)
        self._mark_invalid()

    def field_for_error(self, name: str) -> str | None:
        """Where a service error keyed `name` goes (None: above the form)."""
        return name if name in self.fields else None

    def message_for_error(self, name: str, message: str) -> str:
        """The message shown for a service error keyed `name` (e.g. with the line it came from)."""
        return message
