"""Winner selection for participatory budgeting: the rules real cities use, each decision with
its reason (in Russian, shown on the results page). Pure functions over plain rows: no
database here.

- ``greedy``: by tally, highest first; a project that does not fit the money left is skipped
  and the next one is tried (CONSUL's rule);
- ``greedy_no_skip``: the same, but stop at the first project that does not fit;
- ``greedy_threshold``: greedy among projects whose tally reaches the threshold;
- ``greedy_exclusive``: greedy where projects of one exclusion group (alternatives for the same
  site) exclude each other: once one is funded the others are passed over. Pabulib's Warsaw 2024
  files declare this rule but carry no exclusion sets, and with none it is plain greedy;
- ``equal_shares``: the Method of Equal Shares for approval ballots with cost utilities
  (every supporter values a project at its cost) and the ``add1`` completion exactly as
  pabutools 1.2.3 runs it (``voter_budget_increment``): each voter starts with budget/n; the
  rule is run again with every voter's budget raised by the increment (one currency unit by
  default) until the outcome is exhaustive (no further supported project fits the money left),
  which is returned, or would overspend the real budget, when the previous outcome is returned.

Tie-breaking (documented and reproducible):
- greedy rules: equal tallies → the smaller project id first (numeric ids compared as numbers);
- equal shares: equal price per unit of utility (ρ) → the project with more supporters, then the
  smaller project id. pabutools' default is the lexicographic project name; the benchmark hands
  pabutools this same rule so the two are compared on equal terms.

The equal-shares arithmetic is exact (rationals; gmpy2's when installed). Voters with the same
ballot are one group; voters whose budgets are equal share a budget class, so each step works on
the few distinct budgets among a project's supporters (numpy bincount) instead of every voter;
floating point only pre-sorts candidates, and every comparison that decides is exact."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

try:  # gmpy2 arrives with pabutools; exact either way, just faster with it
    from gmpy2 import mpq as _rational
except ImportError:  # pragma: no cover - depends on the environment
    _rational = Fraction

TieKey = Callable[[str], Any]


@dataclass(frozen=True)
class Candidate:
    project_id: str
    cost: Decimal
    tally: Decimal
    exclusion_group: str = ""


@dataclass
class Decision:
    project_id: str
    selected: bool
    reason: str


def money(value: Any) -> str:
    """48000 → "48 000" (whole units, thin groups as on the results page)."""
    return f"{int(value):,}".replace(",", " ")


def tie_key(project_id: str) -> tuple[int, int | str]:
    return (0, int(project_id)) if project_id.isdigit() else (1, project_id)


def ranked(candidates: Iterable[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: (-c.tally, tie_key(c.project_id)))


def _votes(tally: Decimal) -> str:
    return f"{tally.normalize():f}"


def greedy(candidates: Sequence[Candidate], budget: Decimal, *, skip: bool = True,
           threshold: Decimal | None = None, exclusive: bool = False) -> list[Decision]:
    """Greedy by tally. ``skip=False`` stops at the first project that does not fit;
    ``threshold`` leaves out projects below it; ``exclusive`` honours exclusion groups."""
    left = budget
    decisions = []
    stopped = False
    funded_groups: dict[str, str] = {}
    for candidate in ranked(candidates):
        group = candidate.exclusion_group if exclusive else ""
        if threshold is not None and candidate.tally < threshold:
            decisions.append(Decision(candidate.project_id, False,
                                      f"ниже порога: {_votes(candidate.tally)} голосов при пороге {_votes(threshold)}"))
        elif stopped:
            decisions.append(Decision(candidate.project_id, False,
                                      "отбор остановлен на первом не поместившемся проекте"))
        elif group and group in funded_groups:
            decisions.append(Decision(candidate.project_id, False,
                                      f"исключается проектом {funded_groups[group]}, уже отобранным на это место"))
        elif candidate.cost <= left:
            left -= candidate.cost
            if group:
                funded_groups[group] = candidate.project_id
            decisions.append(Decision(candidate.project_id, True,
                                      f"поместился: {_votes(candidate.tally)} голосов, осталось {money(left)}"))
        else:
            reason = f"не хватило средств: осталось {money(left)}, стоимость {money(candidate.cost)}"
            decisions.append(Decision(candidate.project_id, False, reason))
            stopped = not skip
    return decisions


@dataclass
class _Profile:
    """Approval ballots folded into groups of identical ballots."""

    ids: list[str]
    costs: list[Any]  # exact rationals
    supporters: list[np.ndarray]  # group indices per project
    weights: list[np.ndarray]  # multiplicities of those groups (int64)
    counts: list[int]  # supporters per project
    n_voters: int
    n_groups: int


def _profile(costs: Mapping[str, Decimal], ballots: Iterable[Iterable[str]]) -> _Profile:
    ids = list(costs)
    index = {p: i for i, p in enumerate(ids)}
    groups: dict[frozenset[int], int] = {}
    n_voters = 0
    for ballot in ballots:
        n_voters += 1
        key = frozenset(index[p] for p in ballot)
        groups[key] = groups.get(key, 0) + 1
    members: list[list[int]] = [[] for _ in ids]
    multiplicity: list[list[int]] = [[] for _ in ids]
    for g, (key, count) in enumerate(groups.items()):
        for p in key:
            members[p].append(g)
            multiplicity[p].append(count)
    return _Profile(
        ids=ids,
        costs=[_rational(Fraction(costs[p])) for p in ids],
        supporters=[np.array(m, dtype=np.int64) for m in members],
        weights=[np.array(w, dtype=np.int64) for w in multiplicity],
        counts=[int(sum(w)) for w in multiplicity],
        n_voters=n_voters,
        n_groups=len(groups),
    )


class _Run:
    """One run of the Method of Equal Shares at a given starting budget per voter."""

    def __init__(self, profile: _Profile, per_voter: Any, tie: Callable[[int], Any]) -> None:
        self.p = profile
        self.tie = tie
        # class 0: an empty purse; class 1: the starting budget. Budgets only shrink, and two
        # classes that pay the same price stay distinct, so only "empty" needs merging.
        self.values: list[Any] = [_rational(0), per_voter]
        self.floats = np.zeros(64)
        self.floats[1] = float(per_voter)
        self.cls = np.ones(profile.n_groups, dtype=np.int64)  # budget class of each ballot group

    def _class(self, value: Any) -> int:
        if value <= 0:
            return 0
        found = len(self.values)
        self.values.append(value)
        if found >= len(self.floats):
            self.floats = np.concatenate((self.floats, np.zeros(len(self.floats))))
        self.floats[found] = float(value)
        return found

    def _budget_classes(self, project: int) -> tuple[np.ndarray, np.ndarray]:
        counts = np.bincount(self.cls[self.p.supporters[project]], weights=self.p.weights[project],
                             minlength=len(self.values))
        present = np.nonzero(counts)[0]
        return present, counts[present].astype(np.int64)

    def price_float(self, project: int) -> float | None:
        """Approximate ρ (payment per unit of utility); None when the supporters cannot pay."""
        present, counts = self._budget_classes(project)
        values = self.floats[present]
        order = np.argsort(values, kind="stable")
        values, counts = values[order], counts[order]
        cost = float(self.p.costs[project])
        paid = np.concatenate(([0.0], np.cumsum(values * counts)[:-1]))
        rest = self.p.counts[project] - np.concatenate(([0], np.cumsum(counts)[:-1]))
        payment = (cost - paid) / rest
        fits = np.nonzero(payment <= values * (1 + 1e-12) + 1e-300)[0]
        if len(fits) == 0:
            return None
        return float(payment[fits[0]]) / cost

    def price_exact(self, project: int) -> Any | None:
        present, counts = self._budget_classes(project)
        pairs = sorted(((self.values[c], int(k)) for c, k in zip(present.tolist(), counts.tolist(), strict=True)),
                       key=lambda pair: pair[0])
        cost = self.p.costs[project]
        paid: Any = 0
        rest = self.p.counts[project]
        for value, count in pairs:
            payment = (cost - paid) / rest
            if payment <= value:
                return payment / cost
            paid += value * count
            rest -= count
        return None

    def pay(self, project: int, rho: Any) -> None:
        payment = rho * self.p.costs[project]
        rows = self.p.supporters[project]
        present = np.unique(self.cls[rows])
        remap = np.arange(len(self.values), dtype=np.int64)
        for c in present.tolist():
            value = self.values[c]
            remap[c] = self._class(value - payment if value > payment else _rational(0))
        if len(self.values) > len(remap):
            remap = np.concatenate((remap, np.arange(len(remap), len(self.values), dtype=np.int64)))
        self.cls[rows] = remap[self.cls[rows]]

    def run(self, projects: list[int]) -> list[int]:
        remaining = set(projects)
        bound = {j: (1.0 - 1e-9) / self.p.counts[j] for j in projects}  # ρ only grows as budgets shrink
        chosen: list[int] = []
        while remaining:
            best: tuple[float, int] | None = None
            near: list[tuple[float, int]] = []
            for j in sorted(remaining, key=lambda j: (bound[j], self.tie(j))):
                if best is not None and bound[j] > best[0] * (1 + 1e-9):
                    break
                rho = self.price_float(j)
                if rho is None:  # the float says the supporters cannot pay: make sure
                    exact = self.price_exact(j)
                    if exact is None:
                        remaining.discard(j)
                        continue
                    rho = float(exact)
                bound[j] = rho * (1 - 1e-9)
                near.append((rho, j))
                if best is None or rho < best[0]:
                    best = (rho, j)
            if best is None:
                return chosen
            # decide exactly among everything within rounding distance of the best
            contenders = []
            for rho, j in near:
                if rho <= best[0] * (1 + 1e-9):
                    exact = self.price_exact(j)
                    if exact is None:
                        remaining.discard(j)
                    else:
                        contenders.append((exact, self.tie(j), j))
            if not contenders:
                continue
            exact_rho, _tie, winner = min(contenders)
            self.pay(winner, exact_rho)
            chosen.append(winner)
            remaining.discard(winner)
        return chosen


def equal_shares(costs: Mapping[str, Decimal], ballots: Iterable[Iterable[str]], budget: Decimal, *,
                 completion: str | None = "add1", increment: Decimal = Decimal(1),
                 tie: TieKey | None = None) -> list[Decision]:
    """Method of Equal Shares over approval ballots (cost utilities), completed by add1.

    ``tie`` orders projects of equal ρ (smaller first); by default more supporters, then the
    smaller id. Projects nobody supports are never chosen; supported projects that cost
    nothing are always chosen (as pabutools does)."""
    profile = _profile(costs, ballots)
    ids = profile.ids
    tie_of: Callable[[int], Any] = (
        (lambda j: tie(ids[j])) if tie is not None else (lambda j: (-profile.counts[j], tie_key(ids[j]))))
    free = [j for j in range(len(ids)) if profile.counts[j] and profile.costs[j] == 0]
    available = [j for j in range(len(ids)) if profile.counts[j] and profile.costs[j] > 0]
    limit = _rational(Fraction(budget))
    step = _rational(Fraction(increment))

    def total(outcome: list[int]) -> Any:
        return sum((profile.costs[j] for j in outcome), _rational(0))

    def exhaustive(outcome: list[int]) -> bool:
        spent = total(outcome)
        taken = set(outcome)
        return all(j in taken or profile.costs[j] + spent > limit for j in available)

    outcome: list[int] = list(free)
    if profile.n_voters:
        per_voter = limit / profile.n_voters
        previous = list(free)
        rounds = 0
        while True:
            attempt = free + _Run(profile, per_voter, tie_of).run(available)
            if completion is None:
                outcome = attempt
                break
            if total(attempt) > limit:
                outcome = previous
                break
            if exhaustive(attempt):
                outcome = attempt
                break
            previous = attempt
            per_voter += step
            rounds += 1
    spent = total(outcome)
    chosen = set(outcome)
    decisions = [Decision(ids[j], True, f"выбран методом равных долей: {profile.counts[j]} сторонников "
                                        f"оплатили его из своих долей") for j in outcome]
    for j in sorted(range(len(ids)), key=lambda j: (-profile.counts[j], tie_key(ids[j]))):
        if j in chosen:
            continue
        if not profile.counts[j]:
            reason = "нет сторонников"
        elif profile.costs[j] + spent > limit:
            reason = (f"не хватило средств: осталось {money(limit - spent)}, "
                      f"стоимость {money(profile.costs[j])}")
        else:
            reason = f"доли бюджета {profile.counts[j]} сторонников не хватило на проект при равном распределении"
        decisions.append(Decision(ids[j], False, reason))
    return decisions
