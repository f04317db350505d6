"""What the appeals' pages (``issues.pages``, ``issues.pages_desk``) and the map screens of
``frontend_map`` both put on a page: the category picker's tree, the settings a map script
reads and the tables of texts a script shows, in the page's language."""
from __future__ import annotations

from typing import Any

from .models import Category, Status


def texts(table: dict[str, Any]) -> dict[str, str]:
    """A table of lazy texts for a page's script, in the page's language."""
    return {key: str(value) for key, value in table.items()}


def category_tree() -> list[dict[str, Any]]:
    """Active categories as the pages' pickers show them: sections with their leaves."""
    categories = sorted(Category.objects.filter(is_active=True), key=lambda c: c.label)
    return [{"id": parent.pk, "name": parent.label, "children": [
        {"id": c.pk, "code": c.code, "name": c.label, "photo_required": c.photo_required}
        for c in categories if c.parent_id == parent.pk]} for parent in categories if parent.parent_id is None]


def map_config(**extra: Any) -> dict[str, Any]:
    """The settings a map page's script reads (``map-config``)."""
    return {"statusLabels": {str(s): str(Status(s).label) for s in Status}, **extra}
