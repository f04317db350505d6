"""Winner selection for participatory budgeting: the rules real cities use, each decision with
its reason (stored in Russian from the templates in ``REASONS``; ``localize_reason`` shows a
stored reason in the reader's language). Pure functions over plain rows: no database here.

- ``greedy``: by tally, highest first; a project that does not fit the money left is skipped
  and the next one is tried (CONSUL's rule);
- ``greedy_no_skip``: the same, but stop at the first project that does not fit;
- ``greedy_threshold``: greedy among projects whose tally reaches the threshold (any greedy
  variant takes a ``threshold``: a minimum score is about eligibility, not about the order);
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
- greedy rules: equal tallies → the candidate with the smaller ``order`` first, then the smaller
  project id (numeric ids compared as numbers). The platform passes the stored order: the order
  of submission, and for an imported Pabulib election the order of its PROJECTS section, which
  is the organisers' published ranking with their ties decided (a city that draws lots or looks
  at the cost among equal tallies shows the result there, not in its ids);
- equal shares: equal price per unit of utility (ρ) → the project with more supporters, then the
  smaller project id. pabutools' default is the lexicographic project name; the benchmark hands
  pabutools this same rule so the two are compared on equal terms.

How equal shares is computed fast without changing its result:
- voters with the same ballot are one group;
- add1 jumps: budgets are affine in the starting budget t as long as the same voters are short
  of money and the same projects win, so a run at t0 also proves for how many further increments
  it would choose the same (each decision gives a condition affine in t); those runs are skipped;
- a run is done in floating point over numpy arrays, every float with a bound on its distance
  from the exact value (running error analysis); a decision is taken only when the bounds
  separate the alternatives. Otherwise, and for ties whose exact ρ is not at hand, the run is
  redone in exact rationals (gmpy2's when installed), so every decision is the exact one."""
from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np
from django.utils.translation import gettext_noop

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
    order: int = 0  # among equal tallies the smaller comes first (then the smaller project id)


@dataclass
class Decision:
    project_id: str
    selected: bool
    reason: str


# Every reason a decision can carry. The Russian text is stored (results are reproducible and
# exported as they were announced); pages translate it back through these templates.
REASONS: dict[str, str] = {
    "below_threshold": gettext_noop("ниже порога: {votes} голосов при пороге {threshold}"),
    "stopped": gettext_noop("отбор остановлен на первом не поместившемся проекте"),
    "excluded": gettext_noop("исключается проектом {project}, уже отобранным на это место"),
    "fits": gettext_noop("поместился: {votes} голосов, осталось {left}"),
    "no_money": gettext_noop("не хватило средств: осталось {left}, стоимость {cost}"),
    "mes_selected": gettext_noop("выбран методом равных долей: {supporters} сторонников оплатили его из своих долей"),
    "no_supporters": gettext_noop("нет сторонников"),
    "mes_short": gettext_noop("доли бюджета {supporters} сторонников не хватило на проект при равном распределении"),
}


def reason(key: str, **params: Any) -> str:
    return REASONS[key].format(**params)


@functools.cache
def _reason_patterns() -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    for template in REASONS.values():
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", re.escape(template))
        patterns.append((re.compile(regex), template))
    return patterns


def localize_reason(text: str) -> str:
    """A stored reason in the active language (unchanged when it matches no template, e.g. a
    reason cut at the field's length)."""
    from django.utils.translation import gettext

    for pattern, template in _reason_patterns():
        found = pattern.fullmatch(text)
        if found:
            return gettext(template).format(**found.groupdict())
    return text


def money(value: Any) -> str:
    """48000 → "48 000" (whole units, thin groups as on the results page)."""
    return f"{int(value):,}".replace(",", " ")


def tie_key(project_id: str) -> tuple[int, int | str]:
    return (0, int(project_id)) if project_id.isdigit() else (1, project_id)


