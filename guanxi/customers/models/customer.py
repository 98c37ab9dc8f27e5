from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from stdnum.cn import uscc

from guanxi.core.models import RestrictedQuerySet, SoftDeleteModel, TimeStampedModel, VersionedModel
from guanxi.core.text import normalize_phone

from .visibility import customer_read_q, customer_write_q


def validate_credit_code(value: str) -> None:
    if value and not uscc.is_valid(value):
        raise ValidationError(
            _("Enter a valid 18-character unified social credit code (统一社会信用代码); the check digit does not match."),
            code="invalid",
        )


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomerQuerySet(RestrictedQuerySet):
    def visible_to(self, user: Any) -> CustomerQuerySet:
        return self.filter(customer_read_q(user))

    def editable_by(self, user: Any) -> CustomerQuerySet:
        return self.filter(customer_write_q(user))

    def restorable_by(self, user: Any) -> CustomerQuerySet:
        return self.filter(customer_write_q(user, deleted=True))


class Customer(TimeStampedModel, VersionedModel, SoftDeleteModel):
    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        INDIVIDUAL = "individual", _("Individual")

    class Lifecycle(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        ACTIVE = "active", _("Active")
        DORMANT = "dormant", _("Dormant")
        CHURNED = "churned", _("Churned")
        WON_BACK = "won_back", _("Won back")

    class Level(models.TextChoices):
        A = "A", _("A – key")
        B = "B", _("B – important")
        C = "C", _("C – ordinary")
        D = "D", _("D – small")

    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.COMPANY)
    external_id = models.CharField(
        _("external id"), max_length=64, null=True, blank=True,
        help_text=_("The id in the system the customer was imported from; a re-import updates this customer."),
    )
    name = models.CharField(_("name"), max_length=200, db_index=True)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, db_index=True, validators=[validate_credit_code]
    )
    industry = models.CharField(_("industry"), max_length=50, blank=True)
    source = models.CharField(_("source"), max_length=50, blank=True)
    province = models.CharField(_("province"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    lifecycle = models.CharField(
        _("lifecycle status"), max_length=10, choices=Lifecycle.choices, default=Lifecycle.PROSPECT
    )
    churn_reason = models.CharField(_("churn reason"), max_length=200, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="owned_customers",
    )
    department = models.ForeignKey(
        "governance.Department", verbose_name=_("department"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="customers",
    )
    notes = models.TextField(_("notes"), blank=True, validators=[MaxLengthValidator(5000)])
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    last_interaction_at = models.DateTimeField(_("last follow-up"), null=True, blank=True, db_index=True)
    level = models.CharField(_("customer level"), max_length=1, choices=Level.choices, blank=True)
    # The public pool's clock: when the current owner got the customer, and a key-customer lock.
    claimed_at = models.DateTimeField(_("owned since"), null=True, blank=True)
    locked_at = models.DateTimeField(_("locked as key customer"), null=True, blank=True)
    # Normalised company name (full/half width, spaces, legal-form suffixes, branch brackets) for 查重.
    name_key = models.CharField(max_length=200, blank=True, db_index=True, editable=False)
    # Search keys, maintained by the customer services.
    search_pinyin = models.CharField(max_length=255, blank=True, db_index=True, editable=False)
    search_initials = models.CharField(max_length=100, blank=True, db_index=True, editable=False)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["owner", "deleted_at"]),
            models.Index(fields=["department", "deleted_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=models.Q(external_id__gt=""),
                name="customer_external_id_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if self.kind == self.Kind.INDIVIDUAL and self.credit_code:
            errors["credit_code"] = _("Only companies have a unified social credit code.")
        if self.lifecycle == self.Lifecycle.CHURNED and not self.churn_reason:
            errors["churn_reason"] = _("Say why the customer churned.")
        if errors:
            raise ValidationError(errors)


class ContactQuerySet(RestrictedQuerySet):
    def visible_to(self, user: Any) -> ContactQuerySet:
        return self.filter(deleted_at__isnull=True).filter(customer_read_q(user, "customer__"))

    def editable_by(self, user: Any) -> ContactQuerySet:
        return self.filter(deleted_at__isnull=True).filter(customer_write_q(user, "customer__"))


class Contact(TimeStampedModel, VersionedModel, SoftDeleteModel):
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=100)
    external_id = models.CharField(
        _("external id"), max_length=64, null=True, blank=True,
        help_text=_("The id in the system the contact was imported from; a re-import updates this contact."),
    )
    title = models.CharField(pgettext_lazy("job title", "title"), max_length=100, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    mobile_last4 = models.CharField(max_length=4, blank=True, db_index=True, editable=False)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    wechat = models.CharField(_("WeChat ID"), max_length=50, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "name"]
        indexes = [models.Index(fields=["mobile"]), models.Index(fields=["email"])]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=models.Q(external_id__gt=""),
                name="contact_external_id_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.mobile:
            try:
                self.mobile = normalize_phone(self.mobile)
            except ValidationError as exc:
                raise ValidationError({"mobile": exc.messages}) from None
        self.mobile_last4 = self.mobile[-4:] if self.mobile else ""
        self.email = (self.email or "").strip().lower()
