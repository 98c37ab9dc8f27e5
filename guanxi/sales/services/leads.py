"""Writes on leads (线索), their follow-ups and status, campaigns, and the lead rules admins edit.

Every entry path (web form, API, public web form, import) goes through `lead_create`, so each one
normalises the same way and runs the same duplicate check (查重).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.core.text import company_key, normalize_phone
from guanxi.customers.models import Customer, Interaction
from guanxi.customers.services.records import record_create, record_restore, record_soft_delete, record_update
from guanxi.governance import permissions
from guanxi.governance.models import AuditLog
from guanxi.governance.services import audit_record, diff, snapshot

from ..models import AssignmentRule, Campaign, DuplicateRule, Lead, LeadActivity
from .assignment import _department_of, auto_assign, check_assignable, log_owner_change
from .dedup import check_duplicates

UNSET: Any = object()
AUTO: Any = object()  # owner chosen by the assignment rules

DEDUP_FIELDS = ("mobile", "email", "company", "credit_code")
TEXT_FIELDS = ("name", "company", "title", "province", "city", "industry", "notes", "external_id")


def normalise_lead_data(data: dict[str, Any]) -> dict[str, Any]:
    """Trim text, mobile to E.164, email lower-case, credit code upper-case; errors keyed by field."""
    data = dict(data)
    for name in TEXT_FIELDS:
        if name in data and isinstance(data[name], str):
            data[name] = data[name].strip()
    if "mobile" in data:
        try:
            data["mobile"] = normalize_phone(data["mobile"] or "")
        except ValidationError as exc:
            raise ValidationError({"mobile": exc.messages}) from None
    if "email" in data:
        data["email"] = (data["email"] or "").strip().lower()
    if "credit_code" in data:
        data["credit_code"] = (data["credit_code"] or "").strip().upper()
    campaign = data.get("campaign")
    if campaign is not None and not isinstance(campaign, Campaign):
        raise ValidationError({"campaign": [_("Unknown campaign.")]})
    return data


def _dedup_values(lead: Lead) -> dict[str, Any]:
    return {name: getattr(lead, name) for name in DEDUP_FIELDS}


@transaction.atomic
def lead_create(*, actor: Any, data: dict[str, Any], owner: Any = UNSET, confirm_duplicates: bool = False) -> Lead:
    """Create a lead after the duplicate check. owner: UNSET = the actor, AUTO = the assignment rules,
    None = unassigned, or a user."""
    data = normalise_lead_data(data)
    lead = Lead(**data, created_by=actor if getattr(actor, "pk", None) else None)
    lead.company_key = company_key(lead.company)
    if owner is UNSET:
        owner = actor if getattr(actor, "pk", None) else None
    if owner is not AUTO:
        check_assignable(actor, owner)
        lead.owner = owner
    if lead.department_id is None:
        lead.department = _department_of(lead.owner) or _department_of(actor)
    lead.full_clean()
    check_duplicates(actor=actor, values=_dedup_values(lead), confirmed=confirm_duplicates)
    record_create(actor=actor, instance=lead)
    if owner is AUTO:
        auto_assign(actor=actor, lead=lead)
    elif lead.owner is not None:
        log_owner_change(actor=actor, entity="lead", object_id=lead.pk, kind="assign", from_user=None,
                         to_user=lead.owner, reason=_("Created"))
    return lead


def _not_converted(lead: Lead) -> None:
    if lead.status == Lead.Status.CONVERTED:
        raise ValidationError(_("This lead has been converted; change the customer instead."))


@transaction.atomic
def lead_update(*, actor: Any, lead: Lead, data: dict[str, Any], version: int | None,
                confirm_duplicates: bool = False) -> Lead:
    """Change a lead's details (not its owner: see `lead_assign`; not its status: see `lead_set_status`)."""
    _not_converted(lead)
    data = normalise_lead_data(data)
    for name in ("owner", "status", "converted_at", "converted_customer", "converted_opportunity", "company_key"):
        data.pop(name, None)
    if "company" in data:
        data["company_key"] = company_key(data["company"])
    probe = Lead(**{**{n: getattr(lead, n) for n in DEDUP_FIELDS}, **{k: v for k, v in data.items()
                                                                      if k in DEDUP_FIELDS}})
    changed = [n for n in DEDUP_FIELDS if getattr(probe, n) != getattr(lead, n)]
    if changed:
        check_duplicates(actor=actor, values={n: getattr(probe, n) for n in changed}, exclude=("lead", lead.pk),
                         confirmed=confirm_duplicates)
    return record_update(actor=actor, instance=lead, data=data, version=version)


