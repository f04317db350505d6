"""Agency scorecards and satisfaction aggregates against the hand-computed dataset."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_scorecard_figures_composite_and_league(dataset, personas, settings):
    settings.ANALYTICS_SCORECARD_MIN_VOLUME = 1
    settings.ANALYTICS_SCORECARD_MIN_RATED = 1
    body = personas.client("leader").get("/api/v1/stats/agencies", {"period": "2026-Q3"}).json()
    assert body["weights"] == {"on_time": 0.35, "satisfaction": 0.25, "speed": 0.15, "routing": 0.10,
                               "reopened": 0.10, "repeated": 0.05}
    cards = {c["agency"]: c for c in body["agencies"]}
    roads = cards["Комдорхоз"]
    assert roads["volume"] == 7
    assert roads["on_time_share"] == pytest.approx(3 / 6, abs=1e-4)  # A1, A3, A4 of A1–A6
    assert roads["median_days"] == pytest.approx(9.0)  # 2, 5, 9, 16, 22
    assert roads["overdue"] == 3 and roads["redirect_share"] == pytest.approx(2 / 7, abs=1e-4)
    assert roads["reopened_share"] == pytest.approx(1 / 7, abs=1e-4) and roads["repeated_share"] == 0
    assert roads["satisfaction_avg"] == pytest.approx(3.25)
    # 100 × (0.35·0.5 + 0.25·(3.25−1)/4 + 0.15·(1 − 9/30) + 0.10·(1 − 2/7) + 0.10·(1 − 1/7) + 0.05·1)
    assert roads["composite"] == pytest.approx(62.8, abs=0.05)
    light = cards["Горсвет"]
    # no ratings: the weights of the present components are renormalised
    # (0.35·1 + 0.15·(1 − 1/30) + 0.10·1 + 0.10·1 + 0.05·0) / 0.75
    assert light["composite"] == pytest.approx(92.7, abs=0.05)
    assert [c["agency"] for c in body["agencies"]] == ["Горсвет", "Комдорхоз"]
    assert (light["rank"], roads["rank"]) == (1, 2)
    july = next(m for m in roads["trend"] if m["month"] == "2026-07")
    assert len(roads["trend"]) == 12 and roads["trend"][-1]["month"] == "2026-09"
    assert july["count"] == 7 and july["on_time_share"] == pytest.approx(0.5)
    # the drill-down link lists exactly the agency's appeals of the period
    listed = personas.client("leader").get(roads["appeals_url"]).json()
    assert len(listed["features"]) == 7


def test_small_agencies_are_shown_but_not_ranked(dataset, personas):
    body = personas.client("anonymous").get("/api/v1/stats/agencies", {"period": "2026-Q3"}).json()
    assert body["scope"] == "public" and body["min_volume"] == 10
    assert all(card["rank"] is None for card in body["agencies"])
    assert "scope=work" not in body["agencies"][0]["appeals_url"]


def test_scorecards_take_two_queries_and_reject_bad_periods(dataset, personas, django_assert_num_queries):
    client = personas.client("anonymous")
    with django_assert_num_queries(2):  # the period's figures, the monthly trend
        assert client.get("/api/v1/stats/agencies", {"period": "2026-07"}).status_code == 200
    for bad in ("2026-Q0", "26-Q1", "2026-13", "next"):
        response = client.get("/api/v1/stats/agencies", {"period": bad})
        assert response.status_code == 400 and "period" in response.json()
    assert client.get("/api/v1/stats/agencies", {"colour": "red"}).status_code == 400


def test_satisfaction_per_agency_category_and_district(dataset, personas, django_assert_num_queries):
    leader = personas.client("leader")
    with django_assert_num_queries(3):
        body = leader.get("/api/v1/stats/satisfaction", {"by": "agency"}).json()
    rows = {r["agency_label"]: r for r in body["results"] if r["level"] == "row"}
    roads = rows["Комдорхоз"]
    assert roads["rated"] == 4 and roads["satisfaction_avg"] == pytest.approx(3.25)
    assert [roads[f"satisfaction_{n}"] for n in range(1, 6)] == [1, 0, 1, 1, 1]
    assert roads["solved_share"] == pytest.approx(0.75)
    assert roads["politeness_avg"] == pytest.approx(4.5) and roads["timeliness_avg"] == pytest.approx(3.5)
    assert roads["reopened"] == 1
    by_district = leader.get("/api/v1/stats/satisfaction", {"by": "district"}).json()
    district_rows = {r["district_label"]: r for r in by_district["results"] if r["level"] == "row"}
    assert district_rows["Центральный"]["rated"] == 4 and district_rows["Сормовский"]["rated"] == 0
    by_category = leader.get("/api/v1/stats/satisfaction", {"by": "category"}).json()
    category_rows = {r["category_label"]: r for r in by_category["results"] if r["level"] == "row"}
    assert category_rows["Не горит уличный фонарь"]["satisfaction_avg"] == pytest.approx(3.0)
    assert leader.get("/api/v1/stats/satisfaction", {"by": "mood"}).status_code == 400
