"""Reads on pipelines, stages and opportunities. Opportunities start from `visible_to(user)`:
whoever may see the customer sees its opportunities."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, DecimalField, F, IntegerField, Prefetch, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.customers.models import Customer
from guanxi.governance import permissions
from guanxi.governance.models import Department

from ..filters_pipeline import OpportunityFilter
from ..models import Opportunity, OpportunityLine, Pipeline, Stage, StageChange

CLOSED_KINDS = (Stage.Kind.WON, Stage.Kind.LOST, Stage.Kind.INVALID)


# ---------------------------------------------------------------- pipelines and stages


def pipeline_list() -> QuerySet[Pipeline]:
    """Every pipeline with its stages (stages are configuration, visible to every user)."""
    return Pipeline.objects.select_related("department").prefetch_related("stages").order_by("-is_default", "name")


def pipeline_get(*, pk: Any) -> Pipeline:
    try:
        return Pipeline.objects.select_related("department").get(pk=pk)
    except (Pipeline.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None


def stage_get(*, pk: Any) -> Stage:
    try:
        return Stage.objects.select_related("pipeline").get(pk=pk)
    except (Stage.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None


def default_pipeline() -> Pipeline | None:
    """The company-wide pipeline: the one marked default, else the first without a department."""
    return (Pipeline.objects.filter(is_default=True).order_by("id").first()
            or Pipeline.objects.filter(department__isnull=True).order_by("id").first()
            or Pipeline.objects.order_by("id").first())


def pipeline_for_department(department_id: int | None) -> Pipeline | None:
    """The pipeline of the nearest department up the tree that has one, else the default."""
    if department_id is not None:
        by_department = {p.department_id: p for p in Pipeline.objects.filter(department__isnull=False).order_by("-id")}
        if by_department:
            parents = dict(Department.objects.values_list("id", "parent_id"))
            current: int | None = department_id
            seen: set[int] = set()
            while current is not None and current not in seen:
                if current in by_department:
                    return by_department[current]
                seen.add(current)
                current = parents.get(current)
    return default_pipeline()


def pipeline_for_customer(customer: Customer) -> Pipeline | None:
    return pipeline_for_department(customer.department_id)


def pipeline_for_user(user: Any) -> Pipeline | None:
    """The pipeline a user normally works in: their department's (nearest up the tree), else the default."""
    employee = getattr(user, "employee", None)
    return pipeline_for_department(employee.department_id if employee else None)


def stages_of(pipeline: Pipeline) -> list[Stage]:
    return list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id"))


def stage_usage(pipeline: Pipeline) -> dict[int, int]:
    """Opportunities (deleted ones too: they still point at the stage) per stage of the pipeline."""
    rows = Opportunity._base_manager.filter(pipeline=pipeline).values("stage_id").annotate(n=Count("id"))
    return {r["stage_id"]: r["n"] for r in rows}


# ---------------------------------------------------------------- opportunities


def opportunity_list(*, user: Any, filters: OpportunityFilter | None = None) -> QuerySet[Opportunity]:
    qs: QuerySet[Opportunity] = Opportunity.objects.visible_to(user).select_related(
        "customer", "stage", "pipeline", "owner")
    if filters is not None:
        qs = filters.apply(qs, user)
    return qs


