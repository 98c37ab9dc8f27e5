"""Orders: add one with its lines on the 360° page; the order page (edit, status, delete); the order list."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.errors import ConflictError
from guanxi.governance import permissions
from guanxi.web.http import (
    is_htmx,
    page_number,
    post_version,
    render_fragment,
    render_page,
    require,
    slice_page,
    web_view,
)

from ..filters import OrderFilter
from ..forms import OrderEditForm, OrderForm, OrderLineFormSet
from ..models import Order, OrderLine
from ..selectors.customers import can_change, capped_count, customer_get, order_get, order_list, orders_of
from ..services.orders import order_create, order_delete, order_update

TEMPLATE = "customers/customer_detail.html"


@web_view
def order_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, pk=pk, for_change=True)
    if request.method != "POST":
        return render_fragment(request, TEMPLATE, "order-form", {
            "customer": customer, "order_form": OrderForm(), "line_formset": OrderLineFormSet(prefix="lines"),
        })
    form = OrderForm(request.POST)
    formset = OrderLineFormSet(request.POST, prefix="lines")
    if form.is_valid() and formset.is_valid():
        try:
            order_create(actor=request.user, customer=customer, data=form.service_data(), lines=formset.lines())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            orders = list(
                orders_of(user=request.user, customer=customer).select_related("salesperson").prefetch_related(
                    Prefetch("lines", queryset=OrderLine.objects.select_related("product")))[:20]
            )
            response = render_fragment(request, TEMPLATE, "orders", {"customer": customer, "orders": orders})
            response["HX-Retarget"] = "#orders-card"
            response["HX-Reswap"] = "outerHTML"
            response["HX-Trigger"] = "order-saved, timeline-changed"
            return response
    return render_fragment(request, TEMPLATE, "order-form",
                           {"customer": customer, "order_form": form, "line_formset": formset}, status=422)


# ---- the order page ----------------------------------------------------------------------------

DETAIL = "customers/order_detail.html"


def _order_context(request: HttpRequest, order: Order, form: OrderEditForm | None = None) -> dict[str, Any]:
    editable = can_change(request.user, order)
    return {
        "order": order,
        "customer": order.customer,
        "lines": list(order.lines.all()),
        "editable": editable,
        "can_delete": editable and permissions.can(request.user, permissions.DELETE),
        "form": form if form is not None else (OrderEditForm(instance=order) if editable else None),
    }


@web_view
def order_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The order with its lines; htmx (after a save) gets the summary card only."""
    order = order_get(user=request.user, pk=pk)
    return render_page(request, DETAIL, _order_context(request, order), fragment="order-summary")


@web_view
def order_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Number, date, channel and status (paid / refunded / cancelled), with the version check."""
    order = order_get(user=request.user, pk=pk, for_change=True)
    require(request.user, permissions.CHANGE)
    if request.method != "POST":
        return render_fragment(request, DETAIL, "order-form", _order_context(request, order))
    form = OrderEditForm(request.POST, instance=order)
    status, headers = 422, {}
    if form.is_valid():
        try:
            order = order_update(actor=request.user, order=order, data=form.service_data(),
                                 version=form.cleaned_data.get("version"))
        except ConflictError as exc:
            form.add_error(None, exc.message)
            status = 409
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            if not is_htmx(request):
                messages.success(request, _("Order saved."))
                return redirect("customers:order_detail", pk=order.pk)
            order = order_get(user=request.user, pk=pk)
            form, status = OrderEditForm(instance=order), 200
            headers["HX-Trigger"] = "order-changed"
    context = {**_order_context(request, order, form), "saved": status == 200, "conflict": status == 409}
    return render_page(request, DETAIL, context, fragment="order-form", status=status, headers=headers)


@require_POST
@web_view
def order_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_get(user=request.user, pk=pk, for_change=True)
    require(request.user, permissions.DELETE)
    try:
        order_delete(actor=request.user, order=order, version=post_version(request))
    except ConflictError as exc:
        messages.error(request, exc.message)
        return _go(request, reverse("customers:order_detail", args=[order.pk]), status=409)
    messages.success(request, _("Order %(order)s moved to the recycle bin.") % {"order": order})
    return _go(request, reverse("customers:detail", args=[order.customer_id]))


def _go(request: HttpRequest, url: str, status: int = 204) -> HttpResponse:
    """htmx: navigate with HX-Redirect (409 keeps the status for tests and scripts); otherwise redirect."""
    if is_htmx(request):
        response = HttpResponse(status=status)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


# ---- the order list ----------------------------------------------------------------------------

PER_PAGE = 25


@web_view
def order_list_view(request: HttpRequest) -> HttpResponse:
    """All orders the user may see, filtered; counts stop at the cap ("10,000+")."""
    params = request.GET.copy()
    for key in [k for k, v in params.items() if v == ""]:
        params.pop(key)
    filters = OrderFilter(params)
    page = page_number(request)
    rows: list[Order] = []
    total, more, has_next = 0, False, False
    if filters.is_valid():
        qs = filters.apply(order_list(user=request.user))
        total, more = capped_count(qs)
        rows, has_next = slice_page(qs.select_related("customer", "salesperson"), page, PER_PAGE)
    params.pop("page", None)
    context = {
        "filters": filters,
        "rows": rows,
        "total": total,
        "more": more,
        "page": page,
        "has_next": has_next,
        "has_prev": page > 1,
        "query": params.urlencode(),
        "statuses": Order.Status.choices,
        "channels": Order.Channel.choices,
        "is_filtered": any(k not in {"page", "sort"} for k in params),
        "can_export": permissions.can(request.user, permissions.EXPORT),
    }
    return render_page(request, "customers/order_list.html", context, fragment="results")
