"""API shapes for leads, campaigns, the duplicate check and the lead rules."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from guanxi.api.params import filter_query_schema
from guanxi.core.text import person_name
from guanxi.customers.schemas import In
from guanxi.governance import masking

from .filters import LeadFilter
from .models import AssignmentRule, Campaign, DuplicateRule, Lead

LeadListQuery = filter_query_schema(LeadFilter, "LeadListQuery")

LEAD_TEXT = ("company", "title", "mobile", "email", "credit_code", "province", "city", "industry", "notes",
             "external_id")


class LeadOut(Schema):
    id: int
    name: str
    company: str
    title: str
    mobile: str = Field(..., description="E.164; masked (138****8000) for people who do not own the lead.")
    email: str
    credit_code: str
    province: str
    city: str
    industry: str
    source: str
    campaign: int | None = Field(None, alias="campaign_id")
    status: str
    disqualify_reason: str
    owner: int | None = Field(None, alias="owner_id", description="User id; null means unassigned.")
    owner_name: str = ""
    score: int
    notes: str
    external_id: str
    last_interaction_at: datetime | None
    converted_at: datetime | None
    converted_customer: int | None = Field(None, alias="converted_customer_id")
    converted_opportunity: int | None = Field(None, alias="converted_opportunity_id")
    masked: bool = False
    created_at: datetime
    updated_at: datetime
    version: int

    @staticmethod
    def resolve_owner_name(obj: Lead) -> str:
        return person_name(obj.owner) if obj.owner_id else ""

    @staticmethod
    def resolve_mobile(obj: Lead, context: Any) -> str:
        return masking.mask_value("mobile", obj.mobile) if _masked(obj, context) else obj.mobile

    @staticmethod
    def resolve_email(obj: Lead, context: Any) -> str:
        return masking.mask_value("email", obj.email) if _masked(obj, context) else obj.email

    @staticmethod
    def resolve_masked(obj: Lead, context: Any) -> bool:
        return _masked(obj, context)


def _masked(obj: Lead, context: Any) -> bool:
    """Masking per the requesting user (governance.masking, one rule for leads and contacts); the role
    policy is read once per request."""
    request = (context or {}).get("request")
    if request is None:
        return True
    return masking.for_request(request).should_mask_lead(obj)


class LeadIn(In):
    name: str
    company: str = ""
    title: str = ""
    mobile: str = Field("", description="Stored as E.164; Chinese numbers need no +86.")
    email: str = ""
    credit_code: str = ""
    province: str = ""
    city: str = ""
    industry: str = ""
    source: Lead.Source = Lead.Source.API
    campaign: int | None = Field(None, description="Campaign id.")
    score: int = Field(0, ge=0, le=100)
    notes: str = ""
    external_id: str = ""
    owner: int | None = Field(None, description="User id; omit to own it yourself, null for nobody.")
    auto_assign: bool = Field(False, description="Let the assignment rules choose the owner (ignores `owner`).")
    confirm_duplicates: bool = Field(False, description="Save even when the duplicate check warns (409 otherwise).")


class LeadPatch(In):
    version: int = Field(..., description="The `version` you read; a stale one is refused with 409.")
    name: str | None = None
    company: str | None = None
    title: str | None = None
    mobile: str | None = None
    email: str | None = None
    credit_code: str | None = None
    province: str | None = None
    city: str | None = None
    industry: str | None = None
    source: Lead.Source | None = None
    campaign: int | None = None
    score: int | None = Field(None, ge=0, le=100)
    notes: str | None = None
    external_id: str | None = None
    confirm_duplicates: bool = False


class StatusIn(In):
    status: Lead.Status
    reason: str = Field("", description="Required when disqualifying.")
    version: int | None = None


class AssignIn(In):
    owner: int | None = Field(..., description="User id; null unassigns.")
    reason: str = Field("", description="Required when the lead already has an owner.")
    version: int | None = None


class BulkAssignIn(In):
    leads: list[int]
    owner: int | None
    reason: str = ""


class ConvertIn(In):
    kind: str = Field("company", description="company or individual (ignored with `customer`).")
    customer: int | None = Field(None, description="Join this existing customer instead of creating one.")
    customer_name: str = Field("", description="Defaults to the lead's company (or name for an individual).")
    create_opportunity: bool = False
    opportunity_name: str = ""
    amount: Decimal | None = Field(None, ge=0)
    expected_close_date: date | None = None
    version: int | None = None
    confirm_duplicates: bool = False


class ConvertOut(Schema):
    lead: int
    customer: int
    opportunity: int | None


class ActivityOut(Schema):
    id: int
    channel: str
    summary: str
    content: str
    occurred_at: datetime
    staff: int | None = Field(None, alias="staff_id")
    created_at: datetime


class ActivityIn(In):
    channel: str = "phone"
    summary: str
    content: str = ""
    occurred_at: datetime | None = Field(None, description="Defaults to now.")


class OwnerChangeOut(Schema):
    kind: str
    from_user: int | None = Field(None, alias="from_user_id")
    to_user: int | None = Field(None, alias="to_user_id")
    actor: int | None = Field(None, alias="actor_id")
    reason: str
    at: datetime


class MatchOut(Schema):
    entity: str
    id: int
    name: str
    owner_name: str
    owner: int | None = Field(None, alias="owner_id")
    last_follow_up: datetime | None
    visible: bool = Field(..., description="False: you may not open it; the name and numbers are masked.")
    fields: list[str]
    mobile: str
    email: str
    status: str


class DuplicateCheckIn(In):
    mobile: str = ""
    email: str = ""
    company: str = ""
    credit_code: str = ""
    exclude_lead: int | None = None
    exclude_customer: int | None = None


class DuplicateCheckOut(Schema):
    matches: list[MatchOut]
    rules: dict[str, str]


class DuplicatesOut(Schema):
    detail: str
    matches: list[MatchOut]


class CampaignOut(Schema):
    id: int
    name: str
    kind: str
    starts_on: date | None
    ends_on: date | None
    budget: Decimal | None
    department: int | None = Field(None, alias="department_id")
    is_active: bool
    lead_count: int = 0
    converted_count: int = 0


class CampaignIn(In):
    name: str
    kind: Campaign.Kind = Campaign.Kind.OTHER
    starts_on: date | None = None
    ends_on: date | None = None
    budget: Decimal | None = Field(None, ge=0)
    department: int | None = None
    is_active: bool = True


class CampaignPatch(In):
    name: str | None = None
    kind: Campaign.Kind | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    budget: Decimal | None = Field(None, ge=0)
    department: int | None = None
    is_active: bool | None = None


class SourceRateOut(Schema):
    source: str
    label: str
    total: int
    converted: int
    rate: Decimal | None = Field(None, description="Converted leads per 100 leads.")


class CampaignStatsOut(Schema):
    total: int
    converted: int
    rate: Decimal | None
    by_source: list[SourceRateOut]


class DuplicateRuleOut(Schema):
    field: str
    action: str


class DuplicateRuleIn(In):
    action: DuplicateRule.Action


class AssignmentRuleOut(Schema):
    id: int
    name: str
    method: str
    match_values: str
    department: int = Field(..., alias="department_id")
    members: list[int]
    position: int
    is_active: bool
    last_assigned: int | None = Field(None, alias="last_assigned_id")

    @staticmethod
    def resolve_members(obj: AssignmentRule) -> list[int]:
        return sorted(u.pk for u in obj.members.all())


class AssignmentRuleIn(In):
    name: str
    method: AssignmentRule.Method = AssignmentRule.Method.ROUND_ROBIN
    match_values: str = ""
    department: int
    members: list[int] = []
    position: int = Field(0, ge=0)
    is_active: bool = True


class AssignmentRulePatch(In):
    name: str | None = None
    method: AssignmentRule.Method | None = None
    match_values: str | None = None
    department: int | None = None
    members: list[int] | None = None
    position: int | None = Field(None, ge=0)
    is_active: bool | None = None


class ImportRowErrorOut(Schema):
    line: int
    field: str
    message: str


class ImportReportOut(Schema):
    headers: list[str]
    mapping: list[str]
    dry_run: bool
    mode: str
    total: int
    created: int
    updated: int
    committed: bool
    bad_lines: int
    encoding: str
    errors: list[ImportRowErrorOut]


def match_rows(matches: list[Any]) -> list[dict[str, Any]]:
    return [m.as_dict() for m in matches]
