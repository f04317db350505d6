"""Our Method of Equal Shares (with add1) against pabutools on the same elections, side by side.

    .venv/bin/pip install -e '.[bench]'   # pabutools lives only in the bench extra
    .venv/bin/python bench/selection.py [--synthetic-voters N --synthetic-projects P]

For each election: the winners of both must be identical; the ratio is our time / theirs. Each
side is run again while its runs add up to less than a second (at most 5 runs) and its best
time counts, so elections that take milliseconds are not measured by one noisy run.
Both use the same tie-breaking (more supporters, then the smaller id: pabutools gets it as a
TieBreakingRule) and the same add1 completion (voter_budget_increment=1).

The largest real election in shared/data/pabulib is Warszawa 2024 Wesoła (1,009 voters,
32 projects). The shared data holds no 90,000-voter election (issue 6 mentions one); a
synthetic approval election (fixed seed, clearly labelled SYNTHETIC) stands in for a large case;
``--synthetic-voters 90000 --synthetic-projects 160`` gives the size the issue names.
Exits non-zero when any winners differ."""
from __future__ import annotations

import argparse
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from projects.pabulib import parse  # noqa: E402
from projects.selection import equal_shares, tie_key  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "pabulib"


def ours(costs: dict[str, Decimal], ballots: list[list[str]], budget: Decimal) -> tuple[set[str], float]:
    start = time.perf_counter()
    selected = {d.project_id for d in equal_shares(costs, ballots, budget) if d.selected}
    return selected, time.perf_counter() - start


def theirs(costs: dict[str, Decimal], ballots: list[list[str]], budget: Decimal) -> tuple[set[str], float]:
    from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance, Project
    from pabutools.rules import method_of_equal_shares
    from pabutools.tiebreaking import TieBreakingRule

    projects = {p: Project(p, int(c)) for p, c in costs.items()}
    instance = Instance(projects.values(), budget_limit=int(budget))
    profile = ApprovalProfile([ApprovalBallot([projects[p] for p in b]) for b in ballots])
    start = time.perf_counter()
    same_ties = TieBreakingRule(lambda _inst, prof, proj: (-prof.approval_score(proj), tie_key(proj.name)))
    outcome = method_of_equal_shares(instance, profile, sat_class=Cost_Sat, voter_budget_increment=1,
                                     tie_breaking=same_ties)
    return {p.name for p in outcome}, time.perf_counter() - start


def best_of(run, costs: dict[str, Decimal], ballots: list[list[str]], budget: Decimal) -> tuple[set[str], float]:
    times: list[float] = []
    while len(times) < 5 and sum(times) < 1.0:
        chosen, seconds = run(costs, ballots, budget)
        times.append(seconds)
    return chosen, min(times)


def synthetic(voters: int, projects: int, seed: int = 7) -> tuple[dict[str, Decimal], list[list[str]], Decimal]:
    rng = random.Random(seed)
    costs = {str(i): Decimal(rng.randrange(10_000, 400_000, 1_000)) for i in range(projects)}
    popularity = [rng.random() ** 2 for _ in range(projects)]
    ballots = [[str(i) for i in range(projects) if rng.random() < popularity[i] * 0.3] or [str(rng.randrange(projects))]
               for _ in range(voters)]
    return costs, ballots, sum(costs.values(), Decimal(0)) / 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--synthetic-voters", type=int, default=3000)
    parser.add_argument("--synthetic-projects", type=int, default=40)
    args = parser.parse_args()
    cases = []
    for path in sorted(DATA.glob("*.pb")):
        election = parse(path.read_text(encoding="utf-8-sig"))
        if election.vote_type in ("approval", "choose-1"):
            cases.append((path.stem[:40], {p: election.cost(p) for p in election.projects},
                          [b for _v, b, _p in election.ballots()], election.budget))
    cases.append((f"SYNTHETIC {args.synthetic_voters} voters x {args.synthetic_projects} projects",
                  *synthetic(args.synthetic_voters, args.synthetic_projects)))
    print(f"{'election':<58} {'voters':>7} {'ours s':>9} {'pabutools s':>12} {'ratio':>7} {'speed-up':>9}  same winners")
    all_same = True
    for name, costs, ballots, budget in cases:
        mine, t_ours = best_of(ours, costs, ballots, budget)
        reference, t_theirs = best_of(theirs, costs, ballots, budget)
        all_same &= mine == reference
        print(f"{name:<58} {len(ballots):7d} {t_ours:9.4f} {t_theirs:12.4f} {t_ours / t_theirs:7.3f} "
              f"{t_theirs / t_ours:8.1f}x  {mine == reference}", flush=True)
    if not all_same:
        sys.exit("winners differ")


if __name__ == "__main__":
    main()
