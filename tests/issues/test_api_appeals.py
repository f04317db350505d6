"""The appeals API: creation (JSON and multipart with photos), every bad input refused with
field errors and nothing written, the operator's paper appeal, filters, pagination, the
GeoJSON shape and a list whose query count does not grow with the number of appeals."""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from geoportal.models import Agency
from inbox.models import Notification
from issues import actions
from issues.deadlines import MOSCOW, compute_deadline
from issues.models import (
    Appeal,
    AppealAttachment,
    AppealCounter,
    AppealEvent,
    AppealPhoto,
    Category,
    IdempotencyKey,
    Status,
)

from .helpers import files_under, jpeg_bytes, make_appeal, noise_jpeg, png_declaring, point_in, upload

pytestmark = pytest.mark.django_db
URL = "/api/v1/appeals/"


def payload(category: str = "transport-schedule", district: str = "centralny", **overrides: Any) -> dict[str, Any]:
    point = point_in(district)
    data: dict[str, Any] = {"category": Category.objects.get(code=category).pk,
                            "text": "Автобус 45 не ходит по вечерам после восьми.", "lat": point.y, "lon": point.x}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post(client: Client, data: dict[str, Any], encoding: str = "multipart", **headers: Any) -> Any:
    if encoding == "json":
        return client.post(URL, json.dumps(data), content_type="application/json", **headers)
    return client.post(URL, data, **headers)


def written(media_root: Any) -> dict[str, Any]:
    """Everything a submission could leave behind."""
    return {
        "appeals": Appeal.objects.count(), "events": AppealEvent.objects.count(),
        "photos": AppealPhoto.objects.count(), "attachments": AppealAttachment.objects.count(),
        "numbers": sum(AppealCounter.objects.values_list("last", flat=True)),
        "notifications": Notification.objects.count(), "idempotency": IdempotencyKey.objects.count(),
        "files": files_under(media_root),
    }


