"""REST endpoints of the pool area: the public pool and its actions, pool rules, handovers, account
teams and relationship metrics. Thin: parse -> selector/service -> schema; errors per api/errors.py.
"""

# No `from __future__ import annotations`: ninja reads the signatures through `@paginate`'s wrapper.
import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict

from guanxi.api.params import filter_query_schema, query_error
from guanxi.core.errors import PermissionDeniedError
from guanxi.core.text import person_name
from guanxi.customers.models import Customer
from guanxi.customers.selectors.customers import customer_get
from guanxi.governance import permissions
from guanxi.governance.masking import for_request
from guanxi.governance.models import Department

from .selectors.pool import (
    PoolFilter,
    former_owner_name,
    handover_get,
    handover_list,
    handover_preview,
    pool_customers,
    pool_get,
    pool_list,
    pool_mobile,
    pool_status,
    team_of,
)
from .selectors.relationships import REPORT_SORTS, customer_relationship, rep_report
from .services.handover import handover_execute
from .services.pool import customer_lock, customer_unlock, pool_assign, pool_claim, pool_delete, pool_release, pool_save
from .services.team import team_member_remove, team_member_set

router = Router(tags=["public pool"])


class ApiRequest(HttpRequest):
    auth: Any


class In(Schema):
    model_config = ConfigDict(extra="forbid")



PoolListQuery = filter_query_schema(PoolFilter, "PoolListQuery")


def _user(user_id: Any, field: str) -> Any:
    user = get_user_model().objects.filter(pk=user_id).first() if user_id is not None else None
    if user is None:
        raise ValidationError({field: [_("There is no such user.")]})
    return user


def _masking(request: ApiRequest) -> Any:
    return for_request(request)  # one Masking per request


# ---------------------------------------------------------------- the pool


class PoolCustomerOut(Schema):
    id: int
    name: str
    level: str
    province: str
    city: str
    industry: str
    department: int | None = Field(None, alias="department_id")
    entered_pool_at: datetime.datetime
    former_owner: int | None = Field(None, alias="former_owner_id")
    former_owner_name: str = ""
    mobile: str = Field("", description="The primary contact's mobile, masked (号码脱敏) unless you may see it.")
    last_interaction_at: datetime.datetime | None

    @staticmethod
    def resolve_former_owner_name(obj: Any) -> str:
        return former_owner_name(obj)

    @staticmethod
    def resolve_mobile(obj: Any, context: Any) -> str:
        return pool_mobile(obj, _masking(context["request"]))


class ForecastOut(Schema):
    rule: str
    days: int
    on: datetime.date
    days_left: int


class PoolStatusOut(Schema):
    customer: int
    owner: int | None
    owner_name: str
    pool: int | None
    pool_name: str
    owner_since: datetime.datetime | None
    locked: bool
    recycle: ForecastOut | None = Field(None, description="When and by which rule the customer would be recycled.")
    not_recycled_because: str
    entered_pool_at: datetime.datetime | None
    former_owner: int | None


def _status(request: ApiRequest, customer_id: int) -> dict[str, Any]:
    customer = customer_get(user=request.auth, pk=customer_id)
    s = pool_status(user=request.auth, customer=customer)
    return {
        "customer": customer.pk, "owner": customer.owner_id,
        "owner_name": person_name(customer.owner) if customer.owner_id else "",
        "pool": s.pool.pk if s.pool else None, "pool_name": s.pool.name if s.pool else "",
        "owner_since": s.owner_since, "locked": s.locked,
        "recycle": s.forecast.__dict__ if s.forecast else None, "not_recycled_because": s.exempt_reason,
        "entered_pool_at": s.entered_pool_at, "former_owner": getattr(s.former_owner, "pk", None),
    }


@router.get("/pool", response=list[PoolCustomerOut], summary="Customers in the public pool that you may see")
@paginate
def pool_list_api(request: ApiRequest, filters: Query[PoolListQuery]) -> Any:  # type: ignore[valid-type]
    form = PoolFilter(filters.model_dump(exclude_none=True))  # type: ignore[attr-defined]
    if not form.is_valid():
        raise query_error({k: [str(m) for m in v] for k, v in form.errors.items()})
    return pool_customers(user=request.auth, filters=form)


@router.get("/pool/{int:customer_id}", response=PoolStatusOut, summary="A customer's pool status")
def pool_status_api(request: ApiRequest, customer_id: int) -> Any:
    return _status(request, customer_id)


@router.post("/pool/{int:customer_id}/claim", response=PoolStatusOut,
             summary="Claim a customer from the pool (daily, holding and re-claim limits apply)")
