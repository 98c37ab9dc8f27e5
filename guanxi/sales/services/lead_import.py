"""Importing leads from CSV (UTF-8, GBK/GB18030, with or without BOM) or Excel.

Parsing reuses the customers import's reader (`import_parsing.read_table`); each row then goes through
`lead_create` / `lead_update`, so the duplicate check (查重), normalisation and audit are the same as on
every other entry path. Re-importing the same file is idempotent by `external_id`.

A run is one transaction: a dry run always rolls back; mode "all" imports nothing if any row is bad,
mode "valid" imports every good row and reports the bad ones — never half of a row, never half a batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.customers.services.import_parsing import ImportFileError, as_text, normalise_header, read_table

from ..models import Campaign, Lead
from .dedup import DuplicatesFound, describe
from .leads import AUTO, UNSET, lead_create, lead_update

MAX_ROWS = 5000

# key -> (label, header aliases as normalise_header() returns them)
COLUMNS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "name": (gettext_lazy("Name"), ("name", "姓名", "联系人", "联系人姓名", "名字", "contact", "contactname")),
    "company": (gettext_lazy("Company"), ("company", "公司", "公司名称", "单位", "企业名称", "companyname")),
    "title": (gettext_lazy("Job title"), ("title", "jobtitle", "职位", "职务")),
    "mobile": (gettext_lazy("Mobile"), ("mobile", "phone", "手机", "手机号", "手机号码", "电话", "联系电话")),
    "email": (gettext_lazy("Email"), ("email", "e-mail", "mail", "邮箱", "电子邮件", "电子邮箱")),
    "credit_code": (gettext_lazy("Unified social credit code"),
                    ("creditcode", "uscc", "统一社会信用代码", "信用代码")),
    "province": (gettext_lazy("Province"), ("province", "省份", "省", "地区")),
    "city": (gettext_lazy("City"), ("city", "城市", "市")),
    "industry": (gettext_lazy("Industry"), ("industry", "行业")),
    "source": (gettext_lazy("Source"), ("source", "来源", "线索来源")),
    "campaign": (gettext_lazy("Campaign"), ("campaign", "活动", "市场活动", "来源活动")),
    "score": (gettext_lazy("Score"), ("score", "评分", "分数")),
    "notes": (gettext_lazy("Notes"), ("notes", "note", "备注", "说明")),
    "external_id": (gettext_lazy("External id"), ("externalid", "id", "外部编号", "编号")),
    "owner": (gettext_lazy("Owner (user name)"), ("owner", "负责人", "归属人", "销售")),
}


@dataclass
class RowError:
    line: int
    field: str
    message: str


@dataclass
class ImportReport:
    headers: list[str]
    mapping: list[str]
    dry_run: bool
    mode: str
    total: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    committed: bool = False
    encoding: str = ""

    @property
    def bad_lines(self) -> int:
        return len({e.line for e in self.errors})

    @property
    def good(self) -> int:
        return self.created + self.updated

    def as_dict(self) -> dict[str, Any]:
        return {
            "headers": self.headers, "mapping": self.mapping, "dry_run": self.dry_run, "mode": self.mode,
            "total": self.total, "created": self.created, "updated": self.updated, "committed": self.committed,
            "bad_lines": self.bad_lines, "encoding": self.encoding,
            "errors": [{"line": e.line, "field": e.field, "message": e.message} for e in self.errors],
        }


class _Rollback(Exception):
    pass


def auto_mapping(headers: list[str]) -> list[str]:
    """Each column's field key ("" = ignored), recognised from English or Chinese headers."""
    lookup = {normalise_header(alias): key for key, (_label, aliases) in COLUMNS.items() for alias in aliases}
    for key, (label, _aliases) in COLUMNS.items():
        lookup.setdefault(normalise_header(str(label)), key)
    used: set[str] = set()
    result = []
    for header in headers:
        key = lookup.get(normalise_header(header), "")
        if key in used:
            key = ""
        used.add(key)
        result.append(key)
    return result


def _check_mapping(mapping: list[str], headers: list[str]) -> list[str]:
    if len(mapping) != len(headers):
        raise ValidationError({"mapping": [_("Give one field (or nothing) for each of the %(n)d columns.")
                                           % {"n": len(headers)}]})
    chosen = [m for m in mapping if m]
    unknown = sorted(set(chosen) - set(COLUMNS))
    if unknown:
        raise ValidationError({"mapping": [_("Unknown field: %(names)s.") % {"names": ", ".join(unknown)}]})
    twice = sorted({m for m in chosen if chosen.count(m) > 1})
    if twice:
        raise ValidationError({"mapping": [_("Each field may be chosen for one column only: %(names)s.")
                                           % {"names": ", ".join(twice)}]})
    if "name" not in chosen:
        raise ValidationError({"mapping": [_("Choose the column that holds the lead's name.")]})
    return mapping


