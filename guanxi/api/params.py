"""Parameters shared by every domain's API: list query parameters, and ids in request bodies.

A list's query parameters are its filter form's fields — the one filter definition per list — so
the web list and the API list accept the same filters. Values arrive as text and the form validates
them, exactly as on the web page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import Field, create_model


def filter_query_schema(filter_form: type[forms.Form], schema_name: str) -> type[Schema]:
    fields: dict[str, Any] = {}
    for name, form_field in filter_form.base_fields.items():
        extra: dict[str, Any] = {}
        choices = [str(c[0]) for c in getattr(form_field, "choices", []) if c[0] != ""]
        if choices:
            extra["json_schema_extra"] = {"enum": choices}
        description = str(form_field.help_text or form_field.label or name)
        fields[name] = (str | None, Field(None, description=description, **extra))
    return create_model(schema_name, __base__=Schema, **fields)  # type: ignore[call-overload, no-any-return]


def query_error(errors: dict[str, list[str]]) -> NinjaValidationError:
    """A filter form's errors, reported as 400 naming each parameter (see guanxi/api/errors.py)."""
    return NinjaValidationError(
        [{"loc": ("query", name), "msg": str(msg), "type": "value_error"} for name, msgs in errors.items()
         for msg in msgs]
    )


def rows_by_id(data: dict[str, Any], querysets: dict[str, Any]) -> dict[str, Any]:
    """Replace the ids under `querysets`' keys ({field: queryset}) in `data` by their rows, in place; keys that are
    absent or None stay as they are. An id the queryset does not hold is a 422 error on that field."""
    errors = {}
    for name, qs in querysets.items():
        if data.get(name) is not None:
            row = qs.filter(pk=data[name]).first()
            if row is None:
                errors[name] = [_("There is nothing with this id.")]
            data[name] = row
    if errors:
        raise ValidationError(errors)
    return data
