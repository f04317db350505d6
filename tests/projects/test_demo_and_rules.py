"""Hand-made cases for the rules not covered elsewhere (greedy-exclusive, equal shares with the
add1 completion worked out by hand) and the demo generator."""
from __future__ import annotations

from decimal import Decimal

import pytest

from projects.selection import Candidate, equal_shares, greedy


def chosen(decisions):
    return {d.project_id for d in decisions if d.selected}


def test_greedy_exclusive_passes_over_alternatives_for_the_same_site():
    candidates = [Candidate("1", Decimal(50), Decimal(9), "playground"), Candidate("2", Decimal(40), Decimal(8),
                                                                                  "playground"),
                  Candidate("3", Decimal(40), Decimal(5))]
    decisions = greedy(candidates, Decimal(200), exclusive=True)
    assert chosen(decisions) == {"1", "3"}
    assert next(d for d in decisions if d.project_id == "2").reason == (
        "исключается проектом 1, уже отобранным на это место")
    assert chosen(greedy(candidates, Decimal(200))) == {"1", "2", "3"}  # groups ignored by plain greedy


def test_equal_shares_by_hand():
    # 4 voters, budget 100, 25 each. X (cost 60) by v1-v3: ρ = 60/3 = 20 per supporter → affordable.
    # Y (cost 30) by v4 alone: 25 < 30 → unaffordable at the start. Z (cost 10) by v1 and v4: 5 each.
    costs = {"X": Decimal(60), "Y": Decimal(30), "Z": Decimal(10)}
    ballots = [["X", "Z"], ["X"], ["X"], ["Y", "Z"]]
    plain = equal_shares(costs, ballots, Decimal(100), completion=None)
    # X: three supporters pay 20 each, ρ = 20/60 = 1/3; Z: two pay 5 each, ρ = 5/10 = 1/2 → X first, then Z
    assert [d.project_id for d in plain if d.selected] == ["X", "Z"]
    # v4 has 20 left, Y costs 30: add1 raises every budget by 1 until v4 can pay for Y (total stays ≤ 100)
    completed = equal_shares(costs, ballots, Decimal(100))
    assert chosen(completed) == {"X", "Y", "Z"}
    assert all(d.selected for d in completed)


def test_equal_shares_stops_before_overspending():
    # the only way to fund B is to go over the budget: add1 returns the last feasible outcome
    costs = {"A": Decimal(70), "B": Decimal(40)}
    decisions = equal_shares(costs, [["A"]] * 7 + [["B"]] * 3, Decimal(100))
    assert chosen(decisions) == {"A"}
    assert next(d for d in decisions if d.project_id == "B").reason == "не хватило средств: осталось 30, стоимость 40"


def test_equal_shares_ties_go_to_the_smaller_id():
    # both voters approve both; each can pay 25 for either, only one fits: 9 before 10 (numerically)
    costs = {"10": Decimal(50), "9": Decimal(50)}
    assert chosen(equal_shares(costs, [["9", "10"], ["10", "9"]], Decimal(50), completion=None)) == {"9"}


@pytest.mark.django_db
def test_demo_generator_fills_every_stage_inside_the_districts(region):
    from fixtures.projects_demo import generate_projects
    from projects.models import BudgetCycle, Milestone, Project, ProjectStatus

    assert generate_projects(24, seed=5, progress=False) == 24
    statuses = set(Project.objects.values_list("status", flat=True))
    assert {ProjectStatus.SUBMITTED, ProjectStatus.FEASIBLE, ProjectStatus.UNFEASIBLE, ProjectStatus.NOT_SELECTED,
            ProjectStatus.IN_PROGRESS} <= statuses
    for project in Project.objects.select_related("district", "heading__district"):
        assert project.heading.district.boundary.contains(project.geometry)
    assert {c.headings.count() for c in BudgetCycle.objects.all()} == {11}
    assert Milestone.objects.exists() and Project.objects.filter(supports_count__gt=0).exists()
    before = sorted(Project.objects.values_list("title", "cost_estimate", "status"))
    generate_projects(24, seed=5, progress=False)
    assert sorted(Project.objects.values_list("title", "cost_estimate", "status")) == before  # deterministic
