"""API shapes for customers and what hangs off them. Validation of values stays in the models and
services (one set of rules for forms, API and imports); these schemas check types and name fields."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema
from ninja.schema import DjangoGetter
from pydantic import ConfigDict, model_validator

from guanxi.api.params import filter_query_schema
from guanxi.core.text import person_name
from guanxi.governance import masking
from guanxi.governance.masking import ContactView

from .filters import CustomerFilter, OrderFilter
from .models import Customer, CustomFieldDefinition, Interaction, Order


class In(Schema):
    """Request bodies refuse fields they do not know, so a typo is a 422, not a silent no-op."""

    model_config = ConfigDict(extra="forbid")


def body_data(payload: Schema, blank: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields the client sent; an explicit null on a text field means "clear it"."""
    data = payload.model_dump(exclude_unset=True)
    for name in blank:
        if name in data and data[name] is None:
            data[name] = ""
    return data



CustomerListQuery = filter_query_schema(CustomerFilter, "CustomerListQuery")
OrderListQuery = filter_query_schema(OrderFilter, "OrderListQuery")

# ---------------------------------------------------------------- customers

CUSTOMER_TEXT = ("short_name", "credit_code", "industry", "source", "province", "city", "address",
                 "churn_reason", "notes")


class CustomerOut(Schema):
    id: int
    kind: str
    name: str
    short_name: str
    credit_code: str
    industry: str
    source: str
    province: str
    city: str
    address: str
    birthday: date | None
    lifecycle: str
    churn_reason: str
    owner: int | None = Field(None, alias="owner_id", description="User id; null means the public pool.")
    owner_name: str = ""
    department: int | None = Field(None, alias="department_id")
    department_name: str = ""
    tags: list[str]
    notes: str
    custom: dict[str, Any]
    last_interaction_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(cls, values: Any, handler: Any, info: Any) -> Any:
        # A ready row from `selectors.customers.customer_rows` (the list endpoint: tags, owner_name
        # and department_name already filled in) is validated as a plain dict, in pydantic's core;
        # ninja's per-attribute getter made serialising a page slower than fetching it.
        if isinstance(values, dict):
            return handler(values)
        return handler(DjangoGetter(values, cls, info.context))

    @staticmethod
    def resolve_tags(obj: Customer) -> list[str]:
        return sorted(t.name for t in obj.tags.all())

    @staticmethod
    def resolve_owner_name(obj: Customer) -> str:
        owner = obj.owner
        return person_name(owner) if owner is not None else ""

    @staticmethod
    def resolve_department_name(obj: Customer) -> str:
        return obj.department.name if obj.department is not None else ""


class CustomerIn(In):
    kind: Customer.Kind = Customer.Kind.COMPANY
    name: str
    short_name: str = ""
    credit_code: str = ""
    industry: str = ""
    source: str = ""
    province: str = ""
    city: str = ""
    address: str = ""
    birthday: date | None = None
    lifecycle: Customer.Lifecycle = Customer.Lifecycle.PROSPECT
    churn_reason: str = ""
    owner: int | None = Field(
        None, description="User id of the owner; null puts the customer in the public pool. Omit it to own it yourself."
    )
    notes: str = ""
    tags: list[str] = []
    custom: dict[str, Any] = {}


class CustomerPatch(In):
    version: int = Field(..., description="The `version` you read; a stale one is refused with 409.")
    kind: Customer.Kind | None = None
    name: str | None = None
    short_name: str | None = None
    credit_code: str | None = None
    industry: str | None = None
    source: str | None = None
    province: str | None = None
    city: str | None = None
    address: str | None = None
    birthday: date | None = None
    lifecycle: Customer.Lifecycle | None = None
    churn_reason: str | None = None
    owner: int | None = Field(None, description="User id; null puts the customer in the public pool.")
    notes: str | None = None
    tags: list[str] | None = None
    custom: dict[str, Any] | None = None


# ---------------------------------------------------------------- contacts

CONTACT_TEXT = ("title", "mobile", "phone", "email", "wechat")


