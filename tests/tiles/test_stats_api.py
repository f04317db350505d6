"""Heatmap and choropleth APIs: counts add up, filters apply, one query, bad input → 400."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from geoportal.models import District
from issues.models import Appeal, Category
from tests.issues.helpers import make_appeal
from tiles import aggregates, cache
from tiles.filters import parse_period
from tiles.stats import period_heatmap

pytestmark = pytest.mark.django_db

CITY_BBOX = "43.7,56.1,44.3,56.5"


@pytest.fixture
def appeals(personas):
    made = [
        make_appeal(personas.citizen, "light-street", text="Не горит фонарь у дома номер 5."),
        make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге у остановки автобуса."),
        make_appeal(personas.other_citizen, "roads-potholes", district="sormovsky", text="Яма во дворе дома 7."),
        make_appeal(personas.other_citizen, "heat-outage", district="sormovsky", text="Нет отопления неделю."),
    ]
    return made


def test_heatmap_counts_public_appeals_in_the_viewport(client, appeals, django_assert_num_queries):
    with django_assert_num_queries(1):
        data = client.get("/api/v1/heatmap", {"bbox": CITY_BBOX, "z": 11}).json()
    assert data["total"] == 4 and data["source"] == "points"
    assert all(len(cell) == 3 and 56 < cell[0] < 57 and 43 < cell[1] < 45 for cell in data["cells"])
    assert data["max"] == max(c[2] for c in data["cells"])
    roads = Category.objects.get(code="roads").pk
    assert client.get("/api/v1/heatmap/", {"bbox": CITY_BBOX, "z": 11, "category": roads}).json()["total"] == 2
    elsewhere = client.get("/api/v1/heatmap", {"bbox": "30,50,31,51", "z": 9}).json()
    assert elsewhere["total"] == 0 and elsewhere["cells"] == []


def test_heatmap_from_aggregates_equals_live(client, appeals):
    live = client.get("/api/v1/heatmap", {"bbox": CITY_BBOX, "z": 8, "status": "routed"}).json()
    # the leadership report's period over the whole territory: the same cells as the map's z11
    year = {"bbox": CITY_BBOX, "z": 11, "period": str(timezone.localdate().year)}
    live_year = client.get("/api/v1/heatmap", year).json()
    start, end = parse_period(year["period"])
    assert period_heatmap(start, end) is None  # not built yet: the report counts live
    aggregates.rebuild_all()
    cache.mark_aggregates_ready()
    pre = client.get("/api/v1/heatmap", {"bbox": CITY_BBOX, "z": 8, "status": "routed"}).json()
    assert pre["source"] == "cells" and live["source"] == "points"  # a status filter: the per-status cells
    assert sorted(pre["cells"]) == sorted(live["cells"])
    report = period_heatmap(start, end)
    assert live_year["source"] == "points" and live_year["total"] == 4
    assert sorted(report["points"]) == sorted(live_year["cells"]) and report["cell_size_m"] == live_year["cell_size_m"]
    assert period_heatmap(start, start + dt.timedelta(days=3)) is None  # not whole months
    roads = Category.objects.get(code="roads").pk
    by_category = client.get("/api/v1/heatmap", {"bbox": CITY_BBOX, "z": 8, "category": roads}).json()
    assert by_category["source"] == "aggregates" and by_category["total"] == 2
    assert client.get("/api/v1/heatmap", {"bbox": CITY_BBOX, "z": 8, "district": "sormovsky"}).json()[
        "source"] == "points"


@pytest.mark.parametrize(("params", "field"), [
    ({"z": 11}, "bbox"),
    ({"bbox": CITY_BBOX}, "z"),
    ({"bbox": CITY_BBOX, "z": 40}, "z"),
    ({"bbox": "1,2,3", "z": 5}, "bbox"),
    ({"bbox": "-180,-85,180,85", "z": 12}, "bbox"),
    ({"bbox": CITY_BBOX, "z": 5, "period": "soon"}, "period"),
])
def test_heatmap_bad_input(client, region, params, field):
    response = client.get("/api/v1/heatmap", params)
    assert response.status_code == 400 and field in response.json()


def test_choropleth_per_1000_residents(client, appeals, django_assert_num_queries):
    with django_assert_num_queries(1):
        data = client.get("/api/v1/choropleth", {"metric": "per_1000"}).json()
    by_code = {f["properties"]["code"]: f for f in data["features"]}
    assert set(by_code) == set(District.objects.values_list("code", flat=True))
    for code, expected in (("centralny", 2), ("sormovsky", 2), ("leninsky", 0)):
        props = by_code[code]["properties"]
        population = District.objects.get(code=code).population
        assert props["count"] == expected and props["population"] == population
        assert props["per_1000"] == round(expected * 1000 / population, 2) == props["value"]
    assert by_code["centralny"]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    roads = Category.objects.get(code="roads").pk
    filtered = client.get("/api/v1/choropleth", {"category": roads, "metric": "count"}).json()
    counts = {f["properties"]["code"]: f["properties"]["value"] for f in filtered["features"]}
    assert counts["centralny"] == 1 and counts["sormovsky"] == 1 and sum(counts.values()) == 2
    assert sum(counts.values()) == Appeal.objects.public().filter(category__parent__code="roads").count()
    assert data["source"] == filtered["source"] == "points"


def test_choropleth_from_the_appeal_facts_equals_the_live_count(client, appeals, personas):
    hidden = make_appeal(personas.citizen, "roads-potholes", text="Яма у школы.")
    Appeal.objects.filter(pk=hidden.pk).update(is_public=False)  # a hidden appeal: in the facts, not public
    roads = Category.objects.get(code="roads").pk
    asked = [{}, {"category": roads}, {"status": "routed"}, {"period": timezone.localtime().strftime("%Y-%m")},
             {"district": "sormovsky"}]  # a district filter: the facts do not take it
    live = [client.get("/api/v1/choropleth", {"metric": "count", **q}).json() for q in asked]
    aggregates.rebuild_all()
    cache.mark_aggregates_ready()
    for query, before in zip(asked, live, strict=True):
        after = client.get("/api/v1/choropleth", {"metric": "count", **query}).json()
        assert before["source"] == "points"
        assert after["source"] == ("points" if "district" in query else "facts"), query
        assert after["features"] == before["features"], query
    assert sum(f["properties"]["count"] for f in live[0]["features"]) == 4


def test_choropleth_bad_metric(client, region):
    response = client.get("/api/v1/choropleth", {"metric": "per_capita"})
    assert response.status_code == 400 and "metric" in response.json()


def test_clusters_endpoint_counts_by_status_and_matches_the_tiles(client, appeals, django_assert_num_queries):
    with django_assert_num_queries(1):
        data = client.get("/api/v1/clusters", {"bbox": CITY_BBOX, "z": 10}).json()
    assert data["type"] == "FeatureCollection" and data["source"] == "points"
    assert data["total"] == 4 == sum(f["properties"]["count"] for f in data["features"])
    expected = {s: Appeal.objects.public().filter(status=s).count() for s in data["totals"]}
    assert data["totals"] == expected
    for feature in data["features"]:
        props = feature["properties"]
        assert props["count"] == sum(v for k, v in props.items() if k != "count")
    aggregates.rebuild_all()
    cache.mark_aggregates_ready()
    pre = client.get("/api/v1/clusters", {"bbox": CITY_BBOX, "z": 10}).json()
    assert pre["source"] == "cells" and pre["features"] == data["features"]
    high = client.get("/api/v1/clusters", {"bbox": CITY_BBOX, "z": 13, "status": "accepted"}).json()
    assert high["source"] == "cells" and high["total"] == 0
    by_agency = client.get("/api/v1/clusters", {"bbox": CITY_BBOX, "z": 13, "agency": 1}).json()
    assert by_agency["source"] == "points"
    assert client.get("/api/v1/clusters", {"z": 10}).status_code == 400
