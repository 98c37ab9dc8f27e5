"""REST endpoints for leads, campaigns, the duplicate check (查重), lead import and the lead rules.
Thin: parse -> selector/service -> schema. A lead the user may not see answers 404."""

# No `from __future__ import annotations`: ninja reads these signatures through `@paginate`.
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router
from ninja.errors import ValidationError as NinjaValidationError
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.customers.models import Customer
from guanxi.customers.selectors.customers import customer_get
from guanxi.customers.services.exports import XLSX, export_http_response
from guanxi.governance import permissions
from guanxi.governance.models import Department
from guanxi.governance.selectors import active_users

from .filters import LeadFilter
from .models import Campaign, Lead
from .schemas_leads import (
    LEAD_TEXT,
    ActivityIn,
    ActivityOut,
    AssignIn,
    AssignmentRuleIn,
    AssignmentRuleOut,
    AssignmentRulePatch,
    BulkAssignIn,
    CampaignIn,
    CampaignOut,
    CampaignPatch,
    CampaignStatsOut,
    ConvertIn,
    ConvertOut,
    DuplicateCheckIn,
    DuplicateCheckOut,
    DuplicateRuleIn,
    DuplicateRuleOut,
    DuplicatesOut,
    ImportReportOut,
    LeadIn,
    LeadListQuery,
    LeadOut,
    LeadPatch,
    OwnerChangeOut,
    SourceRateOut,
    StatusIn,
    match_rows,
)
from .selectors import leads as sel
from .services import assignment, conversion, dedup, lead_import
from .services import leads as svc
from .services.lead_export import lead_export_prepare

router = Router(tags=["leads"])


class ApiRequest(HttpRequest):
    auth: Any


def _require(user: Any, capability: str) -> None:
    if not permissions.can(user, capability):
        raise PermissionDeniedError()


def _user(field: str, user_id: int | None) -> Any:
    if user_id is None:
        return None
    user = active_users().filter(pk=user_id).first()
    if user is None:
        raise ValidationError({field: [_("There is no active user with this id.")]})
    return user


def _campaign(campaign_id: int | None) -> Campaign | None:
    if campaign_id is None:
        return None
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None:
        raise ValidationError({"campaign": [_("Unknown campaign.")]})
    return campaign


def _duplicates(exc: dedup.DuplicatesFound) -> Any:
    return Status(409, {"detail": exc.message, "matches": match_rows(exc.matches)})


def _out(user: Any, lead: Lead) -> Lead:
    return lead  # LeadOut masks the mobile and email per the request's user


# ---------------------------------------------------------------- leads


@router.get("/leads", response=list[LeadOut], summary="List leads (search, filters, sort)")
@paginate
def lead_list(request: ApiRequest, filters: Query[LeadListQuery]) -> Any:  # type: ignore[valid-type]
    form = LeadFilter(filters.model_dump(exclude_none=True))  # type: ignore[attr-defined]
    if not form.is_valid():
        raise NinjaValidationError([{"loc": ("query", k), "msg": str(m), "type": "value_error"}
                                    for k, v in form.errors.items() for m in v])
    return sel.lead_list(user=request.auth, filters=form)


@router.get("/leads/export.{fmt}", summary="Export leads with the list's filters (CSV or Excel)",
            response={200: None}, openapi_extra={"responses": {"200": {"content": {XLSX: {}, "text/csv": {}}}}})
def lead_export(request: ApiRequest, fmt: Literal["csv", "xlsx"],
                filters: Query[LeadListQuery]) -> HttpResponseBase:  # type: ignore[valid-type]
    """Takes the lead list's query parameters (`GET /api/leads`: q, status, source, campaign, owner, province,
    score_min, score_max, sort).

    Needs the export permission; each export is audited and counts towards your role's daily row limit: an
    export over it is refused with 403 (the detail says how many rows are left today) and nothing is exported.
    The file names its exporter and the time (file name, last row, Excel document properties); mobiles and
    emails are masked as in the list for leads you do not own."""
    _require(request.auth, permissions.EXPORT)
    form = LeadFilter(filters.model_dump(exclude_none=True))  # type: ignore[attr-defined]
    if not form.is_valid():
        raise NinjaValidationError([{"loc": ("query", k), "msg": str(m), "type": "value_error"}
                                    for k, v in form.errors.items() for m in v])
    export = lead_export_prepare(user=request.auth, filters=form, fmt=fmt, params=form.cleaned_data)
    return export_http_response(export)


