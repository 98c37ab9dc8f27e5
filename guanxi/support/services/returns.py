"""Returns, exchanges and refunds (退换货, issue 4 §6): request -> approve or reject -> complete.

A request names the order, the lines and quantities going back, a reason code and the refund. Completing it adds
the refund to the order's `refunded_amount` and moves the order to "partly refunded" or "refunded" through the
customers order service (audited, version bumped), so the customer's spend figures (customers/selectors/spend.py)
follow. The refundable maximum is checked with the order row locked — on request, on approval and on completion —
so two requests at once cannot refund more than the order's amount.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.customers.models import Order, OrderLine
from guanxi.customers.services.orders import order_update
from guanxi.customers.services.records import record_create, record_update
from guanxi.governance import permissions

from ..models import ReturnLine, ReturnRequest, Ticket
from ..selectors.returns import refundable_amount, returned_quantities
from .numbering import save_numbered

Kind = ReturnRequest.Kind
Status = ReturnRequest.Status
CENT = Decimal("0.01")
# Kinds that give money back need a refund; an exchange may give none (or a price difference).
REFUND_KINDS = {Kind.RETURN, Kind.REFUND}
# Kinds that send goods back need lines.
GOODS_KINDS = {Kind.RETURN, Kind.EXCHANGE}


def money(amount: Decimal, currency: str) -> str:
    """12,345.60 CNY — in the user's number format."""
    return f"{number_format(amount, 2, force_grouping=True)} {currency}"


def _lock_order(order: Order) -> Order:
    return Order._base_manager.select_for_update().get(pk=order.pk)


def _decimal(value: Any, field: str, errors: dict[str, list[str]]) -> Decimal:
    try:
        number = Decimal(str(value if value not in (None, "") else "0"))
    except (InvalidOperation, ValueError, TypeError):
        errors[field] = [_("Enter a number.")]
        return Decimal("0")
    if not number.is_finite():
        errors[field] = [_("Enter a number.")]
        return Decimal("0")
    return number


def _too_much(order: Order, maximum: Decimal) -> ValidationError:
    return ValidationError({"refund_amount": [
        _("The refund cannot be more than %(max)s, what is left to refund on this order.")
        % {"max": money(maximum, order.currency)}]})


def _check_lines(order: Order, lines: list[tuple[OrderLine, Any]],
                 errors: dict[str, list[str]]) -> list[ReturnLine]:
    built: list[ReturnLine] = []
    seen: set[int] = set()
    taken = returned_quantities([line.pk for line, _qty in lines if line is not None])
    for i, (line, qty) in enumerate(lines):
        if line is None or line.order_id != order.pk:
            errors[f"lines.{i}.order_line"] = [_("This line is not on the order.")]
            continue
        if line.pk in seen:
            errors[f"lines.{i}.order_line"] = [_("This line is listed twice.")]
            continue
        seen.add(line.pk)
        quantity = _decimal(qty, f"lines.{i}.quantity", errors)
        if f"lines.{i}.quantity" in errors:
            continue
        left = max(line.quantity - taken.get(line.pk, Decimal("0")), Decimal("0"))
        if quantity <= 0:
            errors[f"lines.{i}.quantity"] = [_("Enter a quantity greater than zero.")]
        elif quantity > left:
            errors[f"lines.{i}.quantity"] = [
                _("At most %(max)s of “%(item)s” can still be returned.")
                % {"max": number_format(left.normalize(), use_l10n=True), "item": line}]
        else:
            row = ReturnLine(order_line=line, quantity=quantity, amount=(quantity * line.unit_price).quantize(CENT))
            try:
                row.full_clean(exclude=["request", "order_line"])
            except ValidationError as exc:
                errors.update({f"lines.{i}.{field}": messages for field, messages in exc.message_dict.items()})
                continue
            built.append(row)
    return built


