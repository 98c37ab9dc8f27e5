"""Cheap per-value checks derived from a model field's own rules, for importing many rows.

`field_rule(field)` returns ``clean(value) -> value`` that accepts a value at once when a quick test
proves the model field would accept it (length, choices, non-negative, digits and decimal places),
and otherwise calls the field's own ``Field.clean``. So every value the model refuses is refused
here with the model's message, every value it accepts is accepted, and a validator added to the
model later (of a kind not recognised below) simply makes its field take the slow, exact path.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core import validators as dv
from django.db import models

Rule = Callable[[Any], Any]


def _slow(field: models.Field) -> Rule:  # type: ignore[type-arg]
    def clean(value: Any) -> Any:
        return field.clean(value, None)

    return clean


def _limits(field: models.Field) -> tuple[Any, Any, int | None, bool]:  # type: ignore[type-arg]
    """(min, max, max length, every validator understood) from the field's validators."""
    low = high = length = None
    understood = True
    for v in field.validators:
        if type(v) is dv.MaxLengthValidator and not callable(v.limit_value):
            length = v.limit_value if length is None else min(length, v.limit_value)
            continue
        if type(v) is dv.MinValueValidator and not callable(v.limit_value):
            low = v.limit_value if low is None else max(low, v.limit_value)
        elif type(v) is dv.MaxValueValidator and not callable(v.limit_value):
            high = v.limit_value if high is None else min(high, v.limit_value)
        elif type(v) is not dv.DecimalValidator:
            understood = False
    return low, high, length, understood


def field_rule(field: models.Field) -> Rule:  # type: ignore[type-arg]
    """clean(value) with the model field's rules (see the module docstring)."""
    slow = _slow(field)
    low, high, max_length, understood = _limits(field)
    if not understood or not field.editable:
        return slow
    if isinstance(field, models.CharField) and type(field).to_python is models.CharField.to_python:
        choices = {str(k) for k, _label in field.flatchoices} if field.choices else None
        blank = field.blank

        def clean_text(value: Any) -> Any:
            if (type(value) is str and (max_length is None or len(value) <= max_length)
                    and (value or blank) and (choices is None or value in choices)):
                return value
            return slow(value)

        return clean_text
    if isinstance(field, models.DecimalField) and type(field) is models.DecimalField and not field.choices:
        whole = (field.max_digits or 0) - (field.decimal_places or 0)
        places = -(field.decimal_places or 0)

        def clean_decimal(value: Any) -> Any:
            if type(value) is Decimal:
                _sign, digits, exponent = value.as_tuple()
                # finite, no more decimal places than allowed, and few enough whole digits
                if (type(exponent) is int and exponent >= places and len(digits) + exponent <= whole
                        and (low is None or value >= low) and (high is None or value <= high)):
                    return value
            return slow(value)

        return clean_decimal
    if type(field) is models.DateTimeField and not field.choices and low is None and high is None:
        def clean_datetime(value: Any) -> Any:
            if type(value) is datetime.datetime and value.tzinfo is not None:
                return value
            return slow(value)

        return clean_datetime
    return slow
