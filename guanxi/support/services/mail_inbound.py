"""Filing an e-mail received at the support address (issue 4 §2): `receive(raw) -> InboundEmail`.

Every e-mail leaves one InboundEmail row. Rejected (with the reason, nothing else written): too large, broken
MIME, no valid sender, a Message-ID already filed, an automatic reply or our own mail coming back, an unknown
sender. Accepted: a reply to a ticket — found by In-Reply-To/References among the Message-IDs of the tickets'
messages, else by a "[T…]" tag in the subject — when the sender is that ticket's requester or a contact of its
customer; otherwise a new ticket for the sender's contact (channel e-mail). A closed ticket is not reopened by
mail: the answer opens a follow-up ticket. Attachments go through the same checks as uploads; a refused one is
noted in the log's reason and the rest of the e-mail is still filed.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, field
from email import errors, policy
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from guanxi.core.errors import ConflictError, NotFoundError, PermissionDeniedError

from ..models import InboundEmail, Ticket, TicketMessage
from ..selectors.mail import contacts_matching
from .attachments import attachment_add, delete_file
from .mail import mail_actor, mail_language, support_address
from .mail_tickets import customer_message_add, customer_ticket_open, strip_quoted

log = logging.getLogger(__name__)
Outcome = InboundEmail.Outcome
TAG = re.compile(r"\[(T\d{12,})\]")
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# Defects that mean the structure cannot be trusted (a lost boundary, a truncated message, no headers).
BROKEN = (errors.NoBoundaryInMultipartDefect, errors.StartBoundaryNotFoundDefect,
          errors.CloseBoundaryNotFoundDefect, errors.MultipartInvariantViolationDefect,
          errors.InvalidMultipartContentTransferEncodingDefect, errors.MissingHeaderBodySeparatorDefect,
          errors.FirstHeaderLineIsContinuationDefect)


@dataclass
class Mail:
    message_id: str = ""
    from_header: str = ""
    subject: str = ""
    size: int = 0
    sender: str = ""
    references: list[str] = field(default_factory=list)
    body: str = ""
    attachments: list[tuple[str, bytes]] = field(default_factory=list)


def max_bytes() -> int:
    return int(getattr(settings, "GUANXI_INBOUND_MAX_BYTES", 25 * 1024 * 1024))


def _text(msg: Message, name: str) -> str:
    try:
        return " ".join(str(msg.get(name) or "").split())
    except Exception:  # a header too broken to decode counts as missing
        return ""


def _head(msg: Message, size: int) -> Mail:
    ids = MESSAGE_ID.findall(_text(msg, "Message-ID"))
    refs = MESSAGE_ID.findall(_text(msg, "In-Reply-To")) + MESSAGE_ID.findall(_text(msg, "References"))[::-1]
    return Mail(message_id=ids[0][:255] if ids else "", from_header=_text(msg, "From"), subject=_text(msg, "Subject"),
                size=size, references=refs[:50])


def _sender(msg: Message) -> str:
    try:
        addresses = getattr(msg["From"], "addresses", ())
        address = addresses[0].addr_spec if addresses else parseaddr(str(msg["From"] or ""))[1]
    except Exception:
        address = ""
    address = (address or "").strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        return ""
    return address


def _log(mail: Mail, outcome: str, reason: str = "", ticket: Ticket | None = None) -> InboundEmail:
    row = InboundEmail.objects.create(message_id=mail.message_id, from_address=(mail.sender or mail.from_header)[:255],
                                      subject=mail.subject[:255], size=mail.size, outcome=outcome,
                                      reason=reason[:500], ticket=ticket)
    if outcome == Outcome.REJECTED:
        log.warning("Rejected an e-mail from %r (%s): %s", row.from_address, row.message_id or "no Message-ID", reason)
    else:
        log.info("Filed an e-mail from %s on ticket %s (%s)", row.from_address, ticket and ticket.number, outcome)
    return row


def _is_automatic(msg: Message) -> bool:
    auto = _text(msg, "Auto-Submitted").lower()
    return (auto not in ("", "no") or _text(msg, "Precedence").lower() in ("auto_reply", "bulk", "junk")
            or bool(_text(msg, "X-Autoreply")) or msg.get_content_type() == "multipart/report")


def _content(part: Any) -> str:
    try:
        return str(part.get_content())
    except (LookupError, UnicodeError, AssertionError):  # an unknown or lying charset
        return (part.get_payload(decode=True) or b"").decode("utf-8", "replace")


def html_to_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style|head)\b.*?</\1\s*>", " ", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</(p|div|li|tr|h\d)\s*>", "\n", markup)
    text = html.unescape(strip_tags(markup))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _body_and_files(msg: EmailMessage) -> tuple[str, list[tuple[str, bytes]]]:
    part = msg.get_body(preferencelist=("plain", "html"))
    body = ""
    if part is not None:
        body = _content(part)
        if part.get_content_subtype() == "html":
            body = html_to_text(body)
    files = []
    for n, attachment in enumerate(msg.iter_attachments(), start=1):
        name = attachment.get_filename() or f"attachment-{n}"
        if attachment.get_content_type() == "message/rfc822":
            data = attachment.as_bytes()
            name = attachment.get_filename() or f"message-{n}.eml"
        else:
            payload = attachment.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
        files.append((name, data))
    return body, files


def _parse(raw: bytes) -> tuple[Mail, str]:
    """The e-mail's parts and "" — or what is known of it and why it is rejected."""
    if len(raw) > max_bytes():
        head = BytesHeaderParser(policy=policy.default).parsebytes(raw[:65536])
        mail = _head(head, len(raw))
        mail.sender = _sender(head)
        return mail, _("The e-mail is larger than %(max)s.") % {"max": filesizeformat(max_bytes())}
    broken = _("The e-mail's MIME structure is broken.")
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception:
        return Mail(size=len(raw)), broken
    mail = _head(msg, len(raw))
    mail.sender = _sender(msg)
    if not len(msg) or any(isinstance(d, BROKEN) for part in msg.walk() for d in part.defects):
        return mail, broken
    if not mail.sender:
        return mail, _("The e-mail has no valid sender address (From).")
    if mail.message_id and (InboundEmail.objects.filter(message_id=mail.message_id).exclude(
            outcome=Outcome.REJECTED).exists() or TicketMessage.objects.filter(message_id=mail.message_id).exists()):
        return mail, _("This e-mail was received before (the same Message-ID).")
    if mail.sender == parseaddr(support_address())[1].lower():
        return mail, _("The e-mail was sent from the support address itself (a mail loop).")
    if _is_automatic(msg):
        return mail, _("An automatic message (out-of-office reply or delivery report) is not filed.")
    try:
        mail.body, mail.attachments = _body_and_files(msg)  # type: ignore[arg-type]
    except Exception:
        log.info("Could not read the parts of an e-mail from %s", mail.sender, exc_info=True)
        return mail, broken
    return mail, ""


