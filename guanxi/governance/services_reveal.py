"""The explicit, audited "reveal" of a masked contact value (号码脱敏 → 查看完整号码)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from guanxi.core.errors import NotFoundError
from guanxi.customers.selectors.customers import contact_get

from .masking import MASKED_FIELDS
from .models import AuditLog
from .services import audit_record


@transaction.atomic
def contact_reveal(*, actor: Any, contact_id: Any, fields: Sequence[str] = MASKED_FIELDS) -> dict[str, str]:
    """The clear values of `fields` of a contact the actor may see, audited (REVEAL, on the customer's
    timeline). A contact the actor may not see, or an unknown field, raises NotFoundError (404)."""
    unknown = [f for f in fields if f not in MASKED_FIELDS]
    if unknown or not fields:
        raise NotFoundError()
    contact = contact_get(user=actor, pk=contact_id)
    values = {f: getattr(contact, f) or "" for f in fields}
    audit_record(actor=actor, action=AuditLog.Action.REVEAL, instance=contact, customer_id=contact.customer_id,
                 changes={"fields": list(fields), "contact": contact.pk})
    return values
