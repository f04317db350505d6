"""Markdown to safe HTML: whatever staff type, no script, style or event handler survives."""
from __future__ import annotations

import markdown  # type: ignore[import-untyped]
import nh3

ALLOWED_TAGS = {"p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "blockquote", "code", "pre", "table",
                "thead", "tbody", "tr", "th", "td", "br", "hr"}


def render_markdown(text: str) -> str:
    html = markdown.markdown(text or "", extensions=["tables"], output_format="html")
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}},
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")
