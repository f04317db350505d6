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
    # the period's figures, the monthly trend (each after a look whether the appeal facts are built)
    with django_assert_num_queries(4):
        assert client.get("/api/v1/stats/agencies", {"period": "2026-07"}).status_code == 200
    for bad in ("2026-Q0", "26-Q1", "2026-13", "next"):
        response = client.get("/api/v1/stats/agencies", {"period": bad})
        assert response.status_code == 400 and "period" in response.json()
    assert client.get("/api/v1/stats/agencies", {"colour": "red"}).status_code == 400


def test_satisfaction_per_agency_category_and_district(dataset, personas, django_assert_num_queries):
    leader = personas.client("leader")
    with django_assert_num_queries(4):  # session, user, the look at the facts, the statement
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


def _listed(html):
    import re

    section = html.split('id="appeals"', 1)[1]
    return re.findall(r'<li data-appeal="(\d+)"><a href="/appeals/\d+/"><b>([^<]+)</b>', section)


@pytest.mark.parametrize("who", ["anonymous", "leader"])
def test_drill_down_from_the_league_table_to_the_appeals_behind_each_figure(dataset, personas, who, settings):
    settings.ANALYTICS_SCORECARD_MIN_VOLUME = 1
    client = personas.client(who)
    league = client.get("/stats/agencies/", {"period": "2026-Q3"}).content.decode()
    roads = dataset["A1"].responsible_agency_id
    assert f'href="/stats/agencies/{roads}/?period=2026-Q3"' in league
    assert f'href="/stats/agencies/{roads}/?period=2026-Q3&amp;show=overdue"' in league
    card = next(c for c in client.get("/api/v1/stats/agencies", {"period": "2026-Q3"}).json()["agencies"]
                if c["agency_id"] == roads)
    page = client.get(f"/stats/agencies/{roads}/", {"period": "2026-Q3"}).content.decode()
    listed = {number for _id, number in _listed(page)}
    # leader: A1–A7 (A8 belongs to Горсвет); the public: the same seven, all published
    assert listed == {dataset[n].number for n in ("A1", "A2", "A3", "A4", "A5", "A6", "A7")}
    assert len(listed) == card["volume"]
    overdue = {n for _i, n in _listed(client.get(f"/stats/agencies/{roads}/",
                                                 {"period": "2026-Q3", "show": "overdue"}).content.decode())}
    assert overdue == {dataset[n].number for n in ("A2", "A5", "A6")} and len(overdue) == card["overdue"]
    redirected = {n for _i, n in _listed(client.get(f"/stats/agencies/{roads}/",
                                                    {"period": "2026-Q3", "show": "redirected"}).content.decode())}
    assert redirected == {dataset["A4"].number, dataset["A5"].number}
    reopened = {n for _i, n in _listed(client.get(f"/stats/agencies/{roads}/",
                                                  {"period": "2026-Q3", "show": "reopened"}).content.decode())}
    assert reopened == {dataset["A3"].number}
    assert 'data-figure="volume">7<' in page and "<svg" in page  # the card and its 12-month trend
    assert "Сидоров" not in page and "Яма на дороге" not in page  # no names or texts


def test_drill_down_hides_unpublished_appeals_and_rejects_bad_parameters(dataset, personas):
    light = dataset["A8"].responsible_agency_id  # A8 is hidden by the moderator
    anonymous = personas.client("anonymous")
    assert _listed(anonymous.get(f"/stats/agencies/{light}/", {"period": "2026-Q3"}).content.decode()) == []
    leader_view = personas.client("leader").get(f"/stats/agencies/{light}/", {"period": "2026-Q3"}).content.decode()
    assert [n for _i, n in _listed(leader_view)] == [dataset["A8"].number]
    assert anonymous.get(f"/stats/agencies/{light}/", {"show": "secret"}).status_code == 400
    assert anonymous.get(f"/stats/agencies/{light}/", {"period": "2026-Q9"}).status_code == 400
    assert anonymous.get(f"/stats/agencies/{light}/", {"page": "0"}).status_code == 400
    assert anonymous.get("/stats/agencies/999999/").status_code == 404
