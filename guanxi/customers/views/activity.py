"""The customer timeline, follow-ups (跟进记录) and tasks (待办), including "my tasks"."""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import ForeignObjectRel, Model
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.errors import ConflictError
from guanxi.core.text import person_name
from guanxi.governance import masking, permissions
from guanxi.web.http import alert_response, post_version, render_fragment, render_page, require, web_view

from ..forms import InteractionEditForm, InteractionForm, TaskEditForm, TaskForm
from ..models import Customer
from ..selectors.customers import can_change, contacts_of, customer_get, interaction_get, task_get
from ..selectors.tasks import my_tasks, open_tasks_of, task_counts
from ..selectors.timeline import TIMELINE_KINDS, customer_timeline, has_masked_fields, masked_changes
from ..services.activity import (
    interaction_create,
    interaction_delete,
    interaction_update,
    task_complete,
    task_create,
    task_delete,
    task_update,
)

TIMELINE_PER_PAGE = 20
ROW_ACTION_URLS = {
    "interaction": ("customers:interaction_edit", "customers:interaction_delete"),
    "task": ("customers:task_edit", "customers:task_delete"),
}
HIDDEN_CHANGE_FIELDS = {"id", "custom", "customer_id", "created_by_id", "deleted_by_id"}
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
# A record's audit rows name its model (`AuditLog.entity` is the model_name); the model is looked up among the
# installed apps, so records of other apps (opportunities, leads…) get their labels without being imported here.
PREFERRED_APPS = ("customers",)


@functools.cache
def _app_labels() -> dict[str, str]:
    """model_name -> app_label of every installed model, searched once (this app's models win a clash)."""
    found: dict[str, str] = {}
    for model in apps.get_models():
        name, label = model._meta.model_name or "", model._meta.app_label
        if name not in found or label in PREFERRED_APPS:
            found[name] = label
    return found


def change_model(entity: str) -> type[Model] | None:
    """The model an audit entry's `entity` names, or None (a pseudo-entity such as "pool")."""
    label = _app_labels().get(entity)
    if label is None:
        return None
    try:
        return apps.get_model(label, entity)
    except LookupError:
        return None


def _field_label(model: type[Model] | None, attname: str) -> tuple[str, Any]:
    if model is None:
        return attname, None
    try:
        field = model._meta.get_field(attname.removesuffix("_id") if attname.endswith("_id") else attname)
    except FieldDoesNotExist:
        try:
            field = model._meta.get_field(attname)
        except FieldDoesNotExist:
            return attname, None
    if isinstance(field, ForeignObjectRel):  # a reverse relation is never a changed column
        return attname, None
    return str(field.verbose_name), field


def _fk_target(field: Any, attname: str) -> type[Model] | None:
    """The related model when `attname` holds the id of a many-to-one field (owner_id, stage_id…)."""
    if field is None or not getattr(field, "many_to_one", False) or attname != getattr(field, "attname", None):
        return None
    return field.related_model


def _local_datetime(value: str) -> str | None:
    """An ISO datetime from the audit trail as local "Y-m-d H:i"; None when it is not one."""
    if not ISO_DATETIME.match(value):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


def _display(field: Any, value: Any, names: dict[Any, str] | None = None) -> str:
    if value in (None, ""):
        return "—"
    if names and isinstance(value, int) and not isinstance(value, bool) and value in names:
        return names[value]
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, str):
        when = _local_datetime(value)
        if when is not None:
            return when
    return str(value)


RelatedNames = dict[type[Model], dict[Any, str]]


def _related_ids(entries: list[Any]) -> dict[type[Model], set[Any]]:
    wanted: dict[type[Model], set[Any]] = {}
    for entry in entries:
        model = change_model(entry.entity)
        if model is None:
            continue
        for attname, pair in (entry.changes or {}).items():
            if attname in HIDDEN_CHANGE_FIELDS or not isinstance(pair, list) or len(pair) != 2:
                continue
            target = _fk_target(_field_label(model, attname)[1], attname)
            if target is not None:
                wanted.setdefault(target, set()).update(
                    v for v in pair if isinstance(v, int) and not isinstance(v, bool))
    return wanted


def related_names(entries: list[Any]) -> RelatedNames:
    """Names of the records the entries' changed foreign keys point to: one query per related model for a
    whole page of entries (people by their name, anything else by its str())."""
    user_model = get_user_model()
    names: RelatedNames = {}
    for target, ids in _related_ids(entries).items():
        if not ids:
            continue
        if target is user_model:
            people = user_model._default_manager.filter(pk__in=ids).only(
                "pk", "username", "first_name", "last_name")
            names[target] = {u.pk: person_name(u) for u in people}
        else:
            names[target] = {pk: str(obj) for pk, obj in target._default_manager.in_bulk(list(ids)).items()}
    return names


