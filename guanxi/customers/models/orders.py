from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import RestrictedQuerySet, SoftDeleteModel, TimeStampedModel, VersionedModel

from .visibility import customer_read_q, customer_write_q

NON_NEGATIVE = [MinValueValidator(Decimal("0"))]


def default_currency() -> str:
    return str(settings.GUANXI_CURRENCY)


class Product(TimeStampedModel, VersionedModel):
    sku = models.CharField(_("SKU"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=100, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    price = models.DecimalField(_("price"), max_digits=14, decimal_places=2, default=Decimal("0"), validators=NON_NEGATIVE)
    cost = models.DecimalField(_("cost"), max_digits=14, decimal_places=2, default=Decimal("0"), validators=NON_NEGATIVE)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrderQuerySet(RestrictedQuerySet):
    def visible_to(self, user: Any) -> OrderQuerySet:
        return self.filter(deleted_at__isnull=True).filter(customer_read_q(user, "customer__"))

    def editable_by(self, user: Any) -> OrderQuerySet:
        return self.filter(deleted_at__isnull=True).filter(customer_write_q(user, "customer__"))


class Order(TimeStampedModel, VersionedModel, SoftDeleteModel):
    class Status(models.TextChoices):
        PAID = "paid", _("Paid")
        PARTLY_REFUNDED = "partial", _("Partly refunded")
        REFUNDED = "refunded", _("Refunded")
        CANCELLED = "cancelled", _("Cancelled")

    class Channel(models.TextChoices):
        STORE = "store", _("Store")
        ONLINE = "online", _("Online shop")
        PHONE = "phone", _("Phone")
        SALES = "sales", _("Direct sales")
        DISTRIBUTOR = "distributor", _("Distributor")
        WECHAT = "wechat", _("WeChat")

    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="orders"
    )
    number = models.CharField(_("order number"), max_length=50, blank=True)
    external_source = models.CharField(_("source system"), max_length=30, blank=True)
    external_id = models.CharField(_("external id"), max_length=64, null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PAID)
    channel = models.CharField(_("sales channel"), max_length=12, choices=Channel.choices, default=Channel.SALES)
    ordered_at = models.DateTimeField(_("order date"), db_index=True)
    currency = models.CharField(_("currency"), max_length=3, default=default_currency)
    total_amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, default=Decimal("0"), validators=NON_NEGATIVE
    )
    cost_amount = models.DecimalField(
        _("cost"), max_digits=14, decimal_places=2, default=Decimal("0"), validators=NON_NEGATIVE
    )
    # Money given back through returns and refunds (the support app); spend figures count total - refunded.
    refunded_amount = models.DecimalField(
        _("refunded"), max_digits=14, decimal_places=2, default=Decimal("0"), validators=NON_NEGATIVE
    )
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("salesperson"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-ordered_at", "-id"]
        indexes = [models.Index(fields=["customer", "-ordered_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["external_source", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="order_external_id_unique_per_source",
            )
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT, related_name="order_lines"
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=3, default=Decimal("1"), validators=NON_NEGATIVE
    )
    unit_price = models.DecimalField(
        _("unit price"), max_digits=14, decimal_places=2, default=Decimal("0"), validators=NON_NEGATIVE
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return self.description or str(self.product)
