"""The API's routers: path-converter routes whose object ids are ``<id:pk>``
(``geoportal.converters``), so no viewset ever parses an id itself. A viewset that looks
objects up by something else names its converter (``lookup_value_converter = "str"``)."""
from __future__ import annotations

from typing import Any

from rest_framework.routers import DefaultRouter, SimpleRouter

from . import converters  # noqa: F401  (registers <id:...>)


class IdRouter(SimpleRouter):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(use_regex_path=False, **kwargs)
        self._default_value_pattern = "id"


class DefaultIdRouter(DefaultRouter):
    # No ``appeals.json``-style twins of every route: JSON is the only format, and each twin
    # would be one more operation for clients and the schema to carry.
    include_format_suffixes = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(use_regex_path=False, **kwargs)
        self._default_value_pattern = "id"
