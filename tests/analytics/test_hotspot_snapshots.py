"""Hotspots of the default window served from the background task's snapshot
(analytics.hotspot_snapshots): the same clusters as computed live, per scope, dated, in the
page's language, and never once stale or for another window."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from analytics import insights
from analytics.tasks import snapshot_hotspots

from .conftest import END

pytestmark = pytest.mark.django_db
WINDOW = {"days": 60, "eps": 50, "minpoints": 3}  # the fixed dataset's clusters (test_insights.py)


@pytest.fixture
def small_window(settings):
    settings.ANALYTICS_HOTSPOTS_DEFAULTS = WINDOW
    settings.ANALYTICS_HOTSPOTS_MAX_AGE_S = 600


def hotspots(client, **extra: str) -> dict:
    response = client.get("/api/v1/stats/hotspots", {k: str(v) for k, v in {**WINDOW, **extra}.items()})
    assert response.status_code == 200, response.content
    return response.json()


def test_the_default_window_is_served_from_the_snapshot_as_computed_live(dataset, personas, clock, small_window):
    leader, anonymous = personas.client("leader"), personas.client("anonymous")
    live = {"all": hotspots(leader), "public": hotspots(anonymous)}
    assert live["all"]["as_of"] is None and [c["count"] for c in live["all"]["clusters"]] == [5, 3]
    assert snapshot_hotspots() == 2 + 2  # clusters stored, per scope
    clock.at(END + dt.timedelta(minutes=5))  # a request a little later reads the snapshot
    for scope, client in (("all", leader), ("public", anonymous)):
        served = hotspots(client)
        assert dt.datetime.fromisoformat(served["as_of"]) == END and served["scope"] == scope
        assert served["clusters"] == live[scope]["clusters"]  # A8 (hidden) only in the staff scope
    assert [c["count"] for c in hotspots(anonymous, limit=1)["clusters"]] == [4]
    assert hotspots(anonymous, until=END.isoformat())["as_of"] is None  # another window: live
    assert hotspots(anonymous, days=61)["as_of"] is None
    with translation.override("en"):
        english = insights.hotspots({k: str(v) for k, v in WINDOW.items()}, public=True)
    potholes = dataset["A1"].category
    assert english["as_of"] and potholes.name_en in {d["category"] for d in english["clusters"][0]["dominant_categories"]}
    clock.at(END + dt.timedelta(minutes=11))  # older than ANALYTICS_HOTSPOTS_MAX_AGE_S: computed live again
    assert hotspots(anonymous)["as_of"] is None

