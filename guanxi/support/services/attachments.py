"""Attachments on tickets (issue 4 §1): size- and type-checked, kept in private storage, audited.

The file's type is decided by its content and must agree with its extension (services/file_types.py). The
stored name is random; the name the user gave is kept only for display and the download's file name.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from guanxi.core.errors import PermissionDeniedError
from guanxi.governance import permissions
from guanxi.governance.models import AuditLog
from guanxi.governance.services import audit_record, diff, snapshot

from ..models import Ticket, TicketAttachment, TicketMessage
from .file_types import FileRefused, check_file

log = logging.getLogger(__name__)


def max_bytes() -> int:
    return int(getattr(settings, "GUANXI_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))


def clean_name(raw: str) -> str:
    """The user's file name without folders or control characters, at most 255 characters."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C").strip()
    name = name.strip(". ") or "file"
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:250 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else name[:255]
    return name


def _read(upload: Any, limit: int) -> bytes:
    """The upload's bytes (a Django UploadedFile, a file-like object or bytes); refuses more than `limit`."""
    if isinstance(upload, bytes | bytearray):
        data = bytes(upload)
    else:
        size = getattr(upload, "size", None)
        if size is not None and size > limit:
            raise FileRefused("")
        if hasattr(upload, "seek"):
            upload.seek(0)
        data = upload.read(limit + 1)
    if len(data) > limit:
        raise FileRefused("")
    return data


def _check_ticket(actor: Any, ticket: Ticket) -> None:
    if not permissions.can(actor, permissions.CHANGE) or not Ticket.objects.editable_by(actor).filter(
            pk=ticket.pk).exists():
        raise PermissionDeniedError()


def validate_upload(name: str, upload: Any) -> tuple[bytes, str, str]:
    """(bytes, clean name, content type) or ValidationError({"file": [...]}) naming what is wrong."""
    limit = max_bytes()
    try:
        data = _read(upload, limit)
    except FileRefused:
        raise ValidationError({"file": [_("The file is larger than %(max)s.") % {"max": filesizeformat(limit)}]}) \
            from None
    if not data:
        raise ValidationError({"file": [_("The file is empty.")]})
    name = clean_name(name)
    try:
        file_type = check_file(name, data)
    except FileRefused as exc:
        raise ValidationError({"file": [exc.message]}) from None
    return data, name, file_type.content_type


@transaction.atomic
def attachment_add(*, actor: Any, ticket: Ticket, upload: Any, name: str | None = None,
                   message: TicketMessage | None = None) -> TicketAttachment:
    """Attach a file to a ticket the actor may change. `upload`: an UploadedFile (its name is used unless
    `name` is given), a file object or bytes (then `name` is required)."""
    _check_ticket(actor, ticket)
    if message is not None and message.ticket_id != ticket.pk:
        raise ValidationError({"message": [_("This belongs to another ticket.")]})
    data, name, content_type = validate_upload(name or getattr(upload, "name", "") or "", upload)
    attachment = TicketAttachment(ticket=ticket, message=message, name=name, content_type=content_type,
                                  size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                                  uploaded_by=actor if getattr(actor, "pk", None) else None)
    ext = name.rsplit(".", 1)[-1].lower()
    attachment.file.save(f"{uuid.uuid4().hex}.{ext}", ContentFile(data), save=False)
    # The file is on disk before the row: take it away again if writing the row fails. (A caller whose own
    # transaction rolls back later removes it itself: see mail_inbound.py.)
    stored = attachment.file.name or ""
    try:
        attachment.full_clean(exclude=["file"])
        attachment.save()
        audit_record(actor=actor, action=AuditLog.Action.CREATE, instance=attachment,
                     changes=diff({}, {k: v for k, v in snapshot(attachment).items() if k != "file"}),
                     customer_id=ticket.customer_id)
    except BaseException:
        delete_file(stored)
        raise
    return attachment


def delete_file(name: str) -> None:
    """Remove a stored file (after a rolled-back write). Missing files are fine."""
    try:
        TicketAttachment._meta.get_field("file").storage.delete(name)  # type: ignore[attr-defined]
    except OSError:
        log.warning("Could not delete the orphaned attachment file %s", name)
