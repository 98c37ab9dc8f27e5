"""The public support form (issue 4 §2): a known customer's request becomes a ticket (channel "web form").

The sender is matched to a contact by e-mail address (any case) or mobile number. An unknown sender gets no
ticket: the request is logged (not stored) and the page tells them how to reach support by e-mail.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from guanxi.core.text import mask_phone

from ..models import Ticket
from ..selectors.mail import contacts_matching
from .mail import mail_actor
from .mail_tickets import customer_ticket_open

log = logging.getLogger(__name__)


@transaction.atomic
def support_request_file(*, data: dict[str, Any], client: str = "") -> Ticket | None:
    """File the form's `data` (name, email, mobile E.164, subject, message); None when no contact matches."""
    email = (data.get("email") or "").strip().lower()
    mobile = data.get("mobile") or ""
    contacts = contacts_matching(email=email, mobile=mobile)
    if not contacts:
        log.info("Support form from %s: no contact matches %r / %s; nothing filed.", client or "?", email,
                 mask_phone(mobile))
        return None
    # An e-mail match is the surer one (a mobile number may have been passed on).
    contact = next((c for c in contacts if email and c.email.lower() == email), contacts[0])
    body = data.get("message") or ""
    sender = " · ".join(v for v in (data.get("name"), email, mobile) if v)
    ticket, _message = customer_ticket_open(
        actor=mail_actor(), contact=contact, subject=data.get("subject") or "", body=f"{body}\n\n— {sender}",
        channel=Ticket.Channel.WEB, requester_email=email or contact.email, email_from=email)
    log.info("Support form from %s filed as ticket %s", client or "?", ticket.number)
    return ticket
