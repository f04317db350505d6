"""Open311 GeoReport v2: every endpoint in JSON (validated against schemas written from the
specification) and XML, API keys, errors in the spec's format, the 90-day window, pagination,
rate limits, CORS and the absence of personal data."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from django.test import Client
from django.utils import timezone

from issues import actions
from issues.models import Appeal, Category, Status
from open311.models import ApiKey, CategoryAttribute

from ..issues.helpers import jpeg_bytes, make_appeal, point_in, upload

pytestmark = pytest.mark.django_db
SCHEMAS = Path(__file__).parent / "schemas"
NAME, EMAIL, PHONE = "Открытова", "open.client@example.org", "+7 999 111-22-33"


def fresh_address() -> str:
    """A client address no earlier run has used (rate-limit windows live in Redis for a minute);
    it only labels test-client requests, nothing is sent anywhere."""
    import uuid

    raw = uuid.uuid4().bytes
    return f"2001:db8::{raw[0]:x}{raw[1]:02x}:{raw[2]:x}{raw[3]:02x}"  # the documentation prefix


def schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.json").read_text())


def valid(response, name: str):
    data = response.json()
    jsonschema.validate(data, schema(name), format_checker=jsonschema.FormatChecker())
    return data


@pytest.fixture
def key(personas):
    record, raw = ApiKey.issue(name="Тестовое приложение", owner=personas.operator, rate_limit_per_minute=1000)
    return raw


@pytest.fixture
def client(settings):
    settings.OPEN311_ANON_RATE_PER_MINUTE = 1000
    return Client()


def post(client, key, fmt="json", **fields):
    point = point_in("centralny")
    data = {"api_key": key, "service_code": "transport-schedule", "lat": point.y, "long": point.x,
            "description": "Автобус 22 не ходит по выходным.", "first_name": "Анна", "last_name": NAME,
            "email": EMAIL, "phone": PHONE}
    data.update(fields)
    return client.post(f"/open311/v2/requests.{fmt}", {k: v for k, v in data.items() if v is not None})


def test_discovery_services_and_definitions(personas, client):
    valid(client.get("/open311/v2/discovery.json"), "discovery")
    services = valid(client.get("/open311/v2/services.json"), "services")
    codes = {s["service_code"] for s in services}
    assert "light-street" in codes and "roads" not in codes  # leaves only; parents are groups
    assert next(s for s in services if s["service_code"] == "light-street")["group"] == "Освещение"
    CategoryAttribute.objects.create(category=Category.objects.get(code="transport-schedule"), code="route",
                                     datatype="singlevaluelist", required=True, description="Номер маршрута",
                                     values=[{"key": "22", "name": "Автобус 22"}, {"key": "45", "name": "Автобус 45"}])
    definition = valid(client.get("/open311/v2/services/transport-schedule.json"), "service_definition")
    assert definition["attributes"][0]["values"][1]["key"] == "45"
    services = client.get("/open311/v2/services.json").json()
    assert next(s for s in services if s["service_code"] == "transport-schedule")["metadata"] is True
    missing = client.get("/open311/v2/services/nope.json")
    assert missing.status_code == 404 and valid(missing, "errors")[0]["code"] == 404


def test_xml_documents_follow_the_spec(personas, client, key):
    root = ET.fromstring(client.get("/open311/v2/services.xml").content)
    assert root.tag == "services" and root.find("service/service_code") is not None
    assert ET.fromstring(client.get("/open311/v2/discovery.xml").content).find("endpoints/endpoint/formats/format") \
        is not None
    created = ET.fromstring(post(client, key, fmt="xml").content)
    assert created.tag == "service_requests" and created.find("request/token").text
    xml_post = client.post("/open311/v2/requests.xml", {"api_key": "wrong", "service_code": "x"})
    errors = ET.fromstring(xml_post.content)
    assert xml_post.status_code == 403 and errors.tag == "errors" and errors.find("error/code").text == "403"
    make_appeal(personas.citizen, "transport-schedule", text="Автобус 9 опаздывает каждый день.")
    requests = ET.fromstring(client.get("/open311/v2/requests.xml").content)
    assert requests.tag == "service_requests" and requests.find("request/service_request_id") is not None


def test_post_creates_an_appeal_through_the_lifecycle_and_token_resolves(personas, client, key):
    response = post(client, key)
    assert response.status_code == 200
    token = valid(response, "post_response")[0]["token"]
    appeal = Appeal.objects.get(open311__token=token)
    assert appeal.channel == "open311" and appeal.status == Status.SUBMITTED
    assert appeal.author_name.endswith(NAME) or NAME in appeal.author_name and EMAIL in appeal.author_contact
    pending = valid(client.get(f"/open311/v2/tokens/{token}.json"), "tokens")
    assert pending[0]["service_request_id"] is None
    actions.register_appeal(appeal, actor=personas.operator)
    resolved = valid(client.get(f"/open311/v2/tokens/{token}.json"), "tokens")
    assert resolved[0]["service_request_id"] == str(appeal.pk)
    detail = valid(client.get(f"/open311/v2/requests/{appeal.pk}.json"), "service_requests")[0]
    assert detail["status"] == "open" and detail["agency_responsible"] and detail["expected_datetime"]
    assert client.get("/open311/v2/tokens/00000000-0000-0000-0000-000000000000.json").status_code == 404


@pytest.mark.parametrize(("fields", "status", "words"), [
    ({"api_key": None}, 403, "api_key"),
    ({"api_key": "not-a-key"}, 403, "api_key"),
    ({"service_code": "unknown"}, 400, "service_code"),
    ({"lat": "95"}, 400, "диапазона"),
    ({"lat": "abc"}, 400, "числа"),
    ({"lat": "55.75", "long": "37.61"}, 400, "территории"),
    ({"lat": None, "long": None, "address_string": "ул. Минина, 1"}, 400, "lat и long"),
    ({"description": "коротко"}, 400, "text"),
])
def test_bad_posts_get_spec_errors_and_write_nothing(personas, client, key, fields, status, words):
    response = post(client, key, **fields)
    assert response.status_code == status
    body = valid(response, "errors")
    assert body[0]["code"] == status and words in body[0]["description"]
    assert Appeal.objects.count() == 0


def test_revoked_key_and_bad_attributes(personas, client, key):
    CategoryAttribute.objects.create(category=Category.objects.get(code="transport-schedule"), code="route",
                                     datatype="singlevaluelist", required=True, description="Маршрут",
                                     values=[{"key": "22", "name": "Автобус 22"}])
    assert post(client, key).status_code == 400  # the required attribute is missing
    assert post(client, key, **{"attribute[route]": "99"}).status_code == 400
    assert post(client, key, **{"attribute[route]": "22"}).status_code == 200
    ApiKey.objects.update(revoked_at=timezone.now())
    assert post(client, key, **{"attribute[route]": "22"}).status_code == 403


def test_get_requests_filters_window_and_pagination(personas, client):
    appeals = [make_appeal(personas.citizen, "transport-schedule", text=f"Автобус {i} не ходит вечером.")
               for i in range(5)]
    old = appeals[0]
    Appeal.objects.filter(pk=old.pk).update(received_at=timezone.now() - dt.timedelta(days=120))
    recent = valid(client.get("/open311/v2/requests.json"), "service_requests")
    assert str(old.pk) not in {r["service_request_id"] for r in recent} and len(recent) == 4  # default 90 days
    start = (timezone.now() - dt.timedelta(days=130)).isoformat()
    end = (timezone.now() - dt.timedelta(days=100)).isoformat()
    window = client.get("/open311/v2/requests.json", {"start_date": start, "end_date": end}).json()
    assert [r["service_request_id"] for r in window] == [str(old.pk)]
    too_wide = client.get("/open311/v2/requests.json", {"start_date": start,
                                                        "end_date": timezone.now().isoformat()})
    assert too_wide.status_code == 400 and "90" in too_wide.json()[0]["description"]
    pages = [client.get("/open311/v2/requests.json", {"page": p, "page_size": 2}).json() for p in (1, 2, 3)]
    assert [len(p) for p in pages] == [2, 2, 0]
    assert len({r["service_request_id"] for p in pages for r in p}) == 4
    ids = f"{appeals[1].pk},{appeals[2].pk}"
    assert len(client.get("/open311/v2/requests.json", {"service_request_id": ids}).json()) == 2
    assert client.get("/open311/v2/requests.json", {"status": "closed"}).json() == []
    assert len(client.get("/open311/v2/requests.json", {"status": "open", "service_code": "transport-schedule"})
               .json()) == 4
    assert client.get("/open311/v2/requests.json", {"status": "maybe"}).status_code == 400
    assert client.get("/open311/v2/requests.json", {"jurisdiction_id": ""}).status_code == 200
    assert client.get("/open311/v2/requests.json", {"jurisdiction_id": "elsewhere"}).status_code == 404


def test_closed_request_notes_and_media_url(personas, client):
    appeal = make_appeal(personas.citizen, "light-street", text="Фонарь не горит у подъезда.")
    from issues.models import AppealPhoto
    from issues.tasks import process_photo

    process_photo(AppealPhoto.objects.get(appeal=appeal).pk)
    actions.accept_appeal(appeal, actor=personas.executor_b)
    actions.answer_appeal(appeal, actor=personas.executor_b, text="Лампа заменена.", result="measures_taken")
    row = valid(client.get(f"/open311/v2/requests/{appeal.pk}.json"), "service_requests")[0]
    assert row["status"] == "closed" and "Лампа заменена" in row["status_notes"]
    assert row["media_url"].startswith("http://testserver/media/public/")


def test_no_personal_data_in_get_responses(personas, client, key):
    token = post(client, key).json()[0]["token"]
    appeal = Appeal.objects.get(open311__token=token)
    actions.register_appeal(appeal, actor=personas.operator)
    for url in ("/open311/v2/requests.json", "/open311/v2/requests.xml", f"/open311/v2/requests/{appeal.pk}.json",
                f"/open311/v2/tokens/{token}.json"):
        body = client.get(url).content.decode()
        for secret in (NAME, EMAIL, PHONE, "Анна"):
            assert secret not in body, (url, secret)


def test_rate_limits_answer_429_with_retry_after(personas, settings):
    settings.OPEN311_ANON_RATE_PER_MINUTE = 3
    client = Client(REMOTE_ADDR=fresh_address())
    statuses = [client.get("/open311/v2/services.json").status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    limited = client.get("/open311/v2/services.json")
    assert int(limited["Retry-After"]) >= 1 and limited.json()[0]["code"] == 429
    _record, raw = ApiKey.issue(name="Медленное", owner=personas.operator, rate_limit_per_minute=2)
    keyed = [Client().get("/api/v1/categories/", HTTP_X_API_KEY=raw).status_code for _ in range(3)]
    assert keyed == [200, 200, 429]


def test_api_key_authenticates_the_v1_api_and_cors(personas, client, key):
    mine = client.get("/api/v1/appeals/?scope=work", HTTP_X_API_KEY=key)
    assert mine.status_code == 200  # the key's owner is an operator
    assert client.get("/api/v1/appeals/?scope=work", HTTP_X_API_KEY="bad").status_code in (401, 403)
    cors = client.get("/api/v1/categories/", HTTP_ORIGIN="https://app.example.org")
    assert cors["Access-Control-Allow-Origin"] in ("*", "https://app.example.org")
    assert client.get("/open311/v2/services.json", HTTP_ORIGIN="https://x.example")["Access-Control-Allow-Origin"]


def test_media_upload_is_checked(personas, client, key):
    ok = post(client, key, media=upload(jpeg_bytes(), "m.jpg"))
    assert ok.status_code == 200
    bad = post(client, key, media=upload(b"not an image", "m.jpg"))
    assert bad.status_code == 400 and Appeal.objects.count() == 1


def test_anonymous_api_reads_are_limited_per_ip(personas, monkeypatch):
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/min"})
    client = Client(REMOTE_ADDR=fresh_address())
    statuses = [client.get("/api/v1/categories/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert int(client.get("/api/v1/categories/")["Retry-After"]) >= 1
