"""Converting a lead: customer (new or existing) + primary contact + optional opportunity, in one transaction,
keeping the lead's follow-ups and its campaign attribution."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from guanxi.core.errors import ConflictError
from guanxi.customers.models import Contact, Customer, Interaction
from guanxi.customers.services.customers import contact_create, customer_create
from guanxi.governance.models import AuditLog
from guanxi.governance.services import audit_record, diff, snapshot

from ..models import Lead, Opportunity, OwnerChange, Pipeline, Stage, StageChange
from .assignment import log_owner_change
from .dedup import check_duplicates


def default_first_stage() -> tuple[Pipeline, Stage]:
    """The default pipeline (else the first one) and its first open stage."""
    pipeline = Pipeline.objects.filter(is_default=True).order_by("id").first() or \
        Pipeline.objects.order_by("id").first()
    stage = pipeline.stages.filter(kind=Stage.Kind.OPEN).order_by("position", "id").first() if pipeline else None
    if pipeline is None or stage is None:
        raise ValidationError({"create_opportunity": [
            _("There is no pipeline with an open stage yet; ask an administrator to set one up.")]})
    return pipeline, stage


def opportunity_from_lead(*, actor: Any, lead: Lead, customer: Customer, name: str, amount: Decimal | None,
                          expected_close_date: date | None) -> Opportunity:
    """A new opportunity in the default pipeline's first open stage, with its first StageChange row."""
    pipeline, stage = default_first_stage()
    now = timezone.now()
    opportunity = Opportunity(
        customer=customer, name=(name or "").strip() or _("%(customer)s – first deal") % {"customer": customer.name},
        pipeline=pipeline, stage=stage, amount=amount if amount is not None else Decimal("0"),
        expected_close_date=expected_close_date, owner=customer.owner, campaign=lead.campaign, lead=lead,
        created_by=actor if getattr(actor, "pk", None) else None, stage_changed_at=now,
    )
    try:
        opportunity.full_clean()
    except ValidationError as exc:
        renamed = {("opportunity_name" if k == "name" else k): v for k, v in exc.message_dict.items()}
        raise ValidationError(renamed) from None
    opportunity.save()
    StageChange.objects.create(opportunity=opportunity, from_stage=None, to_stage=stage, at=now,
                               actor=actor if getattr(actor, "pk", None) else None)
    audit_record(actor=actor, action=AuditLog.Action.CREATE, instance=opportunity,
                 changes=diff({}, snapshot(opportunity, ["name", "pipeline_id", "stage_id", "amount", "campaign_id",
                                                         "lead_id"])), customer_id=customer.pk)
    return opportunity


def _source_of(lead: Lead) -> str:
    return (lead.campaign.name if lead.campaign_id and lead.campaign else lead.get_source_display())[:50]


def _copy_activities(lead: Lead, customer: Customer, contact: Contact | None) -> int:
    channels = set(Interaction.Channel.values)
    rows = [
        Interaction(customer=customer, contact=contact,
                    channel=a.channel if a.channel in channels else Interaction.Channel.NOTE,
                    summary=a.summary, content=a.content, occurred_at=a.occurred_at, staff_id=a.staff_id)
        for a in lead.activities.all()
    ]
    if rows:
        Interaction.objects.bulk_create(rows)
        latest = max(r.occurred_at for r in rows)
        Customer.objects.filter(pk=customer.pk).filter(
            Q(last_interaction_at__isnull=True) | Q(last_interaction_at__lt=latest)
        ).update(last_interaction_at=latest)
    return len(rows)


@transaction.atomic
def lead_convert(*, actor: Any, lead: Lead, customer: Customer | None = None, kind: str = Customer.Kind.COMPANY,
                 customer_name: str = "", create_opportunity: bool = False, opportunity_name: str = "",
                 amount: Decimal | None = None, expected_close_date: date | None = None,
                 version: int | None = None, confirm_duplicates: bool = False) -> Lead:
    """Make the lead a customer. With `customer` the lead joins that existing customer (e.g. one 查重 found);
    otherwise a new company or individual customer is created, owned by the lead's owner (or the actor).
    Converting twice is refused and changes nothing."""
    locked = Lead.objects.select_for_update(of=("self",)).select_related("campaign", "owner").get(pk=lead.pk)
    if locked.status == Lead.Status.CONVERTED:
        when = date_format(timezone.localtime(locked.converted_at), "SHORT_DATE_FORMAT") if locked.converted_at \
            else ""
        raise ValidationError(_("This lead was already converted (%(when)s); it cannot be converted twice.")
                              % {"when": when})
    if locked.deleted_at is not None:
        raise ValidationError(_("This lead is in the recycle bin."))
    if locked.status == Lead.Status.DISQUALIFIED:
        raise ValidationError({"status": [_("A disqualified lead cannot be converted; reopen it first.")]})
    if version is not None and locked.version != version:
        raise ConflictError()
    if kind not in Customer.Kind.values:
        raise ValidationError({"kind": [_("Select a valid choice.")]})
    owner = locked.owner or (actor if getattr(actor, "pk", None) else None)

    if customer is None:
        is_company = kind == Customer.Kind.COMPANY
        name = (customer_name or "").strip() or (locked.company if is_company and locked.company else locked.name)
        if is_company:
            check_duplicates(actor=actor, values={"company": name, "credit_code": locked.credit_code,
                                                  "mobile": locked.mobile, "email": locked.email},
                             exclude=("lead", locked.pk), confirmed=confirm_duplicates)
        customer = customer_create(actor=actor, owner=owner, data={
            "kind": kind, "name": name, "credit_code": locked.credit_code if is_company else "",
            "industry": locked.industry, "province": locked.province, "city": locked.city,
            "source": _source_of(locked), "notes": locked.notes,
        })
    elif customer.deleted_at is not None:
        raise ValidationError({"customer": [_("This customer is in the recycle bin.")]})

    contact = None
    existing = Contact.objects.filter(customer=customer, deleted_at__isnull=True)
    if locked.mobile:
        contact = existing.filter(mobile=locked.mobile).first()
    if contact is None and locked.email:
        contact = existing.filter(email=locked.email).first()
    if contact is None:
        contact = contact_create(actor=actor, customer=customer, data={
            "name": locked.name, "title": locked.title, "mobile": locked.mobile, "email": locked.email,
            "is_primary": not existing.exists(),
        })
    opportunity = None
    if create_opportunity:
        opportunity = opportunity_from_lead(actor=actor, lead=locked, customer=customer, name=opportunity_name,
                                            amount=amount, expected_close_date=expected_close_date)
    copied = _copy_activities(locked, customer, contact)

    before = snapshot(locked, ["status", "converted_customer_id", "converted_opportunity_id"])
    locked.status = Lead.Status.CONVERTED
    locked.converted_at = timezone.now()
    locked.converted_customer = customer
    locked.converted_opportunity = opportunity
    locked.version += 1
    locked.save(update_fields=["status", "converted_at", "converted_customer", "converted_opportunity", "version",
                               "updated_at"])
    changes = diff(before, snapshot(locked, ["status", "converted_customer_id", "converted_opportunity_id"]))
    changes["follow_ups_copied"] = [None, copied]
    audit_record(actor=actor, action=AuditLog.Action.UPDATE, instance=locked, changes=changes, customer_id=customer.pk)
    log_owner_change(actor=actor, entity="lead", object_id=locked.pk, kind=OwnerChange.Kind.CONVERT,
                     from_user=locked.owner, to_user=customer.owner,
                     reason=_("Converted to customer “%(name)s”") % {"name": customer.name})
    return locked