def pool_claim_api(request: ApiRequest, customer_id: int) -> Any:
    pool_claim(actor=request.auth, customer=customer_get(user=request.auth, pk=customer_id))
    return _status(request, customer_id)


class ReleaseIn(In):
    reason: str = Field(..., description="Why the customer goes back to the pool (required).")


@router.post("/pool/{int:customer_id}/release", response=PoolStatusOut, summary="Give a customer back to the pool")
def pool_release_api(request: ApiRequest, customer_id: int, payload: ReleaseIn) -> Any:
    pool_release(actor=request.auth, customer=customer_get(user=request.auth, pk=customer_id), reason=payload.reason)
    return _status(request, customer_id)


class AssignIn(In):
    to_user: int = Field(..., description="User id of the rep who gets the customer.")
    reason: str = ""
    override: bool = Field(False, description="Go over the rep's holding limit (administrators only).")


@router.post("/pool/{int:customer_id}/assign", response=PoolStatusOut,
             summary="Assign a pool customer to a rep (managers and administrators)")
def pool_assign_api(request: ApiRequest, customer_id: int, payload: AssignIn) -> Any:
    pool_assign(actor=request.auth, customer=customer_get(user=request.auth, pk=customer_id),
                to_user=_user(payload.to_user, "to_user"), reason=payload.reason, override=payload.override)
    return _status(request, customer_id)


@router.post("/pool/{int:customer_id}/lock", response=PoolStatusOut,
             summary="Lock a key customer: it is never recycled (a per-rep limit applies)")
def pool_lock_api(request: ApiRequest, customer_id: int) -> Any:
    customer_lock(actor=request.auth, customer=customer_get(user=request.auth, pk=customer_id))
    return _status(request, customer_id)


@router.post("/pool/{int:customer_id}/unlock", response=PoolStatusOut, summary="Unlock a key customer")
def pool_unlock_api(request: ApiRequest, customer_id: int) -> Any:
    customer_unlock(actor=request.auth, customer=customer_get(user=request.auth, pk=customer_id))
    return _status(request, customer_id)


@router.post("/pool/recycle", response={202: dict}, summary="Run the nightly recycling job now (administrators)")
def pool_recycle_api(request: ApiRequest) -> Any:
    if not permissions.can(request.auth, permissions.CONFIGURE):
        raise PermissionDeniedError()
    from .tasks import recycle_public_pool

    result = recycle_public_pool.enqueue()
    return Status(202, {"task": str(result.id)})


# ---------------------------------------------------------------- pool rules


class LevelRule(Schema):
    level: str = Field(..., description="A, B, C or D")
    no_follow_up_days: int | None = None
    no_opportunity_days: int | None = None
    not_won_days: int | None = None


class LevelRuleIn(LevelRule):
    model_config = ConfigDict(extra="forbid")


class PoolOut(Schema):
    id: int
    name: str
    department: int | None = Field(None, alias="department_id", description="null: the company pool")
    is_active: bool
    no_follow_up_days: int | None
    no_opportunity_days: int | None
    not_won_days: int | None
    warn_days_before: int
    exempt_won: bool
    exempt_open_opportunity: bool
    daily_claim_limit: int | None
    holding_limit: int | None
    holding_counts_won: bool
    reclaim_block_days: int
    lock_limit: int
    level_rules: list[LevelRule]

    @staticmethod
    def resolve_level_rules(obj: Any) -> list[dict[str, Any]]:
        return [{"level": r.level, "no_follow_up_days": r.no_follow_up_days,
                 "no_opportunity_days": r.no_opportunity_days, "not_won_days": r.not_won_days}
                for r in sorted(obj.level_rules.all(), key=lambda r: r.level)]


class PoolPatch(In):
    """Day counts are whole days (calendar days, Asia/Shanghai); null switches a rule or limit off."""

    name: str | None = None
    department: int | None = None
    is_active: bool | None = None
    no_follow_up_days: int | None = None
    no_opportunity_days: int | None = None
    not_won_days: int | None = None
    warn_days_before: int | None = None
    exempt_won: bool | None = None
    exempt_open_opportunity: bool | None = None
    daily_claim_limit: int | None = None
    holding_limit: int | None = None
    holding_counts_won: bool | None = None
    reclaim_block_days: int | None = None
    lock_limit: int | None = None
    level_rules: list[LevelRuleIn] | None = Field(None, description="Replaces all level rules when given.")


class PoolIn(PoolPatch):
    name: str  # type: ignore[assignment]


