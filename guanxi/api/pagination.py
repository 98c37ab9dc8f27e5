"""Cursor (keyset) pagination for every API list: `?limit=` (max 200) and an opaque `?cursor=`.

The endpoint returns a queryset already ordered by an allow-listed sort; the paginator reads
that ordering, appends the primary key as a tie-breaker and pages with a keyset condition
(`WHERE (sort, id) > (last sort, last id)`), so page 5,000 costs the same as page 1 and no
COUNT is run. NULLs always sort last whatever the direction, on SQLite and PostgreSQL alike.

Endpoints use ninja's `@paginate` without arguments; `NINJA_PAGINATION_CLASS` in the settings
points here, so the domain routers need not import the API package (import-linter contract).

The same paginator rejects query parameters the endpoint does not declare with HTTP 400,
naming them, so a misspelt filter never silently returns everything.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Model, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import PaginationBase
from pydantic import BaseModel

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def query_error(errors: dict[str, list[str]]) -> NinjaValidationError:
    """A 400 naming the query parameters at fault (the error handler maps `query` errors to 400)."""
    return NinjaValidationError(
        [{"loc": ("query", name), "msg": msg, "type": "value_error"} for name, msgs in errors.items() for msg in msgs]
    )


def encode_cursor(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise query_error({"cursor": [_("This cursor is not valid; use next_cursor from the previous page.")]})
    if not isinstance(data, dict):
        raise query_error({"cursor": [_("This cursor is not valid; use next_cursor from the previous page.")]})
    return data


def _declared_params(kwargs: dict[str, Any]) -> set[str]:
    """Query parameter names the endpoint declared: its plain arguments and its schemas' fields."""
    names = set()
    for key, value in kwargs.items():
        if isinstance(value, BaseModel):
            for field_name, info in type(value).model_fields.items():
                names.add(info.alias or field_name)
        else:
            names.add(key)
    return names


def reject_unknown_params(request: HttpRequest, allowed: set[str]) -> None:
    unknown = sorted(set(request.GET.keys()) - allowed)
    if unknown:
        raise query_error({name: [_("Unknown query parameter.")] for name in unknown})


def _ordering(queryset: QuerySet) -> list[tuple[str, bool]]:
    """The queryset's ordering as (field name, descending), ending with the primary key."""
    names = list(queryset.query.order_by) or list(queryset.model._meta.ordering)
    pk_name = queryset.model._meta.pk.name
    result: list[tuple[str, bool]] = []
    for name in names:
        if not isinstance(name, str) or "__" in name or name.startswith("?"):
            raise TypeError(f"Cursor pagination needs plain field names to order by, not {name!r}")
        desc = name.startswith("-")
        field = name.lstrip("-")
        if field == "pk":
            field = pk_name
        result.append((field, desc))
        if field == pk_name:
            break
    else:
        result.append((pk_name, True))
    return result


def _keyset_q(model: type[Model], ordering: list[tuple[str, bool]], values: list[Any]) -> Q:
    """Rows strictly after `values` in `ordering` (NULLs last in both directions)."""
    q = Q(pk__in=[])
    equal = Q()
    for (name, desc), value in zip(ordering, values, strict=True):
        field: Any = model._meta.get_field(name)
        if value is None:
            after = Q(pk__in=[])  # nothing sorts after NULL but more NULLs, handled by the tie-break
            same = Q(**{f"{name}__isnull": True})
        else:
            value = field.to_python(value)
            after = Q(**{f"{name}__{'lt' if desc else 'gt'}": value})
            if field.null:
                after |= Q(**{f"{name}__isnull": True})
            same = Q(**{name: value})
        q |= equal & after
        equal &= same
    return q


def _order_by(model: type[Model], name: str, desc: bool) -> Any:
    """NULLS LAST only where there can be NULLs: PostgreSQL cannot walk a plain index for
    `id DESC NULLS LAST` and sorted all 1,000,000 customers for every page (bench/RESULTS.md)."""
    if not model._meta.get_field(name).null:
        return F(name).desc() if desc else F(name).asc()
    return F(name).desc(nulls_last=True) if desc else F(name).asc(nulls_last=True)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)  # Decimal, UUID


def _position(item: Any, ordering: list[tuple[str, bool]]) -> list[Any]:
    if isinstance(item, dict):  # a `.values()` row: the ordering fields are among its keys
        return [_jsonable(item[name]) for name, _desc in ordering]
    return [_jsonable(getattr(item, item._meta.get_field(name).attname)) for name, _desc in ordering]


class CursorPagination(PaginationBase):
    class Input(Schema):
        limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Rows per page (at most 200).")
        cursor: str | None = Field(None, description="`next_cursor` from the previous page.")

    class Output(Schema):
        items: list[Any]
        next_cursor: str | None = Field(None, description="Pass as `?cursor=` for the next page; null on the last.")

    items_attribute = "items"

    def paginate_queryset(self, queryset: QuerySet, pagination: Input, request: HttpRequest,
                          **params: Any) -> Any:
        reject_unknown_params(request, {"limit", "cursor"} | _declared_params(params))
        ordering = _ordering(queryset)
        signature = [f"-{n}" if d else n for n, d in ordering]
        queryset = queryset.order_by(*[_order_by(queryset.model, n, d) for n, d in ordering])
        if pagination.cursor:
            data = decode_cursor(pagination.cursor)
            values = data.get("v")
            if data.get("o") != signature or not isinstance(values, list) or len(values) != len(ordering):
                raise query_error({"cursor": [_("This cursor belongs to another list or sort order.")]})
            try:
                queryset = queryset.filter(_keyset_q(queryset.model, ordering, values))
            except (DjangoValidationError, ValueError, TypeError):  # a tampered value of the wrong type
                raise query_error({"cursor": [_("This cursor is not valid; use next_cursor from the previous page.")]})
        rows = list(queryset[: pagination.limit + 1])
        items = rows[: pagination.limit]
        next_cursor = None
        if len(rows) > pagination.limit and items:
            next_cursor = encode_cursor({"o": signature, "v": _position(items[-1], ordering)})
        return {"items": items, "next_cursor": next_cursor}
