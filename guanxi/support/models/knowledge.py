"""The knowledge base (统一口径): agreed answers with version history and approval."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import RestrictedQuerySet, SoftDeleteModel, TimeStampedModel, VersionedModel
from guanxi.governance import permissions


class ArticleQuerySet(RestrictedQuerySet):
    def visible_to(self, user: Any) -> ArticleQuerySet:
        """Everyone who may view records reads approved articles; those who write them also see drafts."""
        if not permissions.can(user, permissions.VIEW):
            return self.none()
        alive = self.filter(deleted_at__isnull=True)
        if permissions.can(user, permissions.CHANGE):
            return alive
        return alive.filter(status=Article.Status.APPROVED)


class Article(TimeStampedModel, VersionedModel, SoftDeleteModel):
    """The current approved text lives on the article; edits wait in ArticleVersion until approved."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        ARCHIVED = "archived", _("Archived")

    title = models.CharField(_("question"), max_length=200)
    answer = models.TextField(_("agreed answer"), max_length=20000)
    category = models.CharField(_("category"), max_length=50, blank=True, db_index=True)
    product = models.ForeignKey("customers.Product", verbose_name=_("product"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    tags = models.CharField(_("tags"), max_length=200, blank=True, help_text=_("Separated by commas."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    current_version = models.PositiveIntegerField(_("approved version"), default=0)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("written by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    use_count = models.PositiveIntegerField(_("times used"), default=0)
    # Lower-cased title, answer, tags, category and pinyin: what search matches (services/knowledge.py).
    search_text = models.TextField(blank=True, editable=False)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.title


class ArticleVersion(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        SUPERSEDED = "superseded", _("Replaced by a later edit")

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("question"), max_length=200)
    answer = models.TextField(_("agreed answer"), max_length=20000)
    category = models.CharField(_("category"), max_length=50, blank=True)
    tags = models.CharField(_("tags"), max_length=200, blank=True)
    change_note = models.CharField(_("what changed"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("edited by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        ordering = ["article", "-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="article_version_unique")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"
