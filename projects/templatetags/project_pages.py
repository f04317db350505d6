"""Filters of the projects pages: money in whole roubles with thin groups, percents, selection
reasons in the page's language."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import template

from projects.selection import localize_reason, money

register = template.Library()


@register.filter
def rub(value: Any) -> str:
    """48000 → «48 000 ₽»; empty for None."""
    if value is None or value == "":
        return ""
    return f"{money(value)}\u00a0₽"


@register.filter
def percent(value: Any) -> str:
    """A percent rounded to whole units, capped to 0–100 for bars."""
    if value is None:
        return "0"
    number = max(Decimal(0), min(Decimal(100), Decimal(value)))
    return f"{number.quantize(Decimal('1')):f}"


@register.filter
def selection_reason(value: Any) -> str:
    """A stored selection reason (Russian) in the page's language."""
    return localize_reason(str(value or ""))


@register.filter
def unbroken_numbers(value: Any) -> str:
    """«осталось 202 800» must not wrap inside the number: thin groups become no-break spaces."""
    return re.sub(r"(?<=\d) (?=\d{3}\b)", "\u00a0", str(value))
