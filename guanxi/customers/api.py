"""REST endpoints for customers, contacts, follow-ups, tasks, orders, products, custom fields,
the timeline and the recycle bin. Thin: parse -> selector/service -> schema.

Who may see or change what comes only from the selectors (`visible_to` / `editable_by` /
`permissions.can`); a record the user may not see answers 404, exactly like a missing one.
Lists page with the cursor paginator configured in NINJA_PAGINATION_CLASS (`@paginate`).
"""

# No `from __future__ import annotations`: ninja reads these signatures through `@paginate`'s
# wrapper, which cannot resolve string annotations in this module.
import base64
import binascii
import json
from collections.abc import Callable
from functools import cache, wraps
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from ninja.renderers import JSONRenderer
from ninja.responses import Status

from guanxi.api.params import query_error
from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.governance import masking, permissions, services_recycle
from guanxi.governance.selectors import active_users
from guanxi.governance.services_reveal import contact_reveal

from .filters import CustomerFilter, OrderFilter
from .models import CustomFieldDefinition, Product
from .schemas import (
    CONTACT_TEXT,
    CUSTOMER_TEXT,
    ORDER_TEXT,
    ContactIn,
    ContactOut,
    ContactPatch,
    ContactRevealOut,
    CustomerIn,
    CustomerListQuery,
    CustomerOut,
    CustomerPatch,
    CustomFieldIn,
    CustomFieldOut,
    CustomFieldPatch,
    InteractionIn,
    InteractionOut,
    InteractionPatch,
    OrderIn,
    OrderListQuery,
    OrderOut,
    OrderPatch,
    ProductIn,
    ProductOut,
    ProductPatch,
    RecycleItemOut,
    TaskIn,
    TaskOut,
    TaskPatch,
    TimelinePageOut,
    VersionIn,
    body_data,
)
from .selectors import customers as sel
from .selectors.products import custom_field_get, custom_field_list, product_get, product_list, require_configure
from .selectors.tasks import my_tasks
from .selectors.timeline import (
    TIMELINE_KINDS,
    customer_timeline,
    describe_extra,
    has_masked_fields,
    masked_changes,
)
from .services import activity, orders
from .services import customers as svc
from .services.custom_fields import custom_field_save

router = Router(tags=["customers"])


class ApiRequest(HttpRequest):
    """What the endpoints receive: `auth` is the authenticated user (see guanxi/api/auth.py)."""

    auth: Any


# ---------------------------------------------------------------- helpers



def _user_field(field: str, user_id: int | None) -> Any:
    """A user id from a request body -> the active user, or a 422 naming the field."""
    if user_id is None:
        return None
    user = active_users().filter(pk=user_id).first()
    if user is None:
        raise ValidationError({field: [_("There is no active user with this id.")]})
    return user


def _require(user: Any, capability: str) -> None:
    if not permissions.can(user, capability):
        raise PermissionDeniedError()


# ---------------------------------------------------------------- customers


_RENDERER = JSONRenderer()  # the API's renderer (NinjaAPI's default, guanxi/api/api.py)