def describe_changes(entry: Any, names: RelatedNames | None = None, masked: bool = False) -> list[tuple[str, str, str]]:
    """An audit entry's field changes as (label, before, after), for the timeline.

    `names` (from `related_names`) turns foreign-key ids into names; without it ids are shown as they are.
    `masked`: show contact numbers (mobile, phone, email) masked, as `governance.masking` says for this user."""
    model = change_model(entry.entity)
    rows = []
    changes = masked_changes(entry.changes) if masked else entry.changes
    for attname, pair in (changes or {}).items():
        if attname in HIDDEN_CHANGE_FIELDS or not isinstance(pair, list) or len(pair) != 2:
            continue
        label, field = _field_label(model, attname)
        target = _fk_target(field, attname)
        lookup = (names or {}).get(target) if target is not None else None
        rows.append((label, _display(field, pair[0], lookup), _display(field, pair[1], lookup)))
    custom = (entry.changes or {}).get("custom")
    if isinstance(custom, list) and len(custom) == 2:
        before, after = custom[0] or {}, custom[1] or {}
        for key in sorted(set(before) | set(after)):
            if before.get(key) != after.get(key):
                rows.append((key, _display(None, before.get(key)), _display(None, after.get(key))))
    return rows


def _kinds(request: HttpRequest) -> tuple[str, ...]:
    kind = request.GET.get("kind", "")
    return (kind,) if kind in TIMELINE_KINDS else TIMELINE_KINDS


def timeline_context(request: HttpRequest, customer: Customer, page: int = 1) -> dict[str, Any]:
    kinds = _kinds(request)
    timeline = customer_timeline(user=request.user, customer=customer, page=page, per_page=TIMELINE_PER_PAGE,
                                 kinds=kinds)
    items = []
    # Contact numbers in the changes are masked as for the contacts card (the rule is read only when needed).
    masked = any(i.kind == "change" and has_masked_fields(i.obj) for i in timeline.items) and \
        masking.for_request(request).should_mask(customer)
    # Only updates show their field changes; their foreign keys are named with one query per related model.
    names = related_names([i.obj for i in timeline.items if i.kind == "change" and i.obj.action == "update"])
    # The edit/delete links are built here, so the template renders each item inline (no include per item).
    for item in timeline.items:
        entry: dict[str, Any] = {"kind": item.kind, "at": item.at, "obj": item.obj}
        if item.kind == "change":
            model = change_model(item.obj.entity)
            entry["changes"] = describe_changes(item.obj, names, masked)
            entry["entity_label"] = model._meta.verbose_name if model else item.obj.entity
        elif item.kind in ROW_ACTION_URLS:
            edit_name, delete_name = ROW_ACTION_URLS[item.kind]
            entry["edit_url"] = reverse(edit_name, args=[item.obj.pk])
            entry["delete_url"] = reverse(delete_name, args=[item.obj.pk])
        items.append(entry)
    return {
        "timeline": timeline,
        "timeline_items": items,
        "timeline_kind": kinds[0] if len(kinds) == 1 else "",
        "next_page": timeline.page + 1,
    }


