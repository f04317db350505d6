"""A stand-in for the small, text-only archives of issue 15 (a Russian city: 1,788 HTML texts, 72
executors, nothing but the text) built from the St Petersburg archive, so that the router can be
measured where it used to lose to LinearSVC.

From the real rows: ``agencies`` executors drawn at random, ``rows`` appeals drawn from them in
proportion to each executor's share (at least one each, so rare executors keep one or two
examples, as in the real archives), the time of each kept for a time split; the category,
district and point dropped; every text wrapped the way portals export them (paragraphs, line
breaks, non-breaking spaces, entities for quotes, sometimes a link to an attached photo)."""
from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from routing.rows import RoutingRow

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_QUOTED = re.compile(r'"([^"]*)"')


def portal_html(text: str, rng: np.random.Generator) -> str:
    """``text`` as a portal's HTML export: ``<p>`` per sentence group or ``<br>`` between
    sentences, some spaces as ``&nbsp;``, quotes as entities, sometimes a photo link."""
    escaped = html.escape(text.strip(), quote=False)  # a portal escapes «<», «>» and «&» of the text
    sentences = [s for s in _SENTENCE_END.split(escaped) if s] or [escaped]
    quote = rng.random()
    if quote < 0.4:
        sentences = [_QUOTED.sub(r"&laquo;\1&raquo;", s) for s in sentences]
    elif quote < 0.7:
        sentences = [s.replace('"', "&quot;") for s in sentences]
    if rng.random() < 0.3:
        sentences = [re.sub(" ", "&nbsp;", s, count=int(rng.integers(1, 4))) for s in sentences]
    style = rng.random()
    if style < 0.4:
        body = "".join(f"<p>{s}</p>" for s in sentences)
    elif style < 0.7:
        body = "<p>" + "<br>\n".join(sentences) + "</p>"
    elif style < 0.85:
        body = '<div class="text"><span style="font-size:14px">' + "<br />".join(sentences) + "</span></div>"
    else:
        body = " ".join(sentences)
    if rng.random() < 0.15:
        number = int(rng.integers(10_000, 99_999))
        link = f"https://portal.example.ru/upload/files/{number}.jpg"
        body += f'<p>Фото: <a href="{link}" target="_blank">{link}</a></p>'
    if rng.random() < 0.1:
        body += "<p>&nbsp;</p>"
    return body


def small_text_archive(rows: Sequence[RoutingRow], labels: Sequence[Any], rows_wanted: int = 1800,
                       agencies: int = 70, seed: int = 0, places: Sequence[str] | None = None,
                       ) -> tuple[list[RoutingRow], list[Any], list[Any]]:
    """(rows, labels, times) of the stand-in; rows keep only their text (in HTML) and time.

    ``places`` (one per row, e.g. the municipal okrug): written into the text as an address line,
    the way many portals export the address inside the text (the stand-in with a place)."""
    rng = np.random.default_rng(seed)
    counts = Counter(labels)
    chosen = set(rng.choice(sorted(counts), size=min(agencies, len(counts)), replace=False).tolist())
    total = sum(counts[a] for a in chosen)
    by_agency: dict[Any, list[int]] = {}
    for i, label in enumerate(labels):
        if label in chosen:
            by_agency.setdefault(label, []).append(i)
    picked: list[int] = []
    for agency in sorted(by_agency):
        members = by_agency[agency]
        take = min(len(members), max(1, round(len(members) * rows_wanted / total)))
        picked += rng.choice(members, size=take, replace=False).tolist()
    picked.sort()
    def text(i: int) -> str:
        body = portal_html(rows[i].text, rng)
        return f"<p><b>Адрес:</b> {html.escape(places[i])}</p>{body}" if places is not None and places[i] else body

    out_rows = [replace(rows[i], appeal_id=k, text=text(i), category_code=None,
                        category_path=(), lat=None, lon=None, district_code=None, jurisdiction_agency_ids=())
                for k, i in enumerate(picked)]
    return out_rows, [labels[i] for i in picked], [rows[i].received_at for i in picked]
