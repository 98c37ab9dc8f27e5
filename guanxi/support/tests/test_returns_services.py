from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from guanxi.core.errors import ConflictError, PermissionDeniedError
from guanxi.customers.models import Order
from guanxi.customers.selectors.spend import customer_spend
from guanxi.customers.services.orders import order_create
from guanxi.governance.models import AuditLog
from guanxi.support.models import ReturnLine, ReturnRequest
from guanxi.support.services.returns import return_complete, return_create, return_decide
from guanxi.support.services.tickets import ticket_create

pytestmark = pytest.mark.django_db


def make_order(org, customer, actor=None, status="paid"):
    """300.00: two kettles at 100 and one cup at 100."""
    return order_create(actor=actor or org.rep, customer=customer, data={"ordered_at": timezone.now(), "status": status},
                        lines=[{"description": "Kettle", "quantity": 2, "unit_price": 100},
                               {"description": "Cup", "quantity": 1, "unit_price": 100}])


def lines_of(order):
    return list(order.lines.order_by("id"))


def request_return(org, order, *, actor=None, qty=1, refund="100", kind="return", **extra):
    kettle = lines_of(order)[0]
    return return_create(actor=actor or org.rep, order=order, kind=kind, reason="quality",
                         reason_note="Leaks", lines=[(kettle, qty)] if qty else [], refund_amount=refund, **extra)


def approve_and_complete(org, request):
    request = return_decide(actor=org.service_manager, request=request, approve=True, note="OK", version=None)
    return return_complete(actor=org.service_manager, request=request, version=None)


def test_request_numbered_with_lines_and_audit(org, customers):
    order = make_order(org, customers.own)
    a = request_return(org, order)
    b = request_return(org, order, refund="50")
    assert a.number.startswith("R") and len(a.number) == 13 and a.number.endswith("0001")
    assert b.number.endswith("0002") and a.status == "requested" and a.requested_by == org.rep
    line = ReturnLine.objects.get(request=a)
    assert line.quantity == 1 and line.amount == Decimal("100.00")
    assert AuditLog.objects.filter(entity="returnrequest", object_id=str(a.pk), customer_id=customers.own.pk).exists()


def test_partial_refund_sets_order_partial_and_net_spend_drops(org, customers):
    order = make_order(org, customers.own)
    assert customer_spend(customers.own)["net"] == Decimal("300.00")
    version = order.version
    done = approve_and_complete(org, request_return(org, order))
    order.refresh_from_db()
    assert done.status == "completed" and done.completed_at is not None
    assert order.refunded_amount == Decimal("100.00") and order.status == Order.Status.PARTLY_REFUNDED
    assert order.version == version + 1
    audit = AuditLog.objects.filter(entity="order", object_id=str(order.pk), action="update").latest("id")
    assert audit.changes["refunded_amount"][1] == "100.00" and audit.actor == org.service_manager
    spend = customer_spend(customers.own)
    assert spend == {"orders": 1, "gross": Decimal("300.00"), "refunded": Decimal("100.00"),
                     "net": Decimal("200.00")}


def test_full_refund_sets_order_refunded(org, customers):
    order = make_order(org, customers.own)
    approve_and_complete(org, request_return(org, order, qty=2, refund="200"))
    cup = lines_of(order)[1]
    r = return_create(actor=org.rep, order=order, kind="refund", reason="late", lines=[(cup, 1)],
                      refund_amount="100")
    approve_and_complete(org, r)
    order.refresh_from_db()
    assert order.refunded_amount == Decimal("300.00") and order.status == Order.Status.REFUNDED
    assert customer_spend(customers.own)["net"] == Decimal("0.00")


def test_spend_leaves_out_cancelled_orders(org, customers):
    make_order(org, customers.own)
    make_order(org, customers.own, status="cancelled")
    assert customer_spend(customers.own) == {"orders": 1, "gross": Decimal("300.00"), "refunded": Decimal("0.00"),
                                             "net": Decimal("300.00")}
    assert customer_spend(customers.same_dept)["orders"] == 0


def test_refund_more_than_remaining_is_refused_and_changes_nothing(org, customers):
    order = make_order(org, customers.own)
    before = (order.version, order.refunded_amount, order.status)
    with pytest.raises(ValidationError) as exc:
        request_return(org, order, qty=1, refund="300.01")
    assert list(exc.value.message_dict) == ["refund_amount"]
    assert "300.00 CNY" in exc.value.message_dict["refund_amount"][0]
    order.refresh_from_db()
    assert (order.version, order.refunded_amount, order.status) == before
    assert not ReturnRequest.objects.exists() and not ReturnLine.objects.exists()


def test_approved_refunds_count_against_the_maximum(org, customers):
    order = make_order(org, customers.own)
    first = request_return(org, order, refund="200")
    return_decide(actor=org.service_manager, request=first, approve=True, version=None)
    with pytest.raises(ValidationError) as exc:
        request_return(org, order, refund="150")
    assert "100.00" in exc.value.message_dict["refund_amount"][0]
    assert ReturnRequest.objects.count() == 1


