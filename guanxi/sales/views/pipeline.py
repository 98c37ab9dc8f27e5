"""Opportunity pages: the list, create/edit, the opportunity page (history, move, delete), the kanban
board, and the card on the customer's 360° page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from guanxi.core.text import person_name
from guanxi.customers.filters import customer_search_q
from guanxi.customers.models import Customer
from guanxi.customers.selectors.customers import can_change, capped_count, customer_get
from guanxi.governance import permissions
from guanxi.web.http import (
    is_htmx,
    page_number,
    post_version,
    query_without,
    render_fragment,
    render_page,
    require,
    slice_page,
    web_view,
)

from ..filters_pipeline import STATUS_CHOICES, OpportunityFilter
from ..forms_pipeline import MoveForm, OpportunityForm, OpportunityLineFormSet
from ..models import Opportunity, Stage
from ..selectors import opportunities as sel
from ..services import opportunities as svc

LIST = "sales/pipeline/opportunity_list.html"
DETAIL = "sales/pipeline/opportunity_detail.html"
FORM = "sales/pipeline/opportunity_form.html"
BOARD = "sales/pipeline/board.html"
CARD = "sales/pipeline/customer_card.html"
PER_PAGE = 25


# ---- the list ----------------------------------------------------------------------------------


@web_view
def opportunity_list_view(request: HttpRequest) -> HttpResponse:
    params = request.GET.copy()
    for key in [k for k, v in params.items() if v == ""]:
        params.pop(key)
    filters = OpportunityFilter(params)
    page = page_number(request)
    rows: list[Opportunity] = []
    total, more, has_next = 0, False, False
    if filters.is_valid():
        qs = sel.opportunity_list(user=request.user, filters=filters)
        total, more = capped_count(qs)
        rows, has_next = slice_page(qs, page, PER_PAGE)
    pipelines = list(sel.pipeline_list())
    context = {
        "filters": filters, "rows": rows, "total": total, "more": more, "page": page, "has_next": has_next,
        "has_prev": page > 1, "query": query_without(request, "page"), "pipelines": pipelines,
        "stages": [s for p in pipelines for s in p.stages.all()], "statuses": STATUS_CHOICES[1:],
        "is_filtered": any(k not in {"page", "sort"} for k in params),
        "can_create": permissions.can(request.user, permissions.CHANGE),
    }
    return render_page(request, LIST, context, fragment="results")


# ---- create and edit -----------------------------------------------------------------------------


@web_view
def customer_options_view(request: HttpRequest) -> HttpResponse:
    """`<option>`s of up to 20 customers the user may change matching `q` (the form's customer search)."""
    text = request.GET.get("q", "").strip()[:100]
    qs = Customer.objects.editable_by(request.user)
    if text:
        qs = qs.filter(customer_search_q(text))
    rows = list(qs.order_by("-id").values_list("pk", "name")[:20])
    if not rows:
        return HttpResponse(format_html_join("", '<option value="">{}</option>', [(_("No customer found"),)]))
    return HttpResponse(format_html_join("", '<option value="{}">{}</option>', rows))


def _form_context(request: HttpRequest, form: OpportunityForm, formset: Any, opportunity: Opportunity | None,
                  customer: Customer | None = None) -> dict[str, Any]:
    return {"form": form, "formset": formset, "opportunity": opportunity, "customer": customer}


@web_view
def opportunity_create_view(request: HttpRequest) -> HttpResponse:
    require(request.user, permissions.CHANGE)
    customer = None
    if request.GET.get("customer", "").isdigit():
        customer = customer_get(user=request.user, pk=request.GET["customer"], for_change=True)
    if request.method != "POST":
        form = OpportunityForm(user=request.user, initial={"customer": customer.pk if customer else ""})
        return render_page(request, FORM, _form_context(request, form, OpportunityLineFormSet(prefix="lines"),
                                                         None, customer))
    form = OpportunityForm(request.POST, user=request.user)
    formset = OpportunityLineFormSet(request.POST, prefix="lines")
    if form.is_valid() and formset.is_valid():
        try:
            opportunity = svc.opportunity_create(actor=request.user, customer=form.cleaned_data["customer"],
                                                 data=form.service_data(), lines=formset.lines())
        except ValidationError as exc:
            form.add_service_errors(exc)
        except PermissionDeniedError as exc:
            form.add_error("customer", exc.message)
        else:
            messages.success(request, _("Opportunity “%(name)s” created.") % {"name": opportunity.name})
            return redirect("sales:opportunity_detail", pk=opportunity.pk)
    return render_page(request, FORM, _form_context(request, form, formset, None, customer), status=422)


@web_view
def opportunity_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = sel.opportunity_get(user=request.user, pk=pk, for_change=True)
    lines = sel.opportunity_lines(opportunity)
    if request.method != "POST":
        form = OpportunityForm(instance=opportunity, user=request.user, with_customer=False)
        formset = OpportunityLineFormSet(prefix="lines", initial=[
            {"product": ol.product, "quantity": ol.quantity, "unit_price": ol.unit_price} for ol in lines])
        return render_page(request, FORM, _form_context(request, form, formset, opportunity, opportunity.customer))
    form = OpportunityForm(request.POST, instance=opportunity, user=request.user, with_customer=False)
    formset = OpportunityLineFormSet(request.POST, prefix="lines")
    status = 422
    if form.is_valid() and formset.is_valid():
        try:
            svc.opportunity_update(actor=request.user, opportunity=opportunity, data=form.service_data(),
                                   version=form.cleaned_data.get("version"), lines=formset.lines())
        except ConflictError as exc:
            form.add_error(None, exc.message)
            status = 409
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Opportunity saved."))
            return redirect("sales:opportunity_detail", pk=opportunity.pk)
    return render_page(request, FORM, _form_context(request, form, formset, opportunity, opportunity.customer),
                       status=status)


# ---- the opportunity page --------------------------------------------------------------------------


def _detail_context(request: HttpRequest, opportunity: Opportunity, move_form: MoveForm | None = None,
                    move_errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    editable = permissions.can(request.user, permissions.CHANGE) and sel.can_change_opportunity(
        request.user, opportunity)
    stages = sel.stages_of(opportunity.pipeline)
    return {
        "opportunity": opportunity, "customer": opportunity.customer, "lines": sel.opportunity_lines(opportunity),
        "history": sel.stage_history(opportunity), "stages": stages, "editable": editable,
        "can_delete": editable and permissions.can(request.user, permissions.DELETE),
        "can_reopen_won": permissions.can(request.user, permissions.REOPEN_WON),
        "move_errors": move_errors or {}, "move_data": move_form.data if move_form is not None else {},
    }


@web_view
def opportunity_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = sel.opportunity_get(user=request.user, pk=pk)
    return render_page(request, DETAIL, _detail_context(request, opportunity))


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _move_failed(request: HttpRequest, opportunity: Opportunity | None, status: int, message: str,
                 errors: dict[str, list[str]] | None = None, form: MoveForm | None = None) -> HttpResponse:
    if _wants_json(request) or opportunity is None:
        return JsonResponse({"detail": message, "errors": errors or {}}, status=status)
    context = _detail_context(request, opportunity, form, {"__all__": [message], **(errors or {})})
    return render_page(request, DETAIL, context, fragment="move-form", status=status)


@require_POST
@web_view
def opportunity_move_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Move to a stage. The board asks for JSON (the new version, or the error to show as the card snaps
    back); the opportunity page gets its move form back (errors) or goes to the updated page."""
    try:
        opportunity = sel.opportunity_get(user=request.user, pk=pk, for_change=True)
    except NotFoundError as exc:
        return _move_failed(request, None, 404, exc.message)
    except PermissionDeniedError as exc:
        return _move_failed(request, None, 403, exc.message)
    form = MoveForm(request.POST)
    if not form.is_valid():
        errors = {k: [str(m) for m in v] for k, v in form.errors.items()}
        return _move_failed(request, opportunity, 422, _("Some fields are not valid."), errors, form)
    try:
        stage = sel.stage_get(pk=form.cleaned_data["stage"])
        moved = svc.opportunity_move(actor=request.user, opportunity=opportunity, stage=stage,
                                     reason=form.cleaned_data.get("reason") or "",
                                     version=form.cleaned_data.get("version"))
    except NotFoundError:
        return _move_failed(request, opportunity, 422, _("Some fields are not valid."),
                            {"stage": [_("Choose a stage of the opportunity's pipeline.")]}, form)
    except ConflictError as exc:
        return _move_failed(request, opportunity, 409, exc.message, None, form)
    except PermissionDeniedError as exc:
        return _move_failed(request, opportunity, 403, exc.message, None, form)
    except ValidationError as exc:
        errors = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        first = next(iter(errors.values()))[0]
        return _move_failed(request, opportunity, 422, first, errors, form)
    if _wants_json(request):
        return JsonResponse({"id": moved.pk, "version": moved.version, "stage": moved.stage_id,
                             "kind": stage.kind, "detail": _("Moved to “%(stage)s”.") % {"stage": stage.name}})
    messages.success(request, _("Moved to “%(stage)s”.") % {"stage": stage.name})
    url = reverse("sales:opportunity_detail", args=[moved.pk])
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@require_POST
@web_view
def opportunity_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = sel.opportunity_get(user=request.user, pk=pk, for_change=True)
    require(request.user, permissions.DELETE)
    try:
        svc.opportunity_delete(actor=request.user, opportunity=opportunity, version=post_version(request))
    except ConflictError as exc:
        messages.error(request, exc.message)
        return redirect("sales:opportunity_detail", pk=opportunity.pk)
    messages.success(request, _("Opportunity “%(name)s” moved to the recycle bin.") % {"name": opportunity.name})
    return redirect("customers:detail", pk=opportunity.customer_id)


# ---- the customer's card (360° page) ------------------------------------------------------------


@web_view
def customer_opportunities_view(request: HttpRequest, pk: int) -> HttpResponse:
    customer = customer_get(user=request.user, pk=pk)
    rows = sel.opportunities_of(user=request.user, customer=customer)
    can_add = permissions.can(request.user, permissions.CHANGE) and can_change(request.user, customer)
    return render_fragment(request, CARD, "card", {"customer": customer, "rows": rows, "can_add": can_add})


# ---- the kanban board -------------------------------------------------------------------------------


CARD_HTML = (
    '<article class="board-card" data-id="{}" data-version="{}" data-amount="{}">\n'
    '          <a class="fw-semibold text-decoration-none d-block text-truncate" href="{}{}/">{}</a>\n'
    '          <div class="text-truncate text-muted">{}</div>\n'
    '          <div class="d-flex gap-2"><span class="me-auto">{}</span><span class="text-muted">{}</span></div>\n'
    '          <div class="small text-muted">{}</div>\n'
    "        </article>"
)


def _card_args(card: sel.BoardCard, opp_base: str) -> tuple[Any, ...]:
    """CARD_HTML's values for one card (format_html_join escapes each, as the template's autoescape did)."""
    return (card.pk, card.version, card.amount, opp_base, card.pk, card.name, card.customer.name,
            f"{card.amount:,.2f}", f"{card.expected_close_date:%m-%d}" if card.expected_close_date else "",
            person_name(card.owner) if card.owner is not None else "")


@web_view
def board_view(request: HttpRequest) -> HttpResponse:
    pipelines = list(sel.pipeline_list())
    chosen = request.GET.get("pipeline", "")
    pipeline = next((p for p in pipelines if str(p.pk) == chosen), None) if chosen else None
    if pipeline is None:
        pipeline = sel.pipeline_for_user(request.user)
    if pipeline is None:
        raise NotFoundError()
    owner = request.GET.get("owner", "")
    owner = owner if owner == "me" or owner.isdigit() else ""
    board = sel.board(user=request.user, pipeline=pipeline, owner=owner)
    # One row of HTML per card, built here: 500 cards × ~10 template variables (lookups, localisation,
    # escaping) cost ~3× the whole framework floor; this is the same markup, escaped the same way.
    opp_base = reverse("sales:opportunity_list")  # /sales/opportunities/ → …/<id>/ (board.js adds move/)
    for column in board.columns:
        column.cards_html = format_html_join(  # type: ignore[attr-defined]
            "", CARD_HTML, (_card_args(card, opp_base) for card in column.cards))
    context = {
        "board": board, "pipeline": pipeline, "pipelines": pipelines, "owner": owner,
        "owners": sel.owners_in(user=request.user, pipeline=pipeline),
        "can_move": permissions.can(request.user, permissions.CHANGE),
        "can_reopen_won": permissions.can(request.user, permissions.REOPEN_WON),
        "closed_days": sel.CLOSED_ZONE_DAYS, "card_limit": sel.BOARD_CARD_LIMIT,
        "won_kind": Stage.Kind.WON,
        "opp_base": opp_base,
    }
    return render_page(request, BOARD, context, fragment="board")
