"""Reads on the product catalogue and custom field definitions (shared by everyone who may view)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.governance import permissions

from ..models import CustomFieldDefinition, Product


def _require(user: Any, capability: str) -> None:
    if not permissions.can(user, capability):
        raise PermissionDeniedError()


def product_list(*, user: Any, active: bool | None = None, q: str = "") -> QuerySet[Product]:
    _require(user, permissions.VIEW)
    qs = Product.objects.all()
    if active is not None:
        qs = qs.filter(is_active=active)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(sku__icontains=q))
    return qs.order_by("name", "id")


def product_get(*, user: Any, pk: Any, for_change: bool = False) -> Product:
    """Everyone who may view sees the catalogue; changing it needs the CHANGE capability."""
    _require(user, permissions.VIEW)
    try:
        product = Product.objects.get(pk=pk)
    except (Product.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
    if for_change:
        _require(user, permissions.CHANGE)
    return product


def can_change_products(user: Any) -> bool:
    return permissions.can(user, permissions.CHANGE)


def custom_field_list(*, user: Any, entity: str = "") -> QuerySet[CustomFieldDefinition]:
    _require(user, permissions.VIEW)
    qs = CustomFieldDefinition.objects.all()
    if entity:
        qs = qs.filter(entity=entity)
    return qs


def custom_field_get(*, user: Any, pk: Any, for_change: bool = False) -> CustomFieldDefinition:
    _require(user, permissions.VIEW)
    try:
        definition = CustomFieldDefinition.objects.get(pk=pk)
    except (CustomFieldDefinition.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
    if for_change:
        _require(user, permissions.CONFIGURE)
    return definition


def require_configure(user: Any) -> None:
    _require(user, permissions.CONFIGURE)
