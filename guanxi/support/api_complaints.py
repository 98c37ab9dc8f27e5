"""REST endpoints of the complaint flow: a complaint's six steps (list, tick or untick with a note), its
compensations (list, add), and closing a complaint with its follow-up open (a manager's reason)."""

# No `from __future__ import annotations`: ninja reads these signatures.
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import ConfigDict

from .models import Compensation, Ticket
from .selectors import complaints as csel
from .selectors import tickets as tsel
from .services import complaints as svc
from .services import tickets as tickets_svc

router = Router(tags=["complaints"])


class ApiRequest(HttpRequest):
    auth: Any


class In(Schema):
    model_config = ConfigDict(extra="forbid")


class StepOut(Schema):
    step: str
    label: str
    position: int
    done: bool = Field(description="Ticked, or (the follow-up step) its task was completed.")
    done_at: datetime | None
    done_by: int | None = Field(None, alias="done_by_id")
    note: str
    task: int | None = Field(None, alias="task_id", description="The follow-up step's task (customers Task id).")
    task_due_at: datetime | None = None
    task_done_at: datetime | None = None

    @staticmethod
    def resolve_label(obj: Any) -> str:
        return str(obj.get_step_display())

    @staticmethod
    def resolve_done(obj: Any) -> bool:
        if obj.step == svc.Step.FOLLOW_UP:
            return svc.follow_up_done(obj)
        return obj.done_at is not None

    @staticmethod
    def resolve_task_due_at(obj: Any) -> datetime | None:
        return obj.task.due_at if obj.task is not None else None

    @staticmethod
    def resolve_task_done_at(obj: Any) -> datetime | None:
        return obj.task.done_at if obj.task is not None else None


class StepIn(In):
    done: bool
    note: str | None = Field(None, description="Replaces the step's note when given.")


class CompensationOut(Schema):
    id: int
    kind: str
    description: str
    amount: Decimal
    cost: Decimal
    created_by: int | None = Field(None, alias="created_by_id")
    created_at: datetime


class CompensationIn(In):
    kind: Compensation.Kind
    amount: Decimal = Decimal("0")
    cost: Decimal = Decimal("0")
    description: str = ""


class CloseAnywayIn(In):
    reason: str = Field(description="Why the complaint is closed with its follow-up step open.")
    version: int | None = Field(None, description="The ticket version you read; 409 if it changed since.")


class ClosedOut(Schema):
    id: int
    status: str
    closed_at: datetime | None
    close_override_reason: str
    close_override_by: int | None = Field(None, alias="close_override_by_id")
    version: int


@router.get("/tickets/{int:ticket_id}/complaint-steps", response=list[StepOut],
            summary="The six steps of a complaint, with who and when")
def step_list(request: ApiRequest, ticket_id: int) -> Any:
    ticket = tsel.ticket_get(user=request.auth, pk=ticket_id)
    return list(csel.complaint_steps(user=request.auth, ticket=ticket))


@router.post("/tickets/{int:ticket_id}/complaint-steps/{step}", response=StepOut,
             summary="Tick or untick a complaint step (apologise, restate, empathise, compensate, follow_up, exceed)")
def step_mark(request: ApiRequest, ticket_id: int, step: str, payload: StepIn) -> Any:
    ticket = tsel.ticket_get(user=request.auth, pk=ticket_id, for_change=True)
    svc.step_mark(actor=request.auth, ticket=ticket, step=step, done=payload.done, note=payload.note)
    return csel.complaint_steps(user=request.auth, ticket=ticket).get(step=step)


@router.get("/tickets/{int:ticket_id}/compensations", response=list[CompensationOut],
            summary="What was given to make up for the problem, and its cost")
def compensation_list(request: ApiRequest, ticket_id: int) -> Any:
    ticket = tsel.ticket_get(user=request.auth, pk=ticket_id)
    return list(csel.compensations_of(user=request.auth, ticket=ticket))


@router.post("/tickets/{int:ticket_id}/compensations", response={201: CompensationOut},
             summary="Record a compensation (refund, coupon, points, gift, other)")
def compensation_add(request: ApiRequest, ticket_id: int, payload: CompensationIn) -> Any:
    ticket = tsel.ticket_get(user=request.auth, pk=ticket_id, for_change=True)
    return Status(201, svc.compensation_add(actor=request.auth, ticket=ticket, kind=payload.kind,
                                            amount=payload.amount, cost=payload.cost,
                                            description=payload.description))


@router.post("/tickets/{int:ticket_id}/close-anyway", response=ClosedOut,
             summary="Close a resolved complaint whose follow-up is open (OVERRIDE_CLOSE, with a reason)")
def close_anyway(request: ApiRequest, ticket_id: int, payload: CloseAnywayIn) -> Any:
    ticket = tsel.ticket_get(user=request.auth, pk=ticket_id, for_change=True)
    return tickets_svc.ticket_set_status(actor=request.auth, ticket=ticket, status=Ticket.Status.CLOSED,
                                         version=payload.version, override_reason=payload.reason)
