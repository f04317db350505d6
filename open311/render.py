"""GeoReport v2 documents as JSON or XML (the spec requires XML; JSON is the common extension)."""
from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse, JsonResponse

# list element → item element, as the specification names them
ITEM_NAMES = {"services": "service", "service_requests": "request", "errors": "error", "endpoints": "endpoint",
              "formats": "format", "attributes": "attribute", "values": "value", "keywords": "keyword"}


def _to_xml(parent: ET.Element, name: str, value: Any) -> None:
    if isinstance(value, list):
        node = ET.SubElement(parent, name)
        for item in value:
            _to_xml(node, ITEM_NAMES.get(name, "item"), item)
    elif isinstance(value, dict):
        node = ET.SubElement(parent, name)
        for key, item in value.items():
            _to_xml(node, key, item)
    else:
        node = ET.SubElement(parent, name)
        if value is not None:
            node.text = str(value).lower() if isinstance(value, bool) else str(value)


def render(data: Any, fmt: str, root: str, status: int = 200) -> HttpResponse:
    if fmt == "json":
        response: HttpResponse = JsonResponse(data, safe=False, status=status,
                                              json_dumps_params={"ensure_ascii": False})
    else:
        element = ET.Element(root)
        items = data if isinstance(data, list) else [data]
        if isinstance(data, list):
            for item in items:
                _to_xml(element, ITEM_NAMES.get(root, "item"), item)
        else:
            for key, value in data.items():
                _to_xml(element, key, value)
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(element, encoding="utf-8")
        response = HttpResponse(body, content_type="text/xml; charset=utf-8", status=status)
    return response


def errors(fmt: str, status: int, descriptions: list[str], headers: dict[str, str] | None = None) -> HttpResponse:
    """The spec's error list: ``[{"code": 400, "description": "..."}]`` / ``<errors><error>...``."""
    response = render([{"code": status, "description": d} for d in descriptions], fmt, "errors", status=status)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def error(fmt: str, status: int, description: str, headers: dict[str, str] | None = None) -> HttpResponse:
    return errors(fmt, status, [description], headers)
