from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomFieldDefinition(models.Model):
    """An extra field an admin adds to customers, contacts or orders; values live in `custom`."""

    class Entity(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        CONTACT = "contact", _("Contact")
        ORDER = "order", _("Order")

    class FieldType(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")

    entity = models.CharField(_("record type"), max_length=10, choices=Entity.choices)
    key = models.CharField(
        _("key"), max_length=40,
        validators=[RegexValidator(r"^[a-z][a-z0-9_]*$", _("Use lower-case letters, digits and underscores."))],
    )
    label = models.CharField(_("label"), max_length=100)
    field_type = models.CharField(_("field type"), max_length=10, choices=FieldType.choices, default=FieldType.TEXT)
    choices = models.JSONField(_("choices"), default=list, blank=True, help_text=_("For choice fields: the allowed values."))
    required = models.BooleanField(_("required"), default=False)
    max_length = models.PositiveIntegerField(_("maximum length"), default=200)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    show_in_list = models.BooleanField(_("show in lists"), default=False)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["entity", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["entity", "key"], name="custom_field_key_unique_per_entity")]

    def __str__(self) -> str:
        return f"{self.get_entity_display()}: {self.label}"
