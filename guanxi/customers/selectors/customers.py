"""Reads on customers and what hangs off them. Every read starts from `visible_to`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import Model, QuerySet
from django.db.models.query import ValuesIterable
from django.utils import timezone

from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.core.text import person_name
from guanxi.governance import permissions

from ..filters import CustomerFilter
from ..models import Contact, Customer, Interaction, Order, Task
from ..models.visibility import customer_write_q


def customer_list(*, user: Any, filters: CustomerFilter | None = None) -> QuerySet[Customer]:
    qs: QuerySet[Customer] = Customer.objects.visible_to(user).select_related("owner", "department")
    if filters is not None:
        qs = filters.apply(qs, user)
    return qs


# What CustomerOut reads, as columns (the owner's and department's names joined in).
CUSTOMER_ROW_FIELDS = (
    "id", "kind", "name", "short_name", "credit_code", "industry", "source", "province", "city", "address",
    "birthday", "lifecycle", "churn_reason", "owner_id", "owner__username", "owner__first_name",
    "owner__last_name", "department_id", "department__name", "notes", "custom", "last_interaction_at",
    "created_at", "updated_at", "version",
)


class _RowsWithTags(ValuesIterable):
    """`.values()` rows, each with its sorted tag names added by one query per fetch."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        rows = list(super().__iter__())
        names: dict[int, list[str]] = {}
        if rows:
            through = Customer.tags.through.objects  # type: ignore[attr-defined]
            for cid, name in through.filter(customer_id__in=[r["id"] for r in rows]).values_list(
                "customer_id", "tag__name"
            ):
                names.setdefault(cid, []).append(name)
        for row in rows:
            row["tags"] = sorted(names.get(row["id"], ()))
            # As CustomerOut's resolvers compute them for a model instance.
            row["owner_name"] = person_name(SimpleNamespace(
                first_name=row["owner__first_name"], last_name=row["owner__last_name"],
                username=row["owner__username"])) if row["owner_id"] is not None else ""
            row["department_name"] = row["department__name"] or ""
        return iter(rows)


def customer_rows(qs: QuerySet[Customer]) -> QuerySet[Any]:
    """`qs` as plain dicts (CUSTOMER_ROW_FIELDS + tags, owner_name, department_name) for serialising lists: several times
    cheaper than model instances with select_related and a tags prefetch. Still a lazy queryset,
    so the paginator can order, filter and slice it."""
    rows = qs.values(*CUSTOMER_ROW_FIELDS)
    rows._iterable_class = _RowsWithTags  # the documented hook values()/values_list() themselves use
    return rows


def capped_count(qs: QuerySet, cap: int | None = None) -> tuple[int, bool]:
    """Count up to `cap`; returns (count, more). Lists show "10,000+" instead of counting a million rows."""
    cap = cap or settings.GUANXI_LIST_COUNT_CAP
    n = qs.order_by()[: cap + 1].count()
    return min(n, cap), n > cap


