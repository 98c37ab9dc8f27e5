"""Why a customer's tier changed: stored as neutral data, worded at display time in the reader's language.

`TierChange.reason` holds compact JSON (numbers as plain decimal strings, dates as ISO), e.g.
``{"k": "spend", "m": 12, "s": "12300.00", "t": "10000.00"}``; the tier names come from the change's
from/to tiers. `reason_text(change)` turns it into "rolling 12-month spend ¥12,300 ≥ 金牌 threshold
¥10,000" (English) or "近12个月消费 ¥12,300 ≥ 金牌门槛 ¥10,000" (Chinese). Text that is not such JSON is
shown as it is.

Kinds: ``spend`` / ``points`` (what qualified for the tier moved to), ``below`` (the thresholds of the
tier left or kept were not met; ``u`` = protected until, or the day protection ended), ``inactive`` (the
tier was switched off).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import formats
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

CURRENCY_SYMBOLS = {"CNY": "¥", "RMB": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "HKD": "HK$"}


def money(amount: Decimal | str | None) -> str:
    """¥12,300 (¥12,300.50 with cents) in the reader's number format."""
    value = Decimal(str(amount or 0))
    places = 0 if value == value.to_integral_value() else 2
    code = str(getattr(settings, "GUANXI_CURRENCY", "CNY"))
    text = number_format(value, places, force_grouping=True)
    symbol = CURRENCY_SYMBOLS.get(code)
    return f"{symbol}{text}" if symbol else f"{text} {code}"


def _points(value: Any) -> str:
    return number_format(int(value or 0), 0, force_grouping=True)


def encode(kind: str, **data: Any) -> str:
    """The reason for `TierChange.reason` (≤ 300 characters): {"k": kind, ...} with None values left out."""
    values = {"k": kind}
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, Decimal):
            value = f"{value:.2f}"
        elif isinstance(value, date):
            value = value.isoformat()
        values[key] = value
    return json.dumps(values, separators=(",", ":"), ensure_ascii=False)


def decode(reason: str) -> dict[str, Any] | None:
    """The stored data, or None for free text."""
    if not reason.startswith("{"):
        return None
    try:
        data = json.loads(reason)
    except ValueError:
        return None
    return data if isinstance(data, dict) and "k" in data else None


def _day(value: str) -> str:
    try:
        return formats.date_format(date.fromisoformat(value), "Y-m-d")
    except (TypeError, ValueError):
        return value


def _spend_part(data: dict[str, Any], tier: str, sign: str) -> str:
    return _("rolling %(months)s-month spend %(spend)s %(sign)s %(tier)s threshold %(threshold)s") % {
        "months": data.get("m", "?"), "spend": money(data.get("s")), "sign": sign, "tier": tier,
        "threshold": money(data.get("t"))}


def _points_part(data: dict[str, Any], tier: str, sign: str) -> str:
    return _("%(points)s points %(sign)s %(tier)s threshold %(threshold)s points") % {
        "points": _points(data.get("p")), "sign": sign, "tier": tier, "threshold": _points(data.get("tp"))}


def reason_text(change: Any) -> str:
    """The reason of a TierChange in plain words, in the active language."""
    data = decode(change.reason or "")
    if data is None:
        return str(change.reason or "")
    to_name = change.to_tier.name if change.to_tier_id else _("no tier")
    from_name = change.from_tier.name if change.from_tier_id else _("no tier")
    kind = data["k"]
    if kind == "spend":
        return _spend_part(data, to_name, "≥")
    if kind == "points":
        return _points_part(data, to_name, "≥")
    if kind == "inactive":
        return _("the tier %(tier)s is no longer active") % {"tier": from_name}
    parts = [_spend_part(data, from_name, "<")]
    if data.get("tp") is not None:
        parts.append(_points_part(data, from_name, "<"))
    if data.get("u") and change.direction == "kept":
        parts.append(_("tier kept until %(date)s (downgrade protection)") % {"date": _day(data["u"])})
    elif data.get("u"):
        parts.append(_("downgrade protection ended %(date)s") % {"date": _day(data["u"])})
    return pgettext("list separator", "; ").join(parts)
