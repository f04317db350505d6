"""The appeals API: creation, bad input (400, nothing written), filters, idempotent POST."""
from __future__ import annotations

import io
import json
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client
from PIL import Image

from issues.models import Appeal, AppealPhoto, Category, Status

from .helpers import jpeg_bytes, make_appeal, point_in, upload

pytestmark = pytest.mark.django_db


def _payload(**overrides):
    point = point_in("centralny")
    data = {"category": Category.objects.get(code="transport-schedule").pk, "text": "Автобус 45 не ходит по вечерам.",
            "lat": point.y, "lon": point.x}
    data.update(overrides)
    return data


def test_citizen_creates_with_photo_multipart(personas):
    client = personas.client("citizen")
    light = Category.objects.get(code="light-street").pk
    response = client.post("/api/v1/appeals/", {**_payload(category=light), "photos": [upload(jpeg_bytes(), "a.jpg")]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["properties"]["status"] == Status.ROUTED and body["properties"]["agency"] == "Горсвет"
    assert body["properties"]["deadline_at"] and body["geometry"]["type"] == "Point"
    assert AppealPhoto.objects.filter(appeal_id=body["id"]).count() == 1


def test_json_create_and_anonymous_refused(personas):
    assert personas.client("anonymous").post("/api/v1/appeals/", _payload(category=Category.objects.get(
        code="transport-route").pk), content_type="application/json").status_code in (401, 403)
    response = personas.client("citizen").post(
        "/api/v1/appeals/", json.dumps(_payload(category=Category.objects.get(code="transport-route").pk)),
        content_type="application/json")
    assert response.status_code == 201


def _big_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, "PNG")  # tiny file, 400 megapixels when decoded
    return buffer.getvalue()


BAD = [
    ("out of range", lambda: _payload(lat=95), "lat"),
    ("outside the territory", lambda: _payload(lat=55.75, lon=37.61), "location"),
    ("unknown category", lambda: _payload(category=999999), "category"),
    ("short text", lambda: _payload(text="Фонарь"), "text"),
    ("long text", lambda: _payload(text="а" * 5001), "text"),
    ("lat without lon", lambda: _payload(lon=None), "location"),
]


@pytest.mark.parametrize(("name", "payload", "field"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_400_with_field_errors_and_nothing_written(personas, name, payload, field):
    data = {k: v for k, v in payload().items() if v is not None}
    response = personas.client("citizen").post("/api/v1/appeals/", data)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Appeal.objects.count() == 0


def test_inactive_category_is_refused(personas):
    category = Category.objects.get(code="light-park")
    category.is_active = False
    category.save()
    response = personas.client("citizen").post("/api/v1/appeals/", _payload(category=category.pk))
    assert response.status_code == 400 and "category" in response.json()
    assert Appeal.objects.count() == 0


@pytest.mark.parametrize("case", ["six photos", "not an image", "truncated", "bomb", "too large"])
def test_bad_photos_are_refused(personas, settings, case):
    if case == "six photos":
        photos = [upload(jpeg_bytes(), f"{i}.jpg") for i in range(6)]
    elif case == "not an image":
        photos = [upload(b"%PDF-1.4 this is not a picture", "fake.jpg")]
    elif case == "truncated":
        photos = [upload(jpeg_bytes((400, 300))[:600], "cut.jpg")]
    elif case == "bomb":
        photos = [upload(_big_png(), "bomb.png", "image/png")]
    else:
        settings.APPEAL_MAX_PHOTO_BYTES = 1000
        photos = [upload(jpeg_bytes((300, 300)), "big.jpg")]
    response = personas.client("citizen").post("/api/v1/appeals/", {**_payload(), "photos": photos})
    assert response.status_code == 400, response.content
    assert "photos" in response.json()
    assert Appeal.objects.count() == 0 and AppealPhoto.objects.count() == 0


def test_citizen_cannot_file_paper_appeals_operator_can(personas):
    paper = {"category": Category.objects.get(code="social-benefits").pk, "channel": "paper",
             "text": "Прошу пересчитать компенсацию за отопление.", "address": "ул. Минина, 1",
             "author_name": "Сидорова Анна", "author_contact": "ул. Минина, 1, кв. 2"}
    assert personas.client("citizen").post("/api/v1/appeals/", paper).status_code == 403
    response = personas.client("operator").post("/api/v1/appeals/", paper)
    assert response.status_code == 201
    appeal_id = response.json()["id"]
    assert response.json()["properties"]["status"] == Status.SUBMITTED
    registered = personas.client("operator").post(f"/api/v1/appeals/{appeal_id}/register/")
    assert registered.status_code == 200 and registered.json()["properties"]["status"] == Status.ROUTED


def test_list_filters_and_geojson(personas):
    make_appeal(personas.citizen, "light-street")
    make_appeal(personas.citizen, "heat-outage", district="sormovsky", text="Нет отопления в квартире.")
    make_appeal(personas.citizen, "roads-potholes", district="avtozavodsky", text="Яма на дороге у дома 3.")
    client = Client()
    everything = client.get("/api/v1/appeals/").json()
    assert everything["type"] == "FeatureCollection" and len(everything["features"]) == 3
    for feature in everything["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert 43.7 < lon < 44.3 and 56.2 < lat < 56.45
    heating = Category.objects.get(code="heating").pk  # the parent includes its children
    assert len(client.get(f"/api/v1/appeals/?category={heating}").json()["features"]) == 1
    assert len(client.get("/api/v1/appeals/?district=sormovsky").json()["features"]) == 1
    sormovsky = point_in("sormovsky")
    bbox = f"{sormovsky.x - 0.001},{sormovsky.y - 0.001},{sormovsky.x + 0.001},{sormovsky.y + 0.001}"
    assert len(client.get(f"/api/v1/appeals/?bbox={bbox}").json()["features"]) == 1
    assert client.get("/api/v1/appeals/?bbox=1,2,3").status_code == 400
    assert client.get("/api/v1/appeals/?status=nonsense").status_code == 400
    assert len(client.get("/api/v1/appeals/?status=routed&overdue=false").json()["features"]) == 3
    assert len(client.get("/api/v1/appeals/?received_after=2100-01-01T00:00:00Z").json()["features"]) == 0


def test_list_query_count_does_not_grow(personas, django_assert_max_num_queries):
    for i in range(3):
        make_appeal(personas.citizen, text=f"Не горит фонарь у дома {i + 10}.")
    client = Client()
    with django_assert_max_num_queries(6):
        client.get("/api/v1/appeals/")
    for i in range(12):
        make_appeal(personas.citizen, text=f"Не горит фонарь у дома {i + 20}.")
    with django_assert_max_num_queries(6):
        assert len(client.get("/api/v1/appeals/").json()["features"]) == 15


def test_idempotency_key_returns_the_first_result(personas):
    client = personas.client("citizen")
    key = str(uuid.uuid4())
    first = client.post("/api/v1/appeals/", _payload(), HTTP_IDEMPOTENCY_KEY=key)
    second = client.post("/api/v1/appeals/", _payload(), HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"] and second["Idempotent-Replayed"] == "true"
    other = personas.client("other_citizen").post("/api/v1/appeals/", _payload(), HTTP_IDEMPOTENCY_KEY=key)
    assert other.json()["id"] != first.json()["id"]  # keys are per user
    assert Appeal.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_create_one_appeal(personas):
    key = str(uuid.uuid4())
    barrier = threading.Barrier(6)
    results: list[tuple[int, int]] = []

    def retry() -> None:
        client = personas.client("citizen")
        barrier.wait()
        response = client.post("/api/v1/appeals/", _payload(), HTTP_IDEMPOTENCY_KEY=key)
        results.append((response.status_code, response.json()["id"]))
        connection.close()

    threads = [threading.Thread(target=retry) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 6 and {status for status, _ in results} == {201}
    assert len({appeal_id for _, appeal_id in results}) == 1
    assert Appeal.objects.count() == 1


def test_photo_required_category_without_photo_is_400(personas):
    light = Category.objects.get(code="light-street").pk
    response = personas.client("citizen").post("/api/v1/appeals/", _payload(category=light))
    assert response.status_code == 400 and "photos" in response.json()
    assert Appeal.objects.count() == 0


def test_nearby_offers_open_appeals_of_the_category_within_the_radius(personas):
    from django.contrib.gis.geos import Point

    base = point_in("centralny")
    near = make_appeal(personas.citizen, "transport-schedule", location=Point(base.x + 0.001, base.y, srid=4326),
                       text="Автобус 7 не приходит по расписанию.")  # ~60 m east
    make_appeal(personas.citizen, "transport-schedule", location=Point(base.x + 0.01, base.y, srid=4326),
                text="Автобус 8 не приходит по расписанию.")  # ~600 m east
    make_appeal(personas.citizen, "transport-stop", location=base, text="Разбит остановочный павильон.")
    category = Category.objects.get(code="transport-schedule").pk
    found = Client().get(f"/api/v1/appeals/nearby/?lat={base.y}&lon={base.x}&category={category}").json()
    assert [f["id"] for f in found["features"]] == [near.pk]
    assert Client().get("/api/v1/appeals/nearby/?lat=x&lon=1&category=1").status_code == 400


def test_openapi_schema_and_offline_docs(personas):
    schema = Client().get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/appeals/" in paths and "/api/v1/appeals/{id}/answer/" in paths
    docs = Client().get("/api/v1/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/" in docs and "cdn" not in docs.lower()


def test_token_authentication(personas):
    from rest_framework.authtoken.models import Token

    token = Client().post("/api/v1/auth/token/", {"username": "citizen", "password": "demo12345"})
    assert token.status_code == 200
    key = token.json()["token"]
    assert Token.objects.get(key=key).user == personas.citizen
    mine = Client().get("/api/v1/appeals/?scope=mine", HTTP_AUTHORIZATION=f"Token {key}")
    assert mine.status_code == 200