@router.post("/leads", response={201: LeadOut, 409: DuplicatesOut},
             summary="Create a lead (409 with the matches when the duplicate check warns)")
def lead_create(request: ApiRequest, payload: LeadIn) -> Any:
    actor = request.auth
    _require(actor, permissions.CHANGE)
    data = payload.model_dump()
    confirm = data.pop("confirm_duplicates")
    auto = data.pop("auto_assign")
    owner_id = data.pop("owner")
    owner: Any = svc.UNSET
    if auto:
        owner = svc.AUTO
    elif "owner" in payload.model_fields_set:
        owner = _user("owner", owner_id)
    data["campaign"] = _campaign(data.pop("campaign", None))
    try:
        lead = svc.lead_create(actor=actor, data=data, owner=owner, confirm_duplicates=confirm)
    except dedup.DuplicatesFound as exc:
        return _duplicates(exc)
    return Status(201, _out(actor, Lead.objects.select_related("owner").get(pk=lead.pk)))


@router.get("/leads/{int:lead_id}", response=LeadOut, summary="Get a lead")
def lead_detail(request: ApiRequest, lead_id: int) -> Any:
    return _out(request.auth, sel.lead_get(user=request.auth, pk=lead_id))


@router.patch("/leads/{int:lead_id}", response={200: LeadOut, 409: DuplicatesOut},
              summary="Change a lead (send the `version` you read)")
def lead_update(request: ApiRequest, lead_id: int, payload: LeadPatch) -> Any:
    actor = request.auth
    lead = sel.lead_get(user=actor, pk=lead_id, for_change=True)
    data = payload.model_dump(exclude_unset=True)
    for name in LEAD_TEXT:
        if name in data and data[name] is None:
            data[name] = ""
    version = data.pop("version")
    confirm = data.pop("confirm_duplicates", False)
    if "campaign" in data:
        data["campaign"] = _campaign(data["campaign"])
    try:
        svc.lead_update(actor=actor, lead=lead, data=data, version=version, confirm_duplicates=confirm)
    except dedup.DuplicatesFound as exc:
        return _duplicates(exc)
    return _out(actor, sel.lead_get(user=actor, pk=lead_id))


@router.delete("/leads/{int:lead_id}", response={204: None}, summary="Move a lead to the recycle bin")
def lead_delete(request: ApiRequest, lead_id: int, version: int | None = None) -> Any:
    actor = request.auth
    lead = sel.lead_get(user=actor, pk=lead_id, for_change=True)
    _require(actor, permissions.DELETE)
    svc.lead_delete(actor=actor, lead=lead, version=version)
    return Status(204, None)


@router.post("/leads/{int:lead_id}/status", response=LeadOut,
             summary="Change a lead's status (disqualifying needs a reason)")
def lead_status(request: ApiRequest, lead_id: int, payload: StatusIn) -> Any:
    actor = request.auth
    lead = sel.lead_get(user=actor, pk=lead_id, for_change=True)
    svc.lead_set_status(actor=actor, lead=lead, status=payload.status, reason=payload.reason,
                        version=payload.version)
    return _out(actor, sel.lead_get(user=actor, pk=lead_id))


@router.post("/leads/{int:lead_id}/assign", response=LeadOut,
             summary="Assign or reassign a lead (a reason is required to reassign)")
def lead_assign(request: ApiRequest, lead_id: int, payload: AssignIn) -> Any:
    actor = request.auth
    lead = sel.lead_get(user=actor, pk=lead_id, for_change=True)
    assignment.lead_assign(actor=actor, lead=lead, owner=_user("owner", payload.owner), reason=payload.reason,
                           version=payload.version)
    return _out(actor, sel.lead_get(user=actor, pk=lead_id))


@router.post("/leads/assign", response=dict[str, int], summary="Assign many leads at once (all or nothing)")
def lead_bulk_assign(request: ApiRequest, payload: BulkAssignIn) -> Any:
    actor = request.auth
    leads = sel.leads_for_change(user=actor, ids=payload.leads)
    missing = sorted(set(payload.leads) - {lead.pk for lead in leads})
    if missing:
        raise ValidationError({"leads": [_("You cannot change these leads: %(ids)s.")
                                         % {"ids": ", ".join(map(str, missing))}]})
    done = assignment.lead_bulk_assign(actor=actor, leads=leads, owner=_user("owner", payload.owner),
                                       reason=payload.reason)
    return {"assigned": done}


@router.post("/leads/{int:lead_id}/convert", response={200: ConvertOut, 409: DuplicatesOut},
             summary="Convert a lead into a customer, contact and optional opportunity")
