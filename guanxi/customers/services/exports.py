"""Exporting customers, contacts and orders to CSV (UTF-8 with BOM) or Excel.

The rows come from the same selectors and filters as the list pages: customers and their contacts
with the customer list's `CustomerFilter`, orders with the order list's `OrderFilter`, so an export
never holds more than its user may see, and holds what the list shows. Every text cell goes through
`spreadsheet_safe`; rows are read with `.iterator()` and written as they come (CSV is streamed; Excel
is written in constant-memory mode to a temporary file, then streamed).

Export control (governance.services_export): the EXPORT capability, the role's daily row limit (the
rows are counted first, capped at what is left today + 1; over the limit nothing is written or
audited), one audit row per export (who, filters, row count). Contacts' mobile, phone and email are
masked as on screen (governance.masking).

The exporter's name and the time are in the file: in its name (`customers-20261123-1500-zhangwei.csv`)
and as its last row ("Exported by 张伟 (zhangwei) at 2026-11-23 15:00", one cell after the data, so
the header stays the first row for programs reading the file); an .xlsx also carries them in its
document properties (author, title, comments) and in the printed page footer.
"""

from __future__ import annotations

import csv
import datetime
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from guanxi.core.errors import PermissionDeniedError
from guanxi.core.text import person_name, spreadsheet_safe
from guanxi.governance import masking, permissions
from guanxi.governance.services_export import (
    check_export_allowed,
    export_allowance,
    export_recorded,
    exported_by_line,
)

from ..filters import CustomerFilter, OrderFilter
from ..models import CustomFieldDefinition
from ..selectors.customers import contact_list, customer_list, order_list

EXPORT_ENTITIES = ("customer", "contact", "order")
EXPORT_FORMATS = ("csv", "xlsx")
CHUNK = 2000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Column = tuple[str, Callable[[Any], Any]]


def _user(u: Any) -> str:
    return u.get_username() if u is not None else ""


def _customer_columns() -> list[Column]:
    return [
        (_("ID"), lambda c: c.pk),
        (_("External id"), lambda c: c.external_id or ""),
        (_("Name"), lambda c: c.name),
        (_("Short name"), lambda c: c.short_name),
        (_("Type"), lambda c: c.get_kind_display()),
        (_("Unified social credit code"), lambda c: c.credit_code),
        (_("Industry"), lambda c: c.industry),
        (_("Source"), lambda c: c.source),
        (_("Province"), lambda c: c.province),
        (_("City"), lambda c: c.city),
        (_("Address"), lambda c: c.address),
        (_("Birthday"), lambda c: c.birthday),
        (_("Lifecycle status"), lambda c: c.get_lifecycle_display()),
        (_("Churn reason"), lambda c: c.churn_reason),
        (_("Tags"), lambda c: ", ".join(sorted(t.name for t in c.tags.all()))),
        (_("Owner"), lambda c: _user(c.owner)),
        (_("Department"), lambda c: c.department.name if c.department else ""),
        (_("Last follow-up"), lambda c: c.last_interaction_at),
        (_("Created at"), lambda c: c.created_at),
        (_("Notes"), lambda c: c.notes),
    ]


def _contact_columns() -> list[Column]:
    return [
        (_("ID"), lambda c: c.pk),
        (_("External id"), lambda c: c.external_id or ""),
        (_("Customer external id"), lambda c: c.customer.external_id or ""),
        (_("Customer name"), lambda c: c.customer.name),
        (_("Name"), lambda c: c.name),
        (_("Title"), lambda c: c.title),
        (_("Mobile"), lambda c: c.shown.mobile),
        (_("Phone"), lambda c: c.shown.phone),
        (_("Email"), lambda c: c.shown.email),
        (_("WeChat ID"), lambda c: c.wechat),
        (_("Birthday"), lambda c: c.birthday),
        (_("Primary contact"), lambda c: _("Yes") if c.is_primary else _("No")),
    ]


def _order_columns() -> list[Column]:
    return [
        (_("ID"), lambda o: o.pk),
        (_("Source system"), lambda o: o.external_source),
        (_("External id"), lambda o: o.external_id or ""),
        (_("Order number"), lambda o: o.number),
        (_("Customer external id"), lambda o: o.customer.external_id or ""),
        (_("Customer name"), lambda o: o.customer.name),
        (_("Status"), lambda o: o.get_status_display()),
        (_("Sales channel"), lambda o: o.get_channel_display()),
        (_("Order date"), lambda o: o.ordered_at),
        (_("Currency"), lambda o: o.currency),
        (_("Amount"), lambda o: o.total_amount),
        (_("Cost"), lambda o: o.cost_amount),
        (_("Salesperson"), lambda o: _user(o.salesperson)),
    ]