def assert_field_errors(response: Any, field: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body, body
    messages = body[field] if isinstance(body[field], list) else [body[field]]
    assert messages and all(isinstance(m, str) and m for m in messages), body


# --- creation ---------------------------------------------------------------------------------

def test_citizen_creates_with_photos_multipart(personas, media_root):
    before = written(media_root)
    point = point_in("centralny")
    response = personas.client("citizen").post(URL, {
        **payload("light-street"), "photos": [upload(jpeg_bytes(), "a.jpg"), upload(jpeg_bytes(color="blue"), "b.jpg")]})
    assert response.status_code == 201, response.content
    body = response.json()
    props = body["properties"]
    assert body["type"] == "Feature" and body["geometry"]["type"] == "Point"
    assert body["geometry"]["coordinates"] == pytest.approx([point.x, point.y], abs=1e-9)
    assert re.fullmatch(r"А-\d{4}-\d{6}", props["number"])
    assert props["status"] == Status.ROUTED and props["agency"] == "Горсвет" and props["district"] == "Центральный"
    registered = dt.datetime.fromisoformat(props["registered_at"])
    deadline = dt.datetime.fromisoformat(props["deadline_at"])
    assert deadline == compute_deadline(registered, working_days=5, calendar_days=None)  # the category's rule
    assert props["sla"] == "on_track" and props["location_source"] == "pin"
    appeal = Appeal.objects.get(pk=body["id"])
    assert list(appeal.events.values_list("kind", flat=True)) == ["submit", "register", "route"]
    stored = list(AppealPhoto.objects.filter(appeal=appeal))
    assert len(stored) == 2 and all(p.original.name.startswith("private/appeals/") for p in stored)
    after = written(media_root)
    assert after["appeals"] == before["appeals"] + 1 and after["photos"] == before["photos"] + 2
    assert len(after["files"]) == 2 and all(f.startswith("private/appeals/") for f in after["files"])
    assert props["photos"] == []  # public copies come from the worker, never the original


def test_citizen_creates_with_json(personas):
    response = post(personas.client("citizen"), payload("transport-schedule", "sormovsky"), "json")
    assert response.status_code == 201, response.content
    props = response.json()["properties"]
    assert props["status"] == Status.ROUTED and props["agency"] == "Гортранс" and props["district"] == "Сормовский"
    registered = dt.datetime.fromisoformat(props["registered_at"])
    assert dt.datetime.fromisoformat(props["deadline_at"]) == compute_deadline(
        registered, working_days=10, calendar_days=None)
    assert props["author"]["name"] == "Иванова Мария Петровна"  # the author's own, full view


@pytest.mark.parametrize("length", [10, 5000])
def test_text_length_limits_are_inclusive(personas, length):
    text = ("Автобус не ходит. " * 400)[:length - 1] + "!"
    response = post(personas.client("citizen"), payload(text=text), "json")
    assert response.status_code == 201, response.content
    assert len(Appeal.objects.get(pk=response.json()["id"]).text) == length


def _deactivate(code: str) -> None:
    Category.objects.filter(code=code).update(is_active=False)


BAD_INPUT: list[tuple[str, Any, str]] = [
    ("latitude out of range", lambda: payload(lat=95.0), "lat"),
    ("longitude out of range", lambda: payload(lon=200.0), "lon"),
    ("outside the served territory", lambda: payload(lat=55.7558, lon=37.6173), "location"),
    ("unknown category", lambda: payload(category="transport-schedule") | {"category": 999_999}, "category"),
    ("inactive category", lambda: (_deactivate("transport-schedule"), payload())[1], "category"),
    ("no category", lambda: {k: v for k, v in payload().items() if k != "category"}, "category"),
    ("text shorter than 10", lambda: payload(text="Нет света"), "text"),
    ("padding does not count", lambda: payload(text="    Нет света     "), "text"),
    ("text longer than 5000", lambda: payload(text="а" * 5001), "text"),
    ("lat without lon", lambda: {k: v for k, v in payload().items() if k != "lon"}, "location"),
    ("lon without lat", lambda: {k: v for k, v in payload().items() if k != "lat"}, "location"),
    ("no point from the web", lambda: {k: v for k, v in payload().items() if k not in ("lat", "lon")}, "location"),
    ("photo required", lambda: payload("light-street"), "photos"),
]


@pytest.mark.parametrize("encoding", ["json", "multipart"])
@pytest.mark.parametrize(("case", "build", "field"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_is_400_with_field_errors_and_nothing_written(personas, media_root, encoding, case, build, field):
    client = personas.client("citizen")
    data = build()
    before = written(media_root)
    assert_field_errors(post(client, data, encoding), field)
    assert written(media_root) == before


def _bad_photos(case: str) -> list[Any]:
    good = jpeg_bytes()
    if case == "six photos":
        return [upload(jpeg_bytes(color=c), f"{i}.jpg") for i, c in enumerate(["red", "blue", "green", "white",
                                                                                "black", "gray"])]
    if case == "over 10 MB":  # a valid JPEG; only its size is wrong
        return [upload(good + b"\0" * (10 * 1024 * 1024 + 1 - len(good)), "huge.jpg")]
    if case == "PDF renamed .jpg":
        return [upload(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", "scan.jpg")]
    if case == "text renamed .jpg":
        return [upload("Это не фотография, а текст.".encode(), "note.jpg")]
    if case == "truncated JPEG":
        data = noise_jpeg()
        return [upload(data[: len(data) // 2], "cut.jpg")]
    if case == "bomb declaring 10^10 pixels":
        bomb = png_declaring(100_000, 100_000)
        assert len(bomb) < 100  # tiny on disk
        return [upload(bomb, "bomb.png", "image/png")]
    if case == "valid 64-megapixel PNG":
        big = png_declaring(8000, 8000, complete=True)
        assert len(big) < 20_000  # decodable and small on disk, huge in memory
        return [upload(big, "poster.png", "image/png")]
    if case == "one good, one bad":
        return [upload(good, "good.jpg"), upload(b"GIF89a broken", "bad.jpg")]
    raise AssertionError(case)


PHOTO_CASES = ["six photos", "over 10 MB", "PDF renamed .jpg", "text renamed .jpg", "truncated JPEG",
               "bomb declaring 10^10 pixels", "valid 64-megapixel PNG", "one good, one bad"]


@pytest.mark.parametrize("case", PHOTO_CASES)
def test_bad_photos_are_400_and_nothing_is_stored(personas, media_root, case):
    before = written(media_root)
    response = personas.client("citizen").post(URL, {**payload("light-street"), "photos": _bad_photos(case)})
    assert_field_errors(response, "photos")
    assert written(media_root) == before
    if case not in ("six photos",):
        name = {"over 10 MB": "huge.jpg", "PDF renamed .jpg": "scan.jpg", "text renamed .jpg": "note.jpg",
                "truncated JPEG": "cut.jpg", "bomb declaring 10^10 pixels": "bomb.png",
                "valid 64-megapixel PNG": "poster.png", "one good, one bad": "bad.jpg"}[case]
        assert name in " ".join(response.json()["photos"])  # the citizen learns which file is wrong


def test_all_field_errors_come_at_once(personas, media_root):
    before = written(media_root)
    response = personas.client("citizen").post(URL, {**payload("light-street", text="Фонарь", lat=55.7558,
                                                               lon=37.6173),
                                                     "photos": [upload(b"not a picture", "x.jpg")]})
    assert response.status_code == 400
    assert set(response.json()) == {"text", "location", "photos"}
    assert written(media_root) == before


def test_a_small_png_and_five_photos_are_accepted(personas, media_root):
    photos = [upload(png_declaring(100, 100, complete=True), "plan.png", "image/png")]
    photos += [upload(jpeg_bytes(color=c), f"{c}.jpg") for c in ("red", "blue", "green", "white")]
    response = personas.client("citizen").post(URL, {**payload("light-street"), "photos": photos})
    assert response.status_code == 201, response.content
    assert AppealPhoto.objects.filter(appeal_id=response.json()["id"]).count() == 5


@pytest.mark.parametrize("encoding", ["json", "multipart"])
def test_anonymous_cannot_post(personas, media_root, encoding):
    before = written(media_root)
    response = post(personas.client("anonymous"), payload(), encoding)
    assert response.status_code == 401
    assert written(media_root) == before


@pytest.mark.parametrize("channel", ["paper", "phone", "email", "social"])
def test_citizen_cannot_use_staff_channels(personas, media_root, channel):
    before = written(media_root)
    data = payload(channel=channel, address="ул. Минина, 1", author_name="Кто-то", author_contact="где-то")
    assert post(personas.client("citizen"), data, "json").status_code == 403
    assert written(media_root) == before


def test_operator_files_a_paper_appeal_with_address_only_then_registers_it(personas, media_root):
    operator = personas.client("operator")
    paper = {"category": Category.objects.get(code="social-benefits").pk, "channel": "paper",
             "text": "Прошу пересчитать компенсацию за отопление за прошлый год.", "address": "ул. Минина, 1",
             "author_name": "Сидорова Анна Павловна", "author_contact": "ул. Минина, 1, кв. 2",
             "attachments": [upload(b"%PDF-1.4 scan", "scan.pdf", "application/pdf")]}
    response = operator.post(URL, paper)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["geometry"] is None
    assert body["properties"]["status"] == Status.SUBMITTED and body["properties"]["deadline_at"] is None
    assert body["properties"]["author"] == {"name": "Сидорова Анна Павловна", "contact": "ул. Минина, 1, кв. 2"}
    assert body["properties"]["location_source"] == "address" and body["properties"]["channel"] == "paper"
    appeal_id = body["id"]
    assert AppealAttachment.objects.filter(appeal_id=appeal_id).count() == 1
    # not public until registered; the citizen may not register it
    assert personas.client("anonymous").get(f"{URL}{appeal_id}/").status_code == 404
    assert personas.client("citizen").post(f"{URL}{appeal_id}/register/").status_code == 404
    registered = operator.post(f"{URL}{appeal_id}/register/")
    assert registered.status_code == 200, registered.content
    props = registered.json()["properties"]
    assert props["status"] == Status.ROUTED and props["agency"] == "Минсоцполитики"
    assert dt.datetime.fromisoformat(props["deadline_at"]).astimezone(MOSCOW).date() == (
        dt.datetime.fromisoformat(props["registered_at"]).astimezone(MOSCOW).date() + dt.timedelta(days=30))
    assert list(Appeal.objects.get(pk=appeal_id).events.values_list("kind", flat=True)) == [
        "submit", "register", "route"]
    assert operator.post(f"{URL}{appeal_id}/register/").status_code == 409  # once only


# --- filters, pagination, GeoJSON ----------------------------------------------------------------

@pytest.fixture
def spread(personas) -> dict[str, Appeal]:
    now = timezone.now()
    appeals = {
        "light": make_appeal(personas.citizen, "light-street", district="centralny"),
        "pothole": make_appeal(personas.citizen, "roads-potholes", district="sormovsky",
                               text="Яма на проезжей части у дома 3.", received_at=now - dt.timedelta(days=20)),
        "sidewalk": make_appeal(personas.other_citizen, "roads-sidewalk", district="avtozavodsky",
                                text="Разбит тротуар вдоль школы."),
        "heat": make_appeal(personas.other_citizen, "heat-outage", district="sormovsky",
                            location=Point(point_in("sormovsky").x + 0.003, point_in("sormovsky").y, srid=4326),
                            text="Нет отопления в квартире третий день."),
        "hidden": make_appeal(personas.citizen, "transport-schedule", district="centralny",
                              text="Автобус 12 не пришёл утром."),
        "rejected": make_appeal(personas.citizen, "transport-schedule", district="nagorny",
                                text="Реклама реклама реклама реклама."),
    }
    actions.accept_appeal(appeals["pothole"], actor=personas.executor_a)
    actions.accept_appeal(appeals["sidewalk"], actor=personas.executor_a)
    actions.answer_appeal(appeals["sidewalk"], actor=personas.executor_a, text="Тротуар отремонтирован.",
                          result="measures_taken")
    Appeal.objects.filter(pk=appeals["heat"].pk).update(deadline_at=now - dt.timedelta(hours=2))
    actions.moderate_appeal(appeals["hidden"], actor=personas.moderator, is_public=False, reason="личные данные")
    actions.reject_appeal(appeals["rejected"], actor=personas.moderator, reason="spam")
    return {name: Appeal.objects.get(pk=a.pk) for name, a in appeals.items()}


def ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {f["id"] for f in response.json()["features"]}


def test_filters(spread):
    client = Client()
    s = {name: a.pk for name, a in spread.items()}
    public = {s["light"], s["pothole"], s["sidewalk"], s["heat"]}
    assert ids(client.get(URL)) == public  # hidden and rejected never listed
    # bbox around the pothole only (west,south,east,north)
    p = spread["pothole"].location
    assert ids(client.get(URL, {"bbox": f"{p.x - 0.0005},{p.y - 0.0005},{p.x + 0.0005},{p.y + 0.0005}"})) == {
        s["pothole"]}
    assert ids(client.get(URL, {"bbox": "43.0,50.0,43.1,50.1"})) == set()
    assert ids(client.get(URL, {"district": "sormovsky"})) == {s["pothole"], s["heat"]}
    roads = Category.objects.get(code="roads").pk  # the parent brings its children
    assert ids(client.get(URL, {"category": roads})) == {s["pothole"], s["sidewalk"]}
    sidewalk = Category.objects.get(code="roads-sidewalk").pk
    assert ids(client.get(URL, {"category": sidewalk})) == {s["sidewalk"]}
    assert ids(client.get(URL, {"status": "accepted,answered"})) == {s["pothole"], s["sidewalk"]}
    assert ids(client.get(URL, {"status": "routed"})) == {s["light"], s["heat"]}
    roads_agency = Agency.objects.get(short_name="Комдорхоз").pk
    assert ids(client.get(URL, {"agency": roads_agency})) == {s["pothole"], s["sidewalk"]}
    ten_days_ago = (timezone.now() - dt.timedelta(days=10)).isoformat()
    assert ids(client.get(URL, {"received_before": ten_days_ago})) == {s["pothole"]}
    assert ids(client.get(URL, {"received_after": ten_days_ago})) == public - {s["pothole"]}
    assert ids(client.get(URL, {"overdue": "true"})) == {s["heat"]}
    assert ids(client.get(URL, {"overdue": "false"})) == public - {s["heat"]}
    assert ids(client.get(URL, {"district": "sormovsky", "status": "routed", "overdue": "true"})) == {s["heat"]}
    # malformed filters are field errors, not silently ignored
    for bad, field in [({"bbox": "1,2,3"}, "bbox"), ({"bbox": "44.1,56.3,44.0,56.4"}, "bbox"),
                       ({"status": "routed,nonsense"}, "status"), ({"received_after": "yesterday"}, "received_after"),
                       ({"category": "roads"}, "category")]:
        assert_field_errors(client.get(URL, bad), field)


def test_pagination(personas):
    for i in range(5):
        make_appeal(personas.citizen, "transport-schedule", text=f"Автобус {i + 1} не ходит вечером.")
    client = Client()
    first = client.get(URL, {"page_size": 2}).json()
    assert first["type"] == "FeatureCollection" and first["count"] == 5 and len(first["features"]) == 2
    assert first["previous"] is None and first["next"]
    seen = [f["id"] for f in first["features"]]
    page = first
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [f["id"] for f in page["features"]]
    assert sorted(seen) == sorted(Appeal.objects.values_list("pk", flat=True)) and len(set(seen)) == 5
    assert client.get(URL, {"page_size": 2, "page": 99}).status_code == 404
    assert first["count_capped"] is False


def test_the_count_stops_at_the_cap_and_so_do_the_pages(personas, settings):
    """At ten million appeals an exact count of a dense extent cost 1.9 s for a 51-ms page: the
    count goes up to API_COUNT_CAP, says when it stopped, and the pages end there."""
    for i in range(5):
        make_appeal(personas.citizen, "transport-schedule", text=f"Автобус {i + 1} не ходит вечером.")
    settings.API_COUNT_CAP = 3
    client = Client()
    first = client.get(URL, {"page_size": 2}).json()
    assert first["count"] == 3 and first["count_capped"] is True and len(first["features"]) == 2
    second = client.get(first["next"]).json()
    assert len(second["features"]) == 1 and second["next"] is None  # the list ends at the cap
    past = client.get(URL, {"page_size": 2, "page": 3})
    assert past.status_code == 404 and "не больше первых 3 обращений" in past.json()["detail"]
    english = client.get(URL, {"page_size": 2, "page": 3}, headers={"accept-language": "en"})
    assert "no more than the first 3 appeals" in english.json()["detail"]
    settings.API_COUNT_CAP = 5  # as many as there are: exact again
    exact = client.get(URL, {"page_size": 2}).json()
    assert exact["count"] == 5 and exact["count_capped"] is False


def test_geojson_feature_collection_shape(spread):
    body = Client().get(URL).json()
    assert body["type"] == "FeatureCollection" and isinstance(body["features"], list)
    for feature in body["features"]:
        assert feature["type"] == "Feature" and set(feature) >= {"id", "geometry", "properties"}
        geometry = feature["geometry"]
        assert geometry["type"] == "Point" and len(geometry["coordinates"]) == 2
        lon, lat = geometry["coordinates"]
        expected = Appeal.objects.get(pk=feature["id"]).location
        assert (lon, lat) == pytest.approx((expected.x, expected.y), abs=1e-9)
        props = feature["properties"]
        assert props["number"].startswith("А-") and props["status"] in Status.values
        assert props["sla"] in ("on_track", "due_soon", "overdue", "none")


# --- query counts ----------------------------------------------------------------------------------

def _make_many(personas, n: int) -> None:
    for i in range(n):
        appeal = make_appeal(personas.citizen if i % 2 else personas.other_citizen,
                             "light-street" if i % 3 else "roads-potholes",
                             district=["centralny", "sormovsky", "nagorny"][i % 3],
                             text=f"Проблема у дома номер {i + 1} на улице.")
        # a processed photo per appeal, so the serializer has photos to show
        AppealPhoto.objects.filter(appeal=appeal).update(public_copy=f"public/appeals/{appeal.pk}.jpg",
                                                         thumbnail=f"public/appeals/thumbs/{appeal.pk}.jpg")


@pytest.mark.parametrize(("who", "params"), [("anonymous", {}), ("operator", {"scope": "work"}),
                                             ("citizen", {"scope": "mine"}), ("anonymous", {"category": 1})])
def test_list_query_count_is_the_same_for_5_and_25_appeals(personas, django_assert_num_queries, who, params):
    if "category" in params:
        params = {"category": Category.objects.get(code="lighting").pk}
    client = personas.client(who)
    _make_many(personas, 5)
    with CaptureQueriesContext(connection) as five:
        small = client.get(URL, params)
    assert small.status_code == 200 and small.json()["features"]
    _make_many(personas, 20)
    with django_assert_num_queries(len(five.captured_queries)):
        large = client.get(URL, params)
    assert len(large.json()["features"]) > len(small.json()["features"])
    assert any(f["properties"]["photos"] for f in large.json()["features"])


# --- nearby, schema, tokens ------------------------------------------------------------------------

def test_nearby_offers_open_appeals_of_the_category_within_the_radius(personas):
    base = point_in("centralny")
    near = make_appeal(personas.citizen, "transport-schedule", location=Point(base.x + 0.001, base.y, srid=4326),
                       text="Автобус 7 не приходит по расписанию.")  # ~60 m east
    make_appeal(personas.citizen, "transport-schedule", location=Point(base.x + 0.01, base.y, srid=4326),
                text="Автобус 8 не приходит по расписанию.")  # ~600 m east
    make_appeal(personas.citizen, "transport-stop", location=base, text="Разбит остановочный павильон.")
    category = Category.objects.get(code="transport-schedule").pk
    found = Client().get(f"{URL}nearby/", {"lat": base.y, "lon": base.x, "category": category}).json()
    assert [f["id"] for f in found["features"]] == [near.pk]
    assert Client().get(f"{URL}nearby/", {"lat": "x", "lon": 1, "category": 1}).status_code == 400
    assert Client().get(f"{URL}nearby/", {"lat": 95, "lon": 44, "category": category}).status_code == 400


def test_openapi_schema_and_offline_docs():
    schema = Client().get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in ("/api/v1/appeals/", "/api/v1/appeals/{id}/", "/api/v1/appeals/{id}/answer/",
                 "/api/v1/appeals/{id}/rate/", "/api/v1/appeals/nearby/", "/api/v1/categories/",
                 "/api/v1/agencies/", "/api/v1/districts/", "/api/v1/notifications/"):
        assert path in paths, path
    docs = Client().get("/api/v1/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/" in docs and "cdn" not in docs.lower()


def test_token_authentication(personas):
    from rest_framework.authtoken.models import Token

    assert Client().post("/api/v1/auth/token/", {"username": "citizen", "password": "wrong"}).status_code == 400
    token = Client().post("/api/v1/auth/token/", {"username": "citizen", "password": "demo12345"})
    assert token.status_code == 200
    key = token.json()["token"]
    assert Token.objects.get(key=key).user == personas.citizen
    created = Client().post(URL, json.dumps(payload()), content_type="application/json",
                            HTTP_AUTHORIZATION=f"Token {key}")
    assert created.status_code == 201
    mine = Client().get(URL, {"scope": "mine"}, HTTP_AUTHORIZATION=f"Token {key}")
    assert ids(mine) == {created.json()["id"]}
    # a bad token is refused (DRF answers 403, not 401, because session authentication comes first)
    refused = Client().get(URL, {"scope": "mine"}, HTTP_AUTHORIZATION="Token nonsense")
    assert refused.status_code in (401, 403) and "features" not in refused.json()
