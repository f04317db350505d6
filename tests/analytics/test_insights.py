"""Hotspots, rising topics and repeat locations on the fixed dataset."""
from __future__ import annotations

import datetime as dt
import math

import pytest

from tests.issues.helpers import make_appeal

from .conftest import END, T0

pytestmark = pytest.mark.django_db


def test_hotspots_find_the_two_clusters_with_their_dominant_categories(dataset, personas):
    body = personas.client("leader").get("/api/v1/stats/hotspots", {
        "days": 60, "eps": 50, "minpoints": 3, "until": END.isoformat()}).json()
    clusters = body["clusters"]
    assert [c["count"] for c in clusters] == [5, 3]
    central, sormovo = clusters
    assert central["district"] == "Центральный" and sormovo["district"] == "Сормовский"
    assert [(d["category"], d["count"]) for d in central["dominant_categories"]] == [
        ("Ямы и выбоины на дороге", 3), ("Не горит уличный фонарь", 2)]
    assert central["dominant_categories"][0]["share"] == pytest.approx(0.6)
    location = dataset["A1"].location
    assert central["lon"] == pytest.approx(location.x, abs=1e-5) and central["lat"] == pytest.approx(location.y,
                                                                                                     abs=1e-5)
    public = personas.client("anonymous").get("/api/v1/stats/hotspots", {
        "days": 60, "eps": 50, "minpoints": 3, "until": END.isoformat()}).json()
    assert [c["count"] for c in public["clusters"]] == [4, 3]  # A8 is hidden
    assert personas.client("leader").get("/api/v1/stats/hotspots", {"eps": "-1"}).status_code == 400
    assert body["minpoints"] == body["minpoints_asked"] == 3  # sparse data: the density floor stays below 3


def test_hotspot_cores_stay_denser_than_the_territory_however_many_appeals(dataset, personas):
    """minpoints is raised to ``density`` times the points an eps-disc holds on average over the
    districts' area: a wide eps over the same points then finds no core, while minpoints alone
    merges everything into one cluster (what 20 points in 100 m did to a city at 10M appeals)."""
    from django.db import connection

    from analytics.insights import metric_srid
    from issues.models import Appeal

    query = {"days": 60, "eps": 5000, "minpoints": 2, "until": END.isoformat()}
    alone = personas.client("leader").get("/api/v1/stats/hotspots", {**query, "density": 0}).json()
    raised = personas.client("leader").get("/api/v1/stats/hotspots", query).json()
    assert alone["minpoints"] == 2 and len(alone["clusters"]) >= 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT sum(ST_Area(ST_Transform(boundary, %s))) FROM geoportal_district", [metric_srid()])
        area = cursor.fetchone()[0]
    points = Appeal.objects.filter(location__isnull=False, received_at__gte=END - dt.timedelta(days=60),
                                   received_at__lt=END).count()
    expected = math.ceil(5 * points * math.pi * 5000 ** 2 / area)
    assert expected > 2 and raised["density"] == 5
    assert raised["minpoints"] == expected and raised["minpoints_asked"] == 2
    assert all(c["count"] >= expected for c in raised["clusters"])
    assert sum(c["count"] for c in raised["clusters"]) < sum(c["count"] for c in alone["clusters"])


def test_rising_topics_against_the_trailing_norm(personas, clock, dataset):
    # six potholes, one per 30-day window before the current window (t0−165 d … t0−15 d)
    for k in range(6):
        clock.at(T0 - dt.timedelta(days=165 - 30 * k))
        make_appeal(personas.citizen, "roads-potholes", district="prioksky", text=f"Старая яма номер {k} у дома.")
    clock.at(END)
    body = personas.client("leader").get("/api/v1/stats/rising", {"as_of": END.isoformat()}).json()
    topics = {t["category"]: t for t in body["topics"]}
    potholes = topics["Ямы и выбоины на дороге"]
    # no earlier year in the data → trailing norm: 6 appeals over the 165 days covered = 5.5 windows
    assert potholes["method"] == "trailing" and potholes["current"] == 5
    assert potholes["norm"] == pytest.approx(6 / 5.5, abs=0.01)
    assert potholes["rising"] is True
    assert topics["Не горит уличный фонарь"]["rising"] is False  # 3 < min_count
    assert body["topics"][0]["category"] == "Ямы и выбоины на дороге"


def test_rising_topics_use_the_same_window_of_previous_years(personas, clock, region):
    clock.at(T0 - dt.timedelta(days=365 * 2 + 20))  # history starts two years back
    make_appeal(personas.citizen, "light-park", text="Тёмная аллея в парке два года назад.")
    for years_back in (1, 2):
        clock.at(T0.replace(year=T0.year - years_back) + dt.timedelta(days=3))
        for i in range(4):
            make_appeal(personas.citizen, "roads-potholes", text=f"Яма сезонная номер {i} у дома.")
    clock.at(T0 + dt.timedelta(days=3))
    for i in range(5):
        make_appeal(personas.citizen, "roads-potholes", text=f"Яма этого года номер {i} у дома.")
    clock.at(END)
    body = personas.client("leader").get("/api/v1/stats/rising", {"as_of": END.isoformat()}).json()
    potholes = next(t for t in body["topics"] if t["category"] == "Ямы и выбоины на дороге")
    assert potholes["method"] == "seasonal" and potholes["basis"] == 2
    assert potholes["norm"] == pytest.approx(4.0) and potholes["current"] == 5
    assert potholes["rising"] is False  # 5 against a seasonal norm of 4 is not growth


def test_repeat_locations_after_an_answer(dataset, personas, clock):
    clock.at(END + dt.timedelta(days=1))
    later = make_appeal(personas.other_citizen, "roads-potholes", text="Яма снова появилась на том же месте.")
    body = personas.client("leader").get("/api/v1/stats/repeats", {"radius": 30}).json()
    earlier = {p["number"] for p in body["places"]}
    # A1, A2 and A3 were answered before; A6 never was; A7 is not answered either
    assert earlier == {dataset[n].number for n in ("A1", "A2", "A3")}
    assert all(p["later_numbers"] == [later.number] and p["repeats"] == 1 for p in body["places"])
    assert personas.client("leader").get("/api/v1/stats/repeats", {"radius": "x"}).status_code == 400
