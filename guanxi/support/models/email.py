"""Attachments on tickets and the log of e-mails received at the support address."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import gettext_lazy as _


def private_storage() -> FileSystemStorage:
    """Files kept outside the web root (GUANXI_PRIVATE_ROOT); served only as downloads through a view."""
    return FileSystemStorage(location=settings.GUANXI_PRIVATE_ROOT)


class TicketAttachment(models.Model):
    ticket = models.ForeignKey("Ticket", on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey("TicketMessage", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="attachments")
    file = models.FileField(_("file"), storage=private_storage, upload_to="tickets/%Y/%m/", max_length=255)
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64, editable=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class InboundEmail(models.Model):
    """Every e-mail that reached the support address: accepted (with its ticket) or rejected (with why)."""

    class Outcome(models.TextChoices):
        NEW_TICKET = "new_ticket", _("Opened a ticket")
        REPLY = "reply", _("Added to a ticket")
        REJECTED = "rejected", _("Rejected")

    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    message_id = models.CharField(_("message id"), max_length=255, blank=True, db_index=True)
    from_address = models.CharField(_("from"), max_length=255, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    size = models.PositiveIntegerField(_("size"), default=0)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    ticket = models.ForeignKey("Ticket", verbose_name=_("ticket"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="inbound_emails")

    class Meta:
        verbose_name = _("received e-mail")
        verbose_name_plural = _("received e-mails")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.from_address} {self.subject}"
