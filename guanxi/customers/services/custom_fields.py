"""Validation of admin-defined custom field values."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.governance.services import audit_record, diff, snapshot

from ..models import CustomFieldDefinition


def definitions_for(entity: str) -> list[CustomFieldDefinition]:
    return list(CustomFieldDefinition.objects.filter(entity=entity, is_active=True))


def clean_custom_values(entity: str, values: dict[str, Any] | None,
                        definitions: list[CustomFieldDefinition] | None = None) -> dict[str, Any]:
    """Check values against the definitions; errors are keyed `custom.<key>`. Returns JSON-ready values."""
    values = dict(values or {})
    definitions = definitions if definitions is not None else definitions_for(entity)
    known = {d.key: d for d in definitions}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for key in values:
        if key not in known:
            errors[f"custom.{key}"] = [_("Unknown custom field “%(key)s”.") % {"key": key}]
    for key, definition in known.items():
        raw = values.get(key)
        if raw in (None, ""):
            if definition.required:
                errors[f"custom.{key}"] = [_("%(label)s is required.") % {"label": definition.label}]
            continue
        try:
            cleaned[key] = _clean_one(definition, raw)
        except ValidationError as exc:
            errors[f"custom.{key}"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_one(definition: CustomFieldDefinition, raw: Any) -> Any:
    label = definition.label
    kind = definition.field_type
    if kind == CustomFieldDefinition.FieldType.NUMBER:
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ValidationError(_("%(label)s must be a number.") % {"label": label}) from None
        if not number.is_finite():
            raise ValidationError(_("%(label)s must be a number.") % {"label": label})
        return float(number) if number != number.to_integral_value() else int(number)
    if kind == CustomFieldDefinition.FieldType.DATE:
        if isinstance(raw, datetime.date):
            return raw.isoformat()
        try:
            return datetime.date.fromisoformat(str(raw).strip()).isoformat()
        except ValueError:
            raise ValidationError(_("%(label)s must be a date like 2024-05-31.") % {"label": label}) from None
    text = str(raw).strip()
    if kind == CustomFieldDefinition.FieldType.CHOICE:
        if text not in [str(c) for c in definition.choices]:
            raise ValidationError(
                _("%(label)s must be one of: %(choices)s.")
                % {"label": label, "choices": ", ".join(str(c) for c in definition.choices)}
            )
        return text
    if len(text) > definition.max_length:
        raise ValidationError(
            _("%(label)s may be at most %(n)d characters long.") % {"label": label, "n": definition.max_length}
        )
    return text


@transaction.atomic
def custom_field_save(*, actor: Any, definition: CustomFieldDefinition) -> CustomFieldDefinition:
    """Create or update a definition (admins only; the caller checked the capability)."""
    # The stored row, not `definition`: callers (forms) have usually already applied the new values to it.
    stored = CustomFieldDefinition.objects.filter(pk=definition.pk).first() if definition.pk else None
    before = snapshot(stored) if stored is not None else {}
    if definition.field_type == CustomFieldDefinition.FieldType.CHOICE and not definition.choices:
        raise ValidationError({"choices": [_("A choice field needs at least one choice.")]})
    definition.full_clean()
    definition.save()
    audit_record(actor=actor, action="update" if before else "create", instance=definition,
                 changes=diff(before, snapshot(definition)))
    return definition