def test_two_requests_cannot_both_be_approved_past_the_total(org, customers):
    order = make_order(org, customers.own)
    a = request_return(org, order, refund="250")
    b = request_return(org, order, refund="250")
    return_decide(actor=org.service_manager, request=a, approve=True, version=None)
    with pytest.raises(ValidationError) as exc:
        return_decide(actor=org.service_manager, request=b, approve=True, version=None)
    assert "refund_amount" in exc.value.message_dict
    assert ReturnRequest.objects.get(pk=b.pk).status == "requested"


def test_quantity_over_the_line_is_refused(org, customers):
    order = make_order(org, customers.own)
    with pytest.raises(ValidationError) as exc:
        request_return(org, order, qty=3, refund="100")
    assert "lines.0.quantity" in exc.value.message_dict and "2" in exc.value.message_dict["lines.0.quantity"][0]
    first = request_return(org, order, qty=2, refund="200")
    with pytest.raises(ValidationError) as exc:
        request_return(org, order, qty=1, refund="50")
    assert "lines.0.quantity" in exc.value.message_dict
    # A rejected request gives its quantities back.
    return_decide(actor=org.service_manager, request=first, approve=False, note="Used", version=None)
    assert request_return(org, order, qty=2, refund="200").status == "requested"


@pytest.mark.parametrize(("kind", "refund", "qty", "field"), [
    ("return", "0", 1, "refund_amount"),
    ("refund", "-5", 0, "refund_amount"),
    ("refund", "abc", 0, "refund_amount"),
    ("return", "10", 0, "lines"),
    ("swap", "10", 1, "kind"),
])
def test_bad_input(org, customers, kind, refund, qty, field):
    order = make_order(org, customers.own)
    with pytest.raises(ValidationError) as exc:
        request_return(org, order, kind=kind, refund=refund, qty=qty)
    assert field in exc.value.message_dict
    assert not ReturnRequest.objects.exists()


def test_exchange_may_refund_nothing_and_leaves_order_alone(org, customers):
    order = make_order(org, customers.own)
    r = approve_and_complete(org, request_return(org, order, kind="exchange", refund="0"))
    order.refresh_from_db()
    assert r.status == "completed" and order.status == "paid" and order.refunded_amount == 0


def test_line_of_another_order_and_cancelled_order(org, customers):
    order = make_order(org, customers.own)
    other = make_order(org, customers.own)
    with pytest.raises(ValidationError) as exc:
        return_create(actor=org.rep, order=order, kind="return", reason="quality", lines=[(lines_of(other)[0], 1)],
                      refund_amount="100")
    assert "lines.0.order_line" in exc.value.message_dict
    cancelled = make_order(org, customers.own, status="cancelled")
    with pytest.raises(ValidationError) as exc:
        request_return(org, cancelled)
    assert "order" in exc.value.message_dict
    assert not ReturnRequest.objects.exists()


def test_ticket_must_belong_to_the_orders_customer(org, customers):
    order = make_order(org, customers.own)
    foreign = ticket_create(actor=org.rep_sh, customer=customers.same_dept, data={"subject": "x"})
    with pytest.raises(ValidationError) as exc:
        request_return(org, order, actor=org.manager, ticket=foreign)
    assert "ticket" in exc.value.message_dict
    own = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "Broken kettle"})
    assert request_return(org, order, ticket=own).ticket == own


def test_rep_cannot_request_on_another_reps_customer(org, customers):
    order = make_order(org, customers.other_dept, actor=org.rep_west)
    with pytest.raises(PermissionDeniedError):
        request_return(org, order, actor=org.rep)
    with pytest.raises(PermissionDeniedError):
        request_return(org, order, actor=org.analyst)
    assert not ReturnRequest.objects.exists()
    assert request_return(org, order, actor=org.agent).requested_by == org.agent


def test_approval_needs_the_right(org, customers):
    order = make_order(org, customers.own)
    r = request_return(org, order)
    for who in (org.agent, org.rep, org.manager):
        with pytest.raises(PermissionDeniedError):
            return_decide(actor=who, request=r, approve=True, version=None)
    with pytest.raises(PermissionDeniedError):
        return_complete(actor=org.agent, request=r, version=None)
    r = return_decide(actor=org.service_manager, request=r, approve=True, note="Fine", version=r.version)
    assert r.status == "approved" and r.decided_by == org.service_manager and r.decided_at is not None
    assert r.decision_note == "Fine"


def test_status_order_is_enforced(org, customers):
    order = make_order(org, customers.own)
    r = request_return(org, order)
    with pytest.raises(ValidationError):
        return_complete(actor=org.service_manager, request=r, version=None)
    with pytest.raises(ValidationError) as exc:
        return_decide(actor=org.service_manager, request=r, approve=False, note="  ", version=None)
    assert "note" in exc.value.message_dict
    r = return_decide(actor=org.service_manager, request=r, approve=False, note="Out of warranty", version=None)
    assert r.status == "rejected"
    with pytest.raises(ValidationError):
        return_decide(actor=org.service_manager, request=r, approve=True, version=None)
    order.refresh_from_db()
    assert order.refunded_amount == 0 and order.status == "paid"


def test_stale_version_is_a_conflict(org, customers):
    order = make_order(org, customers.own)
    r = request_return(org, order)
    stale = r.version
    return_decide(actor=org.service_manager, request=r, approve=True, version=stale)
    with pytest.raises(ConflictError):
        return_complete(actor=org.service_manager, request=r, version=stale)
    order.refresh_from_db()
    assert order.refunded_amount == 0
