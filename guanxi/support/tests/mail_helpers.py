"""Test data of the mail area: sample files of each kind, e-mails as raw bytes, a known contact."""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage
from email.utils import make_msgid

from guanxi.customers.services.customers import contact_create

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64 + b"This program cannot be run"
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 64


def docx(body: bytes = b"<w:document/>", extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b'<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", body)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_bomb_docx() -> bytes:
    """A .docx whose document part unpacks to ~1000 times the file's size."""
    return docx(b"0" * (8 * 1024 * 1024))


def customer_contact(org, customer, email="li.si@example.com", mobile="13800138000", name="李四"):
    return contact_create(actor=org.admin, customer=customer, data={"name": name, "email": email, "mobile": mobile})


def raw_mail(sender: str, subject: str, body: str = "你好，产品坏了。", *, to: str = "support@guanxi.test",
             message_id: str | None = None, in_reply_to: str = "", html: str = "",
             attachments: tuple[tuple[str, bytes, str], ...] = (), headers: dict[str, str] | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain="customer.example.com")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    for name, data, content_type in attachments:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()
