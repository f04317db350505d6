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

How equal shares is computed fast without changing its result:
- voters with the same ballot are one group;
- add1 jumps: budgets are affine in the starting budget t while the same voters are short of
  money and the same projects win, so a run at t0 also proves for how many further increments it
  would choose the same (every decision gives a condition affine in t); the loop skips those runs;
- a run is done in floating point over numpy arrays; a decision closer than a margin (1e-9
  relative, far above the rounding a run accumulates) is a close call, and the run is redone in
  exact rationals (gmpy2's when installed), which also settles ties by the documented rule."""
from __future__ import annotations

import math
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
    fcosts: list[float]
    fweights: list[np.ndarray]  # weights as floats
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
        fcosts=[float(costs[p]) for p in ids],
        fweights=[np.array(w, dtype=float) for w in multiplicity],
        n_voters=n_voters,
        n_groups=len(groups),
    )


class _Run:
    """One run of the Method of Equal Shares at the starting budget ``t0`` per voter, done so that
    it also proves for how many further add1 increments it would make the very same choices.

    Every budget is kept as its value at ``t0`` and its slope in the starting budget ``t``
    (voters' budgets are affine in ``t`` as long as the same voters are short of money and the
    same project wins each step). Each decision adds the condition under which it stays the same,
    affine in ``t`` too; ``last`` is the largest ``k`` for which all of them hold at
    ``t0 + k·step``, so the runs at ``t0, t0 + step, …, t0 + last·step`` all return this outcome
    and the add1 loop may jump over them. Everything is exact (rationals)."""

    def __init__(self, profile: _Profile, t0: Any, step: Any, tie: Callable[[int], Any], certify: bool = True) -> None:
        self.p = profile
        self.tie = tie
        self.step = step
        # class 0: an empty purse; class 1: the starting budget t. Budgets only shrink, and two
        # classes that pay the same price stay distinct, so only "empty" needs merging.
        self.values: list[Any] = [_rational(0), t0]  # at t0
        self.slopes: list[Any] = [_rational(0), _rational(1)]  # d budget / d t
        self.cls = np.ones(profile.n_groups, dtype=np.int64)  # budget class of each ballot group
        self.last: int | None = None if certify else 0  # None: no limit found (yet)

    def _limit(self, at_t0: Any, slope: Any, strict: bool) -> None:
        """Keep ``at_t0 + slope·(t - t0) ≥ 0`` (``> 0`` when strict) true up to ``last``."""
        if slope >= 0:
            return
        x = at_t0 / (self.step * -slope)
        k = int(x)
        if strict and k == x:
            k -= 1
        k = max(k, 0)
        if self.last is None or k < self.last:
            self.last = k

    def _new_class(self, value: Any, slope: Any) -> int:
        self.values.append(value)
        self.slopes.append(slope)
        return len(self.values) - 1

    def price(self, project: int) -> tuple[Any, Any, list[int], list[int]] | tuple[None, Any, Any, list[int]]:
        """ρ of ``project`` at t0 and its slope, with the budget classes that pay all they have and
        those that pay the price; or (None, money short at t0, its slope, classes) when the
        supporters together cannot pay."""
        rows = self.p.supporters[project]
        counts = np.bincount(self.cls[rows], weights=self.p.weights[project], minlength=len(self.values))
        present = np.nonzero(counts)[0].tolist()
        sizes = counts[present].astype(np.int64).tolist()
        values, slopes = self.values, self.slopes
        order = sorted(range(len(present)), key=lambda i: values[present[i]])
        cost = self.p.costs[project]
        paid: Any = _rational(0)
        paid_slope: Any = _rational(0)
        rest = self.p.counts[project]
        for n, i in enumerate(order):
            c = present[i]
            payment = (cost - paid) / rest
            if payment <= values[c]:
                slope = -paid_slope / rest
                classes = [present[i] for i in order]
                return payment / cost, slope / cost, classes[:n], classes[n:]
            paid += values[c] * sizes[i]
            paid_slope += slopes[c] * sizes[i]
            rest -= sizes[i]
        return None, cost - paid, -paid_slope, present

    def run(self, projects: list[int]) -> list[int]:
        remaining = set(projects)
        # a lower bound of each ρ (value at t0, slope): any split of the supporters into those who
        # pay all they have and those who pay the price gives ρ or less, so an earlier step's ρ
        # stays a lower bound; 1/supporters to begin with
        bound = {j: (_rational(1, self.p.counts[j]), _rational(0)) for j in projects}
        chosen: list[int] = []
        while remaining:
            best: tuple[Any, Any, int] | None = None
            fresh: dict[int, tuple[Any, Any, list[int], list[int]]] = {}
            for j in sorted(remaining, key=lambda j: (float(bound[j][0]), self.tie(j))):
                if best is not None and float(bound[j][0]) > float(best[0]) * (1 + 1e-9):
                    break
                rho, slope, poor, rich = self.price(j)
                if rho is None:
                    self._limit(slope, poor, strict=True)  # stays short of money
                    remaining.discard(j)
                    continue
                bound[j] = (rho, slope)
                fresh[j] = (rho, slope, poor, rich)
                if best is None or (rho, self.tie(j)) < (best[0], self.tie(best[2])):
                    best = (rho, slope, j)
            if best is None:
                return chosen
            rho, slope, winner = best
            _rho, _slope, poor, rich = fresh[winner]
            cost = self.p.costs[winner]
            payment, payment_slope = rho * cost, slope * cost
            if self.last != 0:
                self._certify(winner, rho, slope, payment, payment_slope, poor, rich, remaining, bound, fresh)
            self._pay(winner, payment, payment_slope, poor)
            chosen.append(winner)
            remaining.discard(winner)
        return chosen

    def _certify(self, winner: int, rho: Any, slope: Any, payment: Any, payment_slope: Any,
                 poor: list[int], rich: list[int], remaining: set[int],
                 bound: dict[int, tuple[Any, Any]], fresh: dict[int, Any]) -> None:
        values, slopes = self.values, self.slopes
        for c in poor:  # still cannot pay the price
            self._limit(payment - values[c], payment_slope - slopes[c], strict=False)
        for c in rich:  # still can
            self._limit(values[c] - payment, slopes[c] - payment_slope, strict=False)
        tie = self.tie(winner)
        for j in list(remaining):
            if j == winner:
                continue
            strict = self.tie(j) < tie
            low, low_slope = bound[j]
            before = self.last
            self._limit(low - rho, low_slope - slope, strict)
            if j not in fresh and self.last != before:  # a stale bound cut the run short: refine it
                self.last = before
                new_rho, new_slope, poor_j, _rich = self.price(j)
                if new_rho is None:
                    self._limit(new_slope, poor_j, strict=True)
                    remaining.discard(j)
                    continue
                bound[j] = (new_rho, new_slope)
                fresh[j] = None
                self._limit(new_rho - rho, new_slope - slope, strict)

    def _pay(self, project: int, payment: Any, payment_slope: Any, poor: list[int]) -> None:
        rows = self.p.supporters[project]
        present = np.unique(self.cls[rows]).tolist()
        remap = np.arange(len(self.values), dtype=np.int64)
        broke = set(poor)
        for c in present:
            remap[c] = 0 if c in broke or c == 0 else self._new_class(self.values[c] - payment,
                                                                       self.slopes[c] - payment_slope)
        self.cls[rows] = remap[self.cls[rows]]