def lead_convert(request: ApiRequest, lead_id: int, payload: ConvertIn) -> Any:
    actor = request.auth
    lead = sel.lead_get(user=actor, pk=lead_id, for_change=True)
    customer: Customer | None = None
    if payload.customer is not None:
        try:
            customer = customer_get(user=actor, pk=payload.customer, for_change=True)
        except (NotFoundError, PermissionDeniedError):
            raise ValidationError({"customer": [_("You cannot add to this customer.")]}) from None
    try:
        lead = conversion.lead_convert(
            actor=actor, lead=lead, customer=customer, kind=payload.kind, customer_name=payload.customer_name,
            create_opportunity=payload.create_opportunity, opportunity_name=payload.opportunity_name,
            amount=payload.amount, expected_close_date=payload.expected_close_date, version=payload.version,
            confirm_duplicates=payload.confirm_duplicates)
    except dedup.DuplicatesFound as exc:
        return _duplicates(exc)
    return {"lead": lead.pk, "customer": lead.converted_customer_id, "opportunity": lead.converted_opportunity_id}


@router.get("/leads/{int:lead_id}/activities", response=list[ActivityOut], summary="A lead's follow-ups")
def lead_activities(request: ApiRequest, lead_id: int) -> Any:
    return list(sel.activities_of(sel.lead_get(user=request.auth, pk=lead_id))[:500])


@router.post("/leads/{int:lead_id}/activities", response={201: ActivityOut}, summary="Log a follow-up on a lead")
def lead_activity_create(request: ApiRequest, lead_id: int, payload: ActivityIn) -> Any:
    actor = request.auth
    lead = sel.lead_get(user=actor, pk=lead_id, for_change=True)
    return Status(201, svc.lead_activity_create(actor=actor, lead=lead, data=payload.model_dump(exclude_none=True)))


@router.get("/leads/{int:lead_id}/owner-changes", response=list[OwnerChangeOut],
            summary="Every change of the lead's owner, newest first")
def lead_owner_changes(request: ApiRequest, lead_id: int) -> Any:
    return list(sel.owner_changes_of(sel.lead_get(user=request.auth, pk=lead_id))[:500])


@router.post("/leads/import", response=ImportReportOut,
             summary="Check (dry run) or import a CSV/Excel file of leads; row-level error report")
def lead_import_file(request: ApiRequest, file: File[UploadedFile], dry_run: Form[bool] = True,
                     mode: Form[str] = "all", assign: Form[str] = "rules", mapping: Form[str] = "",
                     confirm_duplicates: Form[bool] = False) -> Any:
    actor = request.auth
    _require(actor, permissions.IMPORT)
    columns = [c.strip() for c in mapping.split(",")] if mapping else None
    try:
        report = lead_import.lead_import(actor=actor, content=file.read(), filename=file.name or "",
                                         mapping=columns, dry_run=dry_run, mode=mode, assign=assign,
                                         confirm_duplicates=confirm_duplicates)
    except lead_import.ImportFileError as exc:
        raise ValidationError({"file": [exc.message]}) from None
    return report.as_dict()


# ---------------------------------------------------------------- duplicate check


@router.post("/duplicates/check", response=DuplicateCheckOut,
             summary="Duplicate check (查重): leads and customers matching a mobile, email, company or credit code")
def duplicate_check(request: ApiRequest, payload: DuplicateCheckIn) -> Any:
    actor = request.auth
    _require(actor, permissions.VIEW)
    exclude = ("lead", payload.exclude_lead) if payload.exclude_lead else (
        ("customer", payload.exclude_customer) if payload.exclude_customer else None)
    matches = dedup.find_duplicates(actor=actor, mobile=payload.mobile, email=payload.email, company=payload.company,
                                    credit_code=payload.credit_code, exclude=exclude)
    return {"matches": match_rows(matches), "rules": dedup.duplicate_rules()}


# ---------------------------------------------------------------- campaigns


@router.get("/campaigns", response=list[CampaignOut], summary="List campaigns with their lead counts")
def campaign_list(request: ApiRequest, active: bool | None = None) -> Any:
    return list(sel.campaign_list(user=request.auth, active=active)[:1000])


@router.post("/campaigns", response={201: CampaignOut}, summary="Create a campaign")
def campaign_create(request: ApiRequest, payload: CampaignIn) -> Any:
    actor = request.auth
    if not permissions.can(actor, permissions.MANAGE_CAMPAIGNS):
        raise PermissionDeniedError()
    data = payload.model_dump()
    data["department"] = _department(data.pop("department"))
    campaign = svc.campaign_create(actor=actor, data=data)
    return Status(201, campaign)


