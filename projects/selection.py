"""Winner selection for participatory budgeting: the rules real cities use, each decision
with its reason.

- ``greedy``: by tally, highest first; a project that does not fit the money left is skipped
  and the next one is tried (CONSUL's rule);
- ``greedy-no-skip``: the same, but stop at the first project that does not fit;
- ``greedy-threshold``: greedy among projects whose tally reaches ``threshold``;
- ``equalshares`` (Method of Equal Shares, approval ballots, cost utilities) with the
  ``add1`` completion: raise the virtual budget by one unit per voter while the outcome still
  fits the real budget.

Ties in the tally are broken by the smaller numeric project id (then the smaller id string):
a documented, reproducible rule."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction


@dataclass(frozen=True)
class Candidate:
    project_id: str
    cost: Decimal
    tally: Decimal


@dataclass
class Decision:
    project_id: str
    selected: bool
    reason: str


def _money(value: Decimal | Fraction) -> str:
    return f"{int(value):,}".replace(",", " ")


def tie_key(project_id: str) -> tuple[int, int | str]:
    return (0, int(project_id)) if project_id.isdigit() else (1, project_id)


def ranked(candidates: Iterable[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: (-c.tally, tie_key(c.project_id)))


def greedy(candidates: Sequence[Candidate], budget: Decimal, *, skip: bool = True,
           threshold: Decimal | None = None) -> list[Decision]:
    left = budget
    decisions = []
    stopped = False
    for candidate in ranked(candidates):
        if threshold is not None and candidate.tally < threshold:
            decisions.append(Decision(candidate.project_id, False,
                                      f"ниже порога: {candidate.tally} голосов при пороге {threshold}"))
        elif stopped:
            decisions.append(Decision(candidate.project_id, False,
                                      "отбор остановлен на первом не поместившемся проекте"))
        elif candidate.cost <= left:
            left -= candidate.cost
            decisions.append(Decision(candidate.project_id, True,
                                      f"поместился: {candidate.tally} голосов, осталось {_money(left)}"))
        else:
            reason = f"не хватило средств: осталось {_money(left)}, стоимость {_money(candidate.cost)}"
            decisions.append(Decision(candidate.project_id, False, reason))
            stopped = not skip
    return decisions


def equal_shares(costs: dict[str, Decimal], ballots: Sequence[Sequence[str]], budget: Decimal,
                 *, completion: str = "add1") -> list[Decision]:
    """Method of Equal Shares for approval ballots with cost utilities (each supporter of a
    project values it at its cost), exact arithmetic with fractions."""
    voters = [list(dict.fromkeys(b)) for b in ballots if b]
    n = len(voters)
    supporters: dict[str, list[int]] = {p: [] for p in costs}
    for index, ballot in enumerate(voters):
        for project in ballot:
            supporters[project].append(index)
    approvals = {p: len(s) for p, s in supporters.items()}

    def run(total: Fraction) -> list[str]:
        money = [total / n] * n
        chosen: list[str] = []
        remaining = {p for p in costs if costs[p] > 0 and supporters[p]}
        while True:
            best: tuple[Fraction, int, tuple[int, int | str]] | None = None
            best_project = None
            for project in remaining:
                cost = Fraction(costs[project])
                group = supporters[project]
                if sum(money[i] for i in group) < cost:
                    continue
                # ρ: the smallest per-unit-of-utility price the supporters can pay (utility = cost)
                balances = sorted(money[i] for i in group)
                paid, rho = Fraction(0), None
                for k, balance in enumerate(balances):
                    rest = len(balances) - k
                    candidate_rho = (cost - paid) / (rest * cost)
                    if candidate_rho * cost <= balance:
                        rho = candidate_rho
                        break
                    paid += balance
                if rho is None:
                    continue
                key = (rho, -approvals[project], tie_key(project))
                if best is None or key < best:
                    best, best_project = key, project
            if best_project is None or best is None:
                return chosen
            rho = best[0]
            cost = Fraction(costs[best_project])
            for i in supporters[best_project]:
                money[i] -= min(money[i], rho * cost)
            chosen.append(best_project)
            remaining.discard(best_project)

    limit = Fraction(budget)
    outcome = run(limit)
    if completion == "add1" and n:
        total = limit
        while True:
            total += n
            attempt = run(total)
            if sum(Fraction(costs[p]) for p in attempt) > limit:
                break
            outcome = attempt
            if set(attempt) == {p for p in costs if supporters[p]}:
                break
    spent = sum((costs[p] for p in outcome), Decimal(0))
    decisions = [Decision(p, True, f"выбран методом равных долей ({approvals[p]} сторонников)") for p in outcome]
    for candidate in ranked(Candidate(p, costs[p], Decimal(approvals[p])) for p in costs):
        if candidate.project_id not in outcome:
            decisions.append(Decision(candidate.project_id, False,
                                      f"сторонникам не хватило их долей бюджета (выбрано на {_money(spent)})"))
    return decisions