NOT_NULL = ("name", "is_active", "warn_days_before", "exempt_won", "exempt_open_opportunity", "holding_counts_won",
            "reclaim_block_days", "lock_limit")


def _pool_data(payload: PoolPatch) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    data = payload.model_dump(exclude_unset=True)
    rules = data.pop("level_rules", None)
    errors = {name: [_("This field may not be null.")] for name in NOT_NULL if name in data and data[name] is None}
    if errors:
        raise ValidationError(errors)
    if "department" in data:
        department_id = data["department"]
        data["department"] = Department.objects.filter(pk=department_id).first() if department_id else None
        if department_id and data["department"] is None:
            raise ValidationError({"department": [_("There is no such department.")]})
    return data, rules


@router.get("/pools", response=list[PoolOut], tags=["pool rules"], summary="Public pools and their rules")
def pools_list_api(request: ApiRequest) -> Any:
    return list(pool_list(user=request.auth))


@router.post("/pools", response={201: PoolOut}, tags=["pool rules"], summary="Add a department pool")
def pools_create_api(request: ApiRequest, payload: PoolIn) -> Any:
    data, rules = _pool_data(payload)
    pool = pool_save(actor=request.auth, pool=None, data=data, level_rules=rules)
    return Status(201, pool_get(user=request.auth, pk=pool.pk))


@router.get("/pools/{int:pool_id}", response=PoolOut, tags=["pool rules"])
def pools_detail_api(request: ApiRequest, pool_id: int) -> Any:
    return pool_get(user=request.auth, pk=pool_id)


@router.patch("/pools/{int:pool_id}", response=PoolOut, tags=["pool rules"], summary="Change a pool's rules")
def pools_update_api(request: ApiRequest, pool_id: int, payload: PoolPatch) -> Any:
    pool = pool_get(user=request.auth, pk=pool_id)
    data, rules = _pool_data(payload)
    pool_save(actor=request.auth, pool=pool, data=data, level_rules=rules)
    return pool_get(user=request.auth, pk=pool_id)


@router.delete("/pools/{int:pool_id}", response={204: None}, tags=["pool rules"],
               summary="Remove a department pool (the company pool stays)")
def pools_delete_api(request: ApiRequest, pool_id: int) -> Any:
    pool_delete(actor=request.auth, pool=pool_get(user=request.auth, pk=pool_id))
    return Status(204, None)


# ---------------------------------------------------------------- handovers


class HandoverOut(Schema):
    id: int
    from_user: int = Field(..., alias="from_user_id")
    actor: int | None = Field(None, alias="actor_id")
    created_at: datetime.datetime
    reason: str
    deactivate: bool
    keep_read_access_until: datetime.date | None
    summary: dict[str, Any]


class HandoverIn(In):
    from_user: int = Field(..., description="User id of the person leaving or moving.")
    receivers: list[int] = Field(default_factory=list, description="User ids of the receivers.")
    mode: str = Field("one", description="one | even | list | pool", json_schema_extra={
        "enum": ["one", "even", "list", "pool"]})
    assignments: dict[int, int] = Field(default_factory=dict,
                                        description="For mode=list: {customer id: receiver user id}.")
    reason: str = ""
    keep_read_until: datetime.date | None = Field(None, description="The old owner keeps read access until this day.")
    departed: bool = Field(False, description="The person has left: no login, API tokens revoked.")


class HandoverPreviewOut(Schema):
    counts: dict[str, int]
    customers: list[dict[str, Any]]
    leads: list[dict[str, Any]]
    opportunities: list[dict[str, Any]]
    tasks: list[dict[str, Any]]


@router.get("/handovers", response=list[HandoverOut], tags=["handover"], summary="Handover batches, newest first")
@paginate
def handovers_list_api(request: ApiRequest) -> Any:
    return handover_list(user=request.auth).order_by("-id")


@router.get("/handovers/preview", response=HandoverPreviewOut, tags=["handover"],
            summary="What a person owns (counts and the first 500 of each)")
def handovers_preview_api(request: ApiRequest, from_user: int) -> Any:
    if not permissions.can(request.auth, permissions.HANDOVER):
        raise PermissionDeniedError()
    user = get_user_model().objects.filter(pk=from_user).first()
    if user is None:
        raise query_error({"from_user": [_("There is no such user.")]})
    preview = handover_preview(user=request.auth, from_user=user, limit=500)
    for row in preview["opportunities"]:
        row["amount"] = str(row["amount"])
    return preview


@router.get("/handovers/{int:handover_id}", response=HandoverOut, tags=["handover"])
def handovers_detail_api(request: ApiRequest, handover_id: int) -> Any:
    return handover_get(user=request.auth, pk=handover_id)


