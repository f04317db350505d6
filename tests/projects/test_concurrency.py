"""50 residents vote at once, each on their own database connection: every ballot is stored
exactly once; the same resident racing with himself gets one ballot and 409s."""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from projects import actions

pytestmark = pytest.mark.django_db(transaction=True)


def _race(jobs):
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait()
            results[index] = job()
        except Exception as exc:  # noqa: BLE001 - the outcome is what we assert on
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_fifty_concurrent_voters(make_cycle, make_project, personas):
    from geoportal.models import Role, User

    cycle = make_cycle({"voting"}, max_approvals=2, money=Decimal(500_000))
    heading = cycle.headings.get()
    a, b = make_project(heading, title="А"), make_project(heading, title="Б")
    voters = [User.objects.create_user(f"voter{i}", password="x", role=Role.CITIZEN) for i in range(50)]
    results = _race([lambda v=v, i=i: actions.do_cast_ballot(
        heading, voter=v, choices=[{"project": a.pk}] + ([{"project": b.pk}] if i % 2 else []))
        for i, v in enumerate(voters)])
    assert all(not isinstance(r, Exception) for r in results), [r for r in results if isinstance(r, Exception)]
    assert heading.ballots.count() == 50
    assert sorted(heading.ballots.values_list("voter_id", flat=True)) == sorted(v.pk for v in voters)
    assert actions.tally(heading) == {a.pk: 50, b.pk: 25}


def test_one_resident_racing_with_himself(make_cycle, make_project, personas):
    heading = make_cycle({"voting"}).headings.get()
    project = make_project(heading)
    results = _race([lambda: actions.do_cast_ballot(heading, voter=personas.citizen, choices=[{"project": project.pk}])
                     for _ in range(8)])
    conflicts = [r for r in results if isinstance(r, actions.Conflict)]
    assert len(conflicts) == 7 and heading.ballots.count() == 1
    assert actions.tally(heading) == {project.pk: 1}
