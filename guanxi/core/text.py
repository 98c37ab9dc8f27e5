"""Normalisation helpers for Chinese SME data: pinyin search keys, phone numbers."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin


def pinyin_keys(text: str) -> tuple[str, str]:
    """Return (full pinyin, initials) for searching: 张三 -> ("zhangsan", "zs").

    Non-Chinese characters are kept (lower-cased) so "ABC科技" -> ("abckeji", "abckj").
    """
    text = (text or "").strip()
    full = "".join(lazy_pinyin(text, errors="default")).lower().replace(" ", "")
    initials = "".join(
        p[0] if p else "" for p in lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")
    ).lower()
    initials = initials.replace(" ", "")
    return full[:255], initials[:100]


def normalize_phone(raw: str, region: str | None = None) -> str:
    """Return E.164 for a valid number, raise ValidationError otherwise. Empty stays empty."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region or settings.GUANXI_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(_("Enter a valid phone number, e.g. 138 0013 8000.")) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("Enter a valid phone number, e.g. 138 0013 8000."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def digits_only(raw: str) -> str:
    return "".join(ch for ch in raw or "" if ch.isdigit())


def mask_phone(e164: str) -> str:
    """+8613800138000 -> 138****8000 (for people who may see a customer but not own it)."""
    if not e164:
        return ""
    d = digits_only(e164)
    if d.startswith("86") and len(d) == 13:
        d = d[2:]
    return d[:3] + "****" + d[-4:] if len(d) >= 7 else "****"


SPREADSHEET_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """Neutralise cells a spreadsheet would run as a formula (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(SPREADSHEET_FORMULA_PREFIXES):
        return "'" + value
    return value


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in text)


def person_name(user: object) -> str:
    """How to show a person: Chinese names family name first (张伟), others "First Last"; else the username."""
    if user is None:
        return ""
    first = (getattr(user, "first_name", "") or "").strip()
    last = (getattr(user, "last_name", "") or "").strip()
    if not first and not last:
        return str(getattr(user, "username", "") or "")
    if _has_cjk(first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip()


# Legal-form suffixes, longest first; stripped once from the end of a company name for 查重.
_CN_SUFFIXES = ("集团股份有限公司", "集团有限责任公司", "集团有限公司", "股份有限公司", "有限责任公司", "有限公司",
                "集团公司", "公司")
_EN_SUFFIX = re.compile(
    r"[\s,.&]*(?:co\.?[\s,.]*ltd|company[\s,.]*limited|co\.?[\s,.]*limited|limited|ltd|incorporated|inc|"
    r"corporation|corp|llc|gmbh)\.?$",
    re.IGNORECASE,
)
_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕")
_NOISE = re.compile(r"[\s,.·'\"、，。&\-_/]+")


def _company_core(name: str) -> str:
    """The distinctive part of a company name: NFKC, brackets and branch cut, legal-form suffix stripped."""
    text = unicodedata.normalize("NFKC", name or "").strip()
    previous = None
    while previous != text:  # nested or repeated brackets
        previous, text = text, _BRACKETS.sub("", text)
    text = text.strip()
    if text.endswith("分公司"):
        head = text[: -len("分公司")]
        cut = head.find("公司")
        if cut > 0:
            text = head[: cut + len("公司")]
    previous = None
    while previous != text:
        previous, text = text, _EN_SUFFIX.sub("", text).strip()
    for suffix in _CN_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    return text.strip()


def company_key(name: str) -> str:
    """A company name reduced for duplicate checks (查重): the same key for the same company however typed.

    Full-width → half-width (NFKC), bracketed parts such as （上海分公司） or (China) removed, a trailing
    "…分公司" branch cut, legal-form suffixes (有限公司, 股份有限公司, Co., Ltd., Inc. …) stripped, spaces and
    punctuation removed, lower-cased: "杭州 ＡＢＣ贸易有限公司（上海分公司）" -> "杭州abc贸易".
    """
    return _NOISE.sub("", _company_core(name)).lower()[:200]


def mask_name(name: str) -> str:
    """A name partly hidden for people who may not see the record: "杭州张三贸易有限公司" -> "杭州**贸易"."""
    text = _company_core(name) or (name or "").strip()
    if not text:
        return "**"
    if len(text) <= 2:
        return text[0] + "*"
    if len(text) <= 4:
        return text[0] + "**" + text[-1]
    return text[:2] + "**" + text[-2:]


def mask_email(email: str) -> str:
    """zhang.san@example.com -> zh***@example.com."""
    if not email or "@" not in email:
        return email and "***"
    local, domain = email.split("@", 1)
    return f"{local[:2]}***@{domain}"
