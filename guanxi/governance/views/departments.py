"""Departments (admins): the tree, create, rename and move."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .. import permissions
from ..forms import DepartmentForm
from ..selectors_people import department_get, department_tree
from ..services_people import department_create, department_update
from ._base import render_page, settings_view


@settings_view(permissions.CONFIGURE)
def department_list(request: HttpRequest) -> HttpResponse:
    return render_page(request, "governance/departments.html", {"section": "departments", "nodes": department_tree()})


@settings_view(permissions.CONFIGURE)
def department_create_view(request: HttpRequest) -> HttpResponse:
    initial = {"parent": request.GET.get("parent")} if request.GET.get("parent", "").isdigit() else None
    form = DepartmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            department = department_create(actor=request.user, name=form.cleaned_data["name"], parent=form.parent_department())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Added the department “%(name)s”.") % {"name": department})
            return redirect("governance:departments")
    return render_page(request, "governance/department_form.html", {
        "section": "departments", "form": form, "department": None,
    }, status=422 if form.is_bound else 200)


@settings_view(permissions.CONFIGURE)
def department_edit(request: HttpRequest, pk: int) -> HttpResponse:
    department = department_get(user=request.user, pk=pk)
    form = DepartmentForm(request.POST or None, department=department)
    if request.method == "POST" and form.is_valid():
        try:
            department_update(actor=request.user, department=department, name=form.cleaned_data["name"],
                              parent=form.parent_department())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Saved the department “%(name)s”.") % {"name": form.cleaned_data["name"]})
            return redirect("governance:departments")
    return render_page(request, "governance/department_form.html", {
        "section": "departments", "form": form, "department": department,
    }, status=422 if form.is_bound else 200)
