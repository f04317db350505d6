"""Pivot statistics against the hand-computed figures of the fixed dataset (see conftest)."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from .conftest import CENTRALNY_POP, END, EXPECTED_ALL, SORMOVSKY_POP, TERRITORY_POP

pytestmark = pytest.mark.django_db

ALL_METRICS = ("count,share,answered,open,on_time_share,overdue,median_days,p90_days,redirects,redirected,"
               "redirect_share,repeated,reopened,rated,satisfaction_avg,satisfaction,solved_share,per_1000")


def get(client, **params):
    response = client.get("/api/v1/stats/appeals", params)
    assert response.status_code == 200, response.content
    return response.json()


def by_level(body, level):
    return [r for r in body["results"] if r["level"] == level]


def test_totals_match_hand_computed_figures(dataset, personas):
    body = get(personas.client("leader"), metrics=ALL_METRICS, period="2026-Q3")
    assert body["scope"] == "all"
    total = body["results"][-1]
    assert total["level"] == "total"
    for name, value in EXPECTED_ALL.items():
        assert total[name] == pytest.approx(value, abs=1e-4), name
    assert total["share"] == 1.0
    assert total["per_1000"] == pytest.approx(8 * 1000 / TERRITORY_POP, abs=1e-4)


def test_on_time_counts_the_extension_and_keeps_the_original_deadline_after_a_redirect(dataset, personas):
    leader = personas.client("leader")
    row = {r["category"]: r for r in by_level(get(leader, rows="category", metrics="count,on_time_share,overdue"),
                                              "row")}
    potholes = row[dataset["A1"].category_id]
    # A1 on time, A2 late, A3 on time only thanks to its extension, A6 open past the deadline, A7 not due
    assert potholes["count"] == 5 and potholes["on_time_share"] == pytest.approx(2 / 4, abs=1e-4) and potholes["overdue"] == 2
    light = row[dataset["A4"].category_id]
    # A4 answered before the original deadline after a redirect, A5 after it (late), A8 on time
    assert light["count"] == 3 and light["on_time_share"] == pytest.approx(2 / 3, abs=1e-4) and light["overdue"] == 1


def test_district_rows_columns_and_per_1000(dataset, personas):
    body = get(personas.client("leader"), rows="district", cols="month", metrics="count,per_1000,median_days")
    cells = {(r["district_label"], r["month"]): r for r in by_level(body, "cell")}
    assert cells[("Центральный", "2026-07")]["count"] == 5
    assert cells[("Сормовский", "2026-07")]["count"] == 3  # A5, A6, A7 (A7 received 07-31)
    rows = {r["district_label"]: r for r in by_level(body, "row")}
    assert rows["Центральный"]["per_1000"] == pytest.approx(5 * 1000 / CENTRALNY_POP, abs=1e-4)
    assert rows["Сормовский"]["per_1000"] == pytest.approx(3 * 1000 / SORMOVSKY_POP, abs=1e-4)
    # medians per district: centralny answers took 2, 16, 22, 5, 1 days; sormovsky only A5 (9 days)
    assert rows["Центральный"]["median_days"] == pytest.approx(5.0)
    assert rows["Сормовский"]["median_days"] == pytest.approx(9.0)
    cols = by_level(body, "col")
    assert [(c["month"], c["count"]) for c in cols] == [("2026-07", 8)]
    total = by_level(body, "total")[0]
    assert total["count"] == 8 and total["median_days"] == pytest.approx(7.0)
    # the grand total of per_1000 is over the whole territory's population
    assert total["per_1000"] == pytest.approx(8 * 1000 / TERRITORY_POP, abs=1e-4)


def test_agency_levels_and_classifier_section(dataset, personas):
    leader = personas.client("leader")
    rows = {r["agency_label"]: r["count"] for r in by_level(get(leader, rows="agency"), "row")}
    assert rows == {"Комдорхоз": 7, "Горсвет": 1}
    top = {r["agency_l1_label"]: r["count"] for r in by_level(get(leader, rows="agency_l1"), "row")}
    assert top == {"Администрация города": 8}
    sections = {r["classifier_section"]: (r["classifier_section_label"], r["count"])
                for r in by_level(get(leader, rows="classifier_section", cols="channel"), "row")}
    assert sections == {"0003": ("Экономика", 5), "0005": ("Жилищно-коммунальная сфера", 3)}


def test_public_figures_exclude_hidden_appeals(dataset, personas):
    for name in ("anonymous", "citizen"):
        body = get(personas.client(name), metrics="count,on_time_share,repeated")
        total = body["results"][-1]
        assert body["scope"] == "public"
        # A8 (hidden by the moderator) is not counted: 7 appeals, 3 of 6 due answered on time
        assert total["count"] == 7 and total["on_time_share"] == pytest.approx(3 / 6, abs=1e-4) and total["repeated"] == 0
    staff_public = get(personas.client("leader"), scope="public")
    assert staff_public["scope"] == "public" and staff_public["results"][-1]["count"] == 7
    assert personas.client("citizen").get("/api/v1/stats/appeals", {"scope": "all"}).status_code == 403


def test_filters(dataset, personas):
    leader = personas.client("leader")
    assert get(leader, district="sormovsky")["results"][-1]["count"] == 3
    potholes = dataset["A1"].category
    assert get(leader, category=potholes.parent_id)["results"][-1]["count"] == 5
    assert get(leader, status="answered,closed")["results"][-1]["count"] == 6
    assert get(leader, period="2026-Q2")["results"][-1]["count"] == 0
    assert get(leader, received_after="2026-07-20")["results"][-1]["count"] == 1
    assert get(leader, overdue="true")["results"][-1]["count"] == 1
    assert get(leader, kind="repeated")["results"][-1]["count"] == 1
    assert get(leader, classifier_section="0005")["results"][-1]["count"] == 3
    roads = dataset["A1"].responsible_agency
    assert get(leader, agency=roads.pk)["results"][-1]["count"] == 7
    assert get(leader, agency=roads.parent_id)["results"][-1]["count"] == 8  # with subordinate bodies


@pytest.mark.parametrize("params, field", [
    ({"rows": "district,bogus"}, "rows"),
    ({"cols": "planet"}, "cols"),
    ({"metrics": "count,happiness"}, "metrics"),
    ({"rows": "district", "cols": "district"}, "cols"),
    ({"period": "2026-Q5"}, "period"),
    ({"received_after": "yesterday"}, "received_after"),
    ({"status": "lost"}, "status"),
    ({"category": "abc"}, "category"),
    ({"category": "999999"}, "category"),
    ({"district": "atlantis"}, "district"),
    ({"bbox": "1,2,3"}, "bbox"),
    ({"colour": "red"}, "params"),
    ({"rows": "district,category,agency,channel"}, "rows"),
])
def test_bad_parameters_give_400_with_the_valid_choices(region, params, field):
    from django.test import Client

    response = Client().get("/api/v1/stats/appeals", params)
    assert response.status_code == 400
    assert field in response.json()
    if field in ("rows", "cols") and "bogus" in str(params) + str(params.get("cols")):
        assert "district" in response.json()[field] and "quarter" in response.json()[field]
    if field == "metrics":
        assert "on_time_share" in response.json()["metrics"]


def test_one_query_per_request(dataset, personas, django_assert_num_queries):
    anonymous = personas.client("anonymous")
    with django_assert_num_queries(2):  # a look whether the appeal facts are built, the statement
        anonymous.get("/api/v1/stats/appeals", {"rows": "district,category", "cols": "quarter",
                                                "metrics": ALL_METRICS, "district": "centralny"})
    leader = personas.client("leader")
    with django_assert_num_queries(4):  # session, user, the look at the facts, the statement
        leader.get("/api/v1/stats/appeals", {"rows": "agency_l1", "metrics": ALL_METRICS})


def test_csv_and_xlsx_exports_carry_the_table(dataset, personas):
    leader = personas.client("leader")
    response = leader.get("/api/v1/stats/appeals", {"rows": "district", "metrics": "count,overdue", "export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["level"], r["district_label"], r["count"], r["overdue"]) for r in rows] == [
        ("row", "Центральный", "5", "1"), ("row", "Сормовский", "3", "2"), ("total", "", "8", "3")]
    response = leader.get("/api/v1/stats/appeals", {"rows": "district", "metrics": "count", "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0] == ("level", "district", "district_label", "count")
    assert values[-1][0] == "total" and values[-1][-1] == 8


ADDITIVE = ("count,share,answered,open,resolved_share,on_time_share,overdue,redirects,redirected,redirect_share,"
            "repeated,repeated_share,reopened,reopened_share,rated,satisfaction_avg,satisfaction,solved_share,"
            "politeness_avg,timeliness_avg,per_1000")


@pytest.mark.parametrize("slice_", [
    {"rows": "district", "cols": "month"},
    {"rows": "district,category", "cols": "status"},
    {"rows": "agency_l1,agency", "cols": "classifier_section"},
    {"rows": "category_l1", "cols": "district,kind"},
    {"cols": "week"},
    {"rows": "result,channel", "district": "centralny"},
    {"rows": "type", "cols": "quarter", "category": "{roads}", "overdue": "false"},
])
@pytest.mark.parametrize("public", [True, False])
def test_two_phase_pivot_equals_the_one_phase_form(dataset, slice_, public):
    """The default (two-phase: cells summed into the cube) gives exactly the one-phase figures."""
    from analytics.params import parse_pivot
    from analytics.pivot import run_pivot
    from analytics.sql import pivot_sql

    query = {**slice_, "metrics": ADDITIVE, "period": "2026-Q3"}
    if query.get("category") == "{roads}":
        query["category"] = str(dataset["A1"].category.parent_id or dataset["A1"].category_id)
    spec = parse_pivot(query)
    assert "cells AS" in pivot_sql(spec.rows, spec.cols, spec.metrics, spec.filters, public=public, now=END,
                                   tz="Europe/Moscow").sql
    two = run_pivot(spec, public=public, now=END)
    one = run_pivot(spec, public=public, now=END, two_phase=False)
    assert len(two.records) > 1
    assert two.records == one.records
    if not {"district", "category", "overdue"} & set(slice_):
        assert two.total["count"] == (7 if public else 8)


def test_median_slices_run_in_one_phase(dataset):
    from analytics.params import parse_pivot
    from analytics.sql import pivot_sql

    spec = parse_pivot({"rows": "agency", "cols": "quarter", "metrics": "count,median_days"})
    assert "cells AS" not in pivot_sql(spec.rows, spec.cols, spec.metrics, spec.filters, public=True, now=END,
                                       tz="Europe/Moscow").sql
    with pytest.raises(ValueError):
        pivot_sql(spec.rows, spec.cols, spec.metrics, spec.filters, public=True, now=END, tz="Europe/Moscow",
                  two_phase=True)