def _shown(obj: Any, context: Any) -> ContactView:
    """The contact's numbers as the requesting user may see them (号码脱敏), worked out once per contact."""
    shown = getattr(obj, "_shown", None)
    if shown is None:
        request = (context or {}).get("request")
        rule = masking.for_request(request) if request is not None else None
        shown = rule.mask_contact(obj) if rule is not None else ContactView(obj.mobile, obj.phone, obj.email, True)
        obj._shown = shown
    return shown


class ContactOut(Schema):
    id: int
    customer: int = Field(..., alias="customer_id")
    name: str
    title: str
    mobile: str = Field(..., description="E.164; masked (138****8000) unless you own the customer, are on its "
                                         "account team with write access, or your role sees numbers in full.")
    phone: str = Field(..., description="Masked like `mobile`.")
    email: str = Field(..., description="Masked like `mobile` (zh***@example.com).")
    masked: bool = Field(False, description="True when mobile, phone and email are masked; "
                                            "POST /api/contacts/{id}/reveal shows them (audited).")
    wechat: str
    birthday: date | None
    is_primary: bool
    custom: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    version: int

    @staticmethod
    def resolve_mobile(obj: Any, context: Any) -> str:
        return _shown(obj, context).mobile

    @staticmethod
    def resolve_phone(obj: Any, context: Any) -> str:
        return _shown(obj, context).phone

    @staticmethod
    def resolve_email(obj: Any, context: Any) -> str:
        return _shown(obj, context).email

    @staticmethod
    def resolve_masked(obj: Any, context: Any) -> bool:
        return _shown(obj, context).masked


class ContactRevealOut(Schema):
    mobile: str
    phone: str
    email: str


class ContactIn(In):
    name: str
    title: str = ""
    mobile: str = Field("", description="Stored as E.164; Chinese numbers need no +86.")
    phone: str = ""
    email: str = ""
    wechat: str = ""
    birthday: date | None = None
    is_primary: bool = False
    custom: dict[str, Any] = {}


class ContactPatch(In):
    version: int
    name: str | None = None
    title: str | None = None
    mobile: str | None = None
    phone: str | None = None
    email: str | None = None
    wechat: str | None = None
    birthday: date | None = None
    is_primary: bool | None = None
    custom: dict[str, Any] | None = None


# ---------------------------------------------------------------- follow-ups and tasks


class InteractionOut(Schema):
    id: int
    customer: int = Field(..., alias="customer_id")
    contact: int | None = Field(None, alias="contact_id")
    channel: str
    direction: str
    summary: str
    content: str
    occurred_at: datetime
    staff: int | None = Field(None, alias="staff_id")
    next_follow_up_at: datetime | None
    created_at: datetime
    version: int


class InteractionIn(In):
    channel: Interaction.Channel = Interaction.Channel.PHONE
    direction: Interaction.Direction = Interaction.Direction.OUTBOUND
    summary: str
    content: str = ""
    occurred_at: datetime | None = Field(None, description="Defaults to now.")
    contact: int | None = None
    next_follow_up_at: datetime | None = Field(None, description="Creates a follow-up task for you at this time.")


class InteractionPatch(In):
    version: int
    channel: Interaction.Channel | None = None
    direction: Interaction.Direction | None = None
    summary: str | None = None
    content: str | None = None
    occurred_at: datetime | None = None


class TaskOut(Schema):
    id: int
    title: str
    notes: str
    assignee: int = Field(..., alias="assignee_id")
    due_at: datetime
    customer: int | None = Field(None, alias="customer_id")
    customer_name: str = ""
    interaction: int | None = Field(None, alias="interaction_id")
    related_type: str
    related_id: int | None
    done: bool = False
    done_at: datetime | None
    created_at: datetime
    version: int

    @staticmethod
    def resolve_customer_name(obj: Any) -> str:
        return obj.customer.name if obj.customer_id else ""

    @staticmethod
    def resolve_done(obj: Any) -> bool:
        return obj.done_at is not None


class TaskIn(In):
    title: str
    notes: str = ""
    due_at: datetime
    assignee: int | None = Field(None, description="User id; defaults to you.")
    customer: int | None = None


class TaskPatch(In):
    version: int
    title: str | None = None
    notes: str | None = None
    due_at: datetime | None = None
    assignee: int | None = None


class VersionIn(In):
    version: int | None = Field(None, description="The `version` you read; a stale one is refused with 409.")


