"""Number formatting for statistics pages and the report (Russian conventions)."""
from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.filter
def pct(value: Any, digits: int = 1) -> str:
    """0.7251 → "72,5 %"; None → "—"."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{digits}f} %".replace(".", ",")


@register.filter
def num(value: Any, digits: int = 0) -> str:
    """12345.6 → "12 346"; with digits=1 → "12 345,6"; None → "—"."""
    if value is None or value == "":
        return "—"
    return f"{float(value):,.{int(digits)}f}".replace(",", " ").replace(".", ",")


@register.filter
def signed(value: Any, kind: str = "") -> str:
    """A change with its sign: percentage points for shares (kind="pp"), plain otherwise."""
    if value is None or value == "":
        return "—"
    number = float(value)
    if kind == "pp":
        # the unit after the replace: it has dots of its own ("п.п.")
        return f"{number * 100:+.1f}".replace(".", ",") + " " + gettext("п.п.")
    if number.is_integer():
        return f"{int(number):+d}"
    return f"{number:+.2f}".replace(".", ",")


@register.filter
def get(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def rub(value: Any) -> str:
    """Money (Decimal or its string) in whole roubles: "1850000.00" → "1 850 000 ₽"; None → "—"."""
    from decimal import ROUND_HALF_UP, Decimal

    if value is None or value == "":
        return "—"
    whole = Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{whole:,}".replace(",", "\u00a0") + "\u00a0₽"


@register.inclusion_tag("analytics/_approximate_note.html")
def approximate_note(approximate: bool) -> dict[str, Any]:
    """The footnote of a page whose medians and percentiles came from the answer-time
    histograms (shown only then): how far they may be from the exact ones."""
    from analytics.sql.histogram import MAX_RELATIVE_ERROR

    return {"approximate": approximate, "error": round(MAX_RELATIVE_ERROR * 100)}
