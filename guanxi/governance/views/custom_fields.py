"""Custom fields (admins): the extra fields on customers, contacts and orders."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.errors import NotFoundError
from guanxi.customers.models import CustomFieldDefinition
from guanxi.customers.services.custom_fields import custom_field_save

from .. import permissions
from ..forms import CustomFieldForm
from ._base import render_page, settings_view

ENTITIES = CustomFieldDefinition.Entity


def _list_url(entity: str) -> str:
    return reverse("governance:custom_fields", args=[entity])


@settings_view(permissions.CONFIGURE)
def custom_field_list(request: HttpRequest, entity: str = "customer") -> HttpResponse:
    if entity not in ENTITIES.values:
        raise NotFoundError()
    fields = CustomFieldDefinition.objects.filter(entity=entity).order_by("-is_active", "position", "id")
    return render_page(request, "governance/custom_fields.html", {
        "section": "custom_fields", "entity": entity, "entities": ENTITIES.choices, "fields": fields,
        "entity_label": ENTITIES(entity).label,
    })


def _form_page(request: HttpRequest, form: CustomFieldForm, definition: CustomFieldDefinition | None,
               entity: str, status: int = 200) -> HttpResponse:
    return render_page(request, "governance/custom_field_form.html", {
        "section": "custom_fields", "form": form, "definition": definition, "entity": entity,
        "entity_label": ENTITIES(entity).label,
    }, status=status)


def _save(request: HttpRequest, form: CustomFieldForm, definition: CustomFieldDefinition | None,
          entity: str) -> HttpResponse:
    if form.is_valid():
        try:
            with transaction.atomic():
                saved = custom_field_save(actor=request.user, definition=form.definition())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Saved the field “%(label)s”.") % {"label": saved.label})
            return redirect(_list_url(saved.entity))
    return _form_page(request, form, definition, entity, status=422)


@settings_view(permissions.CONFIGURE)
def custom_field_create(request: HttpRequest, entity: str = "customer") -> HttpResponse:
    if entity not in ENTITIES.values:
        raise NotFoundError()
    if request.method == "POST":
        form = CustomFieldForm(request.POST, instance=CustomFieldDefinition())
        posted = request.POST.get("entity")
        return _save(request, form, None, posted if posted in ENTITIES.values else entity)
    form = CustomFieldForm(instance=CustomFieldDefinition(entity=entity), initial={"entity": entity})
    return _form_page(request, form, None, entity)


@settings_view(permissions.CONFIGURE)
def custom_field_edit(request: HttpRequest, pk: int) -> HttpResponse:
    definition = get_object_or_404(CustomFieldDefinition, pk=pk)
    if request.method == "POST":
        form = CustomFieldForm(request.POST, instance=definition)
        return _save(request, form, definition, definition.entity)
    return _form_page(request, CustomFieldForm(instance=definition), definition, definition.entity)


@require_POST
@settings_view(permissions.CONFIGURE)
def custom_field_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate (hidden from forms, lists and the API; values are kept) or reactivate a field."""
    definition = get_object_or_404(CustomFieldDefinition, pk=pk)
    definition.is_active = not definition.is_active
    custom_field_save(actor=request.user, definition=definition)
    if definition.is_active:
        messages.success(request, _("Reactivated the field “%(label)s”.") % {"label": definition.label})
    else:
        messages.success(request, _("Deactivated the field “%(label)s”. Its stored values are kept.")
                         % {"label": definition.label})
    return redirect(_list_url(definition.entity))
