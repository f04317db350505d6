"""Path converters shared by the apps' URL maps.

``<id:pk>`` is how every API route takes a database id: only 1–18 digits match (any bigint
id fits; ``null,null``, ``-1`` or ``1e9`` do not), so a malformed id never reaches a view —
the resolver answers 404 (JSON under ``/api/``: ``geoportal.middleware.api_json_errors``)
and views receive an ``int``, never a string to parse. :func:`query_id` is the same rule for
an id in a query string or a form field."""
from __future__ import annotations

import re

from django.urls import register_converter

from .api_contract import ID_MAX_DIGITS


class IdConverter:
    regex = f"[0-9]{{1,{ID_MAX_DIGITS}}}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int | str) -> str:
        return str(int(value))


register_converter(IdConverter, "id")


def query_id(raw: object) -> int | None:
    """An id typed into a query string or a form: the path converter's 1–18 ASCII digits, else
    ``None``. (``str.isdigit`` is not that test: it accepts "²", which ``int`` refuses.)"""
    text = raw if isinstance(raw, str) else ""
    return int(text) if re.fullmatch(IdConverter.regex, text) else None
