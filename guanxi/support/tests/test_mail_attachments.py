"""Ticket attachments: type by content and extension, size, zip bombs, private storage, downloads only for those
who see the ticket — in the service, the web card and the API."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from guanxi.core.errors import PermissionDeniedError
from guanxi.governance.models import AuditLog
from guanxi.support.models import TicketAttachment
from guanxi.support.services.attachments import attachment_add
from guanxi.support.services.tickets import ticket_create

from .mail_helpers import ELF, EXE, PDF, PNG, docx, zip_bomb_docx

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def ticket(org, customers):
    return ticket_create(actor=org.rep, customer=customers.own, data={"subject": "Screen cracked"})


def _refused(org, ticket, name, data) -> str:
    with pytest.raises(ValidationError) as caught:
        attachment_add(actor=org.rep, ticket=ticket, upload=data, name=name)
    assert not TicketAttachment.objects.exists()
    return " ".join(caught.value.message_dict["file"])


def test_good_file_is_stored_privately_with_hash_and_audit(org, ticket):
    a = attachment_add(actor=org.rep, ticket=ticket, upload=SimpleUploadedFile("发票.pdf", PDF))
    assert (a.name, a.content_type, a.size, a.uploaded_by) == ("发票.pdf", "application/pdf", len(PDF), org.rep)
    assert a.sha256 == hashlib.sha256(PDF).hexdigest()
    path = Path(a.file.path).resolve()
    assert path.read_bytes() == PDF and path.is_relative_to(Path(settings.GUANXI_PRIVATE_ROOT).resolve())
    assert not path.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert not path.is_relative_to(Path(settings.STATIC_ROOT).resolve())
    assert "发票" not in path.name and path.suffix == ".pdf"  # stored under a random name
    audit = AuditLog.objects.get(entity="ticketattachment", object_id=str(a.pk))
    assert audit.actor == org.rep and audit.customer_id == ticket.customer_id


@pytest.mark.parametrize(("name", "data", "content_type"), [
    ("photo.PNG", PNG, "image/png"),
    ("photo.jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20, "image/jpeg"),
    ("anim.gif", b"GIF89a\x01\x00\x01\x00" + b"\x00" * 20, "image/gif"),
    ("pic.webp", b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20, "image/webp"),
    ("notes.txt", "订单号 123，请尽快处理".encode(), "text/plain"),
    ("list.csv", "名称,数量\n大米,3\n".encode("gbk"), "text/csv"),
    ("report.docx", docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
])
def test_allowed_types(org, ticket, name, data, content_type):
    assert attachment_add(actor=org.rep, ticket=ticket, upload=data, name=name).content_type == content_type


def test_oversized_file_is_refused(org, ticket, settings):
    settings.GUANXI_ATTACHMENT_MAX_BYTES = 20
    assert "larger than 20" in _refused(org, ticket, "big.pdf", PDF)


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("invoice.pdf", EXE, "Programs and scripts are not accepted"),
    ("readme.txt", ELF, "Programs and scripts are not accepted"),
    ("run.txt", b"#!/bin/sh\nrm -rf /\n", "Programs and scripts are not accepted"),
    ("setup.exe", EXE, "Programs and scripts are not accepted"),
    ("scan.png", PDF, "content (PDF) does not match its extension .png"),
    ("scan.pdf", PNG, "content (PNG) does not match its extension .pdf"),
    ("page.html", b"<html><script>alert(1)</script></html>", "Files of this type (.html) are not accepted"),
    ("noext", PDF, "no extension"),
    ("letter.docx", PDF, "does not match its extension .docx"),
    ("bomb.docx", zip_bomb_docx(), "zip bomb"),
    ("macro.docx", docx(extra={"word/vbaProject.bin": b"x"}), "macros"),
    ("broken.docx", b"PK\x03\x04" + b"\x00" * 40, "damaged"),
])
def test_disguised_or_dangerous_files_are_refused(org, ticket, name, data, expected):
    assert expected in _refused(org, ticket, name, data)


def test_empty_file_is_refused(org, ticket):
    assert "empty" in _refused(org, ticket, "empty.txt", b"")


@pytest.mark.parametrize("who", ["analyst", "rep_west", "marketing"])
def test_who_may_not_attach(org, ticket, who):
    with pytest.raises(PermissionDeniedError):
        attachment_add(actor=getattr(org, who), ticket=ticket, upload=PDF, name="a.pdf")
    assert not TicketAttachment.objects.exists()


def test_agent_of_the_queue_may_attach(org, ticket):
    assert attachment_add(actor=org.agent, ticket=ticket, upload=PDF, name="a.pdf").uploaded_by == org.agent


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_web_card_upload_list_and_errors(org, ticket):
    rep = _client(org.rep)
    url = reverse("support:attachments", args=[ticket.pk])
    page = rep.get(reverse("support:detail", args=[ticket.pk])).content.decode()
    assert url in page  # the card loads lazily from the ticket page
    response = rep.post(url, {"file": SimpleUploadedFile("scan.pdf", PDF)}, **HX)
    body = response.content.decode()
    assert response.status_code == 200 and "scan.pdf" in body and "File attached." in body
    response = rep.post(url, {"file": SimpleUploadedFile("virus.pdf", EXE)}, **HX)
    assert response.status_code == 422 and "Programs and scripts are not accepted" in response.content.decode()
    assert TicketAttachment.objects.count() == 1
    # Without JavaScript: back to the ticket page, the outcome as a message.
    response = rep.post(url, {"file": SimpleUploadedFile("virus.pdf", EXE)}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("support:detail", args=[ticket.pk])
    assert "Programs and scripts are not accepted" in response.content.decode()
    assert TicketAttachment.objects.count() == 1
    analyst = _client(org.analyst)
    card = analyst.get(url).content.decode()
    assert "scan.pdf" in card and 'data-testid="attachment-upload"' not in card
    assert analyst.post(url, {"file": SimpleUploadedFile("b.pdf", PDF)}, **HX).status_code == 403
    assert _client(org.rep_west).get(url).status_code == 404


def test_download_is_an_attachment_only_for_those_who_see_the_ticket(org, customers, ticket):
    a = attachment_add(actor=org.rep, ticket=ticket, upload=PDF, name="合同 v2.pdf")
    url = reverse("support:attachment_download", args=[ticket.pk, a.pk])
    response = _client(org.rep).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;") and "filename*=utf-8''" in response[
        "Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert _client(org.rep_west).get(url).status_code == 404
    other = ticket_create(actor=org.rep_west, customer=customers.other_dept, data={"subject": "Other"})
    assert _client(org.rep).get(reverse("support:attachment_download", args=[other.pk, a.pk])).status_code == 404
    assert _client(org.rep_west).get(reverse("support:attachment_download", args=[other.pk, a.pk])).status_code == 404


def test_api_upload_list_download(org, ticket):
    rep = _client(org.rep)
    base = f"/api/tickets/{ticket.pk}/attachments"
    response = rep.post(base, {"file": SimpleUploadedFile("photo.png", PNG)})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["name"] == "photo.png" and data["content_type"] == "image/png" and data["uploaded_by"] == org.rep.pk
    response = rep.post(base, {"file": SimpleUploadedFile("photo.png", PDF)})
    assert response.status_code == 422 and "does not match" in response.json()["errors"]["file"][0]
    assert [row["id"] for row in rep.get(base).json()["items"]] == [data["id"]]
    download = rep.get(f"{base}/{data['id']}/download")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert download["Content-Disposition"].startswith("attachment;")
    west = _client(org.rep_west)
    assert west.get(base).status_code == 404
    assert west.get(f"{base}/{data['id']}/download").status_code == 404
    assert west.post(base, {"file": SimpleUploadedFile("a.png", PNG)}).status_code == 404
    assert _client(org.analyst).post(base, {"file": SimpleUploadedFile("a.png", PNG)}).status_code == 403
