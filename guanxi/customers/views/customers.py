"""Customer list, create/edit forms, the 360° page and soft delete. Views stay thin: selectors read,
services write, `guanxi.web.http.web_view` turns NotFoundError/PermissionDeniedError into 404/403."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from guanxi.core.errors import ConflictError
from guanxi.core.text import digits_only
from guanxi.governance import masking, permissions
from guanxi.governance.models import Department, Role
from guanxi.governance.selectors import active_users, assignable_owner_ids, user_department_ids
from guanxi.web.http import is_htmx, page_number, post_version, render_page, require, slice_page, web_view

from ..filters import CustomerFilter
from ..forms import CustomerForm, InteractionForm
from ..models import Contact, Customer, CustomFieldDefinition, OrderLine, Tag
from ..selectors.customers import (
    can_change,
    capped_count,
    contact_list,
    contacts_of,
    customer_get,
    customer_list,
    orders_of,
)
from ..selectors.spend import customer_spend
from ..selectors.tasks import open_tasks_of
from ..selectors.timeline import TIMELINE_KINDS
from ..services.custom_fields import definitions_for
from ..services.customers import customer_create, customer_delete, customer_update
from .activity import timeline_context
from .contacts import decorate_contacts

PER_PAGE = 25

SORT_LABELS = [
    ("-id", gettext_lazy("Newest first")),
    ("id", gettext_lazy("Oldest first")),
    ("name", gettext_lazy("Name A–Z")),
    ("-name", gettext_lazy("Name Z–A")),
    ("-last_follow_up", gettext_lazy("Recent follow-up first")),
    ("last_follow_up", gettext_lazy("Longest without follow-up")),
]


# Who gets the "specific owner" and "department" filters: people who look across others' customers.
OWNER_FILTER_ROLES = {Role.ADMIN, Role.SALES_MANAGER, Role.SERVICE_MANAGER}
MORE_FILTERS = ("department", "industry", "has_orders", "province", "tag")


def _people_and_departments(user: Any) -> tuple[list[Any], list[tuple[int, str]]]:
    """Owners and departments a manager / admin can filter by (nothing for other roles)."""
    if permissions.role_of(user) not in OWNER_FILTER_ROLES:
        return [], []
    people = active_users()
    allowed = assignable_owner_ids(user)
    if allowed is not None:
        people = people.filter(pk__in=allowed)
    all_departments = list(Department.objects.order_by("name").values_list("id", "name", "parent_id"))
    if permissions.scope_of(user) != "all":
        mine = set(user_department_ids(user))
        all_departments = [d for d in all_departments if d[0] in mine]
    return list(people.only("id", "username", "first_name", "last_name")[:500]), _tree(all_departments)


def _tree(rows: Sequence[tuple[int, str, int | None]]) -> list[tuple[int, str]]:
    """Departments in tree order, children indented under their parent."""
    ids = {pk for pk, _name, _parent in rows}
    children: dict[int | None, list[tuple[int, str]]] = {}
    for pk, name, parent in rows:
        children.setdefault(parent if parent in ids else None, []).append((pk, name))
    result: list[tuple[int, str]] = []

    def walk(parent: int | None, depth: int) -> None:
        for pk, name in children.get(parent, []):
            result.append((pk, "\u2003" * depth + name))
            walk(pk, depth + 1)

    walk(None, 0)
    return result


@web_view
def customer_list_view(request: HttpRequest) -> HttpResponse:
    params = request.GET.copy()
    for key in [k for k, v in params.items() if v == ""]:
        params.pop(key)  # empty inputs from the filter form are "no filter"
    filters = CustomerFilter(params or None)
    valid = filters.is_valid() if filters.is_bound else True
    if not filters.is_bound:
        filters.cleaned_data = {}
    page = page_number(request)
    rows: list[Customer] = []
    total, more, has_next = 0, False, False
    if valid:
        qs = customer_list(user=request.user, filters=filters if filters.is_bound else None)
        if not filters.is_bound:
            qs = qs.order_by("-id")
        total, more = capped_count(qs)
        rows, has_next = slice_page(qs.prefetch_related("tags"), page, PER_PAGE)
    if valid and rows and filters.is_bound:
        _phone_matches(request.user, rows, filters.cleaned_data.get("q") or "")
    list_fields = [d for d in definitions_for("customer") if d.show_in_list]
    for row in rows:
        row.list_custom = [(row.custom or {}).get(d.key, "") for d in list_fields]  # type: ignore[attr-defined]
    query = params.copy()
    query.pop("page", None)
    people, departments = _people_and_departments(request.user)
    owner = filters.data.get("owner", "") if filters.is_bound else ""
    context = {
        "filters": filters,
        "rows": rows,
        "total": total,
        "more": more,
        "page": page,
        "has_next": has_next,
        "has_prev": page > 1,
        "query": query.urlencode(),
        "list_fields": list_fields,
        "sort_labels": SORT_LABELS,
        "kinds": Customer.Kind.choices,
        "lifecycles": Customer.Lifecycle.choices,
        "is_filtered": any(k not in {"page", "sort"} for k in query),
        "people": people,
        "departments": departments,
        "owner_person": owner if owner.isdigit() else "",
        "more_open": filters.is_bound and any(filters.data.get(k) for k in MORE_FILTERS),
        "can_create": permissions.can(request.user, permissions.CHANGE),
        "can_export": permissions.can(request.user, permissions.EXPORT),
        "can_import": permissions.can(request.user, permissions.IMPORT),
        "all_tags": Tag.objects.order_by("name").values_list("name", flat=True)[:200],
    }
    return render_page(request, "customers/customer_list.html", context, fragment="results")


def _phone_matches(user: Any, rows: list[Customer], q: str) -> None:
    """Searching by a mobile (or its last 4 digits): show which contact matched, masked as the user must see it.
    One query for the page's matching contacts; the masking rule reads the policy and memberships once."""
    text = q.strip()
    digits = digits_only(text)
    if len(digits) < 4 or len(digits) < len(text.replace(" ", "").replace("-", "").lstrip("+")):
        return
    found = contact_list(user=user).select_related(None).filter(
        customer_id__in=[r.pk for r in rows], mobile_last4=digits[-4:])
    if len(digits) > 4:
        found = found.filter(mobile__endswith=digits[-11:])
    by_customer: dict[int, list[Contact]] = {}
    for contact in found.order_by("customer_id", "-is_primary", "id"):
        by_customer.setdefault(contact.customer_id, []).append(contact)
    rule = masking.for_user(user)
    for row in rows:
        masked = rule.should_mask(row)
        row.phone_matches = [  # type: ignore[attr-defined]
            (c.name, masking.mask_value("mobile", c.mobile) if masked else masking.clear_phone(c.mobile))
            for c in by_customer.get(row.pk, [])[:3]
        ]


