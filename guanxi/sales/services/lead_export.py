"""Exporting leads to CSV (UTF-8 with BOM) or Excel, with the lead list's filter (`LeadFilter`, the same as
/sales/leads/ and `GET /api/leads`), so an export holds what the list shows and never more than its user sees.

Export control is the customers' (one place, `guanxi.customers.services.exports.export_build` over
`governance.services_export`): the EXPORT capability, the role's daily row limit (over it nothing is written
or audited), one audit row per export (who, filters, row count), the exporter's name and the time in the
file name, its last row and the Excel document properties. Mobiles and emails are masked as on screen
(`governance.masking`: the owner sees them in clear, others as their role's policy says).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.services.exports import EXPORT_FORMATS, Column, Export, export_build
from guanxi.governance import masking, permissions

from ..filters import LeadFilter
from ..selectors.leads import lead_list


def _username(user: Any) -> str:
    return user.get_username() if user is not None else ""


def lead_columns() -> list[Column]:
    return [
        (_("ID"), lambda x: x.pk),
        (_("External id"), lambda x: x.external_id),
        (_("Name"), lambda x: x.name),
        (_("Company"), lambda x: x.company),
        (_("Job title"), lambda x: x.title),
        (_("Mobile"), lambda x: x.shown.mobile),
        (_("Email"), lambda x: x.shown.email),
        (_("Unified social credit code"), lambda x: x.credit_code),
        (_("Province"), lambda x: x.province),
        (_("City"), lambda x: x.city),
        (_("Industry"), lambda x: x.industry),
        (_("Source"), lambda x: x.get_source_display()),
        (_("Campaign"), lambda x: x.campaign.name if x.campaign_id else ""),
        (_("Status"), lambda x: x.get_status_display()),
        (_("Reason for disqualifying"), lambda x: x.disqualify_reason),
        (_("Score"), lambda x: x.score),
        (_("Owner"), lambda x: _username(x.owner)),
        (_("Department"), lambda x: x.department.name if x.department_id else ""),
        (_("Last follow-up"), lambda x: x.last_interaction_at),
        (_("Created at"), lambda x: x.created_at),
        (_("Notes"), lambda x: x.notes),
    ]


def lead_export_prepare(*, user: Any, filters: LeadFilter | None, fmt: str,
                        params: dict[str, Any] | None = None) -> Export:
    """Check the permission and the daily row limit, audit the export and return it ready to write
    (`export_http_response`). `filters`: a valid, bound LeadFilter, or None for every lead the user sees.

    No EXPORT capability, or over the daily limit: PermissionDeniedError (saying how many rows are left
    today); nothing is audited."""
    if not permissions.can(user, permissions.EXPORT):
        raise PermissionDeniedError()
    if fmt not in EXPORT_FORMATS:
        raise PermissionDeniedError(_("Unknown export."))
    qs = lead_list(user=user, filters=filters).select_related("department")
    if filters is None:
        qs = qs.order_by("-id")
    shown = masking.for_user(user)

    def prepare(lead: Any) -> None:
        lead.shown = shown.mask_lead(lead)

    return export_build(user=user, entity="lead", fmt=fmt, qs=qs, columns=lead_columns(), params=params,
                        prepare=prepare, sheet=_("Leads"))
