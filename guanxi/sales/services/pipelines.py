"""Pipelines and their stages are data an administrator edits (CONFIGURE).

Rules kept here:
- a pipeline always has at least one open, one won and one lost stage;
- a stage that opportunities use (or used: the stage history points at it) cannot be deleted,
  and its kind cannot change (that would silently win or lose those opportunities);
- one pipeline is the company-wide default; a department has at most one pipeline.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from guanxi.core.errors import PermissionDeniedError
from guanxi.governance import permissions
from guanxi.governance.models import AuditLog
from guanxi.governance.services import audit_record, diff, snapshot

from ..models import Opportunity, Pipeline, Stage, StageChange

REQUIRED_KINDS = (Stage.Kind.OPEN, Stage.Kind.WON, Stage.Kind.LOST)

def _require_configure(actor: Any) -> None:
    if not permissions.can(actor, permissions.CONFIGURE):
        raise PermissionDeniedError()


def _check_kinds(kinds: list[str]) -> None:
    missing = [k for k in REQUIRED_KINDS if k not in kinds]
    if missing:
        labels = ", ".join(str(Stage.Kind(k).label) for k in missing)
        raise ValidationError({"kind": [
            _("A pipeline needs at least one open, one won and one lost stage (missing: %(kinds)s).")
            % {"kinds": labels}]})


def _stage_in_use(stage: Stage) -> bool:
    return (Opportunity._base_manager.filter(stage=stage).exists()
            or StageChange.objects.filter(Q(to_stage=stage) | Q(from_stage=stage)).exists())


def _check_department_free(pipeline: Pipeline) -> None:
    if pipeline.department_id is None:
        return
    taken = Pipeline.objects.filter(department_id=pipeline.department_id).exclude(pk=pipeline.pk)
    if taken.exists():
        raise ValidationError({"department": [_("This department already has a pipeline.")]})


def _make_default(pipeline: Pipeline) -> None:
    if pipeline.is_default:
        Pipeline.objects.filter(is_default=True).exclude(pk=pipeline.pk).update(is_default=False)


@transaction.atomic
def pipeline_create(*, actor: Any, data: dict[str, Any], stages: list[dict[str, Any]] | None = None) -> Pipeline:
    """A new pipeline with `stages` (name, probability, kind) or a starter set of open/won/lost stages."""
    _require_configure(actor)
    pipeline = Pipeline(**data)
    pipeline.full_clean()
    _check_department_free(pipeline)
    if stages is None:
        stages = [
            {"name": _("Qualification"), "probability": 10, "kind": Stage.Kind.OPEN},
            {"name": _("Proposal"), "probability": 50, "kind": Stage.Kind.OPEN},
            {"name": _("Negotiation"), "probability": 75, "kind": Stage.Kind.OPEN},
            {"name": _("Won"), "probability": 100, "kind": Stage.Kind.WON},
            {"name": _("Lost"), "probability": 0, "kind": Stage.Kind.LOST},
        ]
    _check_kinds([s.get("kind", Stage.Kind.OPEN) for s in stages])
    if not Pipeline.objects.exists():
        pipeline.is_default = True
    pipeline.save()
    _make_default(pipeline)
    audit_record(actor=actor, action=AuditLog.Action.CREATE, instance=pipeline, changes=diff({}, snapshot(pipeline)))
    for position, values in enumerate(stages):
        stage = Stage(pipeline=pipeline, position=position, **values)
        try:
            stage.full_clean()
        except ValidationError as exc:
            raise ValidationError({f"stages.{position}.{k}": v for k, v in exc.message_dict.items()}) from None
        stage.save()
    return pipeline


@transaction.atomic
def pipeline_update(*, actor: Any, pipeline: Pipeline, data: dict[str, Any]) -> Pipeline:
    _require_configure(actor)
    locked = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    before = snapshot(locked)
    if locked.is_default and data.get("is_default") is False:
        raise ValidationError({"is_default": [
            _("Make another pipeline the default instead; the company always needs one.")]})
    for name, value in data.items():
        setattr(locked, name, value)
    locked.full_clean()
    _check_department_free(locked)
    changes = diff(before, snapshot(locked))
    if changes:
        locked.save()
        _make_default(locked)
        audit_record(actor=actor, action=AuditLog.Action.UPDATE, instance=locked, changes=changes)
    return locked


@transaction.atomic
def pipeline_delete(*, actor: Any, pipeline: Pipeline) -> None:
    _require_configure(actor)
    if pipeline.is_default:
        raise ValidationError({"is_default": [_("The default pipeline cannot be deleted.")]})
    if Opportunity._base_manager.filter(pipeline=pipeline).exists():
        raise ValidationError({"__all__": [
            _("This pipeline has opportunities; move or delete them before deleting the pipeline.")]})
    audit_record(actor=actor, action=AuditLog.Action.DELETE, instance=pipeline)
    pipeline.stages.all().delete()
    pipeline.delete()


@transaction.atomic
def stage_create(*, actor: Any, pipeline: Pipeline, data: dict[str, Any]) -> Stage:
    _require_configure(actor)
    Pipeline.objects.select_for_update().filter(pk=pipeline.pk).first()
    last = Stage.objects.filter(pipeline=pipeline).order_by("-position").values_list("position", flat=True).first()
    data = dict(data)
    data.setdefault("position", (last + 1) if last is not None else 0)
    stage = Stage(pipeline=pipeline, **data)
    stage.full_clean()
    stage.save()
    audit_record(actor=actor, action=AuditLog.Action.CREATE, instance=stage, changes=diff({}, snapshot(stage)))
    return stage


@transaction.atomic
def stage_update(*, actor: Any, stage: Stage, data: dict[str, Any]) -> Stage:
    _require_configure(actor)
    Pipeline.objects.select_for_update().filter(pk=stage.pipeline_id).first()
    locked = Stage.objects.get(pk=stage.pk)
    before = snapshot(locked)
    for name, value in data.items():
        setattr(locked, name, value)
    locked.full_clean()
    if locked.kind != before["kind"]:
        if _stage_in_use(locked):
            raise ValidationError({"kind": [
                _("Opportunities use this stage, so its kind cannot change. Add a new stage instead.")]})
        kinds = list(Stage.objects.filter(pipeline_id=locked.pipeline_id).exclude(pk=locked.pk)
                     .values_list("kind", flat=True))
        _check_kinds([*kinds, locked.kind])
    changes = diff(before, snapshot(locked))
    if changes:
        locked.save()
        audit_record(actor=actor, action=AuditLog.Action.UPDATE, instance=locked, changes=changes)
    return locked


@transaction.atomic
def stage_delete(*, actor: Any, stage: Stage) -> None:
    _require_configure(actor)
    Pipeline.objects.select_for_update().filter(pk=stage.pipeline_id).first()
    if _stage_in_use(stage):
        raise ValidationError({"__all__": [
            _("Opportunities are in this stage or passed through it, so it cannot be deleted. "
              "Rename it, or move its opportunities first.")]})
    kinds = list(Stage.objects.filter(pipeline_id=stage.pipeline_id).exclude(pk=stage.pk)
                 .values_list("kind", flat=True))
    _check_kinds(kinds)
    audit_record(actor=actor, action=AuditLog.Action.DELETE, instance=stage)
    stage.delete()


@transaction.atomic
def stage_reorder(*, actor: Any, pipeline: Pipeline, stage_ids: list[int]) -> list[Stage]:
    """Put the pipeline's stages in the order of `stage_ids` (it must name each of them once)."""
    _require_configure(actor)
    Pipeline.objects.select_for_update().filter(pk=pipeline.pk).first()
    stages = {s.pk: s for s in Stage.objects.filter(pipeline=pipeline)}
    if sorted(stage_ids) != sorted(stages):
        raise ValidationError({"stages": [_("List every stage of this pipeline exactly once.")]})
    before = [s.pk for s in sorted(stages.values(), key=lambda s: (s.position, s.pk))]
    for position, pk in enumerate(stage_ids):
        stages[pk].position = position
    Stage.objects.bulk_update(stages.values(), ["position"])
    if before != list(stage_ids):
        audit_record(actor=actor, action=AuditLog.Action.UPDATE, instance=pipeline,
                     changes={"stages": [before, list(stage_ids)]})
    return [stages[pk] for pk in stage_ids]
