"""Follow-ups (跟进记录) and tasks (待办)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import RestrictedQuerySet, SoftDeleteModel, TimeStampedModel, VersionedModel

from .visibility import customer_read_q, customer_write_q


class InteractionQuerySet(RestrictedQuerySet):
    def visible_to(self, user: Any) -> InteractionQuerySet:
        return self.filter(deleted_at__isnull=True).filter(customer_read_q(user, "customer__"))

    def editable_by(self, user: Any) -> InteractionQuerySet:
        return self.filter(deleted_at__isnull=True).filter(customer_write_q(user, "customer__"))


class Interaction(TimeStampedModel, VersionedModel, SoftDeleteModel):
    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        VISIT = "visit", _("Visit")
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        WECHAT = "wechat", _("WeChat")
        CHAT = "chat", _("Online chat")
        MEETING = "meeting", _("Meeting")
        EVENT = "event", _("Event")
        NOTE = "note", _("Note")

    class Direction(models.TextChoices):
        OUTBOUND = "outbound", _("We contacted them")
        INBOUND = "inbound", _("They contacted us")

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="interactions"
    )
    contact = models.ForeignKey(
        "customers.Contact", verbose_name=_("contact"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="interactions",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.PHONE)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.OUTBOUND)
    summary = models.CharField(_("summary"), max_length=200)
    content = models.TextField(_("details"), blank=True, max_length=10000)
    occurred_at = models.DateTimeField(_("when"), db_index=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff member"), null=True, on_delete=models.SET_NULL,
        related_name="interactions",
    )
    next_follow_up_at = models.DateTimeField(_("next follow-up"), null=True, blank=True)

    objects = InteractionQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["customer", "-occurred_at"])]

    def __str__(self) -> str:
        return self.summary


class TaskQuerySet(RestrictedQuerySet):
    def visible_to(self, user: Any) -> TaskQuerySet:
        """Tasks assigned to the user, and tasks on customers the user may see."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(deleted_at__isnull=True).filter(
            Q(assignee_id=user.pk) | (Q(customer__isnull=False) & customer_read_q(user, "customer__"))
        )

    def editable_by(self, user: Any) -> TaskQuerySet:
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(deleted_at__isnull=True).filter(
            Q(assignee_id=user.pk) | (Q(customer__isnull=False) & customer_write_q(user, "customer__"))
        )


class Task(TimeStampedModel, VersionedModel, SoftDeleteModel):
    title = models.CharField(_("title"), max_length=200)
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), on_delete=models.PROTECT, related_name="tasks"
    )
    due_at = models.DateTimeField(_("due"), db_index=True)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="tasks",
    )
    interaction = models.ForeignKey(
        Interaction, verbose_name=_("from follow-up"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="tasks",
    )
    # Other records (opportunities, tickets) point here by type and id.
    related_type = models.CharField(_("related record type"), max_length=50, blank=True)
    related_id = models.BigIntegerField(_("related record id"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["done_at", "due_at"]
        indexes = [models.Index(fields=["assignee", "done_at", "due_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
