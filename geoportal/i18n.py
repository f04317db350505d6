"""Language helpers shared by the apps."""
from __future__ import annotations

from django.utils.translation import get_language


def english_page() -> bool:
    """True when the active language (the request's) is English: names that the register keeps
    in both languages (categories' ``name_en``) are then shown in English."""
    return (get_language() or "").startswith("en")
