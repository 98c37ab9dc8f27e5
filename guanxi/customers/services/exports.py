"""Exporting customers, contacts and orders to CSV (UTF-8 with BOM) or Excel.

The rows come from the same selectors as the list pages (`customer_list` with the one
`CustomerFilter`), so an export never holds more than its user may see. Every text cell goes
through `spreadsheet_safe`; rows are read with `.iterator()` and written as they come (CSV is
streamed; Excel is written in constant-memory mode to a temporary file, then streamed).
"""

from __future__ import annotations

import csv
import datetime
import tempfile
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.errors import PermissionDeniedError
from guanxi.core.text import spreadsheet_safe
from guanxi.governance import permissions
from guanxi.governance.models import AuditLog

from ..filters import CustomerFilter
from ..models import CustomFieldDefinition
from ..selectors.customers import contact_list, customer_list, order_list

EXPORT_ENTITIES = ("customer", "contact", "order")
EXPORT_FORMATS = ("csv", "xlsx")
CHUNK = 2000

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
        (_("Mobile"), lambda c: c.mobile),
        (_("Phone"), lambda c: c.phone),
        (_("Email"), lambda c: c.email),
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


def export_queryset(*, user: Any, entity: str, filters: CustomerFilter | None) -> QuerySet:
    """Rows to export: what the user sees, narrowed by the customer list's filters."""
    customers = customer_list(user=user, filters=filters)
    if entity == "customer":
        return customers.prefetch_related("tags")
    ids = customers.order_by().values("pk")
    if entity == "contact":
        return contact_list(user=user).filter(customer_id__in=ids).order_by("customer_id", "-is_primary", "id")
    return order_list(user=user).select_related("salesperson").filter(customer_id__in=ids).order_by(
        "-ordered_at", "-id")


def _cell(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if timezone.is_aware(value) else value
    if value is None:
        return ""
    return spreadsheet_safe(value)


def export_prepare(*, user: Any, entity: str, filters: CustomerFilter | None, fmt: str,
                   params: dict[str, Any] | None = None) -> tuple[list[str], Iterator[list[Any]], int]:
    """Check the permission, audit the export and return (headers, rows, row count)."""
    if not permissions.can(user, permissions.EXPORT):
        raise PermissionDeniedError()
    if entity not in EXPORT_ENTITIES or fmt not in EXPORT_FORMATS:
        raise PermissionDeniedError(_("Unknown export."))
    qs = export_queryset(user=user, entity=entity, filters=filters)
    columns = {"customer": _customer_columns, "contact": _contact_columns, "order": _order_columns}[entity]()
    columns += _custom_columns(entity)
    count = qs.order_by().count()
    AuditLog.objects.create(
        actor=user, action=AuditLog.Action.EXPORT, entity=entity, object_id="",
        object_repr=_("%(n)d rows as %(fmt)s") % {"n": count, "fmt": fmt.upper()},
        changes={"filters": {k: v for k, v in (params or {}).items() if v not in ("", None)}, "rows": count,
                 "format": fmt},
    )

    def rows() -> Iterator[list[Any]]:
        for obj in qs.iterator(chunk_size=CHUNK):
            yield [_cell(get(obj)) for _h, get in columns]

    return [str(spreadsheet_safe(str(h))) for h, _g in columns], rows(), count


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(headers: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """UTF-8 with BOM so Excel opens Chinese text correctly."""
    writer = csv.writer(_Echo())
    yield ("\ufeff" + writer.writerow(headers)).encode("utf-8")
    buffer: list[str] = []
    for row in rows:
        buffer.append(writer.writerow(row))
        if len(buffer) >= 500:
            yield "".join(buffer).encode("utf-8")
            buffer = []
    if buffer:
        yield "".join(buffer).encode("utf-8")


def xlsx_file(headers: list[str], rows: Iterable[list[Any]], sheet_name: str) -> Any:
    """Write an .xlsx in constant memory to an anonymous temporary file; returns it rewound."""
    import xlsxwriter

    handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by the response
    workbook = xlsxwriter.Workbook(handle.name, {"constant_memory": True, "strings_to_formulas": False,
                                                 "strings_to_urls": False, "strings_to_numbers": False})
    sheet = workbook.add_worksheet(sheet_name[:31])
    bold = workbook.add_format({"bold": True})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for c, h in enumerate(headers):
        sheet.write_string(0, c, h, bold)
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
    sheet.freeze_panes(1, 0)
    workbook.close()
    handle.seek(0)
    return handle


def export_filename(entity: str, fmt: str) -> str:
    return f"{entity}s-{timezone.localdate().isoformat()}.{fmt}"


def sheet_title(entity: str) -> str:
    return {"customer": _("Customers"), "contact": _("Contacts"), "order": _("Orders")}[entity]

