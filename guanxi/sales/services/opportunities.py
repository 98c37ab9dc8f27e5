"""Writes on opportunities (商机): create, edit, move between stages, delete.

Stage moves are the heart of it:
- every move writes a StageChange row (time, actor, from → to, reason) and an audit row with the
  customer's id, so it shows on the customer's timeline;
- moving to a lost or invalid stage needs a reason; moving to won takes an optional note; both set
  `closed_at`;
- a lost or invalid opportunity may be reopened (moved back to an open stage) by anyone who may
  change it; the move is logged;
- a won opportunity stays won: only someone with REOPEN_WON (administrators) may move it to another stage,
  and only with a reason. Winning creates no order (orders come from the order system) and does
  not touch the customer's lifecycle.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from guanxi.customers.models import Customer
from guanxi.customers.services.records import record_restore, record_soft_delete
from guanxi.governance import permissions
from guanxi.governance.models import AuditLog
from guanxi.governance.selectors import assignable_owner_ids
from guanxi.governance.services import audit_record, diff, snapshot

from ..models import Opportunity, OpportunityLine, Pipeline, Stage, StageChange
from ..selectors.opportunities import pipeline_for_customer

EDITABLE_FIELDS = {"name", "amount", "expected_close_date", "owner", "competitors", "notes", "campaign"}
CREATE_FIELDS = EDITABLE_FIELDS | {"pipeline", "stage", "lead"}
NEEDS_REASON = (Stage.Kind.LOST, Stage.Kind.INVALID)
SKIP_AUDIT = {"position", "stage_changed_at"}


def _snap(opportunity: Opportunity) -> dict[str, Any]:
    return {k: v for k, v in snapshot(opportunity).items() if k not in SKIP_AUDIT}


def _check_customer(actor: Any, customer: Customer) -> None:
    if not permissions.can(actor, permissions.CHANGE) or not Customer.objects.editable_by(actor).filter(
            pk=customer.pk).exists():
        raise PermissionDeniedError()


def _check_owner(actor: Any, owner: Any, keep: int | None) -> None:
    """The owner must be someone the actor may assign (the customer's or current owner is always fine)."""
    if owner is None or owner.pk == keep:
        return
    allowed = assignable_owner_ids(actor)
    if allowed is not None and owner.pk not in allowed:
        raise ValidationError({"owner": [_("You cannot make this person the owner.")]})


def _check_fields(data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError({name: [_("This field cannot be set here.")] for name in unknown})


def _build_lines(lines: list[dict[str, Any]]) -> list[OpportunityLine]:
    built, errors = [], {}
    for i, line in enumerate(lines):
        values = dict(line)
        product = values.get("product")
        if values.get("unit_price") is None:
            values["unit_price"] = product.price if product is not None else Decimal("0")
        if values.get("quantity") is None:
            values["quantity"] = Decimal("1")
        ol = OpportunityLine(**values)
        try:
            ol.full_clean(exclude=["opportunity"])
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors[f"lines.{i}.{field}"] = messages
        built.append(ol)
    if errors:
        raise ValidationError(errors)
    return built


def _lines_amount(lines: list[OpportunityLine]) -> Decimal:
    total = sum((Decimal(ol.quantity) * Decimal(ol.unit_price) for ol in lines), Decimal("0"))
    return total.quantize(Decimal("0.01"))


def _first_open_stage(pipeline: Pipeline) -> Stage | None:
    return Stage.objects.filter(pipeline=pipeline, kind=Stage.Kind.OPEN).order_by("position", "id").first()


@transaction.atomic
def opportunity_create(*, actor: Any, customer: Customer, data: dict[str, Any],
                       lines: list[dict[str, Any]] | None = None) -> Opportunity:
    """Create an opportunity for a customer the actor may change.

    `data`: name, amount, expected_close_date, owner (defaults to the customer's owner, else the actor),
    competitors, notes, campaign, lead, pipeline (defaults to the customer's department's, nearest up
    the tree, else the company default) and stage (defaults to the pipeline's first open stage; a new
    opportunity starts open). With `lines` (product, quantity, unit_price — the product's price if
    left out) the amount is their sum.
    """
    _check_customer(actor, customer)
    data = dict(data)
    _check_fields(data, CREATE_FIELDS)
    pipeline = data.pop("pipeline", None) or pipeline_for_customer(customer)
    if pipeline is None:
        raise ValidationError({"pipeline": [_("There is no pipeline yet; an administrator must create one.")]})
    stage = data.pop("stage", None) or _first_open_stage(pipeline)
    if stage is None or stage.pipeline_id != pipeline.pk:
        raise ValidationError({"stage": [_("Choose a stage of the opportunity's pipeline.")]})
    if stage.kind != Stage.Kind.OPEN:
        raise ValidationError({"stage": [_("A new opportunity starts in an open stage; move it to won or lost "
                                           "afterwards.")]})
    if "owner" not in data:
        data["owner"] = customer.owner if customer.owner_id is not None else actor
    _check_owner(actor, data["owner"], customer.owner_id)
    built = _build_lines(lines or [])
    now = timezone.now()
    opportunity = Opportunity(customer=customer, pipeline=pipeline, stage=stage, created_by=actor,
                              stage_changed_at=now, **data)
    if built:
        opportunity.amount = _lines_amount(built)
    opportunity.full_clean()
    opportunity.save()
    for ol in built:
        ol.opportunity = opportunity
    OpportunityLine.objects.bulk_create(built)
    StageChange.objects.create(opportunity=opportunity, from_stage=None, to_stage=stage, at=now,
                               actor=actor if getattr(actor, "pk", None) else None)
    changes = diff({}, _snap(opportunity))
    if built:
        changes["lines"] = [None, [f"{ol.product} × {ol.quantity}" for ol in built]]
    audit_record(actor=actor, action=AuditLog.Action.CREATE, instance=opportunity, changes=changes,
                 customer_id=customer.pk)
    return opportunity


def _lock(opportunity: Opportunity, version: int | None) -> Opportunity:
    locked = Opportunity._base_manager.select_for_update().select_related("stage").get(pk=opportunity.pk)
    if locked.deleted_at is not None:
        raise ConflictError()
    if version is not None and locked.version != version:
        raise ConflictError()
    return locked


@transaction.atomic
def opportunity_update(*, actor: Any, opportunity: Opportunity, data: dict[str, Any], version: int | None,
                       lines: list[dict[str, Any]] | None = None) -> Opportunity:
    """Change the details; `lines=None` keeps the products, a list replaces them (the amount follows).
    The stage changes only through `opportunity_move`."""
    data = dict(data)
    if "stage" in data or "pipeline" in data:
        raise ValidationError({"stage": [_("Use the move action to change the stage.")]})
    _check_fields(data, EDITABLE_FIELDS)
    locked = _lock(opportunity, version)
    _check_customer(actor, locked.customer)
    if "owner" in data:
        _check_owner(actor, data["owner"], locked.owner_id)
    before = _snap(locked)
    for name, value in data.items():
        setattr(locked, name, value)
    built = _build_lines(lines) if lines is not None else None
    old_lines: list[str] = []
    if built is not None:
        old_lines = [f"{ol.product} × {ol.quantity}" for ol in locked.lines.select_related("product")]
        if built:
            locked.amount = _lines_amount(built)
    locked.full_clean()
    changes = diff(before, _snap(locked))
    new_lines = [f"{ol.product} × {ol.quantity}" for ol in built] if built is not None else None
    if new_lines is not None and new_lines != old_lines:
        changes["lines"] = [old_lines, new_lines]
    if not changes and (built is None or not built):
        return locked
    locked.version += 1
    locked.save()
    if built is not None:
        locked.lines.all().delete()
        for ol in built:
            ol.opportunity = locked
        OpportunityLine.objects.bulk_create(built)
    if changes:
        audit_record(actor=actor, action=AuditLog.Action.UPDATE, instance=locked, changes=changes,
                     customer_id=locked.customer_id)
    return locked


@transaction.atomic
def opportunity_move(*, actor: Any, opportunity: Opportunity, stage: Stage, reason: str = "",
                     version: int | None) -> Opportunity:
    """Move to another stage of the same pipeline, with the rules in this module's docstring.

    Raises ConflictError (stale `version`), ValidationError keyed `stage` or `reason` (bad move,
    missing reason), PermissionDeniedError (the actor may not change the opportunity).
    """
    reason = (reason or "").strip()
    locked = _lock(opportunity, version)
    _check_customer(actor, locked.customer)
    current = locked.stage
    if stage.pipeline_id != locked.pipeline_id:
        raise ValidationError({"stage": [_("Choose a stage of the opportunity's pipeline.")]})
    if stage.pk == current.pk:
        return locked
    if len(reason) > StageChange._meta.get_field("reason").max_length:  # type: ignore[operator]
        raise ValidationError({"reason": [_("Keep the reason under 300 characters.")]})
    if current.kind == Stage.Kind.WON and stage.kind != Stage.Kind.WON:
        if not permissions.can(actor, permissions.REOPEN_WON):
            raise ValidationError({"stage": [
                _("This opportunity is won and cannot be moved back. Only an administrator can reopen it, "
                  "with a reason.")]})
        if not reason:
            raise ValidationError({"reason": [_("Say why this won opportunity is reopened.")]})
    if stage.kind in NEEDS_REASON and not reason:
        raise ValidationError({"reason": [_("Say why the opportunity is lost.") if stage.kind == Stage.Kind.LOST
                                          else _("Say why the opportunity is invalid.")]})
    now = timezone.now()
    before = {"stage": current.name, "closed_at": locked.closed_at, "lost_reason": locked.lost_reason}
    locked.stage = stage
    locked.stage_changed_at = now
    if stage.kind == Stage.Kind.OPEN:
        locked.closed_at = None
        locked.lost_reason = ""
    else:
        if current.kind == Stage.Kind.OPEN or locked.closed_at is None or stage.kind != current.kind:
            locked.closed_at = now
        locked.lost_reason = reason
    locked.version += 1
    locked.save(update_fields=["stage", "stage_changed_at", "closed_at", "lost_reason", "version", "updated_at"])
    StageChange.objects.create(opportunity=locked, from_stage=current, to_stage=stage, at=now,
                               actor=actor if getattr(actor, "pk", None) else None, reason=reason)
    after = {"stage": stage.name, "closed_at": locked.closed_at, "lost_reason": locked.lost_reason}
    changes = diff(snapshot_values(before), snapshot_values(after))
    if reason and "lost_reason" not in changes:
        changes["reason"] = ["", reason]
    audit_record(actor=actor, action=AuditLog.Action.UPDATE, instance=locked, changes=changes,
                 customer_id=locked.customer_id)
    return locked


def snapshot_values(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in values.items()}


@transaction.atomic
def opportunity_delete(*, actor: Any, opportunity: Opportunity, version: int | None = None) -> Opportunity:
    """To the recycle bin (a manager or administrator: the DELETE capability)."""
    if not permissions.can(actor, permissions.DELETE):
        raise PermissionDeniedError()
    _check_customer(actor, opportunity.customer)
    return record_soft_delete(actor=actor, instance=opportunity, version=version)


@transaction.atomic
def opportunity_restore(*, actor: Any, opportunity: Opportunity) -> Opportunity:
    """Back from the recycle bin (audited on the customer's timeline). Only someone whose bin holds it
    (`restorable_by`: RESTORE, and a live customer they may change — a deleted customer is restored first)."""
    if not Opportunity.objects.restorable_by(actor).filter(pk=opportunity.pk).exists():
        if not permissions.can(actor, permissions.RESTORE):
            raise PermissionDeniedError()
        raise NotFoundError()
    return record_restore(actor=actor, instance=opportunity)
