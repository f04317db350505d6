"""The fast Method of Equal Shares (float runs that jump over add1 increments, exact runs when a
float decision is too close to call) against a plain one written here from the definition:
exact fractions, every voter on their own, every add1 increment run in turn, as pabutools does.

The elections are random (fixed seeds) and small, with few voters and small costs so that add1
takes many increments, and with equal costs and equal supporter counts so that ties are common."""
from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

import pytest

from projects.selection import _FloatRun, _profile, _rational, _Run, equal_shares, tie_key


def plain_run(costs: dict[str, Fraction], ballots: list[list[str]], per_voter: Fraction) -> list[str]:
    budgets = [per_voter] * len(ballots)
    supporters = {p: [i for i, b in enumerate(ballots) if p in b] for p in costs}
    remaining = {p for p in costs if supporters[p] and costs[p] > 0}
    chosen = []
    while True:
        best = None
        for p in sorted(remaining):
            if sum(budgets[i] for i in supporters[p]) < costs[p]:
                remaining.discard(p)
                continue
            paid, rest = Fraction(0), len(supporters[p])
            for i in sorted(supporters[p], key=lambda i: budgets[i]):
                payment = (costs[p] - paid) / rest
                if payment <= budgets[i]:
                    break
                paid += budgets[i]
                rest -= 1
            key = (payment / costs[p], -len(supporters[p]), tie_key(p))
            if best is None or key < best[0]:
                best = (key, p, payment)
        if best is None:
            return chosen
        _key, winner, payment = best
        for i in supporters[winner]:
            budgets[i] -= min(budgets[i], payment)
        chosen.append(winner)
        remaining.discard(winner)


def plain_equal_shares(costs: dict[str, Decimal], ballots: list[list[str]], budget: Decimal) -> set[str]:
    exact = {p: Fraction(c) for p, c in costs.items()}
    free = [p for p in costs if exact[p] == 0 and any(p in b for b in ballots)]
    available = [p for p in costs if exact[p] > 0 and any(p in b for b in ballots)]
    per_voter = Fraction(budget) / len(ballots)
    previous = list(free)
    while True:
        outcome = free + plain_run(exact, ballots, per_voter)
        spent = sum((exact[p] for p in outcome), Fraction(0))
        if spent > budget:
            return set(previous)
        if all(p in outcome or exact[p] + spent > budget for p in available):
            return set(outcome)
        previous = outcome
        per_voter += 1


def election(seed: int) -> tuple[dict[str, Decimal], list[list[str]], Decimal]:
    rng = random.Random(seed)
    n_projects = rng.randint(2, 9)
    price_list = [rng.randrange(10, 400, 10) for _ in range(3)]  # few distinct costs: ties
    costs = {str(i + 1): Decimal(rng.choice(price_list) if rng.random() < 0.6 else rng.randrange(5, 500))
             for i in range(n_projects)}
    if rng.random() < 0.2:
        costs[str(n_projects)] = Decimal(0)
    appeal = [rng.random() for _ in costs]
    voters = rng.randint(3, 40)
    ballots = [[p for p, a in zip(costs, appeal, strict=True) if rng.random() < a] for _ in range(voters)]
    ballots = [b or [rng.choice(list(costs))] for b in ballots]
    budget = Decimal(rng.randrange(50, sum(int(c) for c in costs.values()) + 60))
    return costs, ballots, budget


def chosen(costs: dict[str, Decimal], ballots: list[list[str]], budget: Decimal) -> set[str]:
    return {d.project_id for d in equal_shares(costs, ballots, budget) if d.selected}


@pytest.mark.parametrize("seed", range(400))
def test_same_winners_as_the_plain_method(seed):
    costs, ballots, budget = election(seed)
    assert chosen(costs, ballots, budget) == plain_equal_shares(costs, ballots, budget)


@pytest.mark.parametrize("seed", range(60))
def test_a_run_holds_for_as_many_increments_as_it_claims(seed):
    """Each run (float and exact) says up to how many further increments it would choose the same;
    running the plain method at each of those budgets must choose the same, in the same order."""
    costs, ballots, budget = election(seed)
    profile = _profile(costs, ballots)
    exact_costs = {p: Fraction(c) for p, c in costs.items()}
    available = [j for j in range(len(profile.ids)) if profile.counts[j] and profile.costs[j] > 0]
    ids = profile.ids

    def tie(j: int) -> tuple:
        return (-profile.counts[j], tie_key(ids[j]))

    t0 = Fraction(budget) / len(ballots)
    checked_float = 0
    for _ in range(6):
        exact_run = _Run(profile, _rational(t0), _rational(1), tie)
        outcome = [ids[j] for j in exact_run.run(available)]
        float_run = _FloatRun(profile, _rational(t0), _rational(1))
        try:
            float_outcome = [ids[j] for j in float_run.run(available, tie)]
        except Exception as error:  # noqa: BLE001 - only the close call is allowed
            assert type(error).__name__ == "_CloseCall"
        else:
            checked_float += 1
            assert float_outcome == outcome
            if exact_run.last is not None:  # None: holds for every larger budget
                assert float_run.last is not None and float_run.last <= exact_run.last
        last = exact_run.last if exact_run.last is not None else 30
        for k in sorted({0, min(1, last), last // 2, last}):
            assert plain_run(exact_costs, ballots, t0 + k) == outcome, (t0, k, last)
        t0 += min(last, 30) + 1
    if seed == 0:
        assert checked_float  # the float path is exercised


def test_many_tied_projects_and_voters_with_equal_ballots():
    costs = {str(i): Decimal(100) for i in range(1, 9)}
    ballots = [["1", "2"], ["3", "4"], ["5", "6"], ["7", "8"]] * 5 + [["1", "3", "5", "7"]] * 3
    assert chosen(costs, ballots, Decimal(430)) == plain_equal_shares(costs, ballots, Decimal(430))


def exact_fit_election(seed: int) -> tuple[dict[str, Decimal], list[list[str]], Decimal]:
    """Costs that are whole multiples of the starting share budget/n: payments that equal a voter's
    budget exactly, where floating point cannot tell who is short (decided with error bounds)."""
    rng = random.Random(1000 + seed)
    voters = rng.randint(4, 30)
    share = rng.randint(5, 60)
    n_projects = rng.randint(2, 7)
    ballots = [[str(p) for p in range(1, n_projects + 1) if rng.random() < 0.5] or ["1"] for _ in range(voters)]
    costs = {}
    for p in range(1, n_projects + 1):
        supporters = sum(str(p) in b for b in ballots)
        costs[str(p)] = Decimal(share * max(1, rng.randint(1, max(1, supporters))))
    return costs, ballots, Decimal(share * voters)


@pytest.mark.parametrize("seed", range(150))
def test_payments_equal_to_budgets_exactly(seed):
    costs, ballots, budget = exact_fit_election(seed)
    assert chosen(costs, ballots, budget) == plain_equal_shares(costs, ballots, budget)
