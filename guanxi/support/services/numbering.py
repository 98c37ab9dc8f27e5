"""Record numbers of the service desk: a letter, the date and a four-digit sequence of the day (T202611230001).

Tickets (T) and return requests (R) share the scheme. Two records created at once may draw the same number;
`save_numbered` retries inside a savepoint, so the unique constraint decides and the loser draws again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.utils import timezone

M = TypeVar("M", bound=models.Model)


def next_number(model: type[models.Model], letter: str, today: Any = None) -> str:
    """The next free number of the day for `model` (whose `number` field holds it)."""
    prefix = letter + (today or timezone.localdate()).strftime("%Y%m%d")
    last = (model._base_manager.filter(number__startswith=prefix).order_by("-number")
            .values_list("number", flat=True).first())
    seq = int(last[len(prefix):]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def save_numbered(instance: M, letter: str, save: Callable[[M], Any], attempts: int = 5) -> M:
    """Give `instance` the next number and `save` it (e.g. record_create), drawing again on a clash."""
    for attempt in range(attempts):
        instance.number = next_number(type(instance), letter)  # type: ignore[attr-defined]
        try:
            with transaction.atomic():
                save(instance)
                return instance
        except IntegrityError:
            instance.pk = None
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
