"""What can be imported: the fields per record type, their header names in Chinese and English,
and guessing a column mapping from a file's headers (remembering each user's last mapping)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Customer, CustomFieldDefinition, ImportEntity, ImportMapping, Order
from .import_parsing import normalise_header


@dataclass(frozen=True)
class ImportField:
    key: str  # a model attribute, a pseudo field (customer_*, line_*, tags, owner) or custom.<key>
    label: Any
    kind: str = "text"  # text, date, datetime, decimal, bool, choice, list, user
    synonyms: tuple[str, ...] = ()
    required: bool = False
    choices: Any = None  # a TextChoices class for kind == "choice"


def _f(key: str, label: Any, kind: str = "text", *synonyms: str, required: bool = False,
       choices: Any = None) -> ImportField:
    return ImportField(key, label, kind, tuple(synonyms), required, choices)


CUSTOMER_REF_FIELDS = [
    _f("customer_external_id", gettext_lazy("Customer external id"), "text",
       "客户编号", "客户ID", "客户编码", "客户外部编号", "customer id", "customer external id", "customer code"),
    _f("customer_credit_code", gettext_lazy("Customer credit code"), "text",
       "统一社会信用代码", "信用代码", "社会信用代码", "客户信用代码", "customer credit code", "credit code"),
    _f("customer_name", gettext_lazy("Customer name"), "text",
       "客户名称", "客户", "公司名称", "公司", "企业名称", "所属客户", "customer", "customer name", "company",
       "company name"),
]

CUSTOMER_FIELDS = [
    _f("external_id", gettext_lazy("External id"), "text",
       "外部编号", "客户编号", "客户ID", "客户编码", "编号", "external id", "id", "customer id", "code"),
    _f("name", gettext_lazy("Name"), "text", "客户名称", "公司名称", "企业名称", "名称", "客户", "姓名", "客户姓名",
       "name", "customer name", "company name", "company", "customer", required=True),
    _f("short_name", gettext_lazy("Short name"), "text", "简称", "客户简称", "公司简称", "short name", "abbreviation"),
    _f("kind", gettext_lazy("Type"), "choice", "客户类型", "类型", "type", "kind", "customer type",
       choices=Customer.Kind),
    _f("credit_code", gettext_lazy("Unified social credit code"), "text",
       "统一社会信用代码", "信用代码", "社会信用代码", "税号", "credit code", "uscc", "unified social credit code"),
    _f("industry", gettext_lazy("Industry"), "text", "行业", "所属行业", "industry"),
    _f("source", gettext_lazy("Source"), "text", "来源", "客户来源", "source", "lead source"),
    _f("province", gettext_lazy("Province"), "text", "省份", "省", "所在省份", "province", "state"),
    _f("city", gettext_lazy("City"), "text", "城市", "市", "所在城市", "city"),
    _f("address", gettext_lazy("Address"), "text", "地址", "详细地址", "公司地址", "address"),
    _f("birthday", gettext_lazy("Birthday"), "date", "生日", "出生日期", "birthday", "date of birth"),
    _f("lifecycle", gettext_lazy("Lifecycle status"), "choice", "客户状态", "状态", "生命周期", "lifecycle",
       "status", "lifecycle status", choices=Customer.Lifecycle),
    _f("churn_reason", gettext_lazy("Churn reason"), "text", "流失原因", "churn reason"),
    _f("notes", gettext_lazy("Notes"), "text", "备注", "说明", "notes", "note", "remark", "remarks"),
    _f("tags", gettext_lazy("Tags"), "list", "标签", "客户标签", "tags", "tag"),
    _f("owner", gettext_lazy("Owner (user name)"), "user", "负责人", "所有人", "归属人", "客户经理", "owner",
       "account manager"),
]

CONTACT_FIELDS = [
    _f("external_id", gettext_lazy("External id"), "text",
       "联系人编号", "联系人ID", "外部编号", "external id", "contact id", "id"),
    *CUSTOMER_REF_FIELDS,
    _f("name", gettext_lazy("Name"), "text", "联系人", "联系人姓名", "姓名", "name", "contact name", "contact",
       required=True),
    _f("title", gettext_lazy("Title"), "text", "职务", "职位", "title", "job title", "position"),
    _f("mobile", gettext_lazy("Mobile"), "text", "手机", "手机号", "手机号码", "移动电话", "mobile", "cell",
       "cellphone", "mobile phone"),
    _f("phone", gettext_lazy("Phone"), "text", "电话", "座机", "固定电话", "办公电话", "phone", "telephone", "tel"),
    _f("email", gettext_lazy("Email"), "text", "邮箱", "电子邮箱", "电子邮件", "email", "e-mail", "mail"),
    _f("wechat", gettext_lazy("WeChat ID"), "text", "微信", "微信号", "wechat", "wechat id", "weixin"),
    _f("birthday", gettext_lazy("Birthday"), "date", "生日", "出生日期", "birthday", "date of birth"),
    _f("is_primary", gettext_lazy("Primary contact"), "bool", "主要联系人", "首要联系人", "是否主要联系人",
       "primary", "primary contact"),
]

ORDER_FIELDS = [
    _f("external_id", gettext_lazy("External id"), "text",
       "外部订单号", "外部编号", "订单ID", "external id", "order id", "id"),
    _f("number", gettext_lazy("Order number"), "text", "订单号", "订单编号", "单号", "order number", "order no",
       "number"),
    *CUSTOMER_REF_FIELDS,
    _f("status", gettext_lazy("Status"), "choice", "订单状态", "状态", "status", "order status",
       choices=Order.Status),
    _f("channel", gettext_lazy("Sales channel"), "choice", "销售渠道", "渠道", "channel", "sales channel",
       choices=Order.Channel),
    _f("ordered_at", gettext_lazy("Order date"), "datetime", "下单时间", "下单日期", "订单日期", "订单时间",
       "日期", "成交日期", "order date", "ordered at", "date", required=True),
    _f("currency", gettext_lazy("Currency"), "text", "币种", "货币", "currency"),
    _f("total_amount", gettext_lazy("Amount"), "decimal", "订单金额", "金额", "总金额", "实付金额", "应付金额",
       "amount", "total", "total amount", "order amount"),
    _f("cost_amount", gettext_lazy("Cost"), "decimal", "成本", "成本金额", "cost"),
    _f("salesperson", gettext_lazy("Salesperson (user name)"), "user", "销售员", "业务员", "销售人员",
       "salesperson", "sales rep"),
    _f("line_sku", gettext_lazy("Line: product SKU"), "text", "商品编码", "产品编码", "sku", "product sku",
       "item code"),
    _f("line_description", gettext_lazy("Line: description"), "text", "商品名称", "产品名称", "品名", "商品",
       "description", "product", "item"),
    _f("line_quantity", gettext_lazy("Line: quantity"), "decimal", "数量", "quantity", "qty"),
    _f("line_unit_price", gettext_lazy("Line: unit price"), "decimal", "单价", "unit price", "price"),
]

ENTITY_FIELDS: dict[str, list[ImportField]] = {
    ImportEntity.CUSTOMER: CUSTOMER_FIELDS,
    ImportEntity.CONTACT: CONTACT_FIELDS,
    ImportEntity.ORDER: ORDER_FIELDS,
}
REF_KEYS = {"customer_external_id", "customer_credit_code", "customer_name"}
LINE_KEYS = {"line_sku", "line_description", "line_quantity", "line_unit_price"}


def fields_for(entity: str, definitions: list[CustomFieldDefinition] | None = None) -> list[ImportField]:
    """The importable fields of an entity, custom fields included (keyed custom.<key>)."""
    base = list(ENTITY_FIELDS[entity])
    if definitions is None:
        definitions = list(CustomFieldDefinition.objects.filter(entity=entity, is_active=True))
    for d in definitions:
        base.append(ImportField(f"custom.{d.key}", d.label, "custom", (d.label, d.key)))
    return base


def _index(fields: list[ImportField]) -> dict[str, str]:
    """normalised name -> field key; the first field claiming a name wins."""
    index: dict[str, str] = {}
    for f in fields:
        for name in (f.key, str(f.label), *f.synonyms):
            index.setdefault(normalise_header(name), f.key)
    return index


def guess_mapping(*, user: Any, entity: str, headers: list[str],
                  fields: list[ImportField] | None = None) -> dict[str, str]:
    """{header: field key or ""}: the user's remembered mapping first, then Chinese/English names."""
    fields = fields if fields is not None else fields_for(entity)
    keys = {f.key for f in fields}
    remembered: dict[str, str] = {}
    if getattr(user, "pk", None):
        saved = ImportMapping.objects.filter(user=user, entity=entity).first()
        remembered = saved.mapping if saved else {}
    index = _index(fields)
    result: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        norm = normalise_header(header)
        key = remembered.get(norm)
        if key is None or (key and key not in keys):
            key = index.get(norm, "")
        if key and key in used:
            key = ""
        if key:
            used.add(key)
        result[header] = key
    return result


