"""Reads about the public pool (公海): which pool a customer belongs to, the pool list, a customer's
pool status, and the rule pages. Every customer read starts from `visible_to(user)`.

"N days" (recycling, warnings, the former owner's re-claim block) are **calendar days in the
company's time zone** (settings.TIME_ZONE, Asia/Shanghai): a clock that started at any moment of
local day D runs out at 00:00 local time on day D+N. The nightly job therefore recycles, on day
D+N, everything whose clock started on day D or earlier — whatever the hour of the claim.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django import forms
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.core.text import person_name
from guanxi.customers.filters import customer_search_q
from guanxi.customers.models import Contact, Customer, CustomerTeamMember
from guanxi.governance import permissions
from guanxi.governance.masking import Masking, clear_phone, for_user, mask_value
from guanxi.governance.models import Department

from ..models import Opportunity, OwnerChange, Pool, PoolLevelRule

# Kinds of owner change that put a customer into the pool.
INTO_POOL = (OwnerChange.Kind.RELEASE, OwnerChange.Kind.RECYCLE, OwnerChange.Kind.HANDOVER)
WON_LIFECYCLES = (Customer.Lifecycle.ACTIVE, Customer.Lifecycle.WON_BACK)
RULE_FIELDS = ("no_follow_up_days", "no_opportunity_days", "not_won_days")


# Who may do what is the capability table (governance.permissions): CLAIM, MANAGE_POOL, OVERRIDE_LIMITS,
# HANDOVER; the reads below add the scope (what the user sees or may change).


# ---------------------------------------------------------------- clock


def local_midnight(day: datetime.date) -> datetime.datetime:
    """00:00 of `day` in the company's time zone, as an aware datetime."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def clock_cutoff(now: datetime.datetime, days: int) -> datetime.datetime:
    """Clocks started before this moment have run `days` calendar days by `now` (see module doc)."""
    return local_midnight(local_day(now) - datetime.timedelta(days=days - 1))


def runs_out_on(start: datetime.datetime, days: int) -> datetime.date:
    """The local day on which a clock started at `start` has run `days` days."""
    return local_day(start) + datetime.timedelta(days=days)


# ---------------------------------------------------------------- pools and departments


@dataclass
class PoolIndex:
    """Every pool with its level rules, and the department tree: small, read whole."""

    pools: list[Pool]
    company: Pool | None
    by_department: dict[int, Pool]
    parents: dict[int, int | None]
    levels: dict[int, dict[str, PoolLevelRule]] = field(default_factory=dict)

    def pool_for(self, department_id: int | None) -> Pool | None:
        seen: set[int] = set()
        current = department_id
        while current is not None and current not in seen:
            if current in self.by_department:
                return self.by_department[current]
            seen.add(current)
            current = self.parents.get(current)
        return self.company

    def departments_of(self, pool: Pool) -> tuple[list[int], bool]:
        """The departments whose customers fall in `pool`, and whether customers with no department do."""
        ids = [pk for pk in self.parents if self.pool_for(pk) is pool]
        return ids, pool is self.company


def pool_index() -> PoolIndex:
    pools = list(Pool.objects.select_related("department").prefetch_related("level_rules").order_by("id"))
    company = next((p for p in pools if p.department_id is None), None)
    return PoolIndex(
        pools=pools,
        company=company,
        by_department={p.department_id: p for p in pools if p.department_id is not None},
        parents=dict(Department.objects.values_list("id", "parent_id")),
        levels={p.pk: {r.level: r for r in p.level_rules.all()} for p in pools},
    )


def pool_of(customer: Customer, index: PoolIndex | None = None) -> Pool | None:
    """The pool of the nearest department up the tree from the customer's department, else the company pool."""
    return (index or pool_index()).pool_for(customer.department_id)


def rule_days(pool: Pool, level: str, name: str, index: PoolIndex | None = None) -> int | None:
    """A recycling rule's day count for a customer level: the level's own value, else the pool's."""
    levels = index.levels.get(pool.pk, {}) if index else {r.level: r for r in pool.level_rules.all()}
    rule = levels.get(level) if level else None
    value = getattr(rule, name, None) if rule is not None else None
    return value if value is not None else getattr(pool, name)


def pool_list(*, user: Any) -> QuerySet[Pool]:
    if not permissions.can(user, permissions.CONFIGURE):
        raise PermissionDeniedError()
    return Pool.objects.select_related("department").prefetch_related("level_rules").order_by(
        F("department").asc(nulls_first=True), "name")