def _rendered_rows(schema: type[Schema]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Between `@router.get(response=list[schema])` and `@paginate`, for a list whose rows are already
    plain dicts holding every field of `schema` under its name or alias (`customer_rows`): the page is
    rendered here, the schema's fields picked in order, instead of pydantic validating and dumping
    every row again — the same JSON, byte for byte (guanxi/api/tests/test_customers_api.py compares it with
    the schema's output). Errors raised by the view or the paginator still reach the API's handlers;
    the OpenAPI schema is unchanged (ninja reads the signature and the paged response from the
    wrapped view)."""
    fields = tuple((name, info.alias or name) for name, info in schema.model_fields.items())
    content_type = f"{_RENDERER.media_type}; charset={_RENDERER.charset}"

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def rendered(request: HttpRequest, **kwargs: Any) -> Any:
            page = view(request, **kwargs)
            page["items"] = [{name: row[key] for name, key in fields} for row in page["items"]]
            return HttpResponse(_RENDERER.render(request, page, response_status=200), content_type=content_type)

        return rendered

    return decorator


@cache
def _no_customer_filters() -> CustomerFilter:
    """The filter form of a list request without filters, validated once: building a form deep-copies
    its ten fields, a quarter of a millisecond per request. Only its cleaned_data is read (`apply`)."""
    form = CustomerFilter({})
    if not form.is_valid():  # pragma: no cover - no field is required
        raise AssertionError(form.errors)
    return form


@router.get("/customers", response=list[CustomerOut], summary="List customers (search, filters, sort)")
@_rendered_rows(CustomerOut)
@paginate
def customer_list(request: ApiRequest, filters: Query[CustomerListQuery]) -> Any:  # type: ignore[valid-type]
    data = filters.model_dump(exclude_none=True)  # type: ignore[attr-defined]
    form = CustomerFilter(data) if data else _no_customer_filters()
    if not form.is_valid():
        raise query_error({k: [str(m) for m in v] for k, v in form.errors.items()})
    # Plain rows, not model instances: at least as fast as a bare `.values()` view (bench/bench_web.py).
    return sel.customer_rows(sel.customer_list(user=request.auth, filters=form))


@router.post("/customers", response={201: CustomerOut}, summary="Create a customer")
def customer_create(request: ApiRequest, payload: CustomerIn) -> Any:
    actor = request.auth
    _require(actor, permissions.CHANGE)
    data = body_data(payload)
    tags = data.pop("tags", [])
    owner = _user_field("owner", data.pop("owner")) if "owner" in data else svc.UNSET
    customer = svc.customer_create(actor=actor, data=data, tags=tags, owner=owner)
    return Status(201, sel.customer_get(user=actor, pk=customer.pk))


@router.get("/customers/{int:customer_id}", response=CustomerOut, summary="Get a customer")
def customer_detail(request: ApiRequest, customer_id: int) -> Any:
    return sel.customer_get(user=request.auth, pk=customer_id)


@router.patch("/customers/{int:customer_id}", response=CustomerOut,
              summary="Change a customer (send the `version` you read; 409 if it is stale)")
def customer_update(request: ApiRequest, customer_id: int, payload: CustomerPatch) -> Any:
    actor = request.auth
    customer = sel.customer_get(user=actor, pk=customer_id, for_change=True)
    data = body_data(payload, CUSTOMER_TEXT)
    version = data.pop("version")
    tags = data.pop("tags", None)
    if "owner" in data:
        data["owner"] = _user_field("owner", data["owner"])
    svc.customer_update(actor=actor, customer=customer, data=data, version=version, tags=tags)
    return sel.customer_get(user=actor, pk=customer_id)


@router.delete("/customers/{int:customer_id}", response={204: None}, summary="Move a customer to the recycle bin")
def customer_delete(request: ApiRequest, customer_id: int, version: int | None = None) -> Any:
    actor = request.auth
    customer = sel.customer_get(user=actor, pk=customer_id, for_change=True)
    _require(actor, permissions.DELETE)
    svc.customer_delete(actor=actor, customer=customer, version=version)
    return Status(204, None)


@router.post("/customers/{int:customer_id}/restore", response=CustomerOut,
             summary="Restore a customer from the recycle bin")
def customer_restore(request: ApiRequest, customer_id: int) -> Any:
    actor = request.auth
    customer = sel.recycle_get(user=actor, entity="customer", pk=customer_id)
    svc.customer_restore(actor=actor, customer=customer)  # type: ignore[arg-type]
    return sel.customer_get(user=actor, pk=customer_id)


def _decode_page(cursor: str | None) -> int:
    if not cursor:
        return 1
    try:
        page = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))["p"]
        if not isinstance(page, int) or page < 1:
            raise ValueError
        return page
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise query_error({"cursor": [_("This cursor is not valid; use next_cursor from the previous page.")]})


def _encode_page(page: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"p": page}).encode()).decode().rstrip("=")


def _timeline_entry(item: Any, masked: bool = False) -> dict[str, Any]:
    """One timeline item; `masked`: the contact numbers in a change's fields are masked (governance.masking)."""
    obj = item.obj
    if item.kind == "interaction":
        data = {"channel": obj.channel, "direction": obj.direction, "staff": obj.staff_id,
                "contact": obj.contact_id, "content": obj.content}
        title = obj.summary
    elif item.kind == "order":
        data = {"status": obj.status, "total_amount": str(obj.total_amount), "currency": obj.currency}
        title = str(obj)
    elif item.kind == "task":
        data = {"assignee": obj.assignee_id, "done": obj.done_at is not None}
        title = obj.title
    elif item.kind != "change":  # another app's source (settings.GUANXI_TIMELINE_SOURCES)
        title, data = describe_extra(item.kind, obj)
    else:
        data = {"action": obj.action, "entity": obj.entity, "object_id": obj.object_id, "actor": obj.actor_id,
                "changes": masked_changes(obj.changes) if masked else obj.changes}
        title = f"{obj.get_action_display()} {obj.object_repr}"
    return {"kind": item.kind, "at": item.at, "id": obj.pk, "title": title, "data": data}


@router.get("/customers/{int:customer_id}/timeline", response=TimelinePageOut,
            summary="The customer's timeline: follow-ups, orders, tasks, changes and tickets, newest first")
def customer_timeline_view(request: ApiRequest, customer_id: int, limit: int = 20, cursor: str | None = None,
                           kinds: str | None = None) -> Any:
    unknown = sorted(set(request.GET) - {"limit", "cursor", "kinds"})
    if unknown:
        raise query_error({name: [_("Unknown query parameter.")] for name in unknown})
    if not 1 <= limit <= 200:
        raise query_error({"limit": [_("Use a number from 1 to 200.")]})
    wanted = tuple(k for k in (kinds or "").split(",") if k) or TIMELINE_KINDS
    if set(wanted) - set(TIMELINE_KINDS):
        raise query_error({"kinds": [_("Use some of: %(kinds)s.") % {"kinds": ", ".join(TIMELINE_KINDS)}]})
    customer = sel.customer_get(user=request.auth, pk=customer_id)
    page = customer_timeline(user=request.auth, customer=customer, page=_decode_page(cursor), per_page=limit,
                             kinds=wanted)
    masked = any(i.kind == "change" and has_masked_fields(i.obj) for i in page.items) and \
        masking.for_request(request).should_mask(customer)
    return {"items": [_timeline_entry(i, masked) for i in page.items],
            "next_cursor": _encode_page(page.page + 1) if page.has_next else None}


# ---------------------------------------------------------------- contacts


@router.get("/customers/{int:customer_id}/contacts", response=list[ContactOut], tags=["contacts"])
@paginate
def contact_list(request: ApiRequest, customer_id: int) -> Any:
    customer = sel.customer_get(user=request.auth, pk=customer_id)
    # The customer loaded once, so masking (号码脱敏) needs no query per contact.
    return sel.contacts_of(user=request.auth, customer=customer).select_related("customer")


@router.post("/customers/{int:customer_id}/contacts", response={201: ContactOut}, tags=["contacts"])
def contact_create(request: ApiRequest, customer_id: int, payload: ContactIn) -> Any:
    customer = sel.customer_get(user=request.auth, pk=customer_id, for_change=True)
    contact = svc.contact_create(actor=request.auth, customer=customer, data=body_data(payload))
    return Status(201, sel.contact_get(user=request.auth, pk=contact.pk))


@router.get("/contacts/{int:contact_id}", response=ContactOut, tags=["contacts"])
def contact_detail(request: ApiRequest, contact_id: int) -> Any:
    return sel.contact_get(user=request.auth, pk=contact_id)


@router.post("/contacts/{int:contact_id}/reveal", response=ContactRevealOut, tags=["contacts"],
             summary="Show a contact's mobile, phone and email in full (recorded in the audit trail)")
def contact_reveal_view(request: ApiRequest, contact_id: int) -> Any:
    """For a contact whose numbers you see masked (`masked: true`); 404 for a contact you may not see."""
    return contact_reveal(actor=request.auth, contact_id=contact_id)


@router.patch("/contacts/{int:contact_id}", response=ContactOut, tags=["contacts"])
def contact_update(request: ApiRequest, contact_id: int, payload: ContactPatch) -> Any:
    contact = sel.contact_get(user=request.auth, pk=contact_id, for_change=True)
    data = body_data(payload, CONTACT_TEXT)
    version = data.pop("version")
    svc.contact_update(actor=request.auth, contact=contact, data=data, version=version)
    return sel.contact_get(user=request.auth, pk=contact_id)


@router.delete("/contacts/{int:contact_id}", response={204: None}, tags=["contacts"])
def contact_delete(request: ApiRequest, contact_id: int, version: int | None = None) -> Any:
    contact = sel.contact_get(user=request.auth, pk=contact_id, for_change=True)
    svc.contact_delete(actor=request.auth, contact=contact, version=version)
    return Status(204, None)


# ---------------------------------------------------------------- follow-ups (跟进记录)


@router.get("/customers/{int:customer_id}/interactions", response=list[InteractionOut], tags=["follow-ups"])
@paginate
def interaction_list(request: ApiRequest, customer_id: int) -> Any:
    customer = sel.customer_get(user=request.auth, pk=customer_id)
    return sel.interaction_list(user=request.auth).filter(customer=customer)


@router.post("/customers/{int:customer_id}/interactions", response={201: InteractionOut}, tags=["follow-ups"],
             summary="Log a follow-up (a next follow-up date creates a task)")
def interaction_create(request: ApiRequest, customer_id: int, payload: InteractionIn) -> Any:
    actor = request.auth
    customer = sel.customer_get(user=actor, pk=customer_id, for_change=True)
    data = body_data(payload, ("content",))
    if data.get("occurred_at") is None:
        data.pop("occurred_at", None)
    if data.get("contact") is not None:
        try:
            data["contact"] = sel.contact_get(user=actor, pk=data["contact"])
        except NotFoundError:
            raise ValidationError({"contact": [_("There is no such contact.")]}) from None
    interaction = activity.interaction_create(actor=actor, customer=customer, data=data)
    return Status(201, sel.interaction_get(user=actor, pk=interaction.pk))


@router.get("/interactions/{int:interaction_id}", response=InteractionOut, tags=["follow-ups"])
def interaction_detail(request: ApiRequest, interaction_id: int) -> Any:
    return sel.interaction_get(user=request.auth, pk=interaction_id)


@router.patch("/interactions/{int:interaction_id}", response=InteractionOut, tags=["follow-ups"])
def interaction_update(request: ApiRequest, interaction_id: int, payload: InteractionPatch) -> Any:
    interaction = sel.interaction_get(user=request.auth, pk=interaction_id, for_change=True)
    data = body_data(payload, ("content",))
    version = data.pop("version")
    activity.interaction_update(actor=request.auth, interaction=interaction, data=data, version=version)
    return sel.interaction_get(user=request.auth, pk=interaction_id)


@router.delete("/interactions/{int:interaction_id}", response={204: None}, tags=["follow-ups"])
def interaction_delete(request: ApiRequest, interaction_id: int, version: int | None = None) -> Any:
    interaction = sel.interaction_get(user=request.auth, pk=interaction_id, for_change=True)
    activity.interaction_delete(actor=request.auth, interaction=interaction, version=version)
    return Status(204, None)


# ---------------------------------------------------------------- tasks (待办)

TASK_WHEN = ("today", "overdue", "upcoming", "open", "done")


@router.get("/tasks", response=list[TaskOut], tags=["tasks"], summary="My tasks")
@paginate
def task_list(request: ApiRequest, when: str = "open") -> Any:
    if when not in TASK_WHEN:
        raise query_error({"when": [_("Use one of: %(choices)s.") % {"choices": ", ".join(TASK_WHEN)}]})
    return my_tasks(user=request.auth, when=when)


@router.post("/tasks", response={201: TaskOut}, tags=["tasks"])
def task_create(request: ApiRequest, payload: TaskIn) -> Any:
    actor = request.auth
    _require(actor, permissions.CHANGE)
    data = body_data(payload, ("notes",))
    data["assignee"] = _user_field("assignee", data.get("assignee")) or actor
    if data.get("customer") is not None:
        data["customer"] = sel.customer_get(user=actor, pk=data["customer"], for_change=True)
    task = activity.task_create(actor=actor, data=data)
    return Status(201, sel.task_get(user=actor, pk=task.pk))


@router.get("/tasks/{int:task_id}", response=TaskOut, tags=["tasks"])
def task_detail(request: ApiRequest, task_id: int) -> Any:
    return sel.task_get(user=request.auth, pk=task_id)


@router.patch("/tasks/{int:task_id}", response=TaskOut, tags=["tasks"])
def task_update(request: ApiRequest, task_id: int, payload: TaskPatch) -> Any:
    actor = request.auth
    task = sel.task_get(user=actor, pk=task_id, for_change=True)
    data = body_data(payload, ("notes",))
    version = data.pop("version")
    if "assignee" in data:
        if data["assignee"] is None:
            raise ValidationError({"assignee": [_("A task needs an assignee.")]})
        data["assignee"] = _user_field("assignee", data["assignee"])  # who may get it: the service says
    activity.task_update(actor=actor, task=task, data=data, version=version)
    return sel.task_get(user=actor, pk=task_id)


@router.post("/tasks/{int:task_id}/complete", response=TaskOut, tags=["tasks"])
def task_complete(request: ApiRequest, task_id: int, payload: VersionIn | None = None) -> Any:
    task = sel.task_get(user=request.auth, pk=task_id, for_change=True)
    activity.task_complete(actor=request.auth, task=task, done=True, version=payload.version if payload else None)
    return sel.task_get(user=request.auth, pk=task_id)


@router.post("/tasks/{int:task_id}/reopen", response=TaskOut, tags=["tasks"])
def task_reopen(request: ApiRequest, task_id: int, payload: VersionIn | None = None) -> Any:
    task = sel.task_get(user=request.auth, pk=task_id, for_change=True)
    activity.task_complete(actor=request.auth, task=task, done=False, version=payload.version if payload else None)
    return sel.task_get(user=request.auth, pk=task_id)


@router.delete("/tasks/{int:task_id}", response={204: None}, tags=["tasks"])
def task_delete(request: ApiRequest, task_id: int, version: int | None = None) -> Any:
    task = sel.task_get(user=request.auth, pk=task_id, for_change=True)
    activity.task_delete(actor=request.auth, task=task, version=version)
    return Status(204, None)


# ---------------------------------------------------------------- products


@router.get("/products", response=list[ProductOut], tags=["orders"])
@paginate
def product_list_view(request: ApiRequest, q: str = "", active: bool | None = None) -> Any:
    return product_list(user=request.auth, q=q, active=active)


@router.post("/products", response={201: ProductOut}, tags=["orders"])
def product_create(request: ApiRequest, payload: ProductIn) -> Any:
    _require(request.auth, permissions.CHANGE)
    product = orders.product_save(actor=request.auth, product=Product(), data=body_data(payload))
    return Status(201, product_get(user=request.auth, pk=product.pk))


@router.get("/products/{int:product_id}", response=ProductOut, tags=["orders"])
def product_detail(request: ApiRequest, product_id: int) -> Any:
    return product_get(user=request.auth, pk=product_id)


@router.patch("/products/{int:product_id}", response=ProductOut, tags=["orders"])
def product_update(request: ApiRequest, product_id: int, payload: ProductPatch) -> Any:
    product = product_get(user=request.auth, pk=product_id, for_change=True)
    orders.product_save(actor=request.auth, product=product, data=body_data(payload, ("category", "unit")))
    return product_get(user=request.auth, pk=product_id)


# ---------------------------------------------------------------- orders


def _order_lines(user: Any, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    result = []
    for i, line in enumerate(lines):
        line = dict(line)
        if line.get("unit_price") is None:
            line.pop("unit_price", None)
        if line.get("product") is not None:
            try:
                line["product"] = product_get(user=user, pk=line["product"])
            except NotFoundError:
                raise ValidationError({f"lines.{i}.product": [_("There is no such product.")]}) from None
        result.append(line)
    return result


@router.get("/orders", response=list[OrderOut], tags=["orders"],
            summary="All orders you may see (search, status, channel, date range, sort)")
@paginate
def order_list(request: ApiRequest, filters: Query[OrderListQuery]) -> Any:  # type: ignore[valid-type]
    form = OrderFilter(filters.model_dump(exclude_none=True))  # type: ignore[attr-defined]
    if not form.is_valid():
        raise query_error({k: [str(m) for m in v] for k, v in form.errors.items()})
    return form.apply(sel.order_list(user=request.auth)).prefetch_related("lines")


@router.get("/customers/{int:customer_id}/orders", response=list[OrderOut], tags=["orders"])
@paginate
def customer_order_list(request: ApiRequest, customer_id: int) -> Any:
    customer = sel.customer_get(user=request.auth, pk=customer_id)
    return sel.orders_of(user=request.auth, customer=customer).prefetch_related("lines")


@router.post("/customers/{int:customer_id}/orders", response={201: OrderOut}, tags=["orders"])
def order_create(request: ApiRequest, customer_id: int, payload: OrderIn) -> Any:
    actor = request.auth
    customer = sel.customer_get(user=actor, pk=customer_id, for_change=True)
    data = body_data(payload, ORDER_TEXT)
    lines = _order_lines(actor, data.pop("lines", []))
    for optional in ("currency", "total_amount"):
        if data.get(optional) is None:
            data.pop(optional, None)
    if "salesperson" in data:
        data["salesperson"] = _user_field("salesperson", data["salesperson"])
    order = orders.order_create(actor=actor, customer=customer, data=data, lines=lines)
    return Status(201, sel.order_get(user=actor, pk=order.pk))


@router.get("/orders/{int:order_id}", response=OrderOut, tags=["orders"])
def order_detail(request: ApiRequest, order_id: int) -> Any:
    return sel.order_get(user=request.auth, pk=order_id)


@router.patch("/orders/{int:order_id}", response=OrderOut, tags=["orders"])
def order_update(request: ApiRequest, order_id: int, payload: OrderPatch) -> Any:
    order = sel.order_get(user=request.auth, pk=order_id, for_change=True)
    data = body_data(payload, ORDER_TEXT)
    version = data.pop("version")
    for not_null in ("total_amount", "cost_amount", "status", "channel", "ordered_at"):
        if not_null in data and data[not_null] is None:
            raise ValidationError({not_null: [_("This field cannot be empty.")]})
    orders.order_update(actor=request.auth, order=order, data=data, version=version)
    return sel.order_get(user=request.auth, pk=order_id)


@router.delete("/orders/{int:order_id}", response={204: None}, tags=["orders"])
def order_delete(request: ApiRequest, order_id: int, version: int | None = None) -> Any:
    order = sel.order_get(user=request.auth, pk=order_id, for_change=True)
    _require(request.auth, permissions.DELETE)
    orders.order_delete(actor=request.auth, order=order, version=version)
    return Status(204, None)


# ---------------------------------------------------------------- custom fields


@router.get("/custom-fields", response=list[CustomFieldOut], tags=["settings"])
@paginate
def custom_field_list_view(request: ApiRequest, entity: str = "") -> Any:
    if entity and entity not in CustomFieldDefinition.Entity.values:
        raise query_error({"entity": [_("Use one of: %(choices)s.")
                                       % {"choices": ", ".join(CustomFieldDefinition.Entity.values)}]})
    return custom_field_list(user=request.auth, entity=entity)


@router.post("/custom-fields", response={201: CustomFieldOut}, tags=["settings"])
def custom_field_create(request: ApiRequest, payload: CustomFieldIn) -> Any:
    require_configure(request.auth)
    definition = custom_field_save(actor=request.auth, definition=CustomFieldDefinition(**body_data(payload)))
    return Status(201, definition)


@router.patch("/custom-fields/{int:field_id}", response=CustomFieldOut, tags=["settings"])
def custom_field_update(request: ApiRequest, field_id: int, payload: CustomFieldPatch) -> Any:
    definition = custom_field_get(user=request.auth, pk=field_id, for_change=True)
    for name, value in body_data(payload).items():
        if value is None:
            raise ValidationError({name: [_("This field cannot be empty.")]})
        setattr(definition, name, value)
    return custom_field_save(actor=request.auth, definition=definition)


# ---------------------------------------------------------------- recycle bin

def _entity(entity: str) -> str:
    """One of the recycle bin's entities: this app's own and those of settings.GUANXI_RECYCLABLE (leads,
    opportunities…), the same registry as the web recycle bin."""
    if entity not in sel.recycle_models():
        raise NotFoundError()
    return entity


@router.get("/recycle-bin/{entity}", response=list[RecycleItemOut], tags=["recycle bin"],
            summary="Deleted records you may restore (customer, contact, order, interaction, task, and the "
                    "records of other apps: lead, opportunity)")
@paginate
def recycle_list(request: ApiRequest, entity: str) -> Any:
    return sel.recycle_bin(user=request.auth, entity=_entity(entity))


@router.post("/recycle-bin/{entity}/{int:object_id}/restore", response=RecycleItemOut, tags=["recycle bin"],
             summary="Restore a record from the recycle bin (its customer must not be in the bin)")
def recycle_restore(request: ApiRequest, entity: str, object_id: int) -> Any:
    # The web recycle bin's entry point: the window and permission check, the "customer first" rule and each
    # app's own restore service (with its audit row).
    return services_recycle.recycle_restore(actor=request.auth, entity=_entity(entity), pk=object_id)