def remember_mapping(*, user: Any, entity: str, mapping: dict[str, str]) -> None:
    """Store {normalised header: field} so the next file with these columns maps itself."""
    normalised = {normalise_header(h): k for h, k in mapping.items() if normalise_header(h)}
    saved, created = ImportMapping.objects.get_or_create(user=user, entity=entity, defaults={"mapping": normalised})
    if not created:
        saved.mapping = {**saved.mapping, **normalised}
        saved.save(update_fields=["mapping", "updated_at"])


def check_mapping(entity: str, headers: list[str], mapping: dict[str, str],
                  fields: list[ImportField]) -> dict[str, str]:
    """Validate a mapping; returns it cleaned. Raises ValidationError with translated messages."""
    from django.core.exceptions import ValidationError

    by_key = {f.key: f for f in fields}
    errors: list[str] = []
    clean: dict[str, str] = {}
    used: dict[str, str] = {}
    for header in headers:
        key = (mapping.get(header) or "").strip()
        if key and key not in by_key:
            errors.append(_("Column “%(column)s”: unknown field “%(field)s”.") % {"column": header, "field": key})
            continue
        if key and key in used:
            errors.append(_("Columns “%(a)s” and “%(b)s” are both mapped to %(field)s; map only one.")
                          % {"a": used[key], "b": header, "field": by_key[key].label})
            continue
        if key:
            used[key] = header
        clean[header] = key
    unknown = set(mapping) - set(headers)
    for header in sorted(unknown):
        errors.append(_("The file has no column “%(column)s”.") % {"column": header})
    for f in fields:
        if f.required and f.key not in used:
            errors.append(_("Choose the column that holds %(field)s (required).") % {"field": f.label})
    if entity in (ImportEntity.CONTACT, ImportEntity.ORDER) and not (REF_KEYS & set(used)):
        errors.append(_("Choose a column that identifies the customer: its external id, credit code or name."))
    if errors:
        raise ValidationError(errors)
    return clean