def pool_get(*, user: Any, pk: Any) -> Pool:
    try:
        return pool_list(user=user).get(pk=pk)
    except (Pool.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None


# ---------------------------------------------------------------- the pool page


POOL_SORTS = {"-id": ("-id",), "id": ("id",), "name": ("name", "id"), "-name": ("-name", "-id"),
              "-last_follow_up": ("-last_interaction_at", "-id"), "last_follow_up": ("last_interaction_at", "id")}


class PoolFilter(forms.Form):
    """The pool list's filters: the web page and `GET /api/pool` alike."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    province = forms.CharField(label=_("Province"), required=False, max_length=20)
    industry = forms.CharField(label=_("Industry"), required=False, max_length=50)
    level = forms.ChoiceField(label=_("Customer level"), required=False,
                              choices=[("", _("All levels")), *Customer.Level.choices])
    min_days = forms.IntegerField(label=_("In the pool for at least (days)"), required=False, min_value=0,
                                  max_value=36500)
    max_days = forms.IntegerField(label=_("In the pool for at most (days)"), required=False, min_value=0,
                                  max_value=36500)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=[(k, k) for k in POOL_SORTS])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("min_days"), data.get("max_days")
        if low is not None and high is not None and low > high:
            self.add_error("max_days", _("The upper bound must not be below the lower bound."))
        return data

    def apply(self, qs: QuerySet[Customer], *, now: datetime.datetime | None = None) -> QuerySet[Customer]:
        data = self.cleaned_data
        if data.get("q"):
            qs = qs.filter(customer_search_q(data["q"]))
        for name in ("province", "industry", "level"):
            if data.get(name):
                qs = qs.filter(**{name: data[name]})
        today = local_day(now or timezone.now())
        if data.get("min_days") is not None:
            # In the pool since local day today - min_days or earlier.
            qs = qs.filter(**{"entered_pool_at__lt": local_midnight(today - datetime.timedelta(days=data["min_days"] - 1))})
        if data.get("max_days") is not None:
            qs = qs.filter(**{"entered_pool_at__gte": local_midnight(today - datetime.timedelta(days=data["max_days"]))})
        return qs.order_by(*POOL_SORTS[data.get("sort") or "-id"])


def _last_into_pool() -> QuerySet[OwnerChange]:
    return OwnerChange.objects.filter(entity="customer", object_id=OuterRef("pk"), kind__in=INTO_POOL,
                                      to_user__isnull=True).order_by("-at", "-id")


def pool_customers(*, user: Any, filters: PoolFilter | None = None) -> QuerySet[Customer]:
    """Customers with no owner that the user may see, with when they entered the pool and who had them."""
    last = _last_into_pool()
    primary = Contact.objects.filter(customer=OuterRef("pk"), deleted_at__isnull=True).exclude(mobile="").order_by(
        "-is_primary", "id")
    qs: Any = (
        Customer.objects.visible_to(user).filter(owner__isnull=True)
        .select_related("department")
        .annotate(
            entered_pool_at=Coalesce(Subquery(last.values("at")[:1]), F("created_at"),
                                     output_field=DateTimeField()),
            former_owner_id=Subquery(last.values("from_user_id")[:1]),
            former_owner_username=Subquery(last.values("from_user__username")[:1]),
            former_owner_first_name=Subquery(last.values("from_user__first_name")[:1]),
            former_owner_last_name=Subquery(last.values("from_user__last_name")[:1]),
            primary_mobile=Subquery(primary.values("mobile")[:1]),
        )
    )
    return filters.apply(qs) if filters is not None else qs.order_by("-id")


def decorate_pool_rows(rows: list[Customer], *, user: Any) -> list[Customer]:
    """Former owners' names (one query) and the primary mobile, masked (号码脱敏) as the user must see it."""
    masking = for_user(user)
    for row in rows:
        row.former_owner_name = former_owner_name(row)  # type: ignore[attr-defined]
        row.display_mobile = pool_mobile(row, masking)  # type: ignore[attr-defined]
    return rows


def former_owner_name(row: Any) -> str:
    if getattr(row, "former_owner_id", None) is None:
        return ""
    return person_name(SimpleNamespace(username=row.former_owner_username, first_name=row.former_owner_first_name,
                                       last_name=row.former_owner_last_name))


def pool_mobile(row: Any, masking: Masking) -> str:
    """The primary contact's mobile as the user may see it (号码脱敏)."""
    mobile = getattr(row, "primary_mobile", None) or ""
    return mask_value("mobile", mobile) if masking.should_mask_ids(row.pk, row.owner_id) else clear_phone(mobile)


# ---------------------------------------------------------------- one customer's status


@dataclass
class RecycleForecast:
    rule: str  # "no_follow_up" | "no_opportunity" | "not_won"
    days: int
    on: datetime.date
    days_left: int


@dataclass
class PoolStatus:
    customer: Customer
    pool: Pool | None
    owner_since: datetime.datetime | None
    locked: bool
    forecast: RecycleForecast | None
    exempt_reason: str
    entered_pool_at: datetime.datetime | None = None
    former_owner: Any = None
    history: list[OwnerChange] = field(default_factory=list)


def _won(customer: Customer) -> bool:
    if customer.lifecycle in WON_LIFECYCLES:
        return True
    return Opportunity.objects.filter(customer=customer, deleted_at__isnull=True, stage__kind="won").exists()


def recycle_forecast(customer: Customer, pool: Pool | None, *, now: datetime.datetime | None = None,
                     index: PoolIndex | None = None) -> tuple[RecycleForecast | None, str]:
    """When (and by which rule) the customer would be recycled, or why it will not be."""
    now = now or timezone.now()
    if customer.owner_id is None:
        return None, ""
    if pool is None or not pool.is_active:
        return None, str(_("Recycling is switched off for this pool."))
    if customer.locked_at is not None:
        return None, str(_("Locked as a key customer."))
    if pool.exempt_won and _won(customer):
        return None, str(_("Customers who have bought are never recycled."))
    open_opportunity = Opportunity.objects.filter(customer=customer, deleted_at__isnull=True, stage__kind="open")
    if pool.exempt_open_opportunity and open_opportunity.exists():
        return None, str(_("Customers with an open opportunity are never recycled."))
    claimed = customer.claimed_at or customer.created_at
    candidates: list[RecycleForecast] = []
    days = rule_days(pool, customer.level, "no_follow_up_days", index)
    if days:
        start = max(filter(None, [claimed, customer.last_interaction_at]))
        candidates.append(RecycleForecast("no_follow_up", days, runs_out_on(start, days), 0))
    days = rule_days(pool, customer.level, "no_opportunity_days", index)
    if days and not Opportunity.objects.filter(customer=customer, deleted_at__isnull=True,
                                               created_at__gte=claimed).exists():
        candidates.append(RecycleForecast("no_opportunity", days, runs_out_on(claimed, days), 0))
    days = rule_days(pool, customer.level, "not_won_days", index)
    if days and not _won(customer):
        candidates.append(RecycleForecast("not_won", days, runs_out_on(claimed, days), 0))
    if not candidates:
        return None, str(_("No recycling rule applies."))
    first = min(candidates, key=lambda c: c.on)
    first.days_left = max(0, (first.on - local_day(now)).days)
    return first, ""


def pool_status(*, user: Any, customer: Customer, now: datetime.datetime | None = None) -> PoolStatus:
    """The pool card of the 360° page (the caller got `customer` from a visible_to selector)."""
    index = pool_index()
    pool = pool_of(customer, index)
    forecast, exempt = recycle_forecast(customer, pool, now=now, index=index)
    history = list(OwnerChange.objects.filter(entity="customer", object_id=customer.pk)
                   .select_related("from_user", "to_user", "actor")[:5])
    status = PoolStatus(customer=customer, pool=pool, owner_since=customer.claimed_at if customer.owner_id else None,
                        locked=customer.locked_at is not None, forecast=forecast, exempt_reason=exempt,
                        history=history)
    if customer.owner_id is None:
        into = next((h for h in history if h.kind in INTO_POOL and h.to_user_id is None), None)
        status.entered_pool_at = into.at if into else customer.created_at
        status.former_owner = into.from_user if into else None
    return status


def team_of(*, user: Any, customer: Customer) -> list[CustomerTeamMember]:
    """The account team (团队成员), current and expired, for a customer the user can see."""
    if not Customer.objects.visible_to(user).filter(pk=customer.pk).exists():
        raise NotFoundError()
    return list(CustomerTeamMember.objects.filter(customer=customer).select_related("user", "added_by")
                .order_by("user__first_name", "user__username"))


def can_manage_team(user: Any, customer: Customer) -> bool:
    """The owner, or a manager/admin who may change the customer."""
    if not permissions.can(user, permissions.CHANGE):
        return False
    if customer.owner_id == user.pk:
        return True
    return (permissions.can(user, permissions.MANAGE_POOL)
            and Customer.objects.editable_by(user).filter(pk=customer.pk).exists())


def held_count(user_id: int, *, counts_won: bool) -> int:
    """Customers a rep holds toward the holding limit."""
    qs = Customer.objects.filter(owner_id=user_id, deleted_at__isnull=True)
    if not counts_won:
        qs = qs.exclude(lifecycle__in=WON_LIFECYCLES).exclude(
            Exists(Opportunity.objects.filter(customer=OuterRef("pk"), deleted_at__isnull=True, stage__kind="won")))
    return qs.count()


def locked_count(user_id: int) -> int:
    return Customer.objects.filter(owner_id=user_id, deleted_at__isnull=True, locked_at__isnull=False).count()


def claims_today(user_id: int, *, now: datetime.datetime) -> int:
    """Claims from the pool since 00:00 local time (Asia/Shanghai) today."""
    return OwnerChange.objects.filter(entity="customer", kind=OwnerChange.Kind.CLAIM, to_user_id=user_id,
                                      at__gte=local_midnight(local_day(now))).count()


def pool_summary_counts(*, user: Any) -> dict[str, int]:
    """Small numbers for the pool page header: customers in the pool the user sees, and the user's holdings."""
    pooled = Customer.objects.visible_to(user).filter(owner__isnull=True).order_by().aggregate(n=Count("id"))["n"]
    return {"pooled": pooled, "held": held_count(user.pk, counts_won=True)}


def level_label(level: str) -> str:
    return str(dict(Customer.Level.choices).get(level, level)) if level else ""


def owner_changes(*, user: Any, customer: Customer, limit: int = 20) -> QuerySet[OwnerChange]:
    if not Customer.objects.visible_to(user).filter(pk=customer.pk).exists():
        raise NotFoundError()
    return OwnerChange.objects.filter(entity="customer", object_id=customer.pk).select_related(
        "from_user", "to_user", "actor")[:limit]



# ---------------------------------------------------------------- handover (离职交接)


def handover_scope(from_user: Any) -> dict[str, QuerySet]:
    """What a person owns that a handover moves (contacts follow their customer)."""
    from guanxi.customers.models import Task

    from ..models import Lead

    customers = Customer.objects.filter(owner_id=from_user.pk, deleted_at__isnull=True)
    return {
        "customers": customers,
        "contacts": Contact.objects.filter(customer__owner_id=from_user.pk, customer__deleted_at__isnull=True,
                                           deleted_at__isnull=True),
        "leads": Lead.objects.filter(owner_id=from_user.pk, deleted_at__isnull=True).exclude(
            status=Lead.Status.CONVERTED),
        "opportunities": Opportunity.objects.filter(owner_id=from_user.pk, deleted_at__isnull=True,
                                                    stage__kind="open"),
        "tasks": Task.objects.filter(assignee_id=from_user.pk, done_at__isnull=True, deleted_at__isnull=True),
    }


def _require_handover(user: Any) -> None:
    if not permissions.can(user, permissions.HANDOVER):
        raise PermissionDeniedError()


def handover_preview(*, user: Any, from_user: Any, limit: int = 500) -> dict[str, Any]:
    """Counts of everything the person owns, and the first `limit` rows of each kind."""
    _require_handover(user)
    scope = handover_scope(from_user)
    return {
        "counts": {name: qs.order_by().count() for name, qs in scope.items()},
        "customers": list(scope["customers"].order_by("name", "id").values("id", "name", "level", "lifecycle")[:limit]),
        "leads": list(scope["leads"].order_by("-id").values("id", "name", "company", "status")[:limit]),
        "opportunities": list(scope["opportunities"].order_by("-id").values(
            "id", "name", "amount", "customer_id", "customer__name", "stage__name")[:limit]),
        "tasks": list(scope["tasks"].order_by("due_at").values("id", "title", "due_at", "customer__name")[:limit]),
    }


def handover_people(*, user: Any) -> QuerySet:
    """Everyone who can be handed over from (anyone with a login, departed or not)."""
    from django.contrib.auth import get_user_model

    _require_handover(user)
    return get_user_model().objects.filter(employee__isnull=False).select_related("employee").order_by(
        "-is_active", "first_name", "username")


def handover_list(*, user: Any) -> QuerySet:
    from ..models import Handover

    _require_handover(user)
    return Handover.objects.select_related("from_user", "actor").order_by("-created_at", "-id")


def handover_get(*, user: Any, pk: Any) -> Any:
    from ..models import Handover

    try:
        return handover_list(user=user).get(pk=pk)
    except (Handover.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
