"""Pivot percentiles from the answer-time histograms (analytics.histograms) against the exact
figures of the same appeals; those of the pivots that read neither category nor status (the
public statistics page) from the coarse histogram, against the histogram it is summed from."""
from __future__ import annotations

import datetime as dt
import math
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics import facts, histograms
from analytics.params import PivotSpec, parse_period
from analytics.pivot import run_pivot
from analytics.sql import Filters
from analytics.sql import histogram as histogram_sql
from issues import actions
from issues.models import PUBLIC_STATUSES, Appeal

from .conftest import END

pytestmark = pytest.mark.django_db
METRICS = ["count", "answered", "open", "median_days", "p90_days"]


def rebuild() -> None:
    with connection.cursor() as cursor:
        histograms.rebuild(cursor)
        facts.rebuild(cursor)  # built together (tiles.aggregates.rebuild_all); the pivots read both


def rows_of_table() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT received_month, district_id, category_id, agency_id, status, public, bucket, count "
                       f"FROM {histograms.TABLE} ORDER BY 1, 2, 3, 4, 5, 6, 7")
        rows = cursor.fetchall()
        cursor.execute(f"SELECT received_month, district_id, agency_id, public, bucket, count "
                       f"FROM {histograms.COARSE_TABLE} ORDER BY 1, 2, 3, 4, 5")
        return rows + cursor.fetchall()


def percentile_disc(days: list[float], q: float) -> float | None:
    """The first answer time whose cumulative share reaches q (PostgreSQL's percentile_disc)."""
    if not days:
        return None
    ordered = sorted(days)
    return ordered[max(math.ceil(q * len(ordered)), 1) - 1]


def exact_groups(dim: str | None, public: bool) -> dict[object, list[float]]:
    appeals = Appeal.objects.public() if public else Appeal.objects.all()
    groups: dict[object, list[float]] = {}
    for appeal in appeals:
        key = getattr(appeal, f"{dim}_id") if dim else None
        days = groups.setdefault(key, [])
        if appeal.answered_at and appeal.registered_at:
            days.append((appeal.answered_at - appeal.registered_at).total_seconds() / 86400)
    return groups


def assert_within_a_bucket(dim: str | None, public: bool) -> None:
    result = run_pivot(PivotSpec(rows=[dim] if dim else [], metrics=METRICS, filters=Filters()), public=public)
    assert result.approximate
    exact = run_pivot(PivotSpec(rows=[dim] if dim else [], metrics=METRICS, filters=Filters()), public=public,
                      exact=True)
    assert not exact.approximate
    for approx_record, exact_record in zip(result.records, exact.records, strict=True):
        for name in ("count", "answered", "open"):  # counts are exact
            assert approx_record[name] == exact_record[name], name
    groups = exact_groups(dim, public)
    for record in result.records:
        days = [d for key, ds in groups.items() for d in ds] if record["level"] == "total" else groups[record[dim]]
        for name, q in (("median_days", 0.5), ("p90_days", 0.9)):
            truth = percentile_disc(days, q)
            if truth is None:
                assert record[name] is None
            else:  # one bucket: (R − 1) × (1 + days), plus the pivot's rounding to 2 decimals
                assert abs(record[name] - truth) <= histograms.MAX_RELATIVE_ERROR * (1 + truth) + 0.005, (name, record)


def coarse_shapes(public: bool) -> list[list[dict]]:
    """The public statistics page's three pivots (the total, per district, per agency), a
    scorecard's shape (per agency and month of a period) and medians by category (and by the
    category's root): none reads more than one of district, agency and category, nor a status."""
    summer = Filters(received_from=parse_period("2026-07").start, received_to=parse_period("2026-08").end)
    shapes = [([], [], Filters()), (["district"], [], Filters()), (["agency"], [], Filters()),
              (["agency"], ["month"], summer), (["category"], [], Filters()), (["category_l1"], ["quarter"], summer)]
    return [run_pivot(PivotSpec(rows=rows, cols=cols, metrics=["count", "median_days", "p90_days"], filters=filters),
                      public=public).records for rows, cols, filters in shapes]