@transaction.atomic
def lead_set_status(*, actor: Any, lead: Lead, status: str, reason: str = "", version: int | None = None) -> Lead:
    """Move a lead between new / contacted / qualified / disqualified. Disqualifying needs a reason;
    "converted" is reached only by converting."""
    _not_converted(lead)
    if status == Lead.Status.CONVERTED:
        raise ValidationError({"status": [_("Convert the lead to make it a customer.")]})
    if status not in Lead.Status.values:
        raise ValidationError({"status": [_("Select a valid choice.")]})
    reason = (reason or "").strip()
    data: dict[str, Any] = {"status": status}
    if status == Lead.Status.DISQUALIFIED:
        if not reason:
            raise ValidationError({"disqualify_reason": [_("Say why the lead is disqualified.")]})
        data["disqualify_reason"] = reason[:200]
    else:
        data["disqualify_reason"] = ""
    return record_update(actor=actor, instance=lead, data=data, version=version)


@transaction.atomic
def lead_delete(*, actor: Any, lead: Lead, version: int | None = None) -> Lead:
    return record_soft_delete(actor=actor, instance=lead, version=version)


@transaction.atomic
def lead_restore(*, actor: Any, lead: Lead) -> Lead:
    """Back from the recycle bin (audited). Only someone whose bin holds the lead (`restorable_by`: the
    RESTORE capability and the lead's scope); a lead that is not deleted is a NotFoundError."""
    if not Lead.objects.restorable_by(actor).filter(pk=lead.pk).exists():
        if not permissions.can(actor, permissions.RESTORE):
            raise PermissionDeniedError()
        raise NotFoundError()
    return record_restore(actor=actor, instance=lead)


@transaction.atomic
def lead_activity_create(*, actor: Any, lead: Lead, data: dict[str, Any]) -> LeadActivity:
    """Log a follow-up on a lead; a new lead becomes "contacted"."""
    _not_converted(lead)
    data = dict(data)
    if not data.get("occurred_at"):
        data["occurred_at"] = timezone.now()
    activity = LeadActivity(lead=lead, staff=actor if getattr(actor, "pk", None) else None, **data)
    activity.full_clean(exclude=["staff"])
    activity.save()
    audit_record(actor=actor, action=AuditLog.Action.CREATE, instance=activity,
                 changes=diff({}, snapshot(activity, ["lead_id", "channel", "summary", "occurred_at"])))
    Lead.objects.filter(pk=lead.pk).filter(
        Q(last_interaction_at__isnull=True) | Q(last_interaction_at__lt=activity.occurred_at)
    ).update(last_interaction_at=activity.occurred_at)
    if lead.status == Lead.Status.NEW:
        Lead.objects.filter(pk=lead.pk, status=Lead.Status.NEW).update(status=Lead.Status.CONTACTED,
                                                                       version=F("version") + 1)
    return activity


# ---------------------------------------------------------------- campaigns


@transaction.atomic
def campaign_create(*, actor: Any, data: dict[str, Any]) -> Campaign:
    if not permissions.can(actor, permissions.MANAGE_CAMPAIGNS):
        raise PermissionDeniedError()
    campaign = Campaign(**data)
    _check_dates(campaign)
    return record_create(actor=actor, instance=campaign)


@transaction.atomic
def campaign_update(*, actor: Any, campaign: Campaign, data: dict[str, Any]) -> Campaign:
    if not permissions.can(actor, permissions.MANAGE_CAMPAIGNS):
        raise PermissionDeniedError()
    probe = Campaign(**{**{f: getattr(campaign, f) for f in ("starts_on", "ends_on")},
                        **{k: v for k, v in data.items() if k in ("starts_on", "ends_on")}})
    _check_dates(probe)
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    before = snapshot(locked)
    for name, value in data.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked.save()
    changes = diff(before, snapshot(locked))
    if changes:
        audit_record(actor=actor, action=AuditLog.Action.UPDATE, instance=locked, changes=changes)
    return locked