def opportunity_get(*, user: Any, pk: Any, for_change: bool = False) -> Opportunity:
    """Not visible -> NotFound; visible but read-only and for_change -> PermissionDenied."""
    qs = Opportunity.objects.visible_to(user).select_related(
        "customer", "stage", "pipeline", "owner", "created_by", "campaign")
    try:
        obj = qs.get(pk=pk)
    except (Opportunity.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None
    if for_change and not (permissions.can(user, permissions.CHANGE)
                           and Opportunity.objects.editable_by(user).filter(pk=obj.pk).exists()):
        raise PermissionDeniedError()
    return obj


def can_change_opportunity(user: Any, opportunity: Opportunity) -> bool:
    return Opportunity.objects.editable_by(user).filter(pk=opportunity.pk).exists()


def opportunity_lines(opportunity: Opportunity) -> list[OpportunityLine]:
    """The products, each with `total` (quantity × unit price) for display."""
    lines = list(opportunity.lines.select_related("product").order_by("id"))
    for ol in lines:
        ol.total = (ol.quantity * ol.unit_price).quantize(Decimal("0.01"))  # type: ignore[attr-defined]
    return lines


def opportunities_of(*, user: Any, customer: Customer) -> list[Opportunity]:
    """The customer's opportunities, open ones first (then by expected close date), newest closed after."""
    open_first = Case(When(stage__kind=Stage.Kind.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
    return list(
        Opportunity.objects.visible_to(user).filter(customer=customer).select_related("stage", "owner")
        .annotate(open_first=open_first)
        .order_by("open_first", F("expected_close_date").asc(nulls_last=True), "-id")[:50]
    )


@dataclass
class StageStint:
    stage: Stage
    entered_at: datetime
    left_at: datetime | None
    actor: Any
    reason: str

    @property
    def days(self) -> float:
        end = self.left_at or timezone.now()
        return round((end - self.entered_at).total_seconds() / 86400, 1)


def stage_history(opportunity: Opportunity) -> list[StageStint]:
    """The stages the opportunity went through, each with the time spent in it (newest last)."""
    changes = list(StageChange.objects.filter(opportunity=opportunity).select_related("to_stage", "actor")
                   .order_by("at", "id"))
    stints: list[StageStint] = []
    for i, change in enumerate(changes):
        left = changes[i + 1].at if i + 1 < len(changes) else None
        stints.append(StageStint(change.to_stage, change.at, left, change.actor, change.reason))
    return stints


# ---------------------------------------------------------------- the kanban board


@dataclass(slots=True)
class BoardPerson:
    """The owner as `person_name` needs it (no user instance per card)."""

    pk: int
    username: str
    first_name: str
    last_name: str


@dataclass(slots=True)
class BoardCustomer:
    pk: int
    name: str


@dataclass(slots=True)
class BoardCard:
    """One card: the fields the board shows, read as plain rows (500 cards × 3 model instances cost more
    than the query)."""

    pk: int
    name: str
    amount: Decimal
    expected_close_date: Any
    stage_id: int
    version: int
    position: int
    customer: BoardCustomer
    owner: BoardPerson | None

    @property
    def id(self) -> int:
        return self.pk

    @property
    def customer_id(self) -> int:
        return self.customer.pk

    @property
    def owner_id(self) -> int | None:
        return self.owner.pk if self.owner is not None else None


@dataclass
class BoardColumn:
    stage: Stage
    cards: list[BoardCard] = field(default_factory=list)
    count: int = 0
    amount: Decimal = Decimal("0")
    weighted: Decimal = Decimal("0")


@dataclass
class Board:
    pipeline: Pipeline
    columns: list[BoardColumn]  # the open stages, in order
    closed: list[BoardColumn]  # won / lost / invalid drop zones (totals only, no cards)

    @property
    def count(self) -> int:
        return sum(c.count for c in self.columns)

    @property
    def amount(self) -> Decimal:
        return sum((c.amount for c in self.columns), Decimal("0"))

    @property
    def weighted(self) -> Decimal:
        return sum((c.weighted for c in self.columns), Decimal("0"))


BOARD_CARD_LIMIT = 2000
CLOSED_ZONE_DAYS = 90  # the won / lost drop zones total what closed in the last 90 days


def board(*, user: Any, pipeline: Pipeline, owner: str = "") -> Board:
    """Open opportunities of one pipeline in columns, with per-column totals; closed stages as drop zones.

    Three queries whatever the size: the stages, the cards (customer and owner joined), the closed totals.
    """
    stages = stages_of(pipeline)
    qs = Opportunity.objects.visible_to(user).filter(pipeline=pipeline)
    if owner == "me":
        qs = qs.filter(owner_id=user.pk)
    elif owner.isdigit():
        qs = qs.filter(owner_id=int(owner))
    columns = {s.pk: BoardColumn(s) for s in stages if s.kind == Stage.Kind.OPEN}
    closed = {s.pk: BoardColumn(s) for s in stages if s.kind != Stage.Kind.OPEN}
    rows = (qs.filter(stage_id__in=list(columns))
            .order_by(F("expected_close_date").asc(nulls_last=True), "-id")
            .values_list("id", "name", "amount", "expected_close_date", "stage_id", "version", "position",
                         "customer_id", "customer__name", "owner_id", "owner__username", "owner__first_name",
                         "owner__last_name")[:BOARD_CARD_LIMIT])
    for pk, name, amount, close, stage_id, version, position, cid, cname, oid, uname, first, last in rows:
        card = BoardCard(pk, name, amount, close, stage_id, version, position, BoardCustomer(cid, cname),
                         BoardPerson(oid, uname, first, last) if oid is not None else None)
        column = columns[stage_id]
        column.cards.append(card)
        column.count += 1
        column.amount += card.amount
        column.weighted += card.amount * column.stage.probability / 100
    if closed:
        since = timezone.now() - timedelta(days=CLOSED_ZONE_DAYS)
        for row in (qs.filter(stage_id__in=list(closed), closed_at__gte=since).values("stage_id")
                    .annotate(n=Count("id"), total=Coalesce(Sum("amount"), Value(Decimal("0")),
                                                             output_field=DecimalField()))):
            closed[row["stage_id"]].count = row["n"]
            closed[row["stage_id"]].amount = row["total"]
    for column in columns.values():
        column.weighted = column.weighted.quantize(Decimal("0.01"))
    return Board(pipeline, list(columns.values()), list(closed.values()))


def owners_in(*, user: Any, pipeline: Pipeline) -> list[Any]:
    """The owners of the opportunities a user sees in a pipeline (the board's owner filter)."""
    ids = (Opportunity.objects.visible_to(user).filter(pipeline=pipeline, owner__isnull=False)
           .values("owner_id").distinct())
    return list(get_user_model().objects.filter(pk__in=ids).order_by("first_name", "username"))


def opportunity_prefetch_lines() -> Prefetch:
    return Prefetch("lines", queryset=OpportunityLine.objects.select_related("product").order_by("id"))


def open_q() -> Q:
    return Q(stage__kind=Stage.Kind.OPEN)
