"""Reads on surveys, invitations and responses.

Surveys themselves are settings (MANAGE_SERVICE). Responses and invitations are read only for customers the
user may see (`customer_read_q`, the same rule as the customer pages); the responses list is for managers
(MANAGE_SERVICE or VIEW_REPORTS).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.customers.models.visibility import customer_read_q
from guanxi.governance import permissions

from ..filters_surveys import SurveyResponseFilter
from ..models import Survey, SurveyInvitation, SurveyResponse, Ticket


def may_manage(user: Any) -> bool:
    return permissions.can(user, permissions.MANAGE_SERVICE)


def may_read_responses(user: Any) -> bool:
    return may_manage(user) or permissions.can(user, permissions.VIEW_REPORTS)


def survey_list(*, user: Any) -> QuerySet[Survey]:
    if not may_manage(user):
        raise PermissionDeniedError()
    return Survey.objects.all()


def survey_get(*, user: Any, pk: Any) -> Survey:
    try:
        return survey_list(user=user).get(pk=pk)
    except (Survey.DoesNotExist, ValueError, TypeError):
        raise NotFoundError() from None


def survey_choices() -> list[tuple[int, str]]:
    """Every survey's id and name (for the filters of the responses list)."""
    return list(Survey.objects.order_by("name").values_list("pk", "name"))


def response_list(*, user: Any, filters: SurveyResponseFilter | None = None) -> QuerySet[SurveyResponse]:
    if not may_read_responses(user):
        raise PermissionDeniedError()
    qs = (SurveyResponse.objects.filter(customer_read_q(user, "customer__"))
          .select_related("survey", "customer", "ticket", "agent", "product", "follow_up_task__assignee"))
    return filters.apply(qs) if filters is not None else qs


def invitations_of_ticket(*, user: Any, ticket: Ticket) -> list[SurveyInvitation]:
    """The ticket's invitations with their responses (the ticket was read through `ticket_get`)."""
    return list(SurveyInvitation.objects.filter(customer_read_q(user, "customer__"), ticket=ticket)
                .select_related("survey", "response").order_by("-id"))
