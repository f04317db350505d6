"""The workers' task counters reach /metrics: a real worker runs real tasks, the scrape counts them."""
from __future__ import annotations

import time

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.django_db


def _scraped() -> dict[tuple[str, str], float]:
    response = Client().get("/metrics")  # a scrape from this host
    assert response.status_code == 200
    counts = {}
    for family in text_string_to_metric_families(response.content.decode()):
        if family.name == "geoportal_celery_tasks":
            for sample in family.samples:
                counts[(sample.labels["task"], sample.labels["state"])] = sample.value
    return counts


def test_a_task_run_by_the_worker_moves_its_counter_on_metrics(celery_worker_process: object) -> None:
    from geoportal.celery import app

    task = "outbox.tasks.dispatch"
    before = _scraped()
    app.send_task(task, args=[0], ignore_result=True)  # no such message: nothing to do, succeeds
    app.send_task(task, args=["not-a-number"], ignore_result=True)  # a bad id: the task fails
    expected = {(task, "succeeded"): before.get((task, "succeeded"), 0) + 1,
                (task, "failed"): before.get((task, "failed"), 0) + 1}
    deadline = time.monotonic() + 120  # waits for the worker's state, however loaded the machine
    while True:
        now = _scraped()
        if all(now.get(key, 0) >= value for key, value in expected.items()):
            break
        assert time.monotonic() < deadline, (before, now)
        time.sleep(0.2)
    assert now.get((task, "retried"), 0) == before.get((task, "retried"), 0)
