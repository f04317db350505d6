"""Helpers of the Open311 tests: JSON Schema validation (schemas written from the GeoReport v2
specification, with real date-time and URI checks), the XML structure of each document, and
the POST a client application would send."""
from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import jsonschema

from ..issues.helpers import point_in

SCHEMAS = Path(__file__).parent / "schemas"
# a requester whose personal data must never come back in a GET
FIRST, LAST, EMAIL, PHONE = "Евлампия", "Открытова-Заявительница", "evlampia.open311@example.org", "+7 912 345-67-89"

# list element -> its item element, as the specification's XML examples name them
LIST_ITEMS = {"services": "service", "service_requests": "request", "errors": "error", "endpoints": "endpoint",
              "formats": "format", "attributes": "attribute", "values": "value"}
FORMAT_CHECKER = jsonschema.FormatChecker()


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _w3c_datetime(value: object) -> bool:
    """The spec's w3c format (2010-04-14T06:37:38-08:00): a full date and time with an offset."""
    if not isinstance(value, str):
        return True
    moment = dt.datetime.fromisoformat(value)
    return "T" in value and moment.tzinfo is not None


@FORMAT_CHECKER.checks("uri")
def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value


def schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / f"{name}.json").read_text())


def valid(response: Any, name: str) -> Any:
    """The response's JSON after checking it against the named GeoReport v2 schema."""
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    data = response.json()
    jsonschema.validate(data, schema(name), format_checker=FORMAT_CHECKER)
    return data


def xml_data(element: ET.Element) -> Any:
    """An XML document as plain data: list elements (checked to hold only their spec item
    element) become lists, other elements with children dicts, leaves their text."""
    children = list(element)
    if element.tag in LIST_ITEMS:
        assert all(c.tag == LIST_ITEMS[element.tag] for c in children), (element.tag, [c.tag for c in children])
        return [xml_data(c) for c in children]
    if not children:
        return element.text or ""
    tags = [c.tag for c in children]
    assert len(tags) == len(set(tags)), f"repeated element in <{element.tag}>: {tags}"
    return {c.tag: xml_data(c) for c in children}


def as_xml_text(value: Any) -> Any:
    """JSON data as the XML form spells it: null as empty, booleans lower case, numbers as text."""
    if isinstance(value, list):
        return [as_xml_text(v) for v in value]
    if isinstance(value, dict):
        return {k: as_xml_text(v) for k, v in value.items()}
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def xml_doc(response: Any, root: str) -> tuple[ET.Element, Any]:
    assert response["Content-Type"].startswith("text/xml"), response["Content-Type"]
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    element = ET.fromstring(response.content)
    assert element.tag == root, element.tag
    data = xml_data(element)
    return element, data


def same_in_xml(client: Any, path: str, root: str, params: dict[str, Any] | None = None) -> Any:
    """Fetch ``path`` in both formats and prove the XML document carries exactly the JSON one."""
    as_json = client.get(f"{path}.json", params or {})
    as_xml = client.get(f"{path}.xml", params or {})
    assert as_json.status_code == as_xml.status_code
    _element, data = xml_doc(as_xml, root)
    expected = as_xml_text(as_json.json())
    assert data == expected, (data, expected)
    return as_json


def fresh_address() -> str:
    """A client address no earlier run has used (rate-limit windows live in Redis for a
    minute); only a label on test-client requests, from the IPv6 documentation prefix."""
    raw = uuid.uuid4().bytes
    return f"2001:db8::{raw[0]:x}{raw[1]:02x}:{raw[2]:x}{raw[3]:02x}"


def post(client: Any, key: str | None, fmt: str = "json", **fields: Any) -> Any:
    """A client application's POST requests on behalf of a requester (None drops a field)."""
    point = point_in("centralny")
    data: dict[str, Any] = {
        "api_key": key, "service_code": "transport-schedule", "lat": point.y, "long": point.x,
        "description": "Автобус 22 не ходит по выходным, люди ждут по часу.", "first_name": FIRST, "last_name": LAST,
        "email": EMAIL, "phone": PHONE}
    data.update(fields)
    return client.post(f"/open311/v2/requests.{fmt}", {k: v for k, v in data.items() if v is not None})