def _definitions() -> list[CustomFieldDefinition]:
    return definitions_for("customer")


def _form_response(request: HttpRequest, form: CustomerForm, customer: Customer | None, status: int = 200,
                   conflict: bool = False) -> HttpResponse:
    context = {"form": form, "customer": customer, "conflict": conflict}
    return render_page(request, "customers/customer_form.html", context, fragment="form", status=status)


@web_view
def customer_create_view(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.CHANGE)
    if request.method != "POST":
        form = CustomerForm(user=request.user, definitions=_definitions())
        return _form_response(request, form, None)
    form = CustomerForm(request.POST, user=request.user, definitions=_definitions())
    if form.is_valid():
        extra: dict[str, Any] = {}
        data = form.service_data()
        if "owner" in data:
            extra["owner"] = data.pop("owner")
        try:
            customer = customer_create(actor=request.user, data=data, tags=form.tag_names(), **extra)
        except ValidationError as exc:
            form.add_service_errors(exc, {"custom.": "cf_"})
        else:
            messages.success(request, _("Customer “%(name)s” created.") % {"name": customer.name})
            return _redirect(request, reverse("customers:detail", args=[customer.pk]))
    return _form_response(request, form, None, status=422)


@web_view
def customer_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, pk=pk, for_change=True)
    if request.method != "POST":
        form = CustomerForm(instance=customer, user=request.user, definitions=_definitions())
        return _form_response(request, form, customer)
    form = CustomerForm(request.POST, instance=customer, user=request.user, definitions=_definitions())
    if form.is_valid():
        try:
            customer_update(actor=request.user, customer=customer, data=form.service_data(),
                            version=form.cleaned_data.get("version"), tags=form.tag_names())
        except ConflictError as exc:
            form.add_error(None, exc.message)
            return _form_response(request, form, customer, status=409, conflict=True)
        except ValidationError as exc:
            form.add_service_errors(exc, {"custom.": "cf_"})
        else:
            messages.success(request, _("Changes saved."))
            return _redirect(request, reverse("customers:detail", args=[customer.pk]))
    return _form_response(request, form, customer, status=422)


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    """After a successful htmx post, let htmx navigate (and keep messages); otherwise a normal redirect."""
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@web_view
def customer_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, pk=pk)
    editable = can_change(request.user, customer)
    contacts = decorate_contacts(request.user, list(contacts_of(user=request.user, customer=customer)), customer)
    orders = list(
        orders_of(user=request.user, customer=customer).select_related("salesperson").prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("product"))
        )[:20]
    )
    open_tasks = list(open_tasks_of(customer=customer)[:20])
    definitions = _definitions()
    context = {
        "customer": customer,
        "tags": list(customer.tags.all()),
        "custom_values": [(d.label, (customer.custom or {}).get(d.key, "")) for d in definitions],
        "contacts": contacts,
        "orders": orders,
        "open_tasks": open_tasks,
        "spend": customer_spend(customer, user=request.user),
        "editable": editable,
        "can_delete": editable and permissions.can(request.user, permissions.DELETE),
        "timeline_kinds": TIMELINE_KINDS,
        "now_ts": timezone.now(),
        **timeline_context(request, customer),
    }
    if editable:
        context.update({
            "interaction_form": InteractionForm(customer=customer, contacts=contacts_of(user=request.user,
                                                                                        customer=customer)),
            # The task and order forms load with htmx when their tab is first shown (task_create / order_create).
        })
    return render_page(request, "customers/customer_detail.html", context)


@require_POST
@web_view
def customer_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, pk=pk, for_change=True)
    require(request.user, permissions.DELETE)
    try:
        customer_delete(actor=request.user, customer=customer, version=post_version(request))
    except ConflictError as exc:
        messages.error(request, exc.message)
        return _redirect(request, reverse("customers:detail", args=[customer.pk]))
    messages.success(request, _("“%(name)s” moved to the recycle bin. It can be restored for %(days)s days.")
                     % {"name": customer.name, "days": _recycle_days()})
    return _redirect(request, reverse("customers:list"))


def _recycle_days() -> int:
    return int(settings.GUANXI_RECYCLE_DAYS)
