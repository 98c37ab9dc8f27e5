"""Reads on leads, campaigns and the lead rules. Every read of leads starts from `visible_to`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet

from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.customers.models import Customer
from guanxi.governance import permissions
from guanxi.governance.models import Department

from ..filters import LeadFilter
from ..models import AssignmentRule, Campaign, DuplicateRule, Lead, LeadActivity, OwnerChange, Pool


def lead_list(*, user: Any, filters: LeadFilter | None = None) -> QuerySet[Lead]:
    qs: QuerySet[Lead] = Lead.objects.visible_to(user).select_related("owner", "campaign")
    if filters is not None:
        qs = filters.apply(qs, user)
    return qs


def lead_get(*, user: Any, pk: Any, for_change: bool = False) -> Lead:
    """Not visible -> NotFound; visible but read-only -> PermissionDenied."""
    try:
        lead = Lead.objects.visible_to(user).select_related(
            "owner", "campaign", "department", "created_by", "converted_customer").get(pk=pk)
    except (Lead.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
    if for_change and not Lead.objects.editable_by(user).filter(pk=lead.pk).exists():
        raise PermissionDeniedError()
    return lead


def leads_for_change(*, user: Any, ids: list[int]) -> list[Lead]:
    """The leads among `ids` the user may change (bulk actions); others are left out."""
    return list(Lead.objects.editable_by(user).filter(pk__in=ids).select_related("owner").order_by("pk"))


def can_assign_leads(user: Any) -> bool:
    """Managers and admins hand leads out; reps only own what they create."""
    return permissions.can(user, permissions.CHANGE) and permissions.scope_of(user) != "own"


def can_change_lead(user: Any, lead: Lead) -> bool:
    return Lead.objects.editable_by(user).filter(pk=lead.pk).exists()


def activities_of(lead: Lead) -> QuerySet[LeadActivity]:
    return lead.activities.select_related("staff")


def owner_changes_of(lead: Lead) -> QuerySet[OwnerChange]:
    return OwnerChange.objects.filter(entity="lead", object_id=lead.pk).select_related(
        "from_user", "to_user", "actor")


# ---------------------------------------------------------------- campaigns


def campaign_list(*, user: Any, active: bool | None = None) -> QuerySet[Campaign]:
    if not permissions.can(user, permissions.VIEW):
        raise PermissionDeniedError()
    qs = Campaign.objects.all()
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.annotate(
        lead_count=Count("leads", filter=Q(leads__deleted_at__isnull=True)),
        converted_count=Count("leads", filter=Q(leads__deleted_at__isnull=True,
                                                leads__status=Lead.Status.CONVERTED)),
    ).order_by("-is_active", "-starts_on", "-id")


def campaign_get(*, user: Any, pk: Any, for_change: bool = False) -> Campaign:
    if not permissions.can(user, permissions.VIEW):
        raise NotFoundError()
    try:
        campaign = Campaign.objects.get(pk=pk)
    except (Campaign.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
    if for_change and not permissions.can(user, permissions.MANAGE_CAMPAIGNS):
        raise PermissionDeniedError()
    return campaign


def _rate(converted: int, total: int) -> Decimal | None:
    return (Decimal(converted * 100) / Decimal(total)).quantize(Decimal("0.1")) if total else None


def campaign_stats(campaign: Campaign) -> dict[str, Any]:
    """Leads, converted leads and the conversion rate of one campaign, overall and by source."""
    rows = list(Lead.objects.filter(campaign=campaign, deleted_at__isnull=True).values("source").annotate(
        total=Count("id"), converted=Count("id", filter=Q(status=Lead.Status.CONVERTED))).order_by("source"))
    labels = dict(Lead.Source.choices)
    by_source = [{"source": r["source"], "label": str(labels.get(r["source"], r["source"])), "total": r["total"],
                  "converted": r["converted"], "rate": _rate(r["converted"], r["total"])} for r in rows]
    total = sum(r["total"] for r in rows)
    converted = sum(r["converted"] for r in rows)
    return {"total": total, "converted": converted, "rate": _rate(converted, total), "by_source": by_source}


def conversion_by_source() -> list[dict[str, Any]]:
    """Conversion rate per lead source over all leads (the campaign list's summary)."""
    labels = dict(Lead.Source.choices)
    rows = Lead.objects.filter(deleted_at__isnull=True).values("source").annotate(
        total=Count("id"), converted=Count("id", filter=Q(status=Lead.Status.CONVERTED))).order_by("source")
    return [{"source": r["source"], "label": str(labels.get(r["source"], r["source"])), "total": r["total"],
             "converted": r["converted"], "rate": _rate(r["converted"], r["total"])} for r in rows]


# ---------------------------------------------------------------- rules (admins)


def _require_configure(user: Any) -> None:
    if not permissions.can(user, permissions.CONFIGURE):
        raise PermissionDeniedError()


def duplicate_rule_list(*, user: Any) -> list[DuplicateRule]:
    _require_configure(user)
    existing = {r.field: r for r in DuplicateRule.objects.all()}
    return [existing.get(f.value) or DuplicateRule(field=f.value, action=DuplicateRule.Action.WARN)
            for f in DuplicateRule.Field]


def assignment_rule_list(*, user: Any) -> QuerySet[AssignmentRule]:
    _require_configure(user)
    return AssignmentRule.objects.select_related("department", "last_assigned").prefetch_related(
        "members").order_by("position", "id")


def assignment_rule_get(*, user: Any, pk: Any) -> AssignmentRule:
    _require_configure(user)
    try:
        return AssignmentRule.objects.get(pk=pk)
    except (AssignmentRule.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None


# ---------------------------------------------------------------- holding limits


def holding_limit_for(user: Any) -> tuple[int | None, bool]:
    """(customers the rep may hold, whether customers who have bought count) from the rep's pool: the
    nearest department up the tree that has a pool, else the company pool. (None, …) means no limit."""
    employee = getattr(user, "employee", None)
    department_id = employee.department_id if employee else None
    parents = dict(Department.objects.values_list("id", "parent_id")) if department_id else {}
    pools = {p.department_id: p for p in Pool.objects.all()}
    seen: set[int] = set()
    while department_id is not None and department_id not in seen:
        seen.add(department_id)
        if department_id in pools:
            pool = pools[department_id]
            return pool.holding_limit, pool.holding_counts_won
        department_id = parents.get(department_id)
    company_pool = pools.get(None)
    return (company_pool.holding_limit, company_pool.holding_counts_won) if company_pool else (None, False)


def owned_customer_counts(user_ids: list[int]) -> dict[int, tuple[int, int]]:
    """user id -> (customers owned, of which not yet bought: still prospects), in one query."""
    rows = Customer.objects.filter(owner_id__in=user_ids, deleted_at__isnull=True).values("owner_id").annotate(
        total=Count("id"), prospects=Count("id", filter=Q(lifecycle=Customer.Lifecycle.PROSPECT)))
    return {r["owner_id"]: (r["total"], r["prospects"]) for r in rows}
