"""Versioned registry: training with a time split, activation, rollback, serving, nightly retrain."""
from __future__ import annotations

import random

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from routing import registry
from routing.features import RoutingRow
from routing.models import RouterModel
from routing.tasks import retrain_nightly

from . import helpers
from .helpers import region_dataset

FAST = {"max_iter": 40}


@pytest.fixture
def dataset(region: dict[str, int]) -> tuple[list[RoutingRow], list[int], list]:
    return region_dataset(500)


def test_training_registers_a_version_with_time_split_metrics_and_activates_it(dataset: tuple, personas) -> None:
    rows, labels, times = dataset
    record = registry.train_and_register(rows, labels, times, user=personas.admin, params=FAST)
    assert record.version == 1 and record.is_active and record.created_by == personas.admin
    assert (record.n_train, record.n_test) == (400, 100)
    assert record.data_window_start == min(times) and record.data_window_end == max(times)
    assert record.test_window_start == sorted(times)[400]  # the newest 20% are held out
    m = record.metrics
    assert m["accuracy"] > m["baseline_majority_accuracy"] and m["accuracy"] > 0.8
    assert {"macro_f1", "per_agency", "coverage_curve", "coverage_at_95", "baseline_rule_accuracy"} <= set(m)
    assert record.params["design"].endswith("boosted trees") and "baseline_linear_accuracy" in record.metrics
    assert isinstance(registry.load_router(record.artifact).classes_, list)


def test_route_is_none_without_an_active_model_then_uses_and_reloads_it(dataset: tuple) -> None:
    rows, labels, times = dataset
    row = next(r for r in rows if r.has_point)
    assert registry.route(row) is None
    registry.warm_up()  # a process starting with no model: nothing to load, and no error
    first = registry.train_and_register(rows, labels, times, params=FAST)
    registry.warm_up()  # what a web or worker process does at start (geoportal/warmup.py)
    warmed = registry.active_router()
    assert warmed is not None and warmed is registry._cache.router  # type: ignore[union-attr]
    decision = registry.route(row)
    assert decision is not None and decision.agency_id in set(labels) and decision.explanation
    assert registry.active_router() is registry.active_router()  # cached in the process
    cached = registry.active_router()
    second = registry.train_and_register(rows, labels, times, activate=True, params={"max_iter": 10})
    assert second.is_active and not RouterModel.objects.get(pk=first.pk).is_active
    reloaded = registry.active_router()
    assert reloaded is not cached and reloaded is not None and reloaded.max_iter == 10


def test_activate_and_roll_back_keep_exactly_one_active_version(dataset: tuple) -> None:
    rows, labels, times = dataset
    v1 = registry.train_and_register(rows, labels, times, params=FAST)
    v2 = registry.train_and_register(rows, labels, times, activate=False, params=FAST)
    v3 = registry.train_and_register(rows, labels, times, activate=False, params=FAST)
    assert [v1.version, v2.version, v3.version] == [1, 2, 3]
    assert list(RouterModel.objects.filter(is_active=True).values_list("version", flat=True)) == [1]
    registry.activate(3)
    assert registry.rollback().version == 2
    assert registry.rollback().version == 1
    with pytest.raises(RouterModel.DoesNotExist):
        registry.rollback()
    assert list(RouterModel.objects.filter(is_active=True).values_list("version", flat=True)) == [1]
    with pytest.raises(IntegrityError), transaction.atomic():
        RouterModel.objects.filter(version=2).update(is_active=True)


def test_retraining_does_not_activate_a_worse_model(dataset: tuple, settings) -> None:
    rows, labels, times = dataset
    good = registry.train_and_register(rows, labels, times, params=FAST)
    # a bad batch of labels in the older history (e.g. a mass misrouting recorded as answers):
    # the newest window is still true, and the new model does worse on it than the active one
    corrupted = labels[:400]
    random.Random(5).shuffle(corrupted)
    worse = registry.train_and_register(rows, corrupted + labels[400:], times, params=FAST)
    assert not worse.is_active and "хуже" in worse.note
    comparison = worse.metrics["compared_with"]
    assert comparison["version"] == good.version
    assert comparison["new_accuracy"] < comparison["active_accuracy"]
    assert RouterModel.objects.get(is_active=True).pk == good.pk


def test_nightly_task_trains_from_the_configured_provider_and_keeps_the_better_model(dataset: tuple,
                                                                                    settings) -> None:
    settings.ROUTER_TRAINING_ROWS = "tests.routing.helpers.training_rows"
    helpers.provide([], [], [])
    assert retrain_nightly() == {"status": "no training data", "rows": 0}
    rows, labels, times = dataset
    helpers.provide(rows, labels, times)
    result = retrain_nightly()
    assert result["status"] == "trained" and result["version"] == 1 and result["activated"] is True
    helpers.provide(rows, [labels[0]] * 400 + labels[400:], times)  # the older labels broken
    result = retrain_nightly()
    assert result["version"] == 2 and result["activated"] is False
    assert RouterModel.objects.get(is_active=True).version == 1


def test_train_router_command_reports_metrics_or_says_there_is_no_data(dataset: tuple, settings, capsys) -> None:
    settings.ROUTER_TRAINING_ROWS = "tests.routing.helpers.training_rows"
    helpers.provide([], [], [])
    call_command("train_router", "--quiet")
    assert "no training data yet" in capsys.readouterr().out
    assert not RouterModel.objects.exists()
    rows, labels, times = dataset
    helpers.provide(rows, labels, times)
    call_command("train_router")
    out = capsys.readouterr().out
    assert "Версия v1: активна" in out and "Точность" in out and "macro-F1" in out
    assert "Теплосеть-Север" in out  # per-agency precision/recall with names
    assert "≥ 0.9:" in out  # the coverage/accuracy curve
    assert RouterModel.objects.get().is_active


def test_admin_actions_activate_and_roll_back(dataset: tuple, personas) -> None:
    rows, labels, times = dataset
    registry.train_and_register(rows, labels, times, params=FAST)
    v2 = registry.train_and_register(rows, labels, times, activate=False, params=FAST)
    client = personas.client("admin")
    url = "/admin/routing/routermodel/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"action": "activate_version", "_selected_action": [v2.pk]}, follow=True)
    assert response.status_code == 200
    assert RouterModel.objects.get(is_active=True).version == 2
    client.post(url, {"action": "roll_back", "_selected_action": [v2.pk]}, follow=True)
    assert RouterModel.objects.get(is_active=True).version == 1
    operator = personas.client("citizen")
    assert operator.get(url).status_code in (302, 403)