@web_view
def timeline_view(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the timeline (kind filter) or, with ?page=N, the next items and a new "load more"."""
    customer = customer_get(user=request.user, pk=pk)
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    context = {"customer": customer, "timeline_kinds": TIMELINE_KINDS, "editable": can_change(request.user, customer),
               **timeline_context(request, customer, page)}
    fragment = "timeline-items" if page > 1 else "timeline"
    return render_fragment(request, "customers/customer_detail.html", fragment, context)


@web_view
def interaction_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, pk=pk, for_change=True)
    contacts = contacts_of(user=request.user, customer=customer)
    if request.method != "POST":
        form = InteractionForm(customer=customer, contacts=contacts)
        return render_fragment(request, "customers/customer_detail.html", "followup-form",
                               {"customer": customer, "interaction_form": form})
    form = InteractionForm(request.POST, customer=customer, contacts=contacts)
    status = 422
    headers: dict[str, str] = {}
    if form.is_valid():
        try:
            interaction_create(actor=request.user, customer=customer, data=form.service_data())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            form = InteractionForm(customer=customer, contacts=contacts)
            status = 200
            headers["HX-Trigger"] = "timeline-changed, tasks-changed"
            customer.refresh_from_db(fields=["last_interaction_at"])  # the profile card shows it (oob swap)
    return render_fragment(request, "customers/customer_detail.html", "followup-form",
                           {"customer": customer, "interaction_form": form, "saved": status == 200},
                           status=status, headers=headers)


@web_view
def task_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, pk=pk, for_change=True)
    if request.method != "POST":
        return render_fragment(request, "customers/customer_detail.html", "task-form",
                               {"customer": customer, "task_form": TaskForm()})
    form = TaskForm(request.POST)
    status, headers = 422, {}
    if form.is_valid():
        try:
            task_create(actor=request.user, data={**form.service_data(), "customer": customer})
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            form, status = TaskForm(), 200
            headers["HX-Trigger"] = "timeline-changed, tasks-changed"
    return render_fragment(request, "customers/customer_detail.html", "task-form",
                           {"customer": customer, "task_form": form, "saved": status == 200},
                           status=status, headers=headers)


@web_view
def open_tasks_view(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the 360° page's open-tasks card, refreshed after a follow-up or a new task."""
    customer = customer_get(user=request.user, pk=pk)
    open_tasks = list(open_tasks_of(customer=customer)[:20])
    return render_fragment(request, "customers/customer_detail.html", "open-tasks",
                           {"customer": customer, "open_tasks": open_tasks, "now_ts": timezone.now(),
                            "editable": can_change(request.user, customer)})


TASK_TABS = ("today", "overdue", "upcoming", "done")


@web_view
def my_tasks_view(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab", "today")
    if tab not in TASK_TABS:
        tab = "today"
    tasks = list(my_tasks(user=request.user, when=tab)[:200])
    counts = task_counts(user=request.user)
    counts["upcoming"] = my_tasks(user=request.user, when="upcoming").count()
    context = {"tab": tab, "tasks": tasks, "counts": counts, "tabs": TASK_TABS}
    return render_page(request, "customers/my_tasks.html", context, fragment="tab-content")


@require_POST
@web_view
def task_toggle_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a task done, or reopen it (htmx replaces the row)."""
    task = task_get(user=request.user, pk=pk, for_change=True)
    require(request.user, permissions.CHANGE)
    done = request.POST.get("done", "1") == "1"
    version = request.POST.get("version")
    error = ""
    try:
        task = task_complete(actor=request.user, task=task, done=done,
                             version=int(version) if version and version.isdigit() else None)
    except ConflictError as exc:
        error = exc.message
        task = task_get(user=request.user, pk=pk)
    response = render_fragment(request, "customers/my_tasks.html", "task-row",
                               {"task": task, "error": error}, status=409 if error else 200)
    if not error:
        response["HX-Trigger"] = "tasks-changed"
    return response


# ---- edit and delete follow-ups and tasks (modal forms on the 360° page) ---------------------

FORMS = "customers/activity_forms.html"
SAVED = "record-saved, timeline-changed, tasks-changed"


def _detail_url(customer_id: int | None) -> str:
    return reverse("customers:detail", args=[customer_id]) if customer_id else reverse("customers:my_tasks")


@web_view
def interaction_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Only someone who may change the customer edits its follow-ups (interaction_get for_change)."""
    interaction = interaction_get(user=request.user, pk=pk, for_change=True)
    require(request.user, permissions.CHANGE)
    customer = interaction.customer
    contacts = contacts_of(user=request.user, customer=customer)
    if request.method != "POST":
        form = InteractionEditForm(instance=interaction, customer=customer, contacts=contacts)
        return render_fragment(request, FORMS, "interaction-form", {"form": form, "interaction": interaction})
    form = InteractionEditForm(request.POST, instance=interaction, customer=customer, contacts=contacts)
    status = 422
    if form.is_valid():
        try:
            interaction_update(actor=request.user, interaction=interaction, data=form.service_data(),
                               version=form.cleaned_data.get("version"))
        except ConflictError as exc:
            form.add_error(None, exc.message)
            status = 409
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            return alert_response(request, _("Follow-up saved."), trigger=SAVED,
                                  redirect_to=_detail_url(customer.pk))
    return render_fragment(request, FORMS, "interaction-form",
                           {"form": form, "interaction": interaction, "conflict": status == 409}, status=status)


@require_POST
@web_view
def interaction_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    interaction = interaction_get(user=request.user, pk=pk, for_change=True)
    require(request.user, permissions.CHANGE)
    url = _detail_url(interaction.customer_id)
    try:
        interaction_delete(actor=request.user, interaction=interaction, version=post_version(request))
    except ConflictError as exc:
        return alert_response(request, exc.message, level="warning", status=409, redirect_to=url)
    return alert_response(request, _("Follow-up moved to the recycle bin."), trigger="timeline-changed",
                          redirect_to=url)


@web_view
def task_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Title, due date, notes and the assignee (among the people the user may give tasks to)."""
    task = task_get(user=request.user, pk=pk, for_change=True)
    require(request.user, permissions.CHANGE)
    if request.method != "POST":
        return render_fragment(request, FORMS, "task-form",
                               {"form": TaskEditForm(instance=task, user=request.user), "task": task})
    form = TaskEditForm(request.POST, instance=task, user=request.user)
    status = 422
    if form.is_valid():
        try:
            task_update(actor=request.user, task=task, data=form.service_data(),
                        version=form.cleaned_data.get("version"))
        except ConflictError as exc:
            form.add_error(None, exc.message)
            status = 409
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            return alert_response(request, _("Task saved."), trigger=SAVED, redirect_to=_detail_url(task.customer_id))
    return render_fragment(request, FORMS, "task-form", {"form": form, "task": task, "conflict": status == 409},
                           status=status)


@require_POST
@web_view
def task_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    task = task_get(user=request.user, pk=pk, for_change=True)
    require(request.user, permissions.CHANGE)
    url = _detail_url(task.customer_id)
    try:
        task_delete(actor=request.user, task=task, version=post_version(request))
    except ConflictError as exc:
        return alert_response(request, exc.message, level="warning", status=409, redirect_to=url)
    return alert_response(request, _("Task moved to the recycle bin."), trigger="timeline-changed, tasks-changed",
                          redirect_to=url)
