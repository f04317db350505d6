"""Vector tiles of appeals and districts: decoded features, public attributes only, the API's
filters, clusters, one query per uncached tile, cache hits, ETag and bad input."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from geoportal.models import Agency, CitizenProfile
from issues import actions
from issues.models import Appeal, Category
from tests.issues.helpers import make_appeal, point_in
from tiles import aggregates, cache
from tiles.grid import tiles_for_point
from tiles.layers import project_model
from tiles.models import AppealCellAggregate

from .conftest import decode, features, fetch, tile_of

pytestmark = pytest.mark.django_db

SECRET_NAME = "Зюзюкина Аглая Пафнутьевна"
SECRET_EMAIL = "aglaya.secret@example.org"
SECRET_TEXT = "ТАЙНЫЙ-ТЕКСТ-7731 у подъезда моей квартиры 12"
OPERATOR_NAME = "Евлампий Кузьмич Пафнутьев"
OPERATOR_CONTACT = "+7 999 555-12-34"
POINT_KEYS = {"status", "category_id"}  # the rest is fetched on click by the feature id


@pytest.fixture
def city(personas: Any) -> dict[str, Appeal]:
    """Public appeals in three districts plus three that must never show: a submitted one,
    a rejected one and one hidden by a moderator."""
    CitizenProfile.objects.filter(user=personas.citizen).update(full_name=SECRET_NAME, email=SECRET_EMAIL)
    light = make_appeal(personas.citizen, "light-street", text=SECRET_TEXT, text_is_private=True)
    pothole = make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге у остановки автобуса.")
    actions.accept_appeal(pothole, actor=personas.executor_a)
    heat = make_appeal(personas.other_citizen, "heat-outage", district="sormovsky",
                       text="Нет отопления в доме третий день.",
                       received_at=timezone.now() - dt.timedelta(days=400))
    phone = actions.submit_appeal(author=None, actor=personas.operator, channel="phone",
                                  category=Category.objects.get(code="yard-cleaning"),
                                  text="Двор не убирают с начала месяца.", location=point_in("leninsky"),
                                  author_name=OPERATOR_NAME, author_contact=OPERATOR_CONTACT)
    submitted = actions.submit_appeal(author=None, actor=personas.operator, channel="phone",
                                      category=Category.objects.get(code="yard-cleaning"),
                                      text="Ещё не зарегистрированное обращение.", location=point_in("leninsky"),
                                      author_name=OPERATOR_NAME, author_contact=OPERATOR_CONTACT)
    actions.register_appeal(phone, actor=personas.operator)
    rejected = make_appeal(personas.other_citizen, "light-street", district="sormovsky",
                           text="Спам спам спам спам спам.")
    actions.reject_appeal(rejected, actor=personas.moderator, reason="spam")
    hidden = make_appeal(personas.other_citizen, "light-street", district="sormovsky",
                         text="Обращение, скрытое модератором.")
    actions.moderate_appeal(hidden, actor=personas.moderator, is_public=False, reason="персональные данные")
    return {name: Appeal.objects.get(pk=a.pk) for name, a in {
        "light": light, "pothole": pothole, "heat": heat, "phone": phone, "submitted": submitted,
        "rejected": rejected, "hidden": hidden}.items()}


def numbers_on_map(client: Any, appeals: dict[str, Appeal], z: int = 14, **params: Any) -> set[str]:
    """Numbers of the appeals found in the point tiles covering all the given appeals."""
    tiles = {tile_of(a.location, z) for a in appeals.values()}
    ids: set[int] = set()
    for tile in tiles:
        ids |= {f["id"] for f in features(fetch(client, "appeals", tile, **params), "appeals")}
    numbers = dict(Appeal.objects.filter(pk__in=ids).values_list("pk", "number"))
    assert set(numbers) == ids  # every feature id is an appeal
    return set(numbers.values())


def cluster_features(client: Any, appeals: dict[str, Appeal], z: int, **params: Any) -> list[dict[str, Any]]:
    tiles = {tile_of(a.location, z) for a in appeals.values()}
    found: list[dict[str, Any]] = []
    for tile in sorted(tiles, key=lambda t: (t.x, t.y)):
        found += features(fetch(client, "appeals", tile, **params), "appeal_clusters")
    return found


def public_ones(city: dict[str, Appeal]) -> set[str]:
    return {city[k].number for k in ("light", "pothole", "heat", "phone")}


def test_point_tile_has_public_attributes_and_no_personal_data(client, city):
    light = city["light"]
    response = fetch(client, "appeals", tile_of(light.location, 16))
    found = {f["id"]: f for f in features(response, "appeals")}
    assert light.pk in found
    feature = found[light.pk]
    assert set(feature["properties"]) == POINT_KEYS
    assert feature["properties"] == {"status": "routed", "category_id": light.category_id}
    phone_response = fetch(client, "appeals", tile_of(city["phone"].location, 16))
    assert city["phone"].pk in {f["id"] for f in features(phone_response, "appeals")}
    for body in (response.content, phone_response.content):
        for secret in (SECRET_NAME, SECRET_EMAIL, SECRET_TEXT, OPERATOR_NAME, OPERATOR_CONTACT, "citizen"):
            assert secret.encode() not in body


def test_only_public_appeals_reach_the_map(client, city):
    assert numbers_on_map(client, city) == public_ones(city)


def test_point_geometry_lands_where_the_appeal_is(client, city):
    light = city["light"]
    tile = tile_of(light.location, 18)
    feature = next(f for f in features(fetch(client, "appeals", tile), "appeals")
                   if f["id"] == light.pk)
    px, py = feature["geometry"]["coordinates"]
    # Decoded MVT coordinates are in tile units with y pointing up (0..4096).
    from tiles.grid import ORIGIN, lonlat_to_mercator, tile_width
    mx, my = lonlat_to_mercator(light.location.x, light.location.y)
    width = tile_width(18)
    expected_x = (mx + ORIGIN - tile.x * width) / width * 4096
    expected_y = 4096 - (ORIGIN - my - tile.y * width) / width * 4096
    assert abs(px - expected_x) <= 1 and abs(py - expected_y) <= 1


def test_filters_match_the_api(client, city, personas):
    everything = public_ones(city)
    roads = Category.objects.get(code="roads")
    assert numbers_on_map(client, city, category=roads.pk) == {city["pothole"].number}
    assert numbers_on_map(client, city, category=city["light"].category_id) == {city["light"].number}
    assert numbers_on_map(client, city, status="accepted") == {city["pothole"].number}
    assert numbers_on_map(client, city, status="routed,accepted") == {
        a.number for a in city.values() if a.number in everything and a.status in ("routed", "accepted")}
    gorsvet = Agency.objects.get(short_name="Горсвет")
    assert numbers_on_map(client, city, agency=gorsvet.pk) == {city["light"].number}
    assert numbers_on_map(client, city, district="sormovsky") == {city["heat"].number}
    assert numbers_on_map(client, city, period="30d") == everything - {city["heat"].number}
    year_ago = timezone.localtime(city["heat"].received_at)
    assert numbers_on_map(client, city, period=f"{year_ago:%Y-%m}") == {city["heat"].number}
    # The same filters through the API give the same appeals.
    api = personas.client("anonymous").get("/api/v1/appeals/", {"district": "sormovsky"}).json()
    assert {f["properties"]["number"] for f in api["features"]} == {city["heat"].number}


def test_clusters_count_public_appeals_by_status(client, city):
    for z in (6, 9, 12):
        clusters = cluster_features(client, city, z)
        assert clusters, z
        assert sum(f["properties"]["count"] for f in clusters) == 4
        for feature in clusters:
            props = feature["properties"]
            statuses = {k: v for k, v in props.items() if k != "count"}
            assert sum(statuses.values()) == props["count"]
            assert set(statuses) <= {"registered", "routed", "accepted", "in_progress", "answered", "closed"}
        totals: dict[str, int] = {}
        for feature in clusters:
            for key, value in feature["properties"].items():
                if key != "count":
                    totals[key] = totals.get(key, 0) + value
        assert totals == Counter(a.status for a in city.values() if a.number in public_ones(city))
    # At cluster zooms the points layer is absent, and the reverse above.
    assert "appeals" not in decode(fetch(client, "appeals", tile_of(city["light"].location, 12)))
    assert "appeal_clusters" not in decode(fetch(client, "appeals", tile_of(city["light"].location, 13)))


def test_precomputed_clusters_equal_live_ones(client, city):
    cases: list[dict[str, Any]] = [{}, {"status": "routed"}, {"category": Category.objects.get(code="roads").pk},
                                   {"period": f"{timezone.localtime():%Y-%m}"}]
    # (a district, an agency or dates are refused at cluster zooms: tests/tiles/test_tile_abuse.py)
    live = {(z, i): cluster_features(client, city, z, **params) for z in (4, 10, 12) for i, params in
            enumerate(cases)}
    rows = aggregates.rebuild_all()
    assert rows > 0
    with connection.cursor() as cursor:  # analysed by the rebuild: the planner knows the new table at once
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
                       [AppealCellAggregate._meta.db_table])
        assert cursor.fetchone()[0] == rows
    cache.mark_aggregates_ready()  # on_commit does it in production; this test runs in a transaction
    for (z, i), expected in live.items():
        got = cluster_features(client, city, z, **cases[i])
        assert sorted(f["properties"]["count"] for f in got) == sorted(f["properties"]["count"] for f in expected)
        assert sorted(f["geometry"]["coordinates"] for f in got) == sorted(
            f["geometry"]["coordinates"] for f in expected)
        assert [f["properties"] for f in got] == [f["properties"] for f in expected]


def test_uncached_tile_is_one_query_and_cached_tile_none(client, city, django_assert_num_queries):
    lighting = Category.objects.get(code="lighting").pk
    for z in (16, 11):
        tile = tile_of(city["light"].location, z)
        with django_assert_num_queries(1):
            first = fetch(client, "appeals", tile, category=lighting)
        assert first["X-Tile-Cache"] == "MISS"
        with django_assert_num_queries(0):
            second = fetch(client, "appeals", tile, category=lighting)
        assert second["X-Tile-Cache"] == "HIT" and second.content == first.content
        other_filter = fetch(client, "appeals", tile, status="accepted")
        assert other_filter["X-Tile-Cache"] == "MISS"
    with django_assert_num_queries(1):
        decode(fetch(client, "districts", tile_of(city["light"].location, 10)))


def test_etag_and_if_none_match(client, city):
    tile = tile_of(city["light"].location, 15)
    first = fetch(client, "appeals", tile)
    etag = first["ETag"]
    assert etag.startswith('"') and len(etag) == 34
    assert "max-age" in first["Cache-Control"] and "public" in first["Cache-Control"]
    again = client.get(f"/tiles/appeals/{tile.z}/{tile.x}/{tile.y}.pbf", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    stale = client.get(f"/tiles/appeals/{tile.z}/{tile.x}/{tile.y}.pbf", HTTP_IF_NONE_MATCH='"0000"')
    assert stale.status_code == 200 and stale.content == first.content
    filtered = fetch(client, "appeals", tile, status="closed")
    assert filtered["ETag"] != etag


def test_empty_tile_is_empty_bytes(client, city):
    response = client.get("/tiles/appeals/16/0/0.pbf")
    assert response.status_code == 200 and response.content == b"" and decode(response) == {}


@pytest.mark.parametrize(("url", "status", "field"), [
    ("/tiles/appeals/19/0/0.pbf", 400, "z"),
    ("/tiles/appeals/3/8/0.pbf", 400, "x"),
    ("/tiles/appeals/3/0/8.pbf", 400, "y"),
    ("/tiles/appeals/3/0/0.pbf?status=lost", 400, "status"),
    ("/tiles/appeals/3/0/0.pbf?category=roads", 400, "category"),
    ("/tiles/appeals/3/0/0.pbf?period=last-week", 400, "period"),
    ("/tiles/appeals/3/0/0.pbf?period=2025-06..2025-01", 400, "period"),
    ("/tiles/appeals/3/0/0.pbf?agency=x", 400, "agency"),
    ("/tiles/buildings/3/0/0.pbf", 404, "detail"),
    ("/tiles/buildings.json", 404, "detail"),
])
def test_bad_tile_requests(client, region, url, status, field):
    response = client.get(url)
    assert response.status_code == status
    assert field in response.json()


@pytest.mark.parametrize("url", ["/tiles/appeals/3/x/0.pbf", "/tiles/appeals/-1/0/0.pbf", "/tiles/appeals/3/0/0.png"])
def test_malformed_tile_paths_are_not_found(client, region, url):
    assert client.get(url).status_code == 404


def test_tiles_are_read_only(client, region):
    assert client.post("/tiles/appeals/3/0/0.pbf").status_code == 405


def test_projects_layer_is_served_only_with_a_real_model(client, region):
    response = client.get("/tiles/projects/10/637/317.pbf")
    if project_model() is None:
        assert response.status_code == 404
        assert "Project" in response.json()["detail"]
        assert client.get("/tiles/projects.json").status_code == 404
    else:
        assert response.status_code == 200
        assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"


def test_districts_layer(client, city):
    from geoportal.models import District

    names: set[str] = set()
    for district in District.objects.all():
        point = district.boundary.point_on_surface
        for tile in tiles_for_point(point.x, point.y, range(11, 12)):
            for feature in features(fetch(client, "districts", tile), "districts"):
                names.add(feature["properties"]["name"])
                assert set(feature["properties"]) == {"name", "code", "population"}
                assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert names == set(District.objects.values_list("name", flat=True))


def test_tilejson_describes_the_layer_and_keeps_filters(client, city):
    doc = client.get("/tiles/appeals.json", {"status": "routed", "period": "2025"}).json()
    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"][0].startswith("http://testserver/tiles/appeals/{z}/{x}/{y}.pbf?")
    assert "status=routed" in doc["tiles"][0] and "period=" in doc["tiles"][0]
    assert [layer["id"] for layer in doc["vector_layers"]] == ["appeal_clusters", "appeals"]
    # clusters reach every zoom (dense point tiles are thinned to them); points start above z12
    assert doc["vector_layers"][0]["maxzoom"] == 18 and doc["vector_layers"][1]["minzoom"] == 13
    west, south, east, north = doc["bounds"]
    assert west < 44.0059 < east and south < 56.3269 < north
    assert client.get("/tiles/appeals.json", {"status": "nope"}).status_code == 400
    districts = client.get("/tiles/districts.json").json()
    assert districts["vector_layers"][0]["id"] == "districts" and "filters" not in districts