def _department(pk: int | None) -> Department | None:
    if pk is None:
        return None
    department = Department.objects.filter(pk=pk).first()
    if department is None:
        raise ValidationError({"department": [_("Unknown department.")]})
    return department


@router.get("/campaigns/{int:campaign_id}", response=CampaignOut, summary="Get a campaign")
def campaign_detail(request: ApiRequest, campaign_id: int) -> Any:
    return sel.campaign_get(user=request.auth, pk=campaign_id)


@router.patch("/campaigns/{int:campaign_id}", response=CampaignOut, summary="Change a campaign")
def campaign_update(request: ApiRequest, campaign_id: int, payload: CampaignPatch) -> Any:
    actor = request.auth
    campaign = sel.campaign_get(user=actor, pk=campaign_id, for_change=True)
    data = payload.model_dump(exclude_unset=True)
    if "department" in data:
        data["department"] = _department(data["department"])
    return svc.campaign_update(actor=actor, campaign=campaign, data=data)


@router.get("/campaigns/{int:campaign_id}/stats", response=CampaignStatsOut,
            summary="A campaign's leads, converted leads and conversion rate, by source")
def campaign_stats(request: ApiRequest, campaign_id: int) -> Any:
    return sel.campaign_stats(sel.campaign_get(user=request.auth, pk=campaign_id))


@router.get("/leads/conversion-by-source", response=list[SourceRateOut],
            summary="Lead conversion rate per source")
def conversion_by_source(request: ApiRequest) -> Any:
    _require(request.auth, permissions.VIEW)
    return sel.conversion_by_source()


# ---------------------------------------------------------------- rules (admins)


@router.get("/lead-rules/duplicates", response=list[DuplicateRuleOut], summary="Duplicate check rules")
def duplicate_rule_list(request: ApiRequest) -> Any:
    return sel.duplicate_rule_list(user=request.auth)


@router.put("/lead-rules/duplicates/{field}", response=DuplicateRuleOut,
            summary="Set what happens when a field matches: block, warn or allow")
def duplicate_rule_set(request: ApiRequest, field: str, payload: DuplicateRuleIn) -> Any:
    actor = request.auth
    sel.duplicate_rule_list(user=actor)  # admins only
    return svc.duplicate_rule_set(actor=actor, field=field, action=payload.action)


@router.get("/lead-rules/assignment", response=list[AssignmentRuleOut], summary="Assignment rules, in order")
def assignment_rule_list(request: ApiRequest) -> Any:
    return list(sel.assignment_rule_list(user=request.auth))


def _rule_data(actor: Any, data: dict[str, Any]) -> tuple[dict[str, Any], list[Any] | None]:
    members = None
    if "members" in data:
        ids = data.pop("members") or []
        members = list(active_users().filter(pk__in=ids))
        if len(members) != len(set(ids)):
            raise ValidationError({"members": [_("There is no active user with this id.")]})
    if "department" in data:
        data["department"] = _department(data["department"])
        if data["department"] is None:
            raise ValidationError({"department": [_("This field is required.")]})
    return data, members


@router.post("/lead-rules/assignment", response={201: AssignmentRuleOut}, summary="Create an assignment rule")
def assignment_rule_create(request: ApiRequest, payload: AssignmentRuleIn) -> Any:
    actor = request.auth
    sel.assignment_rule_list(user=actor)
    data, members = _rule_data(actor, payload.model_dump())
    return Status(201, svc.assignment_rule_save(actor=actor, rule=None, data=data, members=members))


@router.patch("/lead-rules/assignment/{int:rule_id}", response=AssignmentRuleOut,
              summary="Change an assignment rule")
def assignment_rule_update(request: ApiRequest, rule_id: int, payload: AssignmentRulePatch) -> Any:
    actor = request.auth
    rule = sel.assignment_rule_get(user=actor, pk=rule_id)
    data, members = _rule_data(actor, payload.model_dump(exclude_unset=True))
    return svc.assignment_rule_save(actor=actor, rule=rule, data=data, members=members)


@router.delete("/lead-rules/assignment/{int:rule_id}", response={204: None}, summary="Delete an assignment rule")
def assignment_rule_delete(request: ApiRequest, rule_id: int) -> Any:
    actor = request.auth
    svc.assignment_rule_delete(actor=actor, rule=sel.assignment_rule_get(user=actor, pk=rule_id))
    return Status(204, None)