@router.post("/handovers", response={201: HandoverOut}, tags=["handover"],
             summary="Hand over everything a person owns, in one audited batch (administrators)")
def handovers_create_api(request: ApiRequest, payload: HandoverIn) -> Any:
    if not permissions.can(request.auth, permissions.HANDOVER):
        raise PermissionDeniedError()
    from_user = _user(payload.from_user, "from_user")
    people = get_user_model().objects.in_bulk(payload.receivers)
    missing = [pk for pk in payload.receivers if pk not in people]
    if missing:
        raise ValidationError({"receivers": [_("There is no such user.")]})
    handover = handover_execute(actor=request.auth, from_user=from_user,
                                receivers=[people[pk] for pk in payload.receivers], mode=payload.mode,
                                assignments=payload.assignments, reason=payload.reason,
                                keep_read_until=payload.keep_read_until, departed=payload.departed)
    return Status(201, handover)


# ---------------------------------------------------------------- account team


class TeamMemberOut(Schema):
    user: int = Field(..., alias="user_id")
    name: str
    access: str
    expires_at: datetime.datetime | None
    expired: bool
    added_by: int | None = Field(None, alias="added_by_id")
    added_at: datetime.datetime

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return person_name(obj.user)

    @staticmethod
    def resolve_expired(obj: Any) -> bool:
        from django.utils import timezone

        return obj.expires_at is not None and obj.expires_at <= timezone.now()


class TeamMemberIn(In):
    user: int
    access: str = Field("read", json_schema_extra={"enum": ["read", "write"]})
    until: datetime.date | None = Field(None, description="The last day of access; null for no end.")


def _customer(request: ApiRequest, customer_id: int) -> Customer:
    return customer_get(user=request.auth, pk=customer_id)


@router.get("/customers/{int:customer_id}/team", response=list[TeamMemberOut], tags=["account team"],
            summary="The customer's account team (团队成员)")
def team_list_api(request: ApiRequest, customer_id: int) -> Any:
    return team_of(user=request.auth, customer=_customer(request, customer_id))


@router.post("/customers/{int:customer_id}/team", response={200: TeamMemberOut}, tags=["account team"],
             summary="Add a team member or change their access (the owner or a manager)")
def team_set_api(request: ApiRequest, customer_id: int, payload: TeamMemberIn) -> Any:
    member = team_member_set(actor=request.auth, customer=_customer(request, customer_id),
                             user=_user(payload.user, "user"), access=payload.access, until=payload.until)
    return member


@router.delete("/customers/{int:customer_id}/team/{int:user_id}", response={204: None}, tags=["account team"])
def team_remove_api(request: ApiRequest, customer_id: int, user_id: int) -> Any:
    team_member_remove(actor=request.auth, customer=_customer(request, customer_id), user=user_id)
    return Status(204, None)


# ---------------------------------------------------------------- relationships


class RepRowOut(Schema):
    user: int
    name: str
    customers: int
    at_risk: int = Field(..., description="Customers nobody but the owner followed up in the last 180 days.")
    share: float


class CustomerRelationshipOut(Schema):
    follow_ups: int
    top_person: int | None
    top_person_name: str
    top_share: float | None
    people_recently: int
    window_days: int
    key_person_risk: bool


@router.get("/relationships", response=list[RepRowOut], tags=["relationships"],
            summary="Key-person risk per rep (managers, administrators, analysts)")
def relationships_api(request: ApiRequest, sort: str = "-at_risk") -> Any:
    if sort not in REPORT_SORTS:
        raise query_error({"sort": [_("Use one of: %(sorts)s.") % {"sorts": ", ".join(REPORT_SORTS)}]})
    return [{"user": r.user.pk, "name": person_name(r.user), "customers": r.customers, "at_risk": r.at_risk,
             "share": round(r.share, 4)} for r in rep_report(user=request.auth, sort=sort)]


@router.get("/customers/{int:customer_id}/relationship", response=CustomerRelationshipOut, tags=["relationships"],
            summary="How widely the customer is known in the company")
def customer_relationship_api(request: ApiRequest, customer_id: int) -> Any:
    m = customer_relationship(customer=_customer(request, customer_id))
    return {"follow_ups": m.follow_ups, "top_person": getattr(m.top_person, "pk", None),
            "top_person_name": person_name(m.top_person) if m.top_person else "", "top_share": m.top_share,
            "people_recently": m.people_recently, "window_days": m.window_days,
            "key_person_risk": m.key_person_risk}


