"""Who works here, what each role may do, and the append-only audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guanxi.core.text import person_name


class Department(models.Model):
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    SALES_REP = "sales_rep", _("Sales rep")
    SERVICE_MANAGER = "service_manager", _("Service manager")
    SERVICE_AGENT = "service_agent", _("Service agent")
    MARKETING = "marketing", _("Marketing")
    ANALYST = "analyst", _("Analyst (read-only)")


class Scope(models.TextChoices):
    OWN = "own", _("Own records")
    DEPARTMENT = "department", _("Department and sub-departments")
    ALL = "all", _("Everything")


class Employee(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("employee status", "Active")
        DEPARTED = "departed", _("Departed")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="employee"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), null=True, blank=True, on_delete=models.PROTECT, related_name="employees"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.SALES_REP)
    scope = models.CharField(
        _("visibility scope"), max_length=12, choices=Scope.choices, blank=True,
        help_text=_("Leave empty to use the role's default."),
    )
    manager = models.ForeignKey(
        "self", verbose_name=_("manager"), null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    departed_at = models.DateTimeField(_("departed at"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")

    def __str__(self) -> str:
        return person_name(self.user)


class AuditLog(models.Model):
    """Append-only: rows are written by services in the same transaction as the change."""

    class Action(models.TextChoices):
        CREATE = "create", pgettext_lazy("audit action", "Created")
        UPDATE = "update", pgettext_lazy("audit action", "Updated")
        DELETE = "delete", pgettext_lazy("audit action", "Deleted")
        RESTORE = "restore", pgettext_lazy("audit action", "Restored")
        PURGE = "purge", pgettext_lazy("audit action", "Purged")
        EXPORT = "export", pgettext_lazy("audit action", "Exported")
        IMPORT = "import", pgettext_lazy("audit action", "Imported")
        LOGIN = "login", pgettext_lazy("audit action", "Logged in")
        REVEAL = "reveal", pgettext_lazy("audit action", "Revealed")
        ASSIGN = "assign", pgettext_lazy("audit action", "Changed owner")

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    entity = models.CharField(_("record type"), max_length=50, db_index=True)
    object_id = models.CharField(_("record id"), max_length=64, blank=True)
    object_repr = models.CharField(_("record"), max_length=200, blank=True)
    # Kept so a customer's timeline shows changes to its contacts and orders too.
    customer_id = models.BigIntegerField(_("customer"), null=True, blank=True, db_index=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["entity", "object_id"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.entity} {self.object_repr}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise ValueError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("Audit entries are append-only.")


class ApiToken(models.Model):
    """A personal API token. Only a hash is stored; the key is shown once when created."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class RolePolicy(models.Model):
    """Per-role data-protection rules an admin edits: masking (号码脱敏) and export limits."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, unique=True)
    mask_unowned = models.BooleanField(
        _("mask phone numbers and emails of records the person does not own"), default=True)
    export_daily_rows = models.PositiveIntegerField(
        _("rows the person may export per day"), null=True, blank=True, help_text=_("Empty: no limit."))

    class Meta:
        verbose_name = _("role policy")
        verbose_name_plural = _("role policies")
        ordering = ["role"]

    def __str__(self) -> str:
        return self.get_role_display()
