"""People (admins): employees — list, hire, edit role/department/scope, mark as departed."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from guanxi.core.errors import ConflictError

from .. import permissions
from ..forms import EmployeeCreateForm, EmployeeEditForm, EmployeeFilterForm
from ..models import Employee
from ..permissions import ROLE_DEFAULT_SCOPE
from ..selectors_people import employee_get, employee_list, owned_customer_counts
from ..services_people import employee_depart, employee_hire, employee_update
from ._base import page_number, query_without, render_page, settings_view, slice_page

PER_PAGE = 50


@settings_view(permissions.CONFIGURE)
def people_list(request: HttpRequest) -> HttpResponse:
    form = EmployeeFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    qs = employee_list(user=request.user, q=(filters.get("q") or "").strip(), status=filters.get("status") or "",
                       role=filters.get("role") or "", department_id=filters.get("department"))
    page = page_number(request)
    rows, has_next = slice_page(qs, page, PER_PAGE)
    counts = owned_customer_counts([e.user_id for e in rows])
    for employee in rows:
        employee.customer_count = counts.get(employee.user_id, 0)
        employee.effective_scope = employee.scope or ROLE_DEFAULT_SCOPE.get(employee.role, "")
    return render_page(request, "governance/people.html", {
        "section": "people", "form": form, "rows": rows, "page": page, "has_next": has_next,
        "has_previous": page > 1, "filter_query": query_without(request, "page"),
    }, fragment="results")


@settings_view(permissions.CONFIGURE)
def person_create(request: HttpRequest) -> HttpResponse:
    form = EmployeeCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            employee = employee_hire(actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Added %(name)s. They can log in as “%(username)s” now.")
                             % {"name": employee, "username": employee.user.username})
            return redirect("governance:people")
    return render_page(request, "governance/person_form.html", {"section": "people", "form": form, "employee": None},
                       status=422 if form.is_bound else 200)


@settings_view(permissions.CONFIGURE)
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    employee = employee_get(user=request.user, pk=pk)
    customer_count = owned_customer_counts([employee.user_id]).get(employee.user_id, 0)
    if employee.status != Employee.Status.ACTIVE:
        return render_page(request, "governance/person_form.html", {
            "section": "people", "form": None, "employee": employee, "customer_count": customer_count,
        })
    form = EmployeeEditForm(request.POST or None, employee=employee)
    if request.method == "POST" and form.is_valid():
        try:
            employee_update(actor=request.user, employee=employee, data=form.service_data())
        except ValidationError as exc:
            form.add_service_errors(exc)
        except ConflictError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Saved %(name)s.") % {"name": employee})
            return redirect("governance:people")
    return render_page(request, "governance/person_form.html", {
        "section": "people", "form": form, "employee": employee, "customer_count": customer_count,
    }, status=422 if form.is_bound else 200)


@settings_view(permissions.CONFIGURE)
def person_depart(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: a confirmation page that says what will happen; POST: do it."""
    employee = employee_get(user=request.user, pk=pk)
    customer_count = owned_customer_counts([employee.user_id]).get(employee.user_id, 0)
    token_count = employee.user.api_tokens.filter(revoked_at__isnull=True).count()
    error = ""
    if request.method == "POST":
        try:
            employee_depart(actor=request.user, employee=employee)
        except (ValidationError, ConflictError) as exc:
            error = " ".join(exc.messages) if isinstance(exc, ValidationError) else exc.message
        else:
            message = _("%(name)s is marked as departed: they can no longer log in and their API tokens are revoked.")
            messages.success(request, message % {"name": employee})
            if customer_count:
                messages.warning(request, _("%(name)s still owns %(count)d customers; hand them over to a colleague.")
                                 % {"name": employee, "count": customer_count})
            return redirect(reverse("governance:person_edit", args=[employee.pk]))
    return render_page(request, "governance/person_depart.html", {
        "section": "people", "employee": employee, "customer_count": customer_count, "token_count": token_count,
        "error": error, "is_self": employee.user_id == request.user.pk,
    }, status=422 if error else 200)