class _Resolver:
    """Campaigns, sources and owners named in the file, looked up once."""

    def __init__(self) -> None:
        self.campaigns: dict[str, Campaign | None] = {}
        self.owners: dict[str, Any] = {}
        self.sources = {**{v.lower(): v for v in Lead.Source.values},
                        **{str(label).lower(): v for v, label in Lead.Source.choices}}

    def campaign(self, text: str) -> Campaign:
        if text not in self.campaigns:
            qs = Campaign.objects.all()
            found = qs.filter(pk=int(text)).first() if text.isdigit() else None
            self.campaigns[text] = found or qs.filter(name=text).order_by("-id").first()
        found = self.campaigns[text]
        if found is None:
            raise ValidationError({"campaign": [_("Unknown campaign “%(name)s”.") % {"name": text}]})
        return found

    def source(self, text: str) -> str:
        value = self.sources.get(text.lower())
        if value is None:
            raise ValidationError({"source": [_("Unknown source “%(name)s”.") % {"name": text}]})
        return value

    def owner(self, text: str) -> Any:
        if text not in self.owners:
            self.owners[text] = get_user_model().objects.filter(username=text).first()
        if self.owners[text] is None:
            raise ValidationError({"owner": [_("No user is called “%(name)s”.") % {"name": text}]})
        return self.owners[text]


def _row_data(values: dict[str, str], resolver: _Resolver) -> tuple[dict[str, Any], Any]:
    data: dict[str, Any] = {"source": Lead.Source.IMPORT}
    errors: dict[str, list[str]] = {}
    owner: Any = UNSET
    for key, text in values.items():
        try:
            if key == "campaign":
                if text:
                    data["campaign"] = resolver.campaign(text)
            elif key == "source":
                if text:
                    data["source"] = resolver.source(text)
            elif key == "owner":
                if text:
                    owner = resolver.owner(text)
            elif key == "score":
                if text:
                    try:
                        data["score"] = int(float(text))
                    except ValueError:
                        raise ValidationError({"score": [_("Enter a whole number from 0 to 100.")]}) from None
            else:
                data[key] = text
        except ValidationError as exc:
            for k, v in exc.message_dict.items():
                errors.setdefault(k, []).extend(v)
    if errors:
        raise ValidationError(errors)
    return data, owner


def lead_import(*, actor: Any, content: bytes, filename: str = "", mapping: list[str] | None = None,
                dry_run: bool = True, mode: str = "all", assign: str = "rules",
                confirm_duplicates: bool = False) -> ImportReport:
    """Check (dry run) or import a file of leads. `mode`: "all" = nothing unless every row is good,
    "valid" = the good rows. `assign` for rows without an owner: "rules", "me" or "none".
    Raises ImportFileError when the file cannot be read, ValidationError for a bad mapping."""
    if mode not in ("all", "valid"):
        raise ValidationError({"mode": [_("Select a valid choice.")]})
    if assign not in ("rules", "me", "none"):
        raise ValidationError({"assign": [_("Select a valid choice.")]})
    table = read_table(content, filename, max_rows=MAX_ROWS)
    mapping = _check_mapping(list(mapping) if mapping is not None else auto_mapping(table.headers), table.headers)
    report = ImportReport(headers=table.headers, mapping=mapping, dry_run=dry_run, mode=mode,
                          encoding=table.encoding)
    default_owner = {"rules": AUTO, "me": UNSET, "none": None}[assign]
    resolver = _Resolver()
    columns = [(i, key) for i, key in enumerate(mapping) if key]
    try:
        with transaction.atomic():
            for index, row in enumerate(table.rows):
                if not row:
                    continue
                line = index + 2
                values = {key: as_text(row[i]) if i < len(row) else "" for i, key in columns}
                if not any(values.values()):
                    continue
                report.total += 1
                _import_row(actor, line, values, resolver, default_owner, confirm_duplicates, report)
            if dry_run or (mode == "all" and report.errors):
                raise _Rollback
    except _Rollback:
        report.committed = False
    else:
        report.committed = True
    if not report.committed and not dry_run:
        report.created = report.updated = 0
    return report


def _import_row(actor: Any, line: int, values: dict[str, str], resolver: _Resolver, default_owner: Any,
                confirm: bool, report: ImportReport) -> None:
    try:
        with transaction.atomic():  # a savepoint: a bad row leaves nothing behind
            data, owner = _row_data(values, resolver)
            ext = data.get("external_id", "")
            existing = Lead.objects.filter(external_id=ext).first() if ext else None
            if existing is not None:
                if existing.deleted_at is not None or not Lead.objects.editable_by(actor).filter(
                        pk=existing.pk).exists():
                    raise ValidationError({"external_id": [
                        _("A lead with this external id exists and you cannot change it.")]})
                if existing.status == Lead.Status.CONVERTED:
                    return  # already a customer: re-importing the file leaves it alone
                data.pop("source", None)
                lead_update(actor=actor, lead=existing, data=data, version=None, confirm_duplicates=confirm)
                report.updated += 1
            else:
                lead_create(actor=actor, data=data, owner=default_owner if owner is UNSET else owner,
                            confirm_duplicates=confirm)
                report.created += 1
    except DuplicatesFound as exc:
        for match in exc.matches[:3]:
            for name in match.fields:
                report.errors.append(RowError(line, name, _("Possible duplicate: %(record)s.")
                                              % {"record": describe(match)}))
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for name, messages in exc.message_dict.items():
                for message in messages:
                    report.errors.append(RowError(line, name, message))
        else:
            for message in exc.messages:
                report.errors.append(RowError(line, "__all__", message))


__all__ = ["COLUMNS", "ImportFileError", "ImportReport", "RowError", "auto_mapping", "lead_import"]
