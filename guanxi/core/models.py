"""Abstract building blocks shared by every domain model."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class VersionedModel(models.Model):
    """Optimistic locking: every successful save through a service increments `version`."""

    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        abstract = True


class RestrictedQuerySet(models.QuerySet):
    """A queryset that knows how to narrow itself to what a user may see.

    Subclasses implement `visible_to(user)`; every list, search, detail page, API endpoint,
    export and report starts from it, so they cannot disagree about who sees what.
    """

    def visible_to(self, user: Any) -> RestrictedQuerySet:  # pragma: no cover - abstract
        raise NotImplementedError

    def alive(self) -> RestrictedQuerySet:
        return self.filter(deleted_at__isnull=True)

    def deleted(self) -> RestrictedQuerySet:
        return self.filter(deleted_at__isnull=False)


class SoftDeleteModel(models.Model):
    """Deleted rows stay in the recycle bin until purged after GUANXI_RECYCLE_DAYS."""

    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, db_index=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None