CHOICE_SYNONYMS = {
    "company": ["公司", "企业", "单位", "b2b"], "individual": ["个人", "自然人", "b2c", "person"],
    "prospect": ["潜在客户", "潜在", "意向客户"], "active": ["活跃", "成交客户", "正常"],
    "dormant": ["沉睡", "休眠"], "churned": ["流失", "已流失"], "won_back": ["赢回", "挽回", "won back"],
    "paid": ["已付款", "已支付", "已完成", "完成", "成功", "交易成功"], "refunded": ["已退款", "退款"],
    "cancelled": ["已取消", "取消", "canceled", "交易关闭"],
    "store": ["门店", "线下", "线下门店"], "online": ["网店", "线上", "电商", "天猫", "淘宝", "京东"],
    "phone": ["电话", "电话订购"], "sales": ["直销", "销售"], "distributor": ["经销商", "代理商", "分销"],
    "wechat": ["微信", "小程序", "微商城"],
}


def choice_index(choices: Any) -> dict[str, str]:
    """lower-cased value, English and Chinese label, synonyms -> the choice value."""
    index: dict[str, str] = {}
    for value, label in choices.choices:
        index[value.lower()] = value
        for lang in ("en", "zh-hans"):
            with translation.override(lang):
                index.setdefault(str(label).lower(), value)
        for word in CHOICE_SYNONYMS.get(value, []):
            index.setdefault(word.lower(), value)
    return index