def _check_dates(campaign: Campaign) -> None:
    if campaign.starts_on and campaign.ends_on and campaign.ends_on < campaign.starts_on:
        raise ValidationError({"ends_on": [_("The end date must not be before the start date.")]})


# ---------------------------------------------------------------- rules (admins)


@transaction.atomic
def duplicate_rule_set(*, actor: Any, field: str, action: str) -> DuplicateRule:
    if field not in DuplicateRule.Field.values:
        raise ValidationError({"field": [_("Select a valid choice.")]})
    if action not in DuplicateRule.Action.values:
        raise ValidationError({"action": [_("Select a valid choice.")]})
    rule, _created = DuplicateRule.objects.select_for_update().get_or_create(field=field,
                                                                              defaults={"action": action})
    if rule.action != action or _created:
        before = rule.action if not _created else None
        rule.action = action
        rule.save()
        audit_record(actor=actor, action=AuditLog.Action.UPDATE, instance=rule, changes={"action": [before, action]})
    return rule


def _clean_rule(rule: AssignmentRule) -> None:
    rule.full_clean()
    if rule.method != AssignmentRule.Method.ROUND_ROBIN and not rule.match_values.strip():
        raise ValidationError({"match_values": [_("List the provinces or industries this rule is for.")]})


@transaction.atomic
def assignment_rule_save(*, actor: Any, rule: AssignmentRule | None, data: dict[str, Any],
                         members: list[Any] | None = None) -> AssignmentRule:
    """Create (rule=None) or change an assignment rule; `members` replaces the member list when given."""
    creating = rule is None
    instance = AssignmentRule() if rule is None else AssignmentRule.objects.select_for_update().get(pk=rule.pk)
    before = {} if creating else snapshot(instance)
    for name, value in data.items():
        setattr(instance, name, value)
    _clean_rule(instance)
    instance.save()
    if members is not None:
        instance.members.set(members)
    changes = diff(before, snapshot(instance))
    if members is not None:
        changes["members"] = [None, sorted(u.pk for u in members)]
    audit_record(actor=actor, action=AuditLog.Action.CREATE if creating else AuditLog.Action.UPDATE,
                 instance=instance, changes=changes)
    return instance


@transaction.atomic
def assignment_rule_delete(*, actor: Any, rule: AssignmentRule) -> None:
    audit_record(actor=actor, action=AuditLog.Action.DELETE, instance=rule)
    rule.delete()


@transaction.atomic
def web_form_repeat(*, lead: Lead | None = None, customer: Customer | None = None, summary: str,
                    content: str) -> None:
    """A visitor sent the public web form again for a record that exists (a blocking duplicate): keep the
    message on that record instead of a new lead. Inbound, by nobody on staff: the follow-up clock of the
    public pool is not reset."""
    if lead is not None:
        if lead.status != Lead.Status.CONVERTED:
            activity = LeadActivity(lead=lead, channel="note", summary=summary[:200], content=content,
                                    occurred_at=timezone.now())
            activity.full_clean(exclude=["staff"])
            activity.save()
            audit_record(actor=None, action=AuditLog.Action.CREATE, instance=activity,
                         changes={"summary": [None, activity.summary]})
        return
    if customer is not None:
        interaction = Interaction(customer=customer, channel=Interaction.Channel.NOTE,
                                  direction=Interaction.Direction.INBOUND, summary=summary[:200], content=content,
                                  occurred_at=timezone.now())
        interaction.full_clean(exclude=["staff"])
        interaction.save()
        audit_record(actor=None, action=AuditLog.Action.CREATE, instance=interaction,
                     changes={"summary": [None, interaction.summary]}, customer_id=customer.pk)


@transaction.atomic
def lead_reveal(*, actor: Any, lead: Lead) -> Lead:
    """Show a masked mobile and email (号码脱敏) once; audited."""
    audit_record(actor=actor, action=AuditLog.Action.REVEAL, instance=lead,
                 changes={"fields": [None, ["mobile", "email"]]})
    return lead