class _CloseCall(Exception):
    """A floating-point decision too close to call: the run is redone in exact arithmetic."""


class _FloatRun:
    """The same run as :class:`_Run` (same decisions; ``last`` never larger) in floating point
    over arrays of ballot groups, which is many times faster. Every decision whose margin is
    below ``tol`` (relative; far above the rounding error a run can accumulate) raises
    :class:`_CloseCall` and the caller redoes the run exactly; the conditions on later increments
    are shortened by the same margin, so ``last`` can only come out smaller than the exact one.
    ``certify=False`` skips proving anything about later increments (``last`` = 0)."""

    def __init__(self, profile: _Profile, t0: Any, step: Any, tol: float, certify: bool = True) -> None:
        self.p = profile
        self.step = float(step)
        self.tol = tol
        self.scale = max([float(t0), 1.0] + profile.fcosts)
        self.budget = np.full(profile.n_groups, float(t0))
        self.slope = np.ones(profile.n_groups)
        self.empty = np.zeros(profile.n_groups, dtype=bool)  # budgets that are exactly 0
        self.last: int | None = None if certify else 0

    def _limit(self, at_t0: float, slope: float, tol0: float, tol1: float) -> None:
        """Keep ``at_t0 + slope·(t - t0) ≥ 0`` true up to ``last``, with the error margins."""
        worst = slope - tol1
        if worst >= 0:
            return
        k = max(math.floor((at_t0 - tol0) / (self.step * -worst)), 0)
        if self.last is None or k < self.last:
            self.last = k

    def _limit_all(self, at_t0: np.ndarray, slope: np.ndarray, tol0: float, tol1: np.ndarray) -> None:
        worst = slope - tol1
        short = worst < 0
        if short.any():
            k = max(math.floor(float(((at_t0[short] - tol0) / (self.step * -worst[short])).min())), 0)
            if self.last is None or k < self.last:
                self.last = k

    def price(self, project: int) -> tuple[float, np.ndarray, np.ndarray] | None:
        """(payment, supporter groups that pay all they have (a mask over the project's supporters),
        their budgets) or None when the supporters together cannot pay (the condition that they
        still cannot is recorded). The payment is the fixed point of "those who have less pay all
        they have, the others share the rest", found from "nobody is short" upwards."""
        p = self.p
        cost = p.fcosts[project]
        weights = p.fweights[project]
        values = self.budget[p.supporters[project]]
        money = values * weights
        total = float(money.sum())
        if abs(total - cost) <= self.tol * cost:
            raise _CloseCall
        if total < cost:
            if self.last != 0:
                slope = float(self.slope[p.supporters[project]] @ weights)
                self._limit(cost - total, -slope, self.tol * cost, self.tol * (abs(slope) + 1))
            return None
        count = p.counts[project]
        payment = cost / count
        short = values < payment
        n_short = 0.0
        while True:
            now = float(weights @ short)
            if now == n_short:
                return payment, short, values
            n_short = now
            payment = (cost - float(money @ short)) / (count - n_short)
            short |= values < payment

    def run(self, projects: list[int], tie: Callable[[int], Any]) -> list[int]:
        p = self.p
        remaining = set(projects)
        # lower bounds of ρ (value at t0, slope), as in _Run
        bound: dict[int, tuple[float, float | None]] = {j: (1.0 / p.counts[j], 0.0) for j in projects}
        chosen: list[int] = []
        tol = self.tol
        while remaining:
            best = -1
            best_rho = 0.0
            fresh: dict[int, Any] = {}
            for j in sorted(remaining, key=lambda j: bound[j][0]):
                if best >= 0 and bound[j][0] > best_rho * (1 + tol):
                    break
                found = self.price(j)
                if found is None:
                    remaining.discard(j)
                    continue
                rho = found[0] / p.fcosts[j]
                bound[j] = (rho, None)  # the slope only when proving later increments
                fresh[j] = found
                if best < 0 or rho < best_rho:
                    best, best_rho = j, rho
            if best < 0:
                return chosen
            near = [j for j in fresh if bound[j][0] <= best_rho * (1 + tol)]
            if len(near) > 1:  # a tie, or nearly: exact arithmetic decides
                best = min(near, key=lambda j: (self._exact_or_close(j, fresh[j][1]), tie(j)))
            payment, short, _values = fresh[best]
            rows = p.supporters[best]
            poor, rich = rows[short], rows[~short]
            if self.last != 0:
                self._certify(best, payment, poor, rich, remaining, bound, fresh, tie)
            self.budget[poor] = 0.0
            self.empty[poor] = True
            self.budget[rich] -= payment
            if self.last != 0:
                self.slope[poor] = 0.0
                self.slope[rich] -= self._payment_slope
            chosen.append(best)
            remaining.discard(best)
        return chosen

    def _exact_rho(self, project: int, short: np.ndarray) -> Any:
        """ρ exactly, or None: it can be had without exact budgets when every supporter who pays
        less than the others has paid out everything already (the others share the cost equally;
        ρ then stays the same for later increments as long as they can pay)."""
        p = self.p
        rows = p.supporters[project]
        if (short & ~self.empty[rows]).any():
            return None
        share = p.fcosts[project] / (p.counts[project] - float(p.fweights[project] @ short))
        if (self.budget[rows[~short]] < share + self.tol * self.scale).any():
            return None  # someone might be just short of the share after all
        return _rational(1, p.counts[project] - int(p.weights[project] @ short))

    def _exact_or_close(self, project: int, short: np.ndarray) -> Any:
        rho = self._exact_rho(project, short)
        if rho is None:
            raise _CloseCall
        return rho

    def _slope_of(self, project: int, short: np.ndarray) -> float:
        p = self.p
        weights = p.fweights[project]
        paid = float((self.slope[p.supporters[project]] * weights) @ short)
        return -paid / (p.counts[project] - float(weights @ short))

    def _certify(self, winner: int, payment: float, poor: np.ndarray, rich: np.ndarray, remaining: set[int],
                 bound: dict[int, tuple[float, float | None]], fresh: dict[int, Any],
                 tie: Callable[[int], Any]) -> None:
        tol, scale = self.tol, self.scale
        payment_slope = self._payment_slope = self._slope_of(winner, fresh[winner][1])
        for rows, sign in ((poor, 1.0), (rich, -1.0)):
            if len(rows):
                slopes = self.slope[rows]
                self._limit_all(sign * (payment - self.budget[rows]), sign * (payment_slope - slopes),
                                tol * scale, tol * (1 + abs(payment_slope) + np.abs(slopes)))
        cost = self.p.fcosts[winner]
        rho, slope = payment / cost, payment_slope / cost
        exact = self._exact_rho(winner, fresh[winner][1])
        for j in list(remaining):
            if j == winner or self.last == 0:
                continue
            if exact is not None and j in fresh:  # equal or nearly: settle exactly when possible
                other = self._exact_rho(j, fresh[j][1])
                if other is not None and (other, tie(j)) > (exact, tie(winner)):
                    continue  # both constant for later increments
            low, maybe_slope = bound[j]
            if maybe_slope is None and j in fresh:  # its slope was not needed until now
                maybe_slope = self._slope_of(j, fresh[j][1]) / self.p.fcosts[j]
                bound[j] = (low, maybe_slope)
            before = self.last
            if maybe_slope is not None:
                low_slope = maybe_slope
                self._limit(low - rho, low_slope - slope, tol * (low + rho), tol * (abs(low_slope) + abs(slope) + rho))
            if j not in fresh and (maybe_slope is None or self.last != before):  # a stale bound cut it short
                self.last = before
                found = self.price(j)
                if found is None:
                    remaining.discard(j)
                    continue
                fresh[j] = found
                low = found[0] / self.p.fcosts[j]
                low_slope = self._slope_of(j, found[1]) / self.p.fcosts[j]
                bound[j] = (low, low_slope)
                self._limit(low - rho, low_slope - slope, tol * (low + rho), tol * (abs(low_slope) + abs(slope) + rho))


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
        exact_runs = 0
        held: int | None = None
        # rounding error of a float run stays far below this (relative) margin
        tol = 1e-9 + 64 * 2.0 ** -53 * profile.n_groups * (len(ids) + 1)
        while True:
            # proving how far a run's outcome holds pays off only where it holds for a while: after a
            # run that held for no further increment, the next few runs do not try
            certify = completion is not None and (held != 0 or rounds % 8 == 0)
            float_run = _FloatRun(profile, per_voter, step, tol, certify)
            try:
                attempt = free + float_run.run(available, tie_of)
                last = float_run.last
            except _CloseCall:
                exact_run = _Run(profile, per_voter, step, tie_of, certify)
                attempt = free + exact_run.run(available)
                last = exact_run.last
                exact_runs += 1
            if completion is None:
                outcome = attempt
                break
            if total(attempt) > limit:
                outcome = previous
                break
            if exhaustive(attempt):
                outcome = attempt
                break
            if last is None:  # the same outcome for every larger budget: add1 never ends
                outcome = attempt
                break
            previous = attempt
            held = last
            per_voter += step * (last + 1)
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