# ---------------------------------------------------------------- products and orders


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    category: str
    unit: str
    price: Decimal
    cost: Decimal
    is_active: bool
    version: int


class ProductIn(In):
    sku: str
    name: str
    category: str = ""
    unit: str = ""
    price: Decimal = Decimal("0")
    cost: Decimal = Decimal("0")
    is_active: bool = True


class ProductPatch(In):
    sku: str | None = None
    name: str | None = None
    category: str | None = None
    unit: str | None = None
    price: Decimal | None = None
    cost: Decimal | None = None
    is_active: bool | None = None


class OrderLineOut(Schema):
    id: int
    product: int | None = Field(None, alias="product_id")
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


class OrderLineIn(In):
    product: int | None = None
    description: str = ""
    quantity: Decimal = Decimal("1")
    unit_price: Decimal | None = Field(None, description="Defaults to the product's price.")


ORDER_TEXT = ("number", "external_source")


class OrderOut(Schema):
    id: int
    customer: int = Field(..., alias="customer_id")
    number: str
    external_source: str
    external_id: str | None
    status: str
    channel: str
    ordered_at: datetime
    delivered_at: datetime | None = None
    currency: str
    total_amount: Decimal
    cost_amount: Decimal
    salesperson: int | None = Field(None, alias="salesperson_id")
    custom: dict[str, Any]
    lines: list[OrderLineOut]
    created_at: datetime
    version: int

    @staticmethod
    def resolve_lines(obj: Order) -> list[Any]:
        return list(obj.lines.all())


class OrderIn(In):
    number: str = ""
    external_source: str = ""
    external_id: str | None = None
    status: Order.Status = Order.Status.PAID
    channel: Order.Channel = Order.Channel.SALES
    ordered_at: datetime
    delivered_at: datetime | None = None
    currency: str | None = None
    total_amount: Decimal | None = Field(None, description="Ignored when lines are given: their sum is used.")
    cost_amount: Decimal = Decimal("0")
    salesperson: int | None = None
    custom: dict[str, Any] = {}
    lines: list[OrderLineIn] = []


class OrderPatch(In):
    version: int
    number: str | None = None
    external_source: str | None = None
    status: Order.Status | None = None
    channel: Order.Channel | None = None
    ordered_at: datetime | None = None
    delivered_at: datetime | None = Field(None, description="When the order reached the customer; null clears it.")
    total_amount: Decimal | None = None
    cost_amount: Decimal | None = None
    custom: dict[str, Any] | None = None


# ---------------------------------------------------------------- custom fields, timeline, recycle bin


class CustomFieldOut(Schema):
    id: int
    entity: str
    key: str
    label: str
    field_type: str
    choices: list[Any]
    required: bool
    max_length: int
    position: int
    is_active: bool
    show_in_list: bool


class CustomFieldIn(In):
    entity: CustomFieldDefinition.Entity
    key: str
    label: str
    field_type: CustomFieldDefinition.FieldType = CustomFieldDefinition.FieldType.TEXT
    choices: list[str] = []
    required: bool = False
    max_length: int = 200
    position: int = 0
    is_active: bool = True
    show_in_list: bool = False


class CustomFieldPatch(In):
    label: str | None = None
    field_type: CustomFieldDefinition.FieldType | None = None
    choices: list[str] | None = None
    required: bool | None = None
    max_length: int | None = None
    position: int | None = None
    is_active: bool | None = None
    show_in_list: bool | None = None


class TimelineItemOut(Schema):
    kind: str = Field(..., description="interaction, order, task, change or ticket")
    at: datetime
    id: int
    title: str
    data: dict[str, Any]


class TimelinePageOut(Schema):
    items: list[TimelineItemOut]
    next_cursor: str | None


class RecycleItemOut(Schema):
    entity: str
    id: int
    name: str
    customer: int | None = None
    deleted_at: datetime | None
    deleted_by: int | None = Field(None, alias="deleted_by_id")

    @staticmethod
    def resolve_entity(obj: Any) -> str:
        return obj._meta.model_name

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj)

    @staticmethod
    def resolve_customer(obj: Any) -> int | None:
        return obj.pk if isinstance(obj, Customer) else getattr(obj, "customer_id", None)
