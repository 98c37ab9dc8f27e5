"""Reads on callbacks and callback rules. Callbacks start from `Callback.objects.visible_to` (whoever sees the
customer), plus the ones assigned to the user; only managers (VIEW_REPORTS or MANAGE_SERVICE) list another
person's callbacks."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.customers.models import Customer
from guanxi.governance import permissions

from ..filters_callbacks import OPEN, CallbackFilter
from ..models import Callback, CallbackRule, Ticket


def is_manager(user: Any) -> bool:
    return permissions.can(user, permissions.VIEW_REPORTS) or permissions.can(user, permissions.MANAGE_SERVICE)


def _visible(user: Any) -> QuerySet[Callback]:
    if not permissions.can(user, permissions.VIEW):
        return Callback.objects.none()
    return Callback.objects.visible_to(user) | Callback.objects.filter(assignee_id=user.pk)


def callback_list(*, user: Any, filters: CallbackFilter | None = None,
                  today: datetime.date | None = None) -> QuerySet[Callback]:
    """Callbacks the user may see, narrowed by the filter (default: the user's own). PermissionDeniedError when
    someone who is not a manager asks for another person's callbacks."""
    qs = _visible(user).select_related("customer", "rule", "order", "ticket", "assignee")
    if filters is None:
        return qs.filter(assignee_id=user.pk)
    if filters.agent_id(user) != user.pk and not is_manager(user):
        raise PermissionDeniedError()
    return filters.apply(qs, user, today)


def callback_counts(*, user: Any, agent_id: int | None, today: datetime.date | None = None) -> dict[str, int]:
    """Open callbacks due today, overdue and upcoming, of one agent (None: all the user may see)."""
    today = today or timezone.localdate()
    qs = _visible(user).filter(status__in=OPEN)
    if agent_id is not None:
        qs = qs.filter(assignee_id=agent_id)
    return qs.aggregate(today=Count("pk", filter=Q(due_date=today)), overdue=Count("pk", filter=Q(due_date__lt=today)),
                        upcoming=Count("pk", filter=Q(due_date__gt=today)))


def completable_ids(*, user: Any, callbacks: list[Callback]) -> set[int]:
    """Which of these callbacks the user may complete (services.callbacks.may_complete, in one query)."""
    if not permissions.can(user, permissions.CHANGE):
        return set()
    mine = {cb.pk for cb in callbacks if cb.assignee_id == user.pk}
    others = {cb.customer_id for cb in callbacks if cb.pk not in mine}
    editable = set(Customer.objects.editable_by(user).filter(pk__in=others).values_list("pk", flat=True)) \
        if others else set()
    return mine | {cb.pk for cb in callbacks if cb.customer_id in editable}


def callback_get(*, user: Any, pk: Any) -> Callback:
    try:
        return _visible(user).select_related("customer", "rule", "order", "ticket", "assignee").get(pk=pk)
    except (Callback.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None


def callbacks_of_ticket(*, user: Any, ticket: Ticket) -> list[Callback]:
    """The ticket's callbacks (the ticket was read through `ticket_get`, so the user sees it)."""
    return list(_visible(user).filter(ticket=ticket).select_related("rule", "assignee").order_by("due_date", "id"))


def rule_list(*, user: Any) -> QuerySet[CallbackRule]:
    if not permissions.can(user, permissions.MANAGE_SERVICE):
        raise PermissionDeniedError()
    return CallbackRule.objects.all()


def rule_get(*, user: Any, pk: Any) -> CallbackRule:
    try:
        return rule_list(user=user).get(pk=pk)
    except (CallbackRule.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
