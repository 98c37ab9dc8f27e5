"""Settings › Pipelines (administrators): pipelines per department, their stages, order, probability, kind."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.governance import permissions
from guanxi.web.http import render_page, require, web_view

from ..forms_pipeline import PipelineForm, StageForm
from ..selectors import opportunities as sel
from ..services import pipelines as svc

LIST = "sales/pipeline/settings_pipelines.html"
EDIT = "sales/pipeline/settings_pipeline.html"


def _errors(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


@web_view
def pipeline_list_view(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.CONFIGURE)
    form = PipelineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pipeline = svc.pipeline_create(actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Pipeline “%(name)s” created with starter stages; adjust them below.")
                             % {"name": pipeline.name})
            return redirect("sales:pipeline_settings", pk=pipeline.pk)
    return render_page(request, LIST, {"section": "pipelines", "pipelines": sel.pipeline_list(), "form": form},
                       status=422 if form.is_bound else 200)


def _edit_context(request: HttpRequest, pipeline: object, form: PipelineForm, stage_form: StageForm,
                  edit_stage: int | None = None, stage_forms: dict[int, StageForm] | None = None) -> dict:
    stages = sel.stages_of(pipeline)  # type: ignore[arg-type]
    usage = sel.stage_usage(pipeline)  # type: ignore[arg-type]
    forms = stage_forms or {}
    rows = [(s, usage.get(s.pk, 0), forms.get(s.pk) or StageForm(instance=s, prefix=f"s{s.pk}")) for s in stages]
    return {"section": "pipelines", "pipeline": pipeline, "form": form, "stage_form": stage_form, "rows": rows,
            "edit_stage": edit_stage}


@web_view
def pipeline_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The pipeline's name/department/default, and its stages (add, edit, delete, reorder)."""
    require(request.user, permissions.CONFIGURE)
    pipeline = sel.pipeline_get(pk=pk)
    form = PipelineForm(instance=pipeline)
    stage_form = StageForm(prefix="new")
    status = 200
    stage_forms: dict[int, StageForm] = {}
    edit_stage = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "pipeline":
                form = PipelineForm(request.POST, instance=sel.pipeline_get(pk=pk))
                if form.is_valid():
                    svc.pipeline_update(actor=request.user, pipeline=pipeline, data=form.cleaned_data)
                    messages.success(request, _("Pipeline saved."))
                    return redirect("sales:pipeline_settings", pk=pk)
            elif action == "add_stage":
                stage_form = StageForm(request.POST, prefix="new")
                if stage_form.is_valid():
                    svc.stage_create(actor=request.user, pipeline=pipeline, data=stage_form.cleaned_data)
                    messages.success(request, _("Stage added."))
                    return redirect("sales:pipeline_settings", pk=pk)
            elif action == "edit_stage" and request.POST.get("stage", "").isdigit():
                stage = sel.stage_get(pk=request.POST["stage"])
                edit_stage = stage.pk
                sform = StageForm(request.POST, instance=stage, prefix=f"s{stage.pk}")
                stage_forms[stage.pk] = sform
                if stage.pipeline_id == pipeline.pk and sform.is_valid():
                    try:
                        svc.stage_update(actor=request.user, stage=sel.stage_get(pk=stage.pk),
                                         data=sform.cleaned_data)
                    except ValidationError as exc:
                        sform.add_service_errors(exc)
                    else:
                        messages.success(request, _("Stage saved."))
                        return redirect("sales:pipeline_settings", pk=pk)
            elif action == "delete_stage" and request.POST.get("stage", "").isdigit():
                stage = sel.stage_get(pk=request.POST["stage"])
                if stage.pipeline_id == pipeline.pk:
                    svc.stage_delete(actor=request.user, stage=stage)
                    messages.success(request, _("Stage deleted."))
                    return redirect("sales:pipeline_settings", pk=pk)
            elif action in {"up", "down"} and request.POST.get("stage", "").isdigit():
                ids = [s.pk for s in sel.stages_of(pipeline)]
                sid = int(request.POST["stage"])
                if sid in ids:
                    i = ids.index(sid)
                    j = i - 1 if action == "up" else i + 1
                    if 0 <= j < len(ids):
                        ids[i], ids[j] = ids[j], ids[i]
                        svc.stage_reorder(actor=request.user, pipeline=pipeline, stage_ids=ids)
                return redirect("sales:pipeline_settings", pk=pk)
            elif action == "delete_pipeline":
                svc.pipeline_delete(actor=request.user, pipeline=pipeline)
                messages.success(request, _("Pipeline deleted."))
                return redirect("sales:pipelines")
        except ValidationError as exc:
            target: Any = {"pipeline": form, "add_stage": stage_form}.get(action)
            if target is None:
                for message in _errors(exc):
                    messages.error(request, message)
                return redirect("sales:pipeline_settings", pk=pk)
            target.add_service_errors(exc)
        status = 422
    return render_page(request, EDIT, _edit_context(request, pipeline, form, stage_form, edit_stage, stage_forms),
                       status=status)


@require_POST
@web_view
def stage_reorder_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Drag-to-reorder (SortableJS) posts the stage ids in their new order."""
    require(request.user, permissions.CONFIGURE)
    pipeline = sel.pipeline_get(pk=pk)
    try:
        ids = [int(x) for x in request.POST.getlist("stage")] or [int(x) for x in json.loads(request.body or b"[]")]
        svc.stage_reorder(actor=request.user, pipeline=pipeline, stage_ids=ids)
    except (ValueError, TypeError):
        return JsonResponse({"detail": _("List every stage of this pipeline exactly once.")}, status=422)
    except ValidationError as exc:
        return JsonResponse({"detail": " ".join(_errors(exc))}, status=422)
    return JsonResponse({"detail": _("Order saved.")})