def _get(model_qs: QuerySet, editable_qs: QuerySet, pk: Any, for_change: bool) -> Any:
    """Not visible -> NotFound (do not reveal it exists); visible but read-only -> PermissionDenied."""
    try:
        obj = model_qs.get(pk=pk)
    except (model_qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
    if for_change and not editable_qs.filter(pk=pk).exists():
        raise PermissionDeniedError()
    return obj


def customer_get(*, user: Any, pk: Any, for_change: bool = False) -> Customer:
    return _get(Customer.objects.visible_to(user).select_related("owner", "department", "created_by"),
                Customer.objects.editable_by(user), pk, for_change)


def contact_get(*, user: Any, pk: Any, for_change: bool = False) -> Contact:
    return _get(Contact.objects.visible_to(user), Contact.objects.editable_by(user), pk, for_change)


def interaction_get(*, user: Any, pk: Any, for_change: bool = False) -> Interaction:
    return _get(Interaction.objects.visible_to(user), Interaction.objects.editable_by(user), pk, for_change)


def order_get(*, user: Any, pk: Any, for_change: bool = False) -> Order:
    return _get(Order.objects.visible_to(user).prefetch_related("lines__product"),
                Order.objects.editable_by(user), pk, for_change)


def task_get(*, user: Any, pk: Any, for_change: bool = False) -> Task:
    return _get(Task.objects.visible_to(user), Task.objects.editable_by(user), pk, for_change)


def can_change(user: Any, obj: Model) -> bool:
    return type(obj).objects.editable_by(user).filter(pk=obj.pk).exists()  # type: ignore[attr-defined]


def contacts_of(*, user: Any, customer: Customer) -> QuerySet[Contact]:
    return Contact.objects.visible_to(user).filter(customer=customer)


def orders_of(*, user: Any, customer: Customer) -> QuerySet[Order]:
    return Order.objects.visible_to(user).filter(customer=customer)


def order_list(*, user: Any) -> QuerySet[Order]:
    return Order.objects.visible_to(user).select_related("customer")


def interaction_list(*, user: Any) -> QuerySet[Interaction]:
    return Interaction.objects.visible_to(user).select_related("customer", "contact", "staff")


def contact_list(*, user: Any) -> QuerySet[Contact]:
    return Contact.objects.visible_to(user).select_related("customer")


def recycle_cutoff() -> datetime:
    """Records deleted before this moment have left the restore window."""
    return timezone.now() - timedelta(days=settings.GUANXI_RECYCLE_DAYS)


RECYCLE_MODELS: dict[str, type[Model]] = {
    "customer": Customer, "contact": Contact, "order": Order, "interaction": Interaction, "task": Task,
}


@dataclass(frozen=True)
class Recyclable:
    """A soft-deleted model of another app that the recycle bin lists (settings.GUANXI_RECYCLABLE)."""

    entity: str
    model: type[Model]
    restore: str  # dotted path of its restore service, called as restore(actor=…, <model_name>=record)
    icon: str


def recyclable_extensions() -> dict[str, Recyclable]:
    """settings.GUANXI_RECYCLABLE resolved with apps.get_model, so this app imports none of them.

    An entry is "app_label.Model" or {"model": …, "restore": "dotted.path", "icon": "bi-…"}; without a
    restore service the record is restored as it is (audited)."""
    found: dict[str, Recyclable] = {}
    for entity, spec in getattr(settings, "GUANXI_RECYCLABLE", {}).items():
        if entity in RECYCLE_MODELS:
            continue
        spec = {"model": spec} if isinstance(spec, str) else spec
        found[entity] = Recyclable(entity=entity, model=apps.get_model(spec["model"]),
                                   restore=spec.get("restore", ""), icon=spec.get("icon", "bi-archive"))
    return found


def recycle_models() -> dict[str, type[Model]]:
    """Every entity the recycle bin lists: this app's own, then the extensions."""
    return {**RECYCLE_MODELS, **{entity: r.model for entity, r in recyclable_extensions().items()}}


def recycle_bin(*, user: Any, entity: str = "customer") -> QuerySet:
    """Deleted records the user may restore, newest first, within the restore window.

    Another app's model says itself which of its deleted rows the user may restore: `restorable_by(user)`."""
    if not permissions.can(user, permissions.RESTORE):
        raise PermissionDeniedError()
    model = recycle_models().get(entity)
    if model is None:
        raise NotFoundError()
    qs: QuerySet
    if model is Customer:
        qs = Customer.objects.filter(customer_write_q(user, deleted=True))
    elif entity in RECYCLE_MODELS:
        qs = model._base_manager.filter(deleted_at__isnull=False).filter(  # type: ignore[attr-defined]
            customer_write_q(user, "customer__")
        )
    else:
        qs = model._default_manager.restorable_by(user)  # type: ignore[attr-defined]
    return qs.filter(deleted_at__gte=recycle_cutoff()).select_related("deleted_by").order_by("-deleted_at")


def recycle_get(*, user: Any, entity: str, pk: Any) -> Model:
    qs = recycle_bin(user=user, entity=entity)
    try:
        return qs.get(pk=pk)
    except (ValueError, TypeError, qs.model.DoesNotExist):
        raise NotFoundError() from None