def _thread(mail: Mail) -> Ticket | None:
    if mail.references:
        found = (TicketMessage.objects.filter(message_id__in=mail.references, ticket__deleted_at__isnull=True)
                 .select_related("ticket", "ticket__contact").order_by("-id").first())
        if found is not None:
            return found.ticket
    tag = TAG.search(mail.subject)
    if tag:
        return Ticket.objects.filter(number=tag.group(1), deleted_at__isnull=True).select_related("contact").first()
    return None


def _may_reply(ticket: Ticket, sender: str, contacts: list[Any]) -> bool:
    """The sender is the ticket's requester, its contact, or a contact of its customer."""
    contact_email = ticket.contact.email.lower() if ticket.contact is not None else ""
    return sender in (ticket.requester_email.lower(), contact_email) or any(
        c.customer_id == ticket.customer_id for c in contacts)


def _attach(actor: Any, ticket: Ticket, message: TicketMessage, files: list[tuple[str, bytes]],
            stored: list[str]) -> list[str]:
    notes = []
    for name, data in files:
        try:
            attachment = attachment_add(actor=actor, ticket=ticket, upload=data, name=name, message=message)
        except ValidationError as exc:
            notes.append(_("Attachment “%(name)s” refused: %(why)s") % {"name": name[:80],
                                                                       "why": " ".join(exc.messages)})
        else:
            stored.append(attachment.file.name or "")
    return notes


def _file(mail: Mail) -> InboundEmail:
    actor = mail_actor()
    contacts = contacts_matching(email=mail.sender)
    ticket = _thread(mail)
    notes: list[str] = []
    if ticket is not None and not _may_reply(ticket, mail.sender, contacts):
        notes.append(_("The ticket named in the e-mail is another customer's; a new ticket was opened."))
        ticket = None
    if ticket is not None and ticket.status == Ticket.Status.CLOSED:
        notes.append(_("Ticket %(number)s is closed; a follow-up ticket was opened.") % {"number": ticket.number})
        contacts = contacts or ([ticket.contact] if ticket.contact is not None else [])
        ticket = None
    if ticket is None and not contacts:
        return _log(mail, Outcome.REJECTED, _("Unknown sender: no contact has this e-mail address."))
    stored: list[str] = []
    try:
        with transaction.atomic():
            if ticket is None:
                outcome = Outcome.NEW_TICKET
                ticket, message = customer_ticket_open(
                    actor=actor, contact=contacts[0], subject=mail.subject, body=mail.body,
                    channel=Ticket.Channel.EMAIL, requester_email=mail.sender, email_from=mail.sender,
                    message_id=mail.message_id)
            else:
                outcome = Outcome.REPLY
                message = customer_message_add(actor=actor, ticket=ticket, body=strip_quoted(mail.body),
                                               email_from=mail.sender, message_id=mail.message_id)
            notes += _attach(actor, ticket, message, mail.attachments, stored)
            return _log(mail, outcome, " ".join(notes), ticket)
    except (ValidationError, PermissionDeniedError, NotFoundError, ConflictError) as exc:
        for name in stored:
            delete_file(name)
        if isinstance(exc, ValidationError):
            reason = " ".join(exc.messages)
        elif isinstance(exc, PermissionDeniedError):
            reason = _("The account that files e-mail may not change this customer's tickets.")
        else:
            reason = exc.message
        return _log(mail, Outcome.REJECTED, reason)
    except BaseException:
        for name in stored:
            delete_file(name)
        raise


def receive(raw: bytes) -> InboundEmail:
    """File one raw RFC 822 e-mail; see the module's docstring. Never raises for bad mail. The log's reasons
    are written in the mail language (GUANXI_MAIL_LANGUAGE, else LANGUAGE_CODE)."""
    with translation.override(mail_language()):
        mail, rejected = _parse(bytes(raw or b""))
        if rejected:
            return _log(mail, Outcome.REJECTED, rejected)
        return _file(mail)
