"""Relationship-ownership metrics: does the relationship belong to the company or to one person?

Per customer: the share of follow-ups done by the single most active employee, and how many
employees were in touch in the last 180 days. Per rep: how many of their customers nobody else
has followed up in 180 days (key-person risk). Aggregate queries only — no loop over customers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.models import Customer, Interaction
from guanxi.governance import permissions

WINDOW_DAYS = 180
REPORT_SORTS = ("name", "-customers", "customers", "-at_risk", "at_risk", "-share", "share")


@dataclass
class CustomerRelationship:
    follow_ups: int
    top_person: Any
    top_share: float | None  # 0..1; None without follow-ups
    people_recently: int  # distinct employees in touch in the window
    window_days: int = WINDOW_DAYS

    @property
    def key_person_risk(self) -> bool:
        return self.follow_ups > 0 and self.people_recently <= 1


def customer_relationship(*, customer: Customer, now: datetime.datetime | None = None) -> CustomerRelationship:
    """Metrics of one customer the caller may see (two aggregate queries)."""
    now = now or timezone.now()
    interactions = Interaction.objects.filter(customer=customer, deleted_at__isnull=True)
    by_staff = list(interactions.filter(staff__isnull=False).values("staff_id").annotate(n=Count("id"))
                    .order_by("-n", "staff_id")[:1])
    total = interactions.count()
    recent = (interactions.filter(occurred_at__gte=now - datetime.timedelta(days=WINDOW_DAYS), staff__isnull=False)
              .values("staff_id").distinct().count())
    top = None
    share = None
    if by_staff and total:
        top = get_user_model().objects.filter(pk=by_staff[0]["staff_id"]).first()
        share = by_staff[0]["n"] / total
    return CustomerRelationship(follow_ups=total, top_person=top, top_share=share, people_recently=recent)


@dataclass
class RepRow:
    user: Any
    customers: int
    at_risk: int

    @property
    def share(self) -> float:
        return self.at_risk / self.customers if self.customers else 0.0


def key_person_risk_q(now: datetime.datetime) -> Q:
    """Customers that nobody but their owner has followed up in the window."""
    others = Interaction.objects.filter(
        customer=OuterRef("pk"), deleted_at__isnull=True, staff__isnull=False,
        occurred_at__gte=now - datetime.timedelta(days=WINDOW_DAYS),
    ).exclude(staff_id=OuterRef("owner_id"))
    return ~Q(Exists(others))


def rep_report(*, user: Any, sort: str = "-at_risk", now: datetime.datetime | None = None) -> list[RepRow]:
    """Per owner among the customers the user sees: customers held, and how many nobody else knows.
    Two GROUP BY queries, whatever the number of customers."""
    if not permissions.can(user, permissions.VIEW_REPORTS):
        raise PermissionDeniedError()
    now = now or timezone.now()
    owned: QuerySet[Customer] = Customer.objects.visible_to(user).filter(owner__isnull=False).order_by()
    totals = dict(owned.values("owner_id").annotate(n=Count("id")).values_list("owner_id", "n"))
    risky = dict(owned.filter(key_person_risk_q(now)).values("owner_id").annotate(n=Count("id"))
                 .values_list("owner_id", "n"))
    people = get_user_model().objects.in_bulk(list(totals))
    rows = [RepRow(user=people[pk], customers=n, at_risk=risky.get(pk, 0)) for pk, n in totals.items() if pk in people]
    sort = sort if sort in REPORT_SORTS else "-at_risk"
    key = sort.lstrip("-")
    reverse = sort.startswith("-")
    if key == "name":
        rows.sort(key=lambda r: (r.user.first_name or r.user.username).lower())
    else:
        rows.sort(key=lambda r: (getattr(r, key), r.customers), reverse=reverse)
    return rows
