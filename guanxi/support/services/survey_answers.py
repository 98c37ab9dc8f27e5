"""Answering a survey by its link: validate, take the single-use token atomically, store the response against
the customer, ticket, agent and product, and open a follow-up task for an unhappy customer (detractor).

The token is taken with a conditional UPDATE (`... WHERE responded_at IS NULL`) inside the transaction that
stores the response, after locking the row: of two answers sent at once, exactly one is stored and the other
gets SurveyAlreadyAnswered, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.core.errors import ConflictError, GuanxiError, NotFoundError
from guanxi.customers.services.activity import task_create
from guanxi.customers.services.records import record_create
from guanxi.governance.models import Employee, Role

from ..models import Survey, SurveyInvitation, SurveyResponse

log = logging.getLogger(__name__)
Kind = Survey.Kind
SCORE_RANGE = {Kind.CSAT: (1, 5), Kind.NPS: (0, 10)}
SCALE_RANGE = (1, 5)


def answer_rate() -> tuple[int, int]:
    """(answers, per seconds) the public answer page and endpoint take from one IP address
    (GUANXI_SURVEY_RATE, GUANXI_SURVEY_WINDOW); the web layer counts them (guanxi/web/ratelimit.py)."""
    return int(getattr(settings, "GUANXI_SURVEY_RATE", 10)), int(getattr(settings, "GUANXI_SURVEY_WINDOW", 60))


class SurveyExpired(GuanxiError):
    default_message = gettext_lazy("This survey link has expired.")


class SurveyAlreadyAnswered(ConflictError):
    default_message = gettext_lazy("This survey has already been answered. Thank you!")


def invitation_by_token(token: str) -> SurveyInvitation:
    """The invitation of a link; NotFoundError for an unknown token."""
    invitation = (SurveyInvitation.objects.select_related("survey", "customer", "ticket", "contact")
                  .filter(token=str(token)[:64]).first() if token else None)
    if invitation is None:
        raise NotFoundError()
    return invitation


def check_open(invitation: SurveyInvitation, now: datetime.datetime | None = None) -> None:
    """SurveyAlreadyAnswered or SurveyExpired unless the link may still be answered."""
    if invitation.responded_at is not None:
        raise SurveyAlreadyAnswered()
    if invitation.expires_at <= (now or timezone.now()):
        raise SurveyExpired()


def is_detractor(kind: str, score: int | None) -> bool:
    """NPS 0-6 and CSAT 1-2 are unhappy customers; custom surveys have no score to judge."""
    if score is None:
        return False
    if kind == Kind.NPS:
        return score <= 6
    if kind == Kind.CSAT:
        return score <= 2
    return False


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    return None


def clean_score(kind: str, value: Any) -> int | None:
    if kind not in SCORE_RANGE:
        if value not in (None, ""):
            raise ValidationError({"score": [_("This survey has no score.")]})
        return None
    low, high = SCORE_RANGE[kind]  # type: ignore[index]
    if value in (None, ""):
        raise ValidationError({"score": [_("Choose a score.")]})
    number = _int(value)
    if number is None or not low <= number <= high:
        raise ValidationError({"score": [_("Choose a score from %(low)d to %(high)d.") % {"low": low, "high": high}]})
    return number


def clean_answers(questions: list[dict[str, Any]], answers: Any) -> dict[str, Any]:
    """The answers to the survey's extra questions, each checked against its question; keys `answers.<key>`."""
    if answers in (None, ""):
        answers = {}
    if not isinstance(answers, dict):
        raise ValidationError({"answers": [_("Send the answers as an object of question keys.")]})
    by_key = {str(q.get("key")): q for q in questions if isinstance(q, dict)}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for key in answers:
        if key not in by_key:
            errors[f"answers.{key}"] = [_("There is no such question.")]
    for key, question in by_key.items():
        value = answers.get(key)
        if isinstance(value, str):
            value = value.strip()
        if value in (None, ""):
            if question.get("required"):
                errors[f"answers.{key}"] = [_("Please answer this question.")]
            continue
        kind = question.get("type", "text")
        if kind == "choice":
            if str(value) not in [str(c) for c in question.get("choices") or []]:
                errors[f"answers.{key}"] = [_("Choose one of the answers offered.")]
                continue
            cleaned[key] = str(value)
        elif kind == "scale":
            number = _int(value)
            if number is None or not SCALE_RANGE[0] <= number <= SCALE_RANGE[1]:
                errors[f"answers.{key}"] = [_("Choose a number from 1 to 5.")]
                continue
            cleaned[key] = number
        else:
            if not isinstance(value, str):
                errors[f"answers.{key}"] = [_("Write the answer as text.")]
            elif len(value) > 2000:
                errors[f"answers.{key}"] = [_("Keep the answer under 2000 characters.")]
            else:
                cleaned[key] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def survey_respond(*, invitation: SurveyInvitation, score: Any, answers: Any = None, comment: str = "",
                   now: datetime.datetime | None = None) -> SurveyResponse:
    """Store the customer's answer (there is no actor: the link is the customer's credential)."""
    now = now or timezone.now()
    locked = SurveyInvitation.objects.select_for_update().get(pk=invitation.pk)
    check_open(locked, now)
    survey = Survey.objects.get(pk=locked.survey_id)
    errors: dict[str, list[str]] = {}
    cleaned_score = cleaned_answers = None
    try:
        cleaned_score = clean_score(survey.kind, score)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        cleaned_answers = clean_answers(survey.questions if isinstance(survey.questions, list) else [], answers)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    comment = (comment or "").strip() if isinstance(comment, str) else ""
    if len(comment) > 2000:
        errors["comment"] = [_("Keep the comment under 2000 characters.")]
    if errors:
        raise ValidationError(errors)
    if not SurveyInvitation.objects.filter(pk=locked.pk, responded_at__isnull=True).update(responded_at=now):
        raise SurveyAlreadyAnswered()
    response = record_create(actor=None, instance=SurveyResponse(
        invitation=locked, survey=survey, kind=survey.kind, customer_id=locked.customer_id, ticket_id=locked.ticket_id,
        agent_id=locked.agent_id, product_id=locked.product_id, score=cleaned_score, answers=cleaned_answers or {},
        comment=comment, is_detractor=is_detractor(survey.kind, cleaned_score)))
    if response.is_detractor:
        response.follow_up_task = _follow_up_task(response, now)
        if response.follow_up_task is not None:
            SurveyResponse.objects.filter(pk=response.pk).update(follow_up_task=response.follow_up_task)
    return response