def ranked(candidates: Iterable[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: (-c.tally, c.order, tie_key(c.project_id)))


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
            decisions.append(Decision(candidate.project_id, False, reason(
                "below_threshold", votes=_votes(candidate.tally), threshold=_votes(threshold))))
        elif stopped:
            decisions.append(Decision(candidate.project_id, False, reason("stopped")))
        elif group and group in funded_groups:
            decisions.append(Decision(candidate.project_id, False, reason("excluded", project=funded_groups[group])))
        elif candidate.cost <= left:
            left -= candidate.cost
            if group:
                funded_groups[group] = candidate.project_id
            decisions.append(Decision(candidate.project_id, True,
                                      reason("fits", votes=_votes(candidate.tally), left=money(left))))
        else:
            decisions.append(Decision(candidate.project_id, False,
                                      reason("no_money", left=money(left), cost=money(candidate.cost))))
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
    fcost_errs: list[float]  # |float cost - exact cost| at most
    fweights: list[np.ndarray]  # weights as floats
    n_voters: int
    n_groups: int


def _profile(costs: Mapping[str, Decimal], ballots: Iterable[Iterable[str]]) -> _Profile:
    ids = list(costs)
    index = {p: i for i, p in enumerate(ids)}
    groups = Counter(map(frozenset, ballots))  # identical ballots counted in C
    n_voters = sum(groups.values())
    members: list[list[int]] = [[] for _ in ids]
    multiplicity: list[list[int]] = [[] for _ in ids]
    for g, (key, count) in enumerate(groups.items()):
        for p in key:
            members[index[p]].append(g)
            multiplicity[index[p]].append(count)
    return _Profile(
        ids=ids,
        costs=[_rational(Fraction(costs[p])) for p in ids],
        supporters=[np.array(m, dtype=np.int64) for m in members],
        weights=[np.array(w, dtype=np.int64) for w in multiplicity],
        counts=[int(sum(w)) for w in multiplicity],
        fcosts=[float(costs[p]) for p in ids],
        fcost_errs=[abs(float(costs[p])) * 2.0 ** -52 for p in ids],
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


_U = 2.0 ** -53  # unit roundoff of float64: one operation errs by at most _U·|result|


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Σ a·b without BLAS (whose threads stall on a busy machine; this is as fast for one vector)."""
    return float(np.multiply(a, b).sum())


class _Price(NamedTuple):
    payment: float
    err: float  # the exact payment is within this
    short: np.ndarray  # over the supporters: those who pay all they have
    unsure: np.ndarray | None  # those within the errors of the payment (None: nobody)


class _CloseCall(Exception):
    """A floating-point decision too close to call: the run is redone in exact arithmetic."""


class _MaybeAffordable(_CloseCall):
    """The supporters' money is within the errors of the cost. If they can pay, nearly all of
    them pay everything, so ρ is at least ``low``; the run goes on while that cannot win."""

    def __init__(self, low: float) -> None:
        super().__init__(low)
        self.low = low


@dataclass
class _Bound:
    """A lower bound of a project's ρ as a function of the starting budget t: ``rho`` at t0 (the
    exact value within ``err``) and ``slope`` (within ``slope_err``; None until needed)."""

    rho: float
    err: float
    slope: float | None = 0.0
    slope_err: float = 0.0

    @property
    def low(self) -> float:
        return self.rho - self.err * (1 + 4 * _U)


class _FloatRun:
    """The same run as :class:`_Run` — the same decisions and a ``last`` no larger than its — in
    floating point over arrays of ballot groups, which is many times faster.

    Every float carries a bound on its distance from the exact value (running error analysis:
    an operation adds at most u·|result|, a sum of n terms at most γ·Σ|terms|), and a decision is
    taken only when the bounds separate the alternatives: who can afford a project, who is short
    of its payment, which project is cheapest per unit. Otherwise :class:`_CloseCall` is raised and
    the caller redoes the run in exact rationals; ties whose ρ is known exactly (everyone short of
    the payment has already paid out everything, so the others share the cost equally) are settled
    here. The conditions on later increments are shortened by their error bounds, so ``last`` is
    never more than the exact one. ``certify=False`` proves nothing about later increments."""

    def __init__(self, profile: _Profile, t0: Any, step: Any, certify: bool = True) -> None:
        groups = profile.n_groups
        self.p = profile
        self.start = start = float(t0)
        self.step = float(step) * (1 + 4 * _U)  # at least the exact step
        self.gamma = 4 * (groups + 4) * _U  # generous γ for sums over a project's supporters
        self.budget = np.full(groups, start)
        self.err = abs(start) * 2 * _U  # every budget is within this of the exact one
        self.slope = np.ones(groups)
        self.slope_err = 0.0  # every slope is within this of the exact one
        self.empty = np.zeros(groups, dtype=bool)  # budgets that are exactly 0
        self.last: int | None = None if certify else 0
        self._payment_slope = (0.0, 0.0)

    def _limit(self, at_t0: float, slope: float, err0: float, err1: float) -> None:
        """Keep ``at_t0 + slope·(t - t0) > 0`` (values within err0, err1 of the exact ones) true
        up to ``last``."""
        worst = slope - err1 - 4 * _U * (abs(slope) + err1)
        if worst >= 0:
            return
        room = at_t0 - err0 - 4 * _U * (abs(at_t0) + err0)
        k = max(math.floor(room / (self.step * -worst) * (1 - 8 * _U)), 0) if room > 0 else 0
        if self.last is None or k < self.last:
            self.last = k

    def _limit_all(self, at_t0: np.ndarray, slope: np.ndarray, err0: Any, err1: Any) -> None:
        worst = slope - err1 - 4 * _U * (np.abs(slope) + err1)
        short = worst < 0
        if short.any():
            room = (at_t0 - err0 - 4 * _U * (np.abs(at_t0) + err0))[short]
            k = max(math.floor(float((np.maximum(room, 0.0) / (self.step * -worst[short])).min()) * (1 - 8 * _U)), 0)
            if self.last is None or k < self.last:
                self.last = k

    def _sum_slopes(self, rows: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
        """Σ weight·slope over the groups and its error bound."""
        slopes = self.slope[rows]
        total = _dot(slopes, weights)
        err = self.slope_err * float(weights.sum()) * (1 + self.gamma) + self.gamma * _dot(np.abs(slopes), weights)
        return total, err

    def price(self, project: int) -> _Price | None:
        """The payment (the fixed point of "those who have less than it pay all they have, the
        others share the rest", found from "nobody is short" upwards) or None when the supporters
        together cannot pay (the condition that they still cannot is then recorded)."""
        p = self.p
        cost, cost_err = p.fcosts[project], p.fcost_errs[project]
        rows = p.supporters[project]
        weights = p.fweights[project]
        values = self.budget[rows]
        money = values * weights
        total = float(money.sum())
        count = p.counts[project]
        total_err = self.err * count * (1 + self.gamma) + self.gamma * total + cost_err + 4 * _U * (total + cost)
        if total - cost < -total_err:
            if self.last != 0:
                slope, slope_err = self._sum_slopes(rows, weights)
                self._limit(cost - total, -slope, total_err, slope_err)
            return None
        if total - cost < total_err:  # affordable or not: too close to tell
            # affordable means Σ max(0, budget - payment) = total - cost ≤ 2·total_err
            highest = float(values.max()) - self.err - 2 * total_err
            raise _MaybeAffordable(highest / (cost + cost_err) * (1 - 8 * _U))
        payment = cost / count
        short = values < payment
        n_short = 0.0
        while True:
            now = _dot(weights, short)
            if now == n_short:
                break
            n_short = now
            if n_short >= count:
                raise _CloseCall
            payment = (cost - _dot(money, short)) / (count - n_short)
            short |= values < payment
        paid = _dot(money, short)
        paid_err = self.err * n_short * (1 + self.gamma) + self.gamma * paid
        payment_err = (paid_err + cost_err + 4 * _U * (cost + paid)) / (count - n_short) + 4 * _U * payment
        # who is short is certain for those whose budget is farther from the payment than the
        # errors (short is exactly "values < payment" in floats; budgets never exceed the start)
        distance = np.abs(values - payment)
        margin = self.err + payment_err + 4 * _U * (self.start + payment)
        if float(distance.min()) > margin:
            return _Price(payment, payment_err, short, None)
        # Some are within the errors of the payment. Whichever side they are on, what they pay
        # is within margin + err of what the float split makes them pay, so the money paid at
        # this payment is within Δ = payment_err·(those not short) + (their weight)·(margin + err)
        # of the cost; the money grows at least as fast as the weight of those surely above it,
        # so the exact payment is within Δ / (that weight) of this one — provided those surely
        # above (and below) stay so across that distance, which is checked.
        unsure = distance <= margin
        surely_above = count - _dot(weights, unsure | short)
        if surely_above <= 0:
            raise _CloseCall
        spread = payment_err * (count - n_short) + _dot(weights, unsure) * (margin + self.err)
        payment_err = spread / surely_above * (1 + 8 * _U)
        wider = self.err + payment_err + 4 * _U * (self.start + payment)
        if bool((distance[~unsure] <= wider).any()):
            raise _CloseCall
        return _Price(payment, payment_err, short, unsure)

    def _rho(self, project: int, payment: float, payment_err: float) -> tuple[float, float]:
        cost = self.p.fcosts[project]
        rho = payment / cost
        return rho, payment_err / cost + rho * self.p.fcost_errs[project] / cost * (1 + 4 * _U) + 4 * _U * rho

    def _slope_of(self, project: int, short: np.ndarray) -> tuple[float, float]:
        """d payment / d t for ``project`` with that split, and its error bound."""
        p = self.p
        rows = p.supporters[project][short]
        weights = p.fweights[project][short]
        paid, paid_err = self._sum_slopes(rows, weights)
        rest = p.counts[project] - float(weights.sum())
        slope = -paid / rest
        return slope, paid_err / rest + 4 * _U * abs(slope)

    def _rho_slope(self, project: int, short: np.ndarray) -> tuple[float, float]:
        slope, err = self._slope_of(project, short)
        cost = self.p.fcosts[project]
        rho_slope = slope / cost
        return rho_slope, err / cost + abs(rho_slope) * (self.p.fcost_errs[project] / cost + 4 * _U)

    def _exact_rho(self, project: int, price: _Price) -> Any:
        """ρ exactly, or None: it is 1/(supporters who are not short) when every supporter who is
        short has paid out everything already (the split itself is certain, see price); it then
        stays so for later increments as long as the split holds."""
        p = self.p
        if price.unsure is not None or (price.short & ~self.empty[p.supporters[project]]).any():
            return None
        return _rational(1, p.counts[project] - int(np.multiply(p.weights[project], price.short).sum()))

    def _exact_or_close(self, project: int, price: _Price) -> Any:
        rho = self._exact_rho(project, price)
        if rho is None:
            raise _CloseCall
        return rho

    def run(self, projects: list[int], tie: Callable[[int], Any]) -> list[int]:
        p = self.p
        remaining = set(projects)
        # ρ ≥ 1/supporters; any earlier ρ of the same run stays a lower bound (see _Run.run)
        bound = {j: _Bound(1.0 / p.counts[j], 2 * _U / p.counts[j]) for j in projects}
        chosen: list[int] = []
        while remaining:
            best = -1
            best_rho = best_high = math.inf
            fresh: dict[int, _Price] = {}
            undecided: list[int] = []
            for j in sorted(remaining, key=lambda j: bound[j].low):
                if bound[j].low > best_high:
                    break  # surely dearer than the cheapest so far
                try:
                    found = self.price(j)
                except _MaybeAffordable as maybe:
                    bound[j] = _Bound(maybe.low, 0.0, None)
                    undecided.append(j)
                    continue
                if found is None:
                    remaining.discard(j)
                    continue
                rho, err = self._rho(j, found[0], found[1])
                bound[j] = _Bound(rho, err, None)
                fresh[j] = found
                best_high = min(best_high, rho + err * (1 + 4 * _U))
                if rho < best_rho:
                    best, best_rho = j, rho
            if undecided:
                if best < 0 or any(bound[j].low <= best_high for j in undecided):
                    raise _CloseCall  # it might be affordable and the cheapest
                self.last = 0  # how it goes on is not known
            if best < 0:
                return chosen
            near = [j for j in fresh if bound[j].low <= best_high]
            if len(near) > 1:  # a tie, or nearly: only exact values decide
                best = min(near, key=lambda j: (self._exact_or_close(j, fresh[j]), tie(j)))
            payment, payment_err, short, unsure = fresh[best]
            rows = p.supporters[best]
            poor, rich = rows[short], rows[~short]
            certify = self.last != 0
            if certify:
                self._certify(best, payment, payment_err, poor, rich, remaining, bound, fresh, tie)
            self.budget[poor] = 0.0
            self.budget[rich] -= payment
            if unsure is None:
                self.empty[poor] = True
                self.err += payment_err + 2 * _U * self.start
            else:  # exactly they may have paid all or the payment: either way they are left near 0
                self.empty[rows[short & ~unsure]] = True
                self.err += payment_err + (self.err + payment_err + 8 * _U * self.start) * (1 + 8 * _U)
            if certify:
                slope, slope_err = self._payment_slope
                self.slope[poor] = 0.0
                slopes = self.slope[rich] - slope
                self.slope[rich] = slopes
                if len(slopes):
                    self.slope_err += slope_err + 2 * _U * float(np.abs(slopes).max())
            chosen.append(best)
            remaining.discard(best)
        return chosen

    def _certify(self, winner: int, payment: float, payment_err: float, poor: np.ndarray, rich: np.ndarray,
                 remaining: set[int], bound: dict[int, _Bound], fresh: dict[int, _Price],
                 tie: Callable[[int], Any]) -> None:
        """Limit ``last`` to the increments for which this step stays the same: the same supporters
        short of the payment, and no other project cheaper (or as cheap and first by the tie)."""
        if fresh[winner].unsure is not None:  # the split may change right away
            self.last = 0
            return
        short = fresh[winner].short
        slope, slope_err = self._payment_slope = self._slope_of(winner, short)
        for rows, sign in ((poor, 1.0), (rich, -1.0)):
            if len(rows):
                slopes = self.slope[rows]
                self._limit_all(sign * (payment - self.budget[rows]), sign * (slope - slopes),
                                payment_err + self.err, slope_err + self.slope_err)
        rho, rho_err = self._rho(winner, payment, payment_err)
        rho_slope, rho_slope_err = self._rho_slope(winner, short)
        exact = self._exact_rho(winner, fresh[winner])
        for j in list(remaining):
            if j == winner or self.last == 0:
                continue
            if exact is not None and j in fresh:  # both exact and constant: settled for good
                other = self._exact_rho(j, fresh[j])
                if other is not None and (other, tie(j)) > (exact, tie(winner)):
                    continue
            b = bound[j]
            if j in fresh and fresh[j].unsure is not None:  # its ρ as a function of t: not known
                self.last = 0
                return
            if b.slope is None and j in fresh:
                b.slope, b.slope_err = self._rho_slope(j, fresh[j].short)
            before = self.last
            if b.slope is not None:
                self._limit(b.rho - rho, b.slope - rho_slope, b.err + rho_err, b.slope_err + rho_slope_err)
            if j not in fresh and (b.slope is None or self.last != before):  # a stale bound cut it short
                self.last = before
                try:
                    found = self.price(j)
                except _MaybeAffordable:
                    self.last = 0
                    return
                if found is None:
                    remaining.discard(j)
                    continue
                fresh[j] = found
                if found.unsure is not None:
                    self.last = 0
                    return
                value, err = self._rho(j, found.payment, found.err)
                low_slope, low_slope_err = self._rho_slope(j, found.short)
                bound[j] = _Bound(value, err, low_slope, low_slope_err)
                self._limit(value - rho, low_slope - rho_slope, err + rho_err, low_slope_err + rho_slope_err)


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
        misses = 0  # proofs in a row that held for no further increment
        next_proof = 1  # the first run is often the last one: it proves nothing
        while True:
            # proving how far a run's outcome holds pays off only where it holds for a while: after
            # proofs that held for no further increment, the next 1, 3, 7 or 15 runs do not try
            # (a run without the proof is an ordinary run: the next one is one increment on)
            certify = completion is not None and rounds >= next_proof
            float_run = _FloatRun(profile, per_voter, step, certify)
            try:
                attempt = free + float_run.run(available, tie_of)
                last = float_run.last
            except _CloseCall:
                exact_run = _Run(profile, per_voter, step, tie_of, certify)
                attempt = free + exact_run.run(available)
                last = exact_run.last
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
            if certify:
                misses = misses + 1 if last == 0 else 0
                next_proof = rounds + 2 ** min(misses, 4)
            per_voter += step * (last + 1)
            rounds += 1
    spent = total(outcome)
    chosen = set(outcome)
    decisions = [Decision(ids[j], True, reason("mes_selected", supporters=profile.counts[j])) for j in outcome]
    for j in sorted(range(len(ids)), key=lambda j: (-profile.counts[j], tie_key(ids[j]))):
        if j in chosen:
            continue
        if not profile.counts[j]:
            why = reason("no_supporters")
        elif profile.costs[j] + spent > limit:
            why = reason("no_money", left=money(limit - spent), cost=money(profile.costs[j]))
        else:
            why = reason("mes_short", supporters=profile.counts[j])
        decisions.append(Decision(ids[j], False, why))
    return decisions