def _custom_columns(entity: str) -> list[Column]:
    return [
        (d.label, (lambda key: lambda obj: (obj.custom or {}).get(key, ""))(d.key))
        for d in CustomFieldDefinition.objects.filter(entity=entity, is_active=True)
    ]


def export_filters(entity: str, params: Mapping[str, Any]) -> forms.Form:
    """The bound filter form of the list an export comes from: the order list's `OrderFilter` for
    orders, the customer list's `CustomerFilter` for customers and their contacts. Empty values are
    "no filter", as on the lists."""
    data = {k: v for k, v in params.items() if v not in ("", None)}
    return OrderFilter(data) if entity == "order" else CustomerFilter(data)


def export_queryset(*, user: Any, entity: str, filters: forms.Form | None) -> QuerySet:
    """Rows to export: what the user sees, narrowed by the list's filters (see `export_filters`)."""
    if entity == "order":
        orders = order_list(user=user).select_related("salesperson")
        if isinstance(filters, OrderFilter):
            return filters.apply(orders)
        return orders.order_by("-ordered_at", "-id")
    customers = customer_list(user=user, filters=filters if isinstance(filters, CustomerFilter) else None)
    if entity == "customer":
        return customers.prefetch_related("tags")
    ids = customers.order_by().values("pk")
    return contact_list(user=user).filter(customer_id__in=ids).order_by("customer_id", "-is_primary", "id")


