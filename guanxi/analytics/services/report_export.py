"""Excel downloads of the customer-value reports (dashboard, 80/20, churn): one sheet per chart or table, checked
and audited like every export (governance.services_export: the EXPORT capability, the daily row limit, one audit
row), text cells neutralised against formula injection."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from guanxi.core.text import person_name, spreadsheet_safe
from guanxi.customers.services.exports import export_filename
from guanxi.governance.services_export import check_export_allowed, export_recorded, exported_by_line

from ..filters_reports import ParetoFilter, ValueReportFilter
from ..selectors.churn import churn_report
from ..selectors.dashboard import dashboard
from ..selectors.pareto import pareto_report
from .report_tables import Table, churn_tables, dashboard_tables, pareto_tables

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class ReportFile:
    filename: str
    content: bytes
    rows: int


def _cell(sheet: Any, value: Any, bold: bool = False) -> Any:
    cell = WriteOnlyCell(sheet, value=spreadsheet_safe(str(value)) if isinstance(value, str) else value)
    if bold:
        cell.font = Font(bold=True)
    return cell


def _sheet_name(title: str, used: set[str]) -> str:
    name = title[:31]
    for ch in "[]:*?/\\":
        name = name.replace(ch, " ")
    while name in used:
        name = name[:28] + f" {len(used)}"
    used.add(name)
    return name


def _workbook(*, actor: Any, entity: str, title: str, filters: ValueReportFilter, tables: list[Table]) -> ReportFile:
    rows = sum(len(t[2]) for t in tables)
    check_export_allowed(user=actor, rows=rows)
    now = timezone.now()
    export_recorded(actor=actor, entity=entity, rows=rows, fmt="xlsx", filters=filters.params(), at=now)
    footer = exported_by_line(actor, now)
    params = filters.params()
    period = _("Period: %(start)s – %(end)s") % {"start": params["from"], "end": params["to"]}
    book = Workbook(write_only=True)
    book.properties.creator = person_name(actor)
    book.properties.title = title
    book.properties.description = footer
    used: set[str] = set()
    for sheet_title, headers, data in tables:
        sheet = book.create_sheet(_sheet_name(sheet_title, used))
        sheet.append([_cell(sheet, h, bold=True) for h in headers])
        for row in data:
            sheet.append([_cell(sheet, v) for v in row])
        sheet.append([])
        sheet.append([_cell(sheet, period)])
        sheet.append([_cell(sheet, footer)])
    buffer = io.BytesIO()
    book.save(buffer)
    return ReportFile(filename=export_filename(entity, "xlsx", user=actor, at=now), content=buffer.getvalue(),
                      rows=rows)


def _export(actor: Any, filters: ValueReportFilter, entity: str, title: str,
            build: Callable[[], list[Table]]) -> ReportFile:
    return _workbook(actor=actor, entity=entity, title=title, filters=filters, tables=build())


@transaction.atomic
def dashboard_export(*, actor: Any, filters: ValueReportFilter) -> ReportFile:
    """The dashboard (for a valid filter) as .xlsx, a sheet per chart. PermissionDeniedError without VIEW_REPORTS
    or EXPORT, or over the daily row limit (nothing audited then)."""
    return _export(actor, filters, "value_dashboard", _("Customer value dashboard"),
                   lambda: dashboard_tables(dashboard(user=actor, filters=filters)))


@transaction.atomic
def pareto_export(*, actor: Any, filters: ParetoFilter) -> ReportFile:
    return _export(actor, filters, "pareto_report", _("80/20 report"),
                   lambda: pareto_tables(pareto_report(user=actor, filters=filters)))


@transaction.atomic
def churn_export(*, actor: Any, filters: ValueReportFilter) -> ReportFile:
    return _export(actor, filters, "churn_report", _("Churn report"),
                   lambda: churn_tables(churn_report(user=actor, filters=filters)))
