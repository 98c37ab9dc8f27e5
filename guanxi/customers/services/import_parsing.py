"""Reading uploaded tables (CSV in UTF-8/GBK/GB18030 with or without BOM, Excel) and parsing cell values.

Everything here is pure Python with no database access; `imports.py` builds on it.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from charset_normalizer import from_bytes
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from guanxi.core.errors import GuanxiError


class ImportFileError(GuanxiError):
    """The uploaded file cannot be read as a table."""


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)  # data rows; line number = index + 2
    file_format: str = "csv"
    encoding: str = ""


ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
UTF8_BOM = b"\xef\xbb\xbf"


def sniff_format(content: bytes, filename: str = "") -> str:
    if not content or not content.strip():
        raise ImportFileError(_("The file is empty."))
    if content.startswith(ZIP_MAGIC):
        return "xlsx"
    if content.startswith(OLE_MAGIC):
        return "xls"
    if b"\x00" in content[:4096] and not content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(_("This is not a CSV or Excel file. Save it as .csv or .xlsx and upload it again."))
    return "csv"


def decode_text(content: bytes) -> tuple[str, str]:
    """Return (text, encoding name). UTF-8 (with or without BOM) first, then detect (GBK/GB18030, …)."""
    if content.startswith(UTF8_BOM):
        return content[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16"), "utf-16"
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(content[:200_000], cp_isolation=["gb18030", "gbk", "big5", "utf_16", "cp1252"]).best()
    encoding = (best.encoding if best else "gb18030").lower()
    if encoding in {"gbk", "gb2312", "cp936", "hz", "gb18030", "ascii"}:
        encoding = "gb18030"  # a superset of GB2312 and GBK
    try:
        return content.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError):
        try:
            return content.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            raise ImportFileError(
                _("The file's text encoding could not be recognised. Save it as UTF-8 CSV or as .xlsx.")
            ) from None


def _strip_trailing_empty(rows: list[list[Any]]) -> list[list[Any]]:
    out = []
    for row in rows:
        if any(c not in (None, "") and not (isinstance(c, str) and not c.strip()) for c in row):
            out.append(row)
        else:
            out.append([])  # keep line numbers; blank rows are skipped later
    while out and not out[-1]:
        out.pop()
    return out


def read_table(content: bytes, filename: str = "", *, max_rows: int = 200_000) -> Table:
    fmt = sniff_format(content, filename)
    if fmt == "csv":
        text, encoding = decode_text(content)
        sample = text[:20_000]
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        try:
            rows: list[list[Any]] = list(csv.reader(io.StringIO(text, newline=""), dialect))
        except csv.Error as exc:
            raise ImportFileError(_("The CSV file is malformed: %(error)s") % {"error": exc}) from None
    else:
        encoding = ""
        try:
            from python_calamine import CalamineWorkbook

            workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
            if not workbook.sheet_names:
                raise ImportFileError(_("The file is empty."))
            rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
        except ImportFileError:
            raise
        except Exception:
            raise ImportFileError(
                _("This is not a CSV or Excel file, or it is damaged. Save it as .csv or .xlsx and upload it again.")
            ) from None
    rows = _strip_trailing_empty(rows)
    while rows and not rows[0]:
        rows.pop(0)  # leading blank lines
    if not rows:
        raise ImportFileError(_("The file is empty."))
    headers = [str(h).strip() if h is not None else "" for h in rows[0]]
    if not any(headers):
        raise ImportFileError(_("The first row must hold the column names."))
    data = rows[1:]
    if not data:
        raise ImportFileError(_("The file has column names but no rows to import."))
    if len(data) > max_rows:
        raise ImportFileError(
            _("The file has %(n)d rows; at most %(max)d can be imported at once. Split it into smaller files.")
            % {"n": len(data), "max": max_rows}
        )
    return Table(headers=headers, rows=data, file_format=fmt, encoding=encoding)


def normalise_header(header: str) -> str:
    """'客户名称 *' / 'Customer Name' / 'customer_name' -> a key for matching."""
    text = re.sub(r"[\s_\-*:：()（）\[\]【】/.]+", "", str(header or "")).lower()
    return text


# ---- cell values -------------------------------------------------------------------------------

def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 13800138000 as 13800138000.0
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATETIME_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?[\sT]+(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2}(?:\.\d+)?))?秒?$"
)


def _date_error() -> ValidationError:
    return ValidationError(_("Enter a date like 2024-05-31 (or 2024/5/31, 2024年5月31日)."), code="invalid_date")


def parse_date(value: Any) -> datetime.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = as_text(value)
    m = _DATE_RE.match(text) or _DATETIME_RE.match(text)
    if not m:
        raise _date_error()
    try:
        return datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise _date_error() from None


def parse_datetime(value: Any, tz: Any) -> datetime.datetime | None:
    """A date or date-time; naive values are in the company's time zone. Dates mean midnight."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day, tzinfo=tz)
    text = value.strip() if type(value) is str else as_text(value)
    if len(text) in (16, 19) and text[4] == "-" and text[10] in " T" and text[13] == ":":
        # the usual export shape, 2024-05-31 14:30[:05]: the same result as below, faster
        with contextlib.suppress(ValueError):
            return datetime.datetime.fromisoformat(text).replace(tzinfo=tz)
    m = _DATETIME_RE.match(text)
    try:
        if m:
            second = float(m.group(6) or 0)
            return datetime.datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4)),
                                     int(m.group(5)), int(second), tzinfo=tz)
        m = _DATE_RE.match(text)
        if m:
            return datetime.datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=tz)
        parsed = datetime.datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)
    except ValueError:
        raise ValidationError(_("Enter a date and time like 2024-05-31 14:30 (or a date like 2024-05-31)."),
                              code="invalid_datetime") from None


_NUMBER_STRIP = str.maketrans("", "", ",，¥￥ \u00a0元")


def parse_decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationError(_("Enter a number, e.g. 1234.50."), code="invalid_number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = str(value).translate(_NUMBER_STRIP)
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("Enter a number, e.g. 1234.50."), code="invalid_number") from None
    if not number.is_finite():
        raise ValidationError(_("Enter a number, e.g. 1234.50."), code="invalid_number")
    return number


TRUE_WORDS = {"1", "y", "yes", "true", "t", "是", "对", "√", "✓", "x"}
FALSE_WORDS = {"0", "n", "no", "false", "f", "否", "不", "不是", ""}


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = as_text(value).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValidationError(_("Enter yes or no (是/否)."), code="invalid_bool")


def split_list(value: Any) -> list[str]:
    """'VIP, 华东；老客户' -> ['VIP', '华东', '老客户']."""
    return [p.strip() for p in re.split(r"[,，;；、|]", as_text(value)) if p.strip()]
