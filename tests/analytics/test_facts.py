"""The statistics over the pre-aggregated appeal facts (analytics.facts) against the same
figures computed from the appeals: every additive metric of the pivot, the agency scorecards,
the public statistics page and the home page's headline; after a change (recounted by the
worker's entry point) and after the clock passes a deadline (no recount)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client

from analytics import facts, histograms, scorecards
from analytics.params import PivotSpec, parse_period
from analytics.pivot import run_pivot
from analytics.sql import FINALS, Filters
from infocenter import stats as headline
from issues import actions
from issues.models import Appeal
from tiles import aggregates

from .conftest import END

pytestmark = pytest.mark.django_db
ADDITIVE = list(FINALS)  # every metric but the percentiles
# median-based figures: from the histograms (approximate, tested in test_histograms.py)
MEDIAN_BASED = {"median_days", "p90_days", "composite", "rank", "components"}


def rebuild() -> None:
    with connection.cursor() as cursor:
        histograms.rebuild(cursor)
        facts.rebuild(cursor)


def fact_rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {facts.TABLE} ORDER BY received_month, district_id, category_id, agency_id, "
                       "status, public, pending_deadline")
        return [row[1:] for row in cursor.fetchall()]  # without the id


def assert_pivots_match(now: dt.datetime) -> None:
    """Every additive metric, for several shapes and both scopes: the facts == the appeals."""
    july = parse_period("2026-07")
    shapes = [([], [], Filters()), (["district"], [], Filters()), (["agency"], ["month"], Filters()),
              (["category_l1", "status"], [], Filters()), (["agency_l1"], [], Filters(district="centralny")),
              (["category"], [], Filters(received_from=july.start, received_to=july.end, status=("answered",)))]
    for rows, cols, filters in shapes:
        for public in (False, True):
            spec = PivotSpec(rows=rows, cols=cols, metrics=ADDITIVE, filters=filters)
            from_facts = run_pivot(spec, public=public, now=now)
            exact = run_pivot(spec, public=public, now=now, exact=True)
            assert from_facts.records == exact.records, (rows, cols, filters, public)


def without(record: dict, names: set[str]) -> dict:
    return {k: (without(v, names) if isinstance(v, dict) else v) for k, v in record.items() if k not in names}


def figures_of_every_page(client: Client, now: dt.datetime) -> dict[str, object]:
    """What the pages show, for both scopes (the median-based figures left out)."""
    period = parse_period("2026-Q3")
    pages: dict[str, object] = {"home": {f.key: f.value for f in headline.headline()}}
    for public in (False, True):
        cards = scorecards.scorecards(period, public=public, now=now)
        pages[f"cards {public}"] = [without(c, MEDIAN_BASED) for c in cards["agencies"]]
        pages[f"cards total {public}"] = without(cards["total"], MEDIAN_BASED)
    context = client.get("/stats/").context
    pages["stats"] = [without(r, MEDIAN_BASED) for r in [context["total"], *context["districts"],
                                                         *context["agencies"]]]
    return pages


def test_every_additive_metric_from_the_facts_equals_the_appeals(dataset, clock):
    assert_pivots_match(END)  # not built yet: both from the appeals
    rebuild()
    assert fact_rows()
    assert_pivots_match(END)
    spec = PivotSpec(rows=["agency"], metrics=["count", "overdue", "median_days"], filters=Filters())
    assert run_pivot(spec, public=False, now=END).approximate  # the median from the histograms


def test_overdue_follows_the_clock_without_a_recount(dataset, clock):
    a7 = dataset["A7"]  # open, due 2026-08-14 or so: not overdue at END
    rebuild()
    later = a7.deadline_at + dt.timedelta(seconds=1)
    total = PivotSpec(metrics=["overdue", "on_time_share"], filters=Filters())
    before, after = (run_pivot(total, public=False, now=moment).total for moment in (END, later))
    assert after["overdue"] == before["overdue"] + 1
    clock.at(later)
    assert_pivots_match(later)


def test_the_pages_show_the_same_figures_from_the_facts(dataset, clock, settings):
    settings.ANALYTICS_SCORECARD_MIN_VOLUME = 1
    client = Client()
    exact = figures_of_every_page(client, END)
    rebuild()
    assert figures_of_every_page(client, END) == exact
    body = client.get("/stats/").content.decode()
    assert "approximate-note" in body and "Количества точные" in body  # the medians say how they were made
    assert "approximate-note" in client.get("/stats/agencies/", {"period": "2026-Q3"}).content.decode()
    roads = dataset["A1"].responsible_agency_id
    assert "approximate-note" in client.get(f"/stats/agencies/{roads}/", {"period": "2026-Q3"}).content.decode()


def test_a_changed_appeal_keeps_the_facts_equal_to_a_rebuild(dataset, personas, clock):
    rebuild()
    a6, a1 = dataset["A6"], dataset["A1"]
    actions.answer_appeal(actions.accept_appeal(a6, actor=personas.executor_a), actor=personas.executor_a,
                          text="Яма заделана.", result="measures_taken")
    actions.rate_appeal(a6, actor=personas.citizen, solved=True, score=2, politeness=3)
    actions.moderate_appeal(a1, actor=personas.moderator, is_public=False, reason="Персональные данные")
    aggregates.refresh_appeals([a6.pk, a1.pk])  # what the worker runs after the change
    refreshed = fact_rows()
    assert_pivots_match(END)
    home = {f.key: f.value for f in headline.headline()}
    assert home["appeals_total"] == Appeal.objects.public().count()  # A1 hidden: out of the public counts
    rebuild()
    assert refreshed == fact_rows()


def test_the_facts_hold_no_person_and_the_public_counts_only_public_appeals(dataset, clock):
    rebuild()
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor, facts.TABLE)}
    assert not columns & {"author_id", "author_name", "author_contact", "text", "address", "location", "number"}
    public = run_pivot(PivotSpec(metrics=["count", "rated"], filters=Filters()), public=True, now=END).total
    assert public["count"] == Appeal.objects.public().count() == 7  # A8 hidden by the moderator
