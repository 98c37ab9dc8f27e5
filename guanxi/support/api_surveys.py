"""REST endpoints of surveys: surveys (MANAGE_SERVICE) with create, change, remove and send to a customer;
the responses list (filters of SurveyResponseFilter) and its Excel export; a ticket's invitations; and the
public answer endpoint `POST /api/surveys/answer/{token}` (no login; rate-limited per IP: 404 unknown link,
410 expired, 409 already answered, 422 bad score or answer, 429 too many)."""

# No `from __future__ import annotations`: ninja reads these signatures through `@paginate`'s wrapper.
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict

from guanxi.api.params import filter_query_schema, query_error
from guanxi.core.errors import NotFoundError
from guanxi.customers.models import Contact
from guanxi.customers.selectors.customers import customer_get
from guanxi.customers.services.exports import XLSX, export_http_response
from guanxi.web.ratelimit import over_limit

from .filters_surveys import SurveyResponseFilter
from .models import Survey, SurveyInvitation
from .selectors import surveys as sel
from .selectors.tickets import ticket_get
from .services import survey_answers as answers
from .services import survey_config as config
from .services import surveys as svc
from .services.survey_export import response_export_prepare

router = Router(tags=["surveys"])


class ApiRequest(HttpRequest):
    auth: Any


class In(Schema):
    model_config = ConfigDict(extra="forbid")


ResponseListQuery = filter_query_schema(SurveyResponseFilter, "SurveyResponseListQuery")


class SurveyOut(Schema):
    id: int
    name: str
    kind: str
    intro: str
    questions: list[dict[str, Any]]
    send_after_close: bool
    every_days: int | None
    valid_days: int
    is_active: bool


class SurveyIn(In):
    name: str
    kind: Survey.Kind
    intro: str = ""
    questions: list[Any] = Field(default_factory=list, description="[{key, label, type: text|choice|scale, "
                                                                    "choices, required}]")
    send_after_close: bool = False
    every_days: int | None = Field(None, ge=1, le=3650)
    valid_days: int = Field(14, ge=1, le=365)
    is_active: bool = True


class SurveyPatch(In):
    name: str | None = None
    kind: Survey.Kind | None = None
    intro: str | None = None
    questions: list[Any] | None = None
    send_after_close: bool | None = None
    every_days: int | None = Field(None, ge=1, le=3650, description="null: not on a schedule.")
    valid_days: int | None = Field(None, ge=1, le=365)
    is_active: bool | None = None


class InviteIn(In):
    customer: int
    contact: int | None = None
    ticket: int | None = None
    channel: SurveyInvitation.Channel | None = Field(None, description="Empty: e-mail, else SMS, else link only.")


class InvitationOut(Schema):
    id: int
    survey: int = Field(alias="survey_id")
    customer: int = Field(alias="customer_id")
    contact: int | None = Field(None, alias="contact_id")
    ticket: int | None = Field(None, alias="ticket_id")
    agent: int | None = Field(None, alias="agent_id")
    product: int | None = Field(None, alias="product_id")
    channel: str
    recipient: str
    link: str = ""
    created_at: datetime
    sent_at: datetime | None
    expires_at: datetime
    responded_at: datetime | None

    @staticmethod
    def resolve_link(obj: Any) -> str:
        return svc.survey_link(obj)


class ResponseOut(Schema):
    id: int
    survey: int = Field(alias="survey_id")
    kind: str
    customer: int = Field(alias="customer_id")
    ticket: int | None = Field(None, alias="ticket_id")
    agent: int | None = Field(None, alias="agent_id")
    product: int | None = Field(None, alias="product_id")
    score: int | None
    answers: dict[str, Any]
    comment: str
    is_detractor: bool
    follow_up_task: int | None = Field(None, alias="follow_up_task_id")
    created_at: datetime


class AnswerIn(In):
    score: int | None = Field(None, description="CSAT 1-5, NPS 0-10; none for custom surveys.")
    answers: dict[str, Any] = Field(default_factory=dict, description="{question key: answer}")
    comment: str = ""


class Message(Schema):
    detail: str
    errors: dict[str, list[str]] | None = None


def _responses_filter(filters: Any) -> SurveyResponseFilter:
    form = SurveyResponseFilter(filters.model_dump(exclude_none=True))
    if not form.is_valid():
        raise query_error({k: [str(m) for m in v] for k, v in form.errors.items()})
    return form


@router.get("/surveys", response=list[SurveyOut], summary="Surveys (service managers)")
@paginate
def survey_list(request: ApiRequest) -> Any:
    return sel.survey_list(user=request.auth).order_by("id")


