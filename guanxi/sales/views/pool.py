"""The public pool page (/sales/pool/) and the pool actions: claim, release, assign, lock, unlock.

The actions answer htmx with the refreshed customer card (on the 360° page) or the refreshed
row (on the pool page); errors come back as an alert naming what went wrong.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.customers.models import Customer
from guanxi.customers.selectors.customers import capped_count, customer_get
from guanxi.governance import permissions
from guanxi.governance.selectors import active_users, assignable_owner_ids
from guanxi.web.http import (
    alert_response,
    is_htmx,
    page_number,
    render_fragment,
    render_page,
    require,
    slice_page,
    web_view,
)

from ..forms_pool import AssignForm, ReleaseForm, TeamMemberForm
from ..selectors.pool import (
    PoolFilter,
    can_manage_team,
    decorate_pool_rows,
    pool_customers,
    pool_status,
    team_of,
)
from ..selectors.relationships import customer_relationship
from ..services.pool import customer_lock, customer_unlock, pool_assign, pool_claim, pool_release

PER_PAGE = 25
CARD = "sales/pool/customer_card.html"


def _error_text(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


@web_view
def pool_list_view(request: HttpRequest) -> HttpResponse:
    params = request.GET.copy()
    for key in [k for k, v in params.items() if v == ""]:
        params.pop(key)
    params.pop("page", None)
    filters = PoolFilter(params)
    rows: list[Customer] = []
    total, more, has_next = 0, False, False
    page = page_number(request)
    if filters.is_valid():
        qs = pool_customers(user=request.user, filters=filters)
        total, more = capped_count(qs)
        rows, has_next = slice_page(qs, page, PER_PAGE)
        decorate_pool_rows(rows, user=request.user)
    return render_page(request, "sales/pool/pool_list.html", {
        "filters": filters, "rows": rows, "total": total, "more": more, "page": page, "has_next": has_next,
        "query": params.urlencode(), "levels": Customer.Level.choices,
        "can_claim": permissions.can(request.user, permissions.CLAIM),
        "can_assign": permissions.can(request.user, permissions.MANAGE_POOL), "is_filtered": bool(params),
    }, fragment="results")


def _card_context(request: HttpRequest, customer: Customer, **extra: Any) -> dict[str, Any]:
    user = request.user
    status = pool_status(user=user, customer=customer)
    manage_team = can_manage_team(user, customer)
    owner_or_manager = customer.owner_id is not None and (
        customer.owner_id == user.pk or (permissions.can(user, permissions.MANAGE_POOL) and manage_team))
    return {
        "customer": customer, "status": status, "team": team_of(user=user, customer=customer),
        "relationship": customer_relationship(customer=customer),
        "can_claim": customer.owner_id is None and permissions.can(user, permissions.CLAIM),
        "can_assign": customer.owner_id is None and permissions.can(user, permissions.MANAGE_POOL),
        "can_release": owner_or_manager, "can_lock": owner_or_manager, "can_manage_team": manage_team,
        "team_form": extra.pop("team_form", None) or (TeamMemberForm(customer=customer) if manage_team else None),
        "release_form": extra.pop("release_form", None) or ReleaseForm(), "now": timezone.now(),
        **extra,
    }


@web_view
def customer_card(request: HttpRequest, pk: int) -> HttpResponse:
    """The lazy-loaded card in the 360° page's left column: pool status, account team, relationship."""
    customer = customer_get(user=request.user, pk=pk)
    return render_fragment(request, CARD, "card", _card_context(request, customer))


def _after_action(request: HttpRequest, customer_pk: int, message: str) -> HttpResponse:
    """The refreshed card (360° page), the pool page's alert (list), or a redirect without htmx."""
    if request.POST.get("from") == "list" or not is_htmx(request):
        target = reverse("sales:pool") if request.POST.get("from") == "list" else reverse(
            "customers:detail", args=[customer_pk])
        response = alert_response(request, message, level="success", trigger="pool-changed", redirect_to=target)
        return response
    customer = customer_get(user=request.user, pk=customer_pk)
    return render_fragment(request, CARD, "card", _card_context(request, customer, flash=message),
                           headers={"HX-Trigger": "pool-changed"})


def _refused(request: HttpRequest, exc: ValidationError, customer_pk: int) -> HttpResponse:
    return alert_response(request, _error_text(exc), level="warning", status=422,
                          redirect_to=reverse("customers:detail", args=[customer_pk]))


@require_POST
@web_view
def claim_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, pk=pk)
    try:
        pool_claim(actor=request.user, customer=customer)
    except ValidationError as exc:
        return _refused(request, exc, pk)
    return _after_action(request, pk, _("“%(name)s” is now yours.") % {"name": customer.name})


@require_POST
@web_view
def release_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, pk=pk)
    form = ReleaseForm(request.POST)
    try:
        pool_release(actor=request.user, customer=customer, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        if is_htmx(request) and request.POST.get("from") != "list":
            form.add_service_errors(exc)
            return render_fragment(request, CARD, "card", _card_context(request, customer, release_form=form,
                                                                         release_open=True), status=422)
        return _refused(request, exc, pk)
    return _after_action(request, pk, _("“%(name)s” went back to the public pool.") % {"name": customer.name})


@require_POST
@web_view
def lock_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, pk=pk)
    try:
        customer_lock(actor=request.user, customer=customer)
    except ValidationError as exc:
        return _refused(request, exc, pk)
    return _after_action(request, pk, _("Locked as a key customer: it will not be recycled."))


@require_POST
@web_view
def unlock_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, pk=pk)
    customer_unlock(actor=request.user, customer=customer)
    return _after_action(request, pk, _("Unlocked: the pool's rules apply again."))


def _assignable(user: Any) -> Any:
    people = active_users().filter(employee__isnull=False)
    allowed = assignable_owner_ids(user)
    if allowed is not None:
        people = people.filter(pk__in=allowed)
    return people.only("id", "username", "first_name", "last_name")[:500]


@web_view
def assign_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the form (a modal's body); POST: assign from the pool."""
    require(request.user, permissions.MANAGE_POOL)
    customer = customer_get(user=request.user, pk=pk)
    form = AssignForm(request.POST or None, people=_assignable(request.user),
                      can_override=permissions.can(request.user, permissions.OVERRIDE_LIMITS))
    if request.method == "POST" and form.is_valid():
        try:
            pool_assign(actor=request.user, customer=customer,
                        to_user=get_user_model().objects.get(pk=form.cleaned_data["to_user"]),
                        reason=form.cleaned_data.get("reason", ""), override=form.cleaned_data.get("override", False))
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            response = alert_response(request, _("“%(name)s” was assigned.") % {"name": customer.name},
                                      trigger="pool-changed", redirect_to=reverse("sales:pool"))
            return response
    return render_page(request, "sales/pool/assign_form.html", {"form": form, "customer": customer},
                       fragment="form", status=422 if form.is_bound else 200)
