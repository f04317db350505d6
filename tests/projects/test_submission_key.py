"""A proposal is submitted once per form token even when the cache forgot the token (Redis
restarted, 24 h passed) and when two submissions of one form race: the token is stored on the
project, unique per author, and the second submission waits for the first and gets its project."""
from __future__ import annotations

import threading

import pytest
from django.core.cache import cache
from django.db import connection

from projects import actions
from projects.models import Project
from tests.projects.conftest import group, inside
from tests.projects.test_pages import proposal


def _submit(personas, heading, key):
    return actions.do_submit_project(
        author=personas.citizen, heading=heading, title="Скамейки у пруда", description="Пять скамеек",
        geometry=inside(heading), category="greenery", cost_items=[{"name": "Скамейка", "unit_price": 12000}],
        group=group(), submission_key=key)


@pytest.mark.django_db
def test_a_repeated_key_returns_the_first_project_and_writes_nothing(make_cycle, personas):
    heading = make_cycle({"submission"}).headings.get()
    first = _submit(personas, heading, "form-1")
    events = first.events.count()
    assert _submit(personas, heading, "form-1").pk == first.pk
    assert Project.objects.filter(author=personas.citizen).count() == 1 and first.events.count() == events
    # another form is another project; keys are per author
    assert _submit(personas, heading, "form-2").pk != first.pk
    assert Project.objects.filter(submission_key="form-1").count() == 1


@pytest.mark.django_db
def test_the_page_replays_from_the_database_when_the_cache_forgot(make_cycle, personas):
    heading = make_cycle({"submission"}).headings.get()
    client = personas.client("citizen")
    data = proposal(heading)
    first = client.post("/projects/new/", data)
    assert first.status_code == 302
    cache.clear()  # Redis lost the token
    again = client.post("/projects/new/", data)
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert Project.objects.filter(author=personas.citizen).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submissions_of_one_form_make_one_project(make_cycle, personas):
    heading = make_cycle({"submission"}).headings.get()
    results: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def submit() -> None:
        try:
            barrier.wait()
            results.append(_submit(personas, heading, "same-form").pk)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert len(results) == 2 and results[0] == results[1]
    assert Project.objects.filter(author=personas.citizen, submission_key="same-form").count() == 1
