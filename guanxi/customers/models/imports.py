"""Import jobs (upload → mapping → dry run → commit) and each user's remembered column mapping."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportEntity(models.TextChoices):
    CUSTOMER = "customer", _("Customers")
    CONTACT = "contact", _("Contacts")
    ORDER = "order", _("Orders")


class ImportJob(models.Model):
    """One uploaded file and what happened to it.

    The file's bytes are kept in the database (not on a local disk) so a worker on another
    machine can run the job; they are dropped once the job has been committed.
    """

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Waiting for column mapping")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Finished")
        FAILED = "failed", _("Failed")

    class Mode(models.TextChoices):
        DRY_RUN = "dry_run", _("Dry run (nothing is written)")
        COMMIT = "commit", _("Import")

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.CASCADE, related_name="import_jobs"
    )
    entity = models.CharField(_("record type"), max_length=10, choices=ImportEntity.choices)
    source = models.CharField(_("source system"), max_length=30, blank=True, default="import",
                              help_text=_("Orders: their external ids are unique within this source."))
    filename = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("file format"), max_length=10)
    encoding = models.CharField(_("encoding"), max_length=30, blank=True)
    content = models.BinaryField(_("file content"), null=True, blank=True, editable=False)
    headers = models.JSONField(_("columns"), default=list, blank=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.DRY_RUN)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    dry_run_ok = models.BooleanField(_("dry run finished"), default=False)
    message = models.TextField(_("message"), blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_entity_display()}: {self.filename}"

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status in (self.Status.DONE, self.Status.FAILED) else 0
        return min(100, int(self.processed_rows * 100 / self.total_rows))

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class ImportMapping(models.Model):
    """The column mapping a user last used for an entity: {normalised header: field}."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_mappings")
    entity = models.CharField(_("record type"), max_length=10, choices=ImportEntity.choices)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("saved import mapping")
        verbose_name_plural = _("saved import mappings")
        constraints = [models.UniqueConstraint(fields=["user", "entity"], name="import_mapping_one_per_user_entity")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.entity}"
