"""Normalisation helpers for Chinese SME data: pinyin search keys, phone numbers."""

from __future__ import annotations

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
