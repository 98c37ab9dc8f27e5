"""REST endpoints of the service desk: mail — ticket attachments (list, upload, download), the received e-mail
log, and the inbound endpoint that takes raw RFC 822 e-mails from a mail gateway."""

# No `from __future__ import annotations`: ninja reads these signatures through `@paginate`'s wrapper.
import hmac
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from guanxi.api.params import filter_query_schema
from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.governance import permissions

from .forms_mail import InboundEmailFilter
from .selectors import mail as sel
from .selectors.tickets import ticket_get
from .services.attachments import attachment_add
from .services.mail import receive_email
from .services.mail_inbound import max_bytes
from .views.mail import file_response

router = Router(tags=["mail"])
TOKEN_HEADER = "X-Guanxi-Inbound-Token"  # noqa: S105 - a header name, not a secret


class ApiRequest(HttpRequest):
    auth: Any


class AttachmentOut(Schema):
    id: int
    ticket: int = Field(alias="ticket_id")
    message: int | None = Field(None, alias="message_id")
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: int | None = Field(None, alias="uploaded_by_id")
    created_at: datetime


class InboundEmailOut(Schema):
    id: int
    received_at: datetime
    message_id: str
    from_address: str
    subject: str
    size: int
    outcome: str = Field(description="new_ticket, reply or rejected")
    reason: str
    ticket: int | None = Field(None, alias="ticket_id")


InboundEmailQuery = filter_query_schema(InboundEmailFilter, "InboundEmailQuery")


@router.get("/tickets/{int:ticket_id}/attachments", response=list[AttachmentOut], summary="A ticket's attachments")
@paginate
def attachment_list(request: ApiRequest, ticket_id: int) -> Any:
    ticket = ticket_get(user=request.auth, pk=ticket_id)
    return sel.attachment_list(user=request.auth, ticket=ticket)


@router.post("/tickets/{int:ticket_id}/attachments", response={201: AttachmentOut},
             summary="Attach a file (multipart field `file`). Its content must match its extension; 422 otherwise")
def attachment_upload(request: ApiRequest, ticket_id: int, file: File[UploadedFile]) -> Any:
    if not permissions.can(request.auth, permissions.CHANGE):
        raise PermissionDeniedError()
    ticket = ticket_get(user=request.auth, pk=ticket_id, for_change=True)
    return Status(201, attachment_add(actor=request.auth, ticket=ticket, upload=file))


@router.get("/tickets/{int:ticket_id}/attachments/{int:attachment_id}/download",
            summary="Download an attachment (always as a file, never shown inline)")
def attachment_download(request: ApiRequest, ticket_id: int, attachment_id: int) -> Any:
    return file_response(sel.attachment_get(user=request.auth, ticket_pk=ticket_id, pk=attachment_id))


@router.get("/support/inbound-emails", response=list[InboundEmailOut],
            summary="The received e-mail log (service managers), newest first; filter by outcome")
@paginate
def inbound_email_list(request: ApiRequest, filters: Query[InboundEmailQuery]) -> Any:  # type: ignore[valid-type]
    form = InboundEmailFilter(filters.model_dump(exclude_none=True))  # type: ignore[attr-defined]
    if not form.is_valid():
        raise NinjaValidationError([{"loc": ("query", k), "msg": str(m), "type": "value_error"}
                                    for k, v in form.errors.items() for m in v])
    return sel.inbound_email_list(user=request.auth, outcome=form.cleaned_data.get("outcome") or "")


@router.post("/support/inbound-email", auth=None, response=InboundEmailOut,
             summary="File a raw RFC 822 e-mail (body, Content-Type message/rfc822) from a mail gateway",
             description=f"Authenticated by the shared secret in the `{TOKEN_HEADER}` header (setting "
                         "GUANXI_INBOUND_EMAIL_TOKEN), not by the API's login or tokens; 404 while the setting "
                         "is empty. Every e-mail is answered 200 with its log row: `outcome` says whether it opened "
                         "a ticket, was added to one, or was rejected (and `reason` why).")
def inbound_email(request: HttpRequest) -> Any:
    secret = getattr(settings, "GUANXI_INBOUND_EMAIL_TOKEN", "")
    if not secret:
        raise NotFoundError()
    given = request.headers.get(TOKEN_HEADER, "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        raise HttpError(401, _("Send the inbound e-mail token in the %(header)s header.") % {"header": TOKEN_HEADER})
    # Read the stream directly: at most one byte over the limit, whatever DATA_UPLOAD_MAX_MEMORY_SIZE says, so
    # an oversized e-mail is logged as rejected instead of failing the request.
    raw = request.read(max_bytes() + 1)
    return receive_email(raw)
