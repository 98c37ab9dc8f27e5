"""Exporting survey responses to Excel (or CSV) with the responses list's filter (`SurveyResponseFilter`).

Export control is the customers' one path (`guanxi.customers.services.exports.export_build` over
`governance.services_export`): the EXPORT capability, the role's daily row limit (over it nothing is written
or audited), one audit row per export, the exporter and time in the file; every text cell goes through
`guanxi.core.text.spreadsheet_safe`, so a comment starting with "=" is not run as a formula.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _

from guanxi.core.errors import PermissionDeniedError
from guanxi.core.text import person_name
from guanxi.customers.services.exports import Column, Export, export_build
from guanxi.governance import permissions

from ..filters_surveys import SurveyResponseFilter
from ..selectors.surveys import response_list


def response_columns() -> list[Column]:
    return [
        (_("ID"), lambda r: r.pk),
        (_("Answered at"), lambda r: r.created_at),
        (_("Survey"), lambda r: r.survey.name),
        (_("Kind"), lambda r: r.get_kind_display()),
        (_("Score"), lambda r: r.score if r.score is not None else ""),
        (_("Unhappy"), lambda r: _("Yes") if r.is_detractor else _("No")),
        (_("Customer"), lambda r: r.customer.name),
        (_("Ticket"), lambda r: r.ticket.number if r.ticket_id else ""),
        (_("Agent"), lambda r: person_name(r.agent)),
        (_("Product"), lambda r: r.product.name if r.product_id else ""),
        (_("Comment"), lambda r: r.comment),
        (_("Answers"), lambda r: json.dumps(r.answers, ensure_ascii=False) if r.answers else ""),
        (_("Follow-up task"), lambda r: r.follow_up_task.title if r.follow_up_task_id else ""),
    ]


def response_export_prepare(*, user: Any, filters: SurveyResponseFilter | None, fmt: str = "xlsx",
                            params: dict[str, Any] | None = None) -> Export:
    """Check the rights and the daily row limit, audit the export and return it ready to write
    (`export_http_response`). No right: PermissionDeniedError."""
    if not permissions.can(user, permissions.EXPORT):
        raise PermissionDeniedError()
    qs = response_list(user=user, filters=filters)
    return export_build(user=user, entity="surveyresponse", fmt=fmt, qs=qs, columns=response_columns(),
                        params=params, sheet=_("Survey responses"))
