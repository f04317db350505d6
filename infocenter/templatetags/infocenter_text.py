"""Template filters for document texts. Every character of the text is escaped first; only the
markup built here (headings, paragraphs, lists, <mark>) is let through."""
from __future__ import annotations

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

SECTION = re.compile(r"^\d{1,2}\.\s+\S")  # «3. Направление по компетенции», not «3.1. …»
ITEM = re.compile(r"^[—–-]\s+")
CLAUSE = re.compile(r"^\d{1,2}(\.\d{1,2})+\.\s")  # «2.1. …» opens its own paragraph


@register.filter
def legal_text(text: str | None) -> SafeString:
    """Plain text of a document as HTML: numbered section titles become headings, lines that
    start with a dash become list items, other blocks paragraphs."""
    html: list[str] = []
    for block in re.split(r"\n\s*\n", (text or "").strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        if SECTION.match(lines[0]) and len(lines[0]) <= 90 and not lines[0].endswith("."):
            html.append(f"<h2>{escape(lines[0])}</h2>")
            lines = lines[1:]
        paragraph: list[str] = []
        items: list[str] = []
        for line in lines:
            if ITEM.match(line):
                if paragraph:
                    html.append(f"<p>{'<br>'.join(paragraph)}</p>")
                    paragraph = []
                items.append(f"<li>{escape(ITEM.sub('', line))}</li>")
            else:
                if items:
                    html.append(f"<ul>{''.join(items)}</ul>")
                    items = []
                if CLAUSE.match(line) and paragraph:
                    html.append(f"<p>{'<br>'.join(paragraph)}</p>")
                    paragraph = []
                paragraph.append(escape(line))
        if paragraph:
            html.append(f"<p>{'<br>'.join(paragraph)}</p>")
        if items:
            html.append(f"<ul>{''.join(items)}</ul>")
    return mark_safe("\n".join(html))  # noqa: S308 (built from escaped text only)


@register.filter
def snippet(text: str | None) -> SafeString:
    """A search headline with [[…]] around the matched words → escaped text with <mark>."""
    escaped = str(escape(text or ""))
    return mark_safe(escaped.replace("[[", "<mark>").replace("]]", "</mark>"))  # noqa: S308
