"""The service report's Excel download: one sheet per table of the report, checked and audited like every
export (governance.services_export: the EXPORT capability, the daily row limit, one audit row)."""

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

from ..filters_reports import ReportFilter
from ..selectors.reports import Report, Row, service_report

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_ENTITY = "service_report"


@dataclass
class ReportFile:
    filename: str
    content: bytes
    rows: int


def _row_columns(first: str) -> list[tuple[str, Callable[[Row], Any]]]:
    return [
        (first, lambda r: r.label),
        (_("Tickets"), lambda r: r.tickets),
        (_("Resolved"), lambda r: r.resolved),
        (_("First response, median (h)"), lambda r: r.frt_median),
        (_("First response, p90 (h)"), lambda r: r.frt_p90),
        (_("Resolution, median (h)"), lambda r: r.res_median),
        (_("Resolution, p90 (h)"), lambda r: r.res_p90),
        (_("Tickets with SLA"), lambda r: r.sla_tickets),
        (_("First response SLA met (%)"), lambda r: r.fr_attainment),
        (_("Resolution SLA met (%)"), lambda r: r.res_attainment),
        (_("Reopen rate (%)"), lambda r: r.reopen_rate),
        (_("CSAT answers"), lambda r: r.csat_count),
        (_("CSAT average"), lambda r: r.csat_avg),
        (_("CSAT 4-5 (%)"), lambda r: r.csat_satisfied),
        (_("NPS answers"), lambda r: r.nps_count),
        (_("NPS"), lambda r: r.nps),
    ]


def report_tables(report: Report) -> list[tuple[str, list[str], list[list[Any]]]]:
    """(title, headers, rows) of every table of the report, in the page's order."""
    def rows_of(rows: list[Row], first: str) -> tuple[list[str], list[list[Any]]]:
        columns = _row_columns(first)
        return [h for h, _g in columns], [[get(r) for _h, get in columns] for r in rows]

    trends = report.trends
    return [
        (_("Agents"), *rows_of([*report.agents, report.total], _("Agent"))),
        (_("Teams"), *rows_of([*report.teams, report.total], _("Team"))),
        (_("Tickets by type"), [_("Type"), _("Tickets")], [[r["label"], r["count"]] for r in report.by_type]),
        (_("Tickets by product"), [_("Product"), _("Tickets")], [[r["label"], r["count"]] for r in report.by_product]),
        (_("Complaints by product"), [_("Product"), _("Complaints")],
         [[r["label"], r["count"]] for r in report.complaints_by_product]),
        (_("Return reasons"), [_("Reason"), _("Returns")], [[r["label"], r["count"]] for r in report.return_reasons]),
        (_("Return reasons by product"), [_("Product"), _("Reason"), _("Returns")],
         [[r["label"], r["reason_label"], r["count"]] for r in report.return_reasons_by_product]),
        (_("Weekly trends"),
         [_("Week of"), _("Tickets opened"), _("Tickets resolved"), _("First response, median (h)"), _("First response SLA met (%)"),
          _("Resolution SLA met (%)"), _("CSAT average"), _("NPS")],
         [list(values) for values in zip(trends["weeks"], trends["opened"], trends["resolved"], trends["frt_median"],
                                         trends["fr_attainment"], trends["res_attainment"], trends["csat_avg"],
                                         trends["nps"], strict=True)]),
    ]


def _cell(sheet: Any, value: Any, bold: bool = False) -> Any:
    cell = WriteOnlyCell(sheet, value=spreadsheet_safe(str(value)) if isinstance(value, str) else value)
    if bold:
        cell.font = Font(bold=True)
    return cell


@transaction.atomic
def service_report_export(*, actor: Any, filters: ReportFilter, sort: str = "-tickets") -> ReportFile:
    """The report (for a valid `filters` form) as an .xlsx. PermissionDeniedError without VIEW_REPORTS or
    EXPORT, or over the daily row limit (nothing audited then)."""
    report = service_report(user=actor, filters=filters, sort=sort)
    tables = report_tables(report)
    rows = sum(len(t[2]) for t in tables)
    check_export_allowed(user=actor, rows=rows)
    now = timezone.now()
    export_recorded(actor=actor, entity=EXPORT_ENTITY, rows=rows, fmt="xlsx", filters=filters.params(), at=now)
    footer = exported_by_line(actor, now)
    period = _("Period: %(start)s – %(end)s (tickets opened in it; times in wall-clock hours)") % {
        "start": report.period.start.isoformat(), "end": report.period.end.isoformat()}
    book = Workbook(write_only=True)
    book.properties.creator = person_name(actor)
    book.properties.title = _("Service report")
    book.properties.description = footer
    used: set[str] = set()
    for title, headers, data in tables:
        name = title[:31]
        for ch in "[]:*?/\\":
            name = name.replace(ch, " ")
        while name in used:
            name = name[:29] + f" {len(used)}"
        used.add(name)
        sheet = book.create_sheet(name)
        sheet.append([_cell(sheet, h, bold=True) for h in headers])
        for row in data:
            sheet.append([_cell(sheet, v) for v in row])
        sheet.append([])
        sheet.append([_cell(sheet, period)])
        sheet.append([_cell(sheet, footer)])
    buffer = io.BytesIO()
    book.save(buffer)
    return ReportFile(filename=export_filename(EXPORT_ENTITY, "xlsx", user=actor, at=now), content=buffer.getvalue(),
                      rows=rows)