@transaction.atomic
def return_create(*, actor: Any, order: Order, kind: str, reason: str, reason_note: str = "",
                  lines: list[tuple[OrderLine, Any]], refund_amount: Any,
                  ticket: Ticket | None = None) -> ReturnRequest:
    """Request a return, exchange or refund on an order the actor may change. `lines`: (order line, quantity)
    pairs. Nothing is written unless every check passes."""
    if not permissions.can(actor, permissions.CHANGE) or not Order.objects.editable_by(actor).filter(
            pk=order.pk).exists():
        raise PermissionDeniedError()
    order = _lock_order(order)
    errors: dict[str, list[str]] = {}
    if kind not in Kind.values:
        errors["kind"] = [_("Choose return, exchange or refund.")]
    if reason not in ReturnRequest.Reason.values:
        errors["reason"] = [_("Choose a reason.")]
    if order.status == Order.Status.CANCELLED:
        errors["order"] = [_("This order was cancelled; there is nothing to return or refund.")]
    if ticket is not None and ticket.customer_id != order.customer_id:
        errors["ticket"] = [_("This ticket belongs to another customer.")]
    elif ticket is not None and not Ticket.objects.editable_by(actor).filter(pk=ticket.pk).exists():
        errors["ticket"] = [_("You cannot change this ticket.")]
    built = _check_lines(order, list(lines or []), errors)
    if kind in GOODS_KINDS and not lines:
        errors["lines"] = [_("Choose at least one item and its quantity.")]
    refund = _decimal(refund_amount, "refund_amount", errors)
    if "refund_amount" not in errors:
        maximum = refundable_amount(order)
        if refund < 0:
            errors["refund_amount"] = [_("Enter an amount of zero or more.")]
        elif refund != refund.quantize(CENT):
            errors["refund_amount"] = [_("Enter an amount with at most two decimal places.")]
        elif kind in REFUND_KINDS and refund == 0:
            errors["refund_amount"] = [_("Enter the amount to refund.")]
        elif refund > maximum:
            errors.update(_too_much(order, maximum).message_dict)
    if errors:
        raise ValidationError(errors)
    request = ReturnRequest(customer_id=order.customer_id, order=order, ticket=ticket, kind=kind, reason=reason,
                            reason_note=(reason_note or "").strip(), refund_amount=refund,
                            requested_by=actor if getattr(actor, "pk", None) else None)
    save_numbered(request, "R", lambda r: record_create(actor=actor, instance=r, exclude=["number"]))
    for line in built:
        line.request = request
    ReturnLine.objects.bulk_create(built)
    return request


def _locked_request(actor: Any, request: ReturnRequest, version: int | None) -> tuple[Order, ReturnRequest]:
    """Approver's right, the order then the request locked (always in this order), the version checked."""
    if not permissions.can(actor, permissions.APPROVE_RETURNS) or not ReturnRequest.objects.editable_by(
            actor).filter(pk=request.pk).exists():
        raise PermissionDeniedError()
    order = _lock_order(request.order)
    locked = ReturnRequest._base_manager.select_for_update().get(pk=request.pk)
    if version is not None and locked.version != version:
        raise ConflictError()
    return order, locked


@transaction.atomic
def return_decide(*, actor: Any, request: ReturnRequest, approve: bool, note: str = "",
                  version: int | None) -> ReturnRequest:
    """Approve or reject a request waiting for approval (APPROVE_RETURNS). A rejection needs a note."""
    order, locked = _locked_request(actor, request, version)
    if locked.status != Status.REQUESTED:
        raise ValidationError({"status": [_("Only a request waiting for approval can be approved or rejected.")]})
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": [_("Say why the request is rejected.")]})
    if approve:
        maximum = refundable_amount(order, exclude_pk=locked.pk)
        if locked.refund_amount > maximum:
            raise _too_much(order, maximum)
    data = {"status": Status.APPROVED if approve else Status.REJECTED, "decision_note": note,
            "decided_by": actor if getattr(actor, "pk", None) else None, "decided_at": timezone.now()}
    try:
        return record_update(actor=actor, instance=locked, data=data, version=None)
    except ValidationError as exc:
        raise ValidationError({"note" if "decision_note" in exc.message_dict else "status": exc.messages}) from None


@transaction.atomic
def return_complete(*, actor: Any, request: ReturnRequest, version: int | None) -> ReturnRequest:
    """The goods are back / the money is paid: add the refund to the order and set its status (APPROVE_RETURNS)."""
    order, locked = _locked_request(actor, request, version)
    if locked.status != Status.APPROVED:
        raise ValidationError({"status": [_("Only an approved request can be completed.")]})
    refund = locked.refund_amount
    if refund > 0:
        if order.status == Order.Status.CANCELLED:
            raise ValidationError({"order": [_("This order was cancelled; there is nothing to return or refund.")]})
        refunded = order.refunded_amount + refund
        if refunded > order.total_amount:
            raise _too_much(order, max(order.total_amount - order.refunded_amount, Decimal("0")))
        status = Order.Status.REFUNDED if refunded >= order.total_amount else Order.Status.PARTLY_REFUNDED
        order_update(actor=actor, order=order, data={"refunded_amount": refunded, "status": status}, version=None)
    return record_update(actor=actor, instance=locked, data={"status": Status.COMPLETED,
                                                            "completed_at": timezone.now()}, version=None)