@router.post("/surveys", response={201: SurveyOut}, summary="Add a survey")
def survey_create(request: ApiRequest, payload: SurveyIn) -> Any:
    return Status(201, config.survey_save(actor=request.auth, survey=None, data=payload.model_dump()))


@router.get("/surveys/responses", response=list[ResponseOut],
            summary="Survey responses of customers you see (survey, kind, score range, detractors, dates)")
@paginate
def response_list(request: ApiRequest, filters: Query[ResponseListQuery]) -> Any:  # type: ignore[valid-type]
    return sel.response_list(user=request.auth, filters=_responses_filter(filters))


@router.get("/surveys/responses/export.{fmt}", response={200: None}, summary="Export responses (Excel or CSV)",
            openapi_extra={"responses": {"200": {"content": {XLSX: {}, "text/csv": {}}}}})
def response_export(request: ApiRequest, fmt: Literal["xlsx", "csv"],
                    filters: Query[ResponseListQuery]) -> HttpResponseBase:  # type: ignore[valid-type]
    """Takes the responses list's query parameters. Needs the export permission; audited, and counts towards
    your role's daily row limit (403 over it, nothing exported)."""
    form = _responses_filter(filters)
    export = response_export_prepare(user=request.auth, filters=form, fmt=fmt, params=form.cleaned_data)
    return export_http_response(export)


@router.get("/surveys/{int:survey_id}", response=SurveyOut)
def survey_detail(request: ApiRequest, survey_id: int) -> Any:
    return sel.survey_get(user=request.auth, pk=survey_id)


@router.patch("/surveys/{int:survey_id}", response=SurveyOut, summary="Change, activate or deactivate a survey")
def survey_update(request: ApiRequest, survey_id: int, payload: SurveyPatch) -> Any:
    survey = sel.survey_get(user=request.auth, pk=survey_id)
    data = payload.model_dump(exclude_unset=True)
    nullable = {"every_days"}
    data = {k: v for k, v in data.items() if v is not None or k in nullable}
    return config.survey_save(actor=request.auth, survey=survey, data=data)


@router.delete("/surveys/{int:survey_id}", response={204: None}, summary="Remove a survey that was never sent")
def survey_delete(request: ApiRequest, survey_id: int) -> Any:
    config.survey_delete(actor=request.auth, survey=sel.survey_get(user=request.auth, pk=survey_id))
    return Status(204, None)


@router.post("/surveys/{int:survey_id}/invite", response={201: InvitationOut},
             summary="Send the survey to a customer (e-mail, SMS or a link to pass on)")
def survey_invite(request: ApiRequest, survey_id: int, payload: InviteIn) -> Any:
    actor = request.auth
    survey = sel.survey_get(user=actor, pk=survey_id)
    customer = customer_get(user=actor, pk=payload.customer)
    contact = None
    if payload.contact is not None:
        contact = Contact.objects.visible_to(actor).filter(pk=payload.contact).first()
        if contact is None:
            raise NotFoundError()
    ticket = ticket_get(user=actor, pk=payload.ticket) if payload.ticket is not None else None
    invitation = svc.survey_send(actor=actor, survey=survey, customer=customer, contact=contact,
                                 channel=payload.channel or None, ticket=ticket)
    return Status(201, invitation)


@router.get("/tickets/{int:ticket_id}/survey-invitations", response=list[InvitationOut],
            summary="The ticket's survey invitations (link-only ones to pass on)")
def ticket_invitations(request: ApiRequest, ticket_id: int) -> Any:
    ticket = ticket_get(user=request.auth, pk=ticket_id)
    return sel.invitations_of_ticket(user=request.auth, ticket=ticket)


@router.post("/surveys/answer/{token}", auth=None, response={201: Message, 404: Message, 409: Message,
                                                               410: Message, 422: Message, 429: Message},
             summary="Answer a survey by its link's token (no login)")
def survey_answer(request: HttpRequest, token: str, payload: AnswerIn) -> Any:
    """The customer's answer. Single use: a second answer gets 409 and changes nothing; an expired link 410;
    a score out of range or a bad answer 422 naming the field; too many answers from one address 429."""
    limit, window = answers.answer_rate()
    if over_limit(request, "survey", limit, window):
        return Status(429, {"detail": _("Too many answers from your network. Please wait a minute and try again.")})
    try:
        invitation = answers.invitation_by_token(token)
        answers.survey_respond(invitation=invitation, score=payload.score, answers=payload.answers,
                               comment=payload.comment)
    except NotFoundError:
        return Status(404, {"detail": _("This survey link is not valid.")})
    except answers.SurveyExpired as exc:
        return Status(410, {"detail": exc.message})
    except answers.SurveyAlreadyAnswered as exc:
        return Status(409, {"detail": exc.message})
    return Status(201, {"detail": _("Thank you! We have received your answer.")})
