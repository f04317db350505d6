"""An existing Open311 client library (``georeport`` from PyPI) against our live endpoint, in
JSON and in XML. The library only reads; the POST goes through ``requests`` as any app would."""
from __future__ import annotations

import pytest
import requests
from georeport import GeoReport

from issues import actions
from issues.models import Appeal
from open311.models import ApiKey

from ..issues.helpers import point_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_client_reads_what_a_client_posted(live_server, personas, settings, fmt):
    settings.OPEN311_ANON_RATE_PER_MINUTE = 10_000
    _record, key = ApiKey.issue(name="georeport", owner=personas.operator)
    base = f"{live_server.url}/open311/v2"
    point = point_in("nagorny")
    posted = requests.post(f"{base}/requests.json", data={
        "api_key": key, "service_code": "transport-schedule", "lat": point.y, "long": point.x,
        "description": "Автобус 61 не ходит после 21 часа.", "email": "client@example.org"}, timeout=30)
    assert posted.status_code == 200 and posted.json()[0]["token"]
    actions.register_appeal(Appeal.objects.get(open311__token=posted.json()[0]["token"]), actor=personas.operator)

    client = GeoReport(base, jurisdiction=settings.OPEN311_JURISDICTION_ID, output_format=fmt)
    services = client.get_service_list()
    assert any(s["service_code"] == "transport-schedule" for s in services)
    definition = client.get_service_definition("transport-schedule")
    assert definition["service_code"] == "transport-schedule"
    found = client.get_service_requests(service_code="transport-schedule", status="open")
    rows = found if isinstance(found, list) else [found]
    assert any("Автобус 61" in (r.get("description") or "") for r in rows)
    assert "client@example.org" not in str(rows)
    appeal_id = next(r["service_request_id"] for r in rows if "Автобус 61" in (r.get("description") or ""))
    single = client.get_service_request(appeal_id)
    single_row = single[0] if isinstance(single, list) else single
    assert single_row["service_request_id"] == appeal_id and single_row["status"] == "open"