def assert_coarse_equals_fine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The coarse histogram is read, and gives the figures of the histogram it is summed from."""
    for public in (False, True):
        with CaptureQueriesContext(connection) as queries:
            coarse = coarse_shapes(public)
        statements = " ".join(q["sql"] for q in queries.captured_queries)
        assert f"FROM {histograms.COARSE_TABLE} h" in statements and f"FROM {histograms.TABLE} h" not in statements
        with monkeypatch.context() as fine_only:
            fine_only.setattr(histogram_sql, "coarse_slice", lambda used, metrics: None)
            assert coarse_shapes(public) == coarse


def test_histogram_percentiles_are_within_one_bucket_of_the_exact_ones(dataset, clock, monkeypatch):
    clock.at(END)
    answered = list(Appeal.objects.filter(answered_at__isnull=False).order_by("id"))
    rng = random.Random(22)
    for _ in range(6):
        # spread answer times over minutes to months, so groups span many buckets
        for appeal in answered:
            days = rng.choice([rng.uniform(0, 0.2), rng.uniform(0, 5), rng.uniform(5, 60), rng.expovariate(0.1)])
            Appeal.objects.filter(pk=appeal.pk).update(answered_at=appeal.registered_at + dt.timedelta(days=days))
        rebuild()
        for dim in (None, "category", "district"):
            for public in (False, True):
                assert_within_a_bucket(dim, public)
        assert_coarse_equals_fine(monkeypatch)


def test_the_bucket_bound_holds_for_each_answer_time():
    for days in (0.0, 0.01, 0.5, 1, 7.3, 29.99, 30, 365, 3000):
        b = histograms.bucket_of(days)
        low, high = histograms.BUCKET_RATIO ** b - 1, histograms.BUCKET_RATIO ** (b + 1) - 1
        assert low <= days < high and high - low <= histograms.MAX_RELATIVE_ERROR * (1 + days) + 1e-12


def test_a_changed_appeal_is_recounted_like_a_rebuild(dataset, personas, clock):
    rebuild()
    clock.at(END)
    a6 = dataset["A6"]
    actions.answer_appeal(actions.accept_appeal(a6, actor=personas.executor_a), actor=personas.executor_a,
                          text="Яма заделана.", result="measures_taken")
    actions.moderate_appeal(dataset["A1"], actor=personas.moderator, is_public=False, reason="Персональные данные")
    with connection.cursor() as cursor:
        assert histograms.refresh(cursor, [a6.pk, dataset["A1"].pk]) >= 1
    refreshed = rows_of_table()
    rebuild()
    assert refreshed == rows_of_table()
    assert any(row[4] == "answered" and row[1] == a6.district_id for row in refreshed)


def test_only_pivots_the_histograms_hold_are_approximate(dataset, personas):
    leader = personas.client("leader")

    def approximate(**params: str) -> bool:
        response = leader.get("/api/v1/stats/appeals", params)
        assert response.status_code == 200, response.content
        return response.json()["approximate"]

    assert not approximate(rows="category", metrics="count,median_days")  # not built yet: exact
    rebuild()
    assert approximate(rows="category", metrics="count,median_days", period="2026-07")
    assert approximate(rows="agency", cols="month", metrics="p90_days", status="answered,closed")
    assert not approximate(rows="category", metrics="count")  # no percentile: exact two-phase counts
    # the median from the histograms, the on-time share (exact) from the appeal facts
    assert approximate(rows="category", metrics="median_days,on_time_share")
    assert not approximate(rows="week", metrics="median_days")
    assert not approximate(rows="category", metrics="median_days", channel="web")
    assert not approximate(rows="category", metrics="median_days", received_after="2026-07-06")  # not a whole month
    assert str(PUBLIC_STATUSES)  # the public scope is the same rule as Appeal.objects.public()


def test_the_pivot_page_carries_the_footnote_on_approximate_percentiles(client):
    body = client.get("/stats/pivot/").content.decode()
    assert 'id="pivot-approximate" hidden' in body and "5 %" in body and "Количества точные" in body