def _service_manager() -> Any:
    return (get_user_model().objects.filter(is_active=True, employee__status=Employee.Status.ACTIVE,
                                            employee__role=Role.SERVICE_MANAGER).order_by("pk").first())


def _follow_up_task(response: SurveyResponse, now: datetime.datetime) -> Any:
    """A task due tomorrow for the agent, else the customer's owner, else a service manager."""
    customer = response.customer
    candidates = [response.agent, customer.owner]
    assignee = next((u for u in candidates if u is not None and u.is_active), None) or _service_manager()
    if assignee is None:
        log.warning("Unhappy survey answer %s: nobody to follow it up.", response.pk)
        return None
    high = SCORE_RANGE[response.kind][1]  # type: ignore[index]
    title = _("Unhappy customer: %(kind)s %(score)d/%(high)d from %(customer)s") % {
        "kind": response.kind.upper(), "score": response.score, "high": high, "customer": customer.name}
    due = timezone.localtime(now).replace(hour=10, minute=0, second=0, microsecond=0) + datetime.timedelta(days=1)
    related = ("ticket", response.ticket_id) if response.ticket_id else ("surveyresponse", response.pk)
    return task_create(actor=None, data={
        "title": title[:200], "notes": response.comment, "due_at": due, "assignee": assignee, "customer": customer,
        "related_type": related[0], "related_id": related[1]})
