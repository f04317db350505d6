"""An existing Open311 client library, ``georeport`` (PyPI, GeoReport v2 wrapper), against our
live endpoint in JSON and in XML. The library only reads (services, service definition,
requests, one request); the POST and the token go through ``requests`` as a client app would.
(The older PyPI package ``open311`` 1.1 is Python 2 code and its import name is our app's.)"""
from __future__ import annotations

import pytest
import requests
from georeport import GeoReport

from issues import actions
from issues.models import Appeal, Category
from open311.actions import issue_api_key
from open311.models import CategoryAttribute

from ..issues.helpers import point_in
from .helpers import EMAIL, LAST

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_client_reads_what_a_client_posted(live_server, personas, settings, fmt):
    settings.OPEN311_ANON_RATE_PER_MINUTE = 10_000
    _record, key = issue_api_key(name="georeport", owner=personas.operator)
    CategoryAttribute.objects.create(category=Category.objects.get(code="transport-schedule"), code="route",
                                     datatype="singlevaluelist", required=True, description="Маршрут",
                                     values=[{"key": "61", "name": "Автобус 61"}])
    base = f"{live_server.url}/open311/v2"
    point = point_in("nagorny")
    posted = requests.post(f"{base}/requests.{fmt}", data={
        "api_key": key, "jurisdiction_id": settings.OPEN311_JURISDICTION_ID, "service_code": "transport-schedule",
        "lat": point.y, "long": point.x, "attribute[route]": "61", "description": "Автобус 61 не ходит после 21 часа.",
        "first_name": "Клиент", "last_name": LAST, "email": EMAIL}, timeout=30)
    assert posted.status_code == 200, posted.text
    token = posted.json()[0]["token"] if fmt == "json" else posted.text.split("<token>")[1].split("</token>")[0]
    actions.register_appeal(Appeal.objects.get(open311__token=token), actor=personas.operator)
    resolved = requests.get(f"{base}/tokens/{token}.json", timeout=30).json()[0]["service_request_id"]

    client = GeoReport(base, jurisdiction=settings.OPEN311_JURISDICTION_ID, output_format=fmt)
    services = client.get_service_list()
    assert {s["service_code"] for s in services} >= {"transport-schedule", "light-street"}
    definition = client.get_service_definition("transport-schedule")
    attributes = definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
    attribute = attributes[0] if isinstance(attributes, list) else attributes
    assert definition["service_code"] == "transport-schedule" and attribute["code"] == "route"
    found = client.get_service_requests(service_code="transport-schedule", status="open")
    rows = found if isinstance(found, list) else [found]  # xmltodict gives a lone request as a dict
    assert [r["service_request_id"] for r in rows] == [resolved]
    assert LAST not in str(rows) and EMAIL not in str(rows)
    single = client.get_service_request(resolved)
    assert single["service_request_id"] == resolved and single["status"] == "open"
    assert "Автобус 61" in single["description"] and single["agency_responsible"]