def _cell(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if timezone.is_aware(value) else value
    if value is None:
        return ""
    return spreadsheet_safe(value)


@dataclass
class Export:
    """A prepared (checked and audited) export: write `rows` after `headers`, then `footer`."""

    entity: str
    fmt: str
    headers: list[str]
    rows: Iterator[list[Any]]
    count: int
    footer: str
    author: str
    filename: str
    at: datetime.datetime
    sheet: str = ""  # the Excel sheet's name


def export_prepare(*, user: Any, entity: str, filters: forms.Form | None, fmt: str,
                   params: dict[str, Any] | None = None) -> Export:
    """Check the permission and the daily row limit, audit the export and return it ready to write.

    Over the limit: PermissionDeniedError saying how many rows are left today; nothing is audited."""
    if not permissions.can(user, permissions.EXPORT):
        raise PermissionDeniedError()
    if entity not in EXPORT_ENTITIES or fmt not in EXPORT_FORMATS:
        raise PermissionDeniedError(_("Unknown export."))
    qs = export_queryset(user=user, entity=entity, filters=filters)
    columns = {"customer": _customer_columns, "contact": _contact_columns, "order": _order_columns}[entity]()
    columns += _custom_columns(entity)
    shown = masking.for_user(user)

    def prepare(obj: Any) -> None:
        if entity == "contact":
            obj.shown = shown.mask_contact(obj)

    return export_build(user=user, entity=entity, fmt=fmt, qs=qs, columns=columns, params=params,
                        prepare=prepare, sheet=sheet_title(entity))


def export_build(*, user: Any, entity: str, fmt: str, qs: QuerySet, columns: list[Column],
                 params: Mapping[str, Any] | None = None, prepare: Callable[[Any], None] | None = None,
                 sheet: str = "") -> Export:
    """The shared steps of every export (customers, contacts, orders, leads, …), after the caller checked
    what it exports: count the rows (capped at what is left today + 1), check the EXPORT permission and the
    daily row limit (PermissionDeniedError; nothing is audited), audit the export (who, filters, rows), and
    return it ready to write. `qs` is already limited to what the user sees and filtered; `columns` are
    (header, getter) pairs; `prepare(obj)` runs on each object before its cells are read (masking)."""
    if fmt not in EXPORT_FORMATS:
        raise PermissionDeniedError(_("Unknown export."))
    remaining = export_allowance(user=user)
    counted = qs.order_by()
    count = (counted[: remaining + 1] if remaining is not None else counted).count()
    check_export_allowed(user=user, rows=count, remaining=remaining)
    now = timezone.now()
    export_recorded(actor=user, entity=entity, rows=count, fmt=fmt, filters=dict(params or {}), at=now)

    def rows() -> Iterator[list[Any]]:
        # Never more than was counted and audited, even if rows were added meanwhile.
        for obj in qs[:count].iterator(chunk_size=CHUNK):
            if prepare is not None:
                prepare(obj)
            yield [_cell(get(obj)) for _h, get in columns]

    return Export(
        entity=entity, fmt=fmt, headers=[str(spreadsheet_safe(str(h))) for h, _g in columns], rows=rows(),
        count=count, footer=str(spreadsheet_safe(exported_by_line(user, now))), author=person_name(user),
        filename=export_filename(entity, fmt, user=user, at=now), at=now, sheet=sheet or entity,
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(headers: list[str], rows: Iterable[list[Any]], footer: str = "") -> Iterator[bytes]:
    """UTF-8 with BOM so Excel opens Chinese text correctly; `footer` (who exported it, when) is the last row."""
    writer = csv.writer(_Echo())
    yield ("\ufeff" + writer.writerow(headers)).encode("utf-8")
    buffer: list[str] = []
    for row in rows:
        buffer.append(writer.writerow(row))
        if len(buffer) >= 500:
            yield "".join(buffer).encode("utf-8")
            buffer = []
    if footer:
        buffer.append(writer.writerow([footer]))
    if buffer:
        yield "".join(buffer).encode("utf-8")


def xlsx_file(headers: list[str], rows: Iterable[list[Any]], sheet_name: str, footer: str = "",
              author: str = "", created: datetime.datetime | None = None) -> Any:
    """Write an .xlsx in constant memory to an anonymous temporary file; returns it rewound.

    `footer` (who exported it, when) is written as the last row, in the printed page footer and, with
    `author`, in the document properties."""
    import xlsxwriter

    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by the response
    workbook = xlsxwriter.Workbook(handle.name, {"constant_memory": True, "strings_to_formulas": False,
                                                 "strings_to_urls": False, "strings_to_numbers": False})
    if footer or author:
        workbook.set_properties({
            "title": sheet_name, "author": author, "comments": footer,
            "created": timezone.localtime(created or timezone.now()).replace(tzinfo=None),
        })
    sheet = workbook.add_worksheet(sheet_name[:31])
    bold = workbook.add_format({"bold": True})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for c, h in enumerate(headers):
        sheet.write_string(0, c, h, bold)
    r = 0
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, (int, float, Decimal)):
                sheet.write_number(r, c, float(value))
            elif isinstance(value, datetime.date):
                sheet.write_datetime(r, c, datetime.datetime(value.year, value.month, value.day), date_format)
            else:
                sheet.write_string(r, c, str(value))
    if footer:
        sheet.write_string(r + 1, 0, footer, workbook.add_format({"italic": True, "font_color": "#666666"}))
        sheet.set_footer("&L" + footer.replace("&", "&&"))
    sheet.freeze_panes(1, 0)
    workbook.close()
    handle.seek(0)
    return handle


def export_filename(entity: str, fmt: str, *, user: Any = None, at: datetime.datetime | None = None) -> str:
    """`customers-20261123-1500-zhangwei.csv`: what, when (local time) and who exported it."""
    moment = timezone.localtime(at or timezone.now())
    who = re.sub(r"[^\w.-]+", "_", user.get_username()).strip("_.")[:40] if user is not None else ""
    return f"{entity}s-{moment:%Y%m%d-%H%M}{'-' + who if who else ''}.{fmt}"


def export_http_response(export: Export) -> HttpResponseBase:
    """The download of a prepared export: CSV streamed, Excel from its temporary file (web and API alike)."""
    disposition = content_disposition_header(True, export.filename) or "attachment"
    if export.fmt == "csv":
        response: HttpResponseBase = StreamingHttpResponse(csv_stream(export.headers, export.rows, export.footer),
                                                           content_type="text/csv; charset=utf-8")
    else:
        handle = xlsx_file(export.headers, export.rows, export.sheet or export.entity, footer=export.footer,
                           author=export.author, created=export.at)
        response = FileResponse(handle, content_type=XLSX)
    response["Content-Disposition"] = disposition
    return response


def sheet_title(entity: str) -> str:
    return {"customer": _("Customers"), "contact": _("Contacts"), "order": _("Orders")}[entity]

