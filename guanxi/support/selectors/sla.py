"""Reads of the SLA area: the settings lists (capability MANAGE_SERVICE), a ticket's SLA summary, and whom a
ticket may be reassigned to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.governance import permissions
from guanxi.governance.models import Department, Employee, Role

from ..models import Holiday, RoutingRule, SlaPolicy, Ticket
from ..services.business_hours import HolidayBook, business_minutes_between
from ..services.sla import calendar_of

SERVICE_ROLES = (Role.SERVICE_AGENT, Role.SERVICE_MANAGER)


def _require(user: Any) -> None:
    if not permissions.can(user, permissions.MANAGE_SERVICE):
        raise PermissionDeniedError()


def _get(qs: QuerySet, pk: Any) -> Any:
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None


def sla_policy_list(*, user: Any) -> QuerySet[SlaPolicy]:
    _require(user)
    return SlaPolicy.objects.order_by("priority", "customer_level", "id")


def sla_policy_get(*, user: Any, pk: Any) -> SlaPolicy:
    return _get(sla_policy_list(user=user), pk)


def holiday_list(*, user: Any, year: int | None = None) -> QuerySet[Holiday]:
    _require(user)
    qs = Holiday.objects.order_by("date")
    return qs.filter(date__year=year) if year else qs


def holiday_get(*, user: Any, pk: Any) -> Holiday:
    return _get(holiday_list(user=user), pk)


def holiday_years() -> list[int]:
    return sorted({d.year for d in Holiday.objects.dates("date", "year")})


def routing_rule_list(*, user: Any) -> QuerySet[RoutingRule]:
    _require(user)
    return RoutingRule.objects.select_related("team", "product").order_by("position", "id")


def routing_rule_get(*, user: Any, pk: Any) -> RoutingRule:
    return _get(routing_rule_list(user=user), pk)


def team_choices() -> QuerySet[Department]:
    """Teams are departments."""
    return Department.objects.order_by("name", "id")


def assignable_users(also: Any = None) -> QuerySet:
    """Whom a ticket may be given to in the reassign form: active users with a service role (and `also`, the
    current assignee's id, so the form can show them)."""
    where = Q(is_active=True, employee__status=Employee.Status.ACTIVE, employee__role__in=SERVICE_ROLES)
    if also is not None:
        where |= Q(pk=also)
    return get_user_model().objects.filter(where).order_by("first_name", "username")


# ---------------------------------------------------------------- a ticket's SLA


@dataclass
class DueInfo:
    label: str
    due: datetime
    done_at: datetime | None  # when the target was reached (first response / resolution), else None
    late: bool
    minutes_left: float | None  # business minutes from now (negative: overdue); None when done or paused

    @property
    def text(self) -> str:
        if self.minutes_left is None:
            return ""
        span = duration_text(abs(self.minutes_left))
        if -1 < self.minutes_left < 0:
            return _("overdue by less than a minute")
        if self.minutes_left < 0:
            return _("overdue by %(duration)s") % {"duration": span}
        return _("in %(duration)s") % {"duration": span}


def duration_text(minutes: float) -> str:
    total = int(minutes)
    hours, mins = divmod(total, 60)
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": mins}
    return _("%(minutes)d min") % {"minutes": mins}


def ticket_sla(ticket: Ticket, now: datetime | None = None) -> list[DueInfo]:
    """The ticket's first-response and resolution targets with the business time left (one holiday query)."""
    if ticket.first_response_due is None and ticket.resolution_due is None:
        return []
    now = now or timezone.now()
    calendar = calendar_of(ticket.sla_policy)
    book = HolidayBook()
    running = ticket.sla_paused_at is None and ticket.status not in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)
    items = []
    for label, due, done_at, late in (
            (_("First response"), ticket.first_response_due, ticket.first_responded_at,
             ticket.first_response_breached),
            (_("Resolution"), ticket.resolution_due, ticket.resolved_at, ticket.resolution_breached)):
        if due is None:
            continue
        left = business_minutes_between(now, due, calendar, book) if running and done_at is None else None
        if left is not None and left == 0 and now > due:
            left = -1 / 60  # overdue after closing time: not yet a business minute late
        items.append(DueInfo(str(label), due, done_at, late, left))
    return items
