"""``pabulib_winners`` end to end against pabutools end to end, on the same Pabulib files.

    set -a; source var/services.env; set +a
    .venv/bin/pip install -e '.[bench]'          # pabutools lives only in the bench extra
    .venv/bin/python bench/pabulib_winners.py                       # the largest file in shared/data/pabulib
    .venv/bin/python bench/pabulib_winners.py --synthetic 90000     # + a SYNTHETIC 90,000-voter election
    .venv/bin/python bench/pabulib_winners.py FILE.pb ...           # any files

Each side is one fresh process, timed from start to the winners printed (wall seconds, and the
CPU seconds of that process: ours leaves out its database backend's, which ``--stages`` adds),
with the rule
``equalshares/add1`` (Method of Equal Shares, cost utilities, add1 completion with an increment
of one currency unit):
- ours: ``manage.py pabulib_winners --rule equalshares/add1 --json FILE`` (read the file, store
  the election with its ballots in PostGIS, select over the stored ballots, roll back);
- pabutools 1.2.3: ``parse_pabulib`` then ``method_of_equal_shares(..., sat_class=Cost_Sat,
  voter_budget_increment=1)``, given the platform's tie-breaking (more supporters, then the smaller
  id) so that both compute the same rule.
The winners must be identical (the script exits non-zero otherwise); the ratio is ours / theirs.
``--stages`` also times our stages in one process (read, store, select).

The synthetic election (fixed seed, clearly labelled SYNTHETIC) stands in for Łódź 2022
(90,494 voters, 160 projects), which is not in shared/data; ``--shape`` picks how its ballots
are drawn (see ``synthetic``). It is written to var/bench/."""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# shared/ lies beside the checkout (CI) or beside the folder of worktrees; SHARED_DIR overrides
SHARED = Path(os.environ.get("SHARED_DIR") or next(
    (p / "shared" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared").is_dir()), ROOT.parent / "shared"))
DATA = SHARED / "data" / "pabulib"
OUT = ROOT / "var" / "bench"
RULE = "equalshares/add1"


def synthetic(voters: int, shape: str, projects: int = 160) -> Path:
    """A SYNTHETIC approval election written as a Pabulib file (cached in var/bench/).

    ``wide``: bench/selection.py's generator (fixed seed; ~16 approvals per ballot), the one the
    selection benchmark compares with pabutools; ``short``: 1 to 10 approvals per ballot drawn by a
    steep popularity (fixed seed), nearly every ballot different."""
    path = OUT / f"SYNTHETIC_{shape}_{voters}_voters_{projects}_projects.pb"
    if path.exists():
        return path
    if shape == "wide":
        sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoportal.settings")
        import django

        django.setup()  # bench/selection.py imports the platform's selection module
        from selection import synthetic as wide

        cost_of, ballots, budget = wide(voters, projects)
        costs = {p: int(c) for p, c in cost_of.items()}
        total = str(int(budget)) if budget == int(budget) else f"{budget:f}"
    else:
        rng = random.Random(21)
        ids = [str(100 + i) for i in range(projects)]
        costs = {p: rng.randrange(20_000, 2_000_000, 1_000) for p in ids}
        weights = [rng.random() ** 3 + 0.01 for _ in ids]
        ballots = [sorted(set(rng.choices(ids, weights=weights, k=rng.randint(1, 10))), key=int)
                   for _voter in range(voters)]
        total = str(sum(costs.values()) // 4)
    meta = {"description": f"SYNTHETIC election ({shape}, bench/pabulib_winners.py)", "country": "Poland",
            "unit": "SYNTHETIC", "instance": "2022", "num_projects": str(len(costs)), "num_votes": str(voters),
            "budget": total, "vote_type": "approval", "rule": RULE, "date_begin": "2022", "date_end": "2022",
            "experimental": "1"}
    lines = ["META", "key;value", *(f"{k};{v}" for k, v in meta.items()), "PROJECTS", "project_id;cost;name",
             *(f"{p};{c};Project {p}" for p, c in costs.items()), "VOTES", "voter_id;vote",
             *(f"{voter};{','.join(ballot)}" for voter, ballot in enumerate(ballots, start=1))]
    OUT.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_ours(path: Path) -> tuple[list[str], float, float]:
    """Winners, wall seconds, CPU seconds of the command's process (the database's are not in it)."""
    start, cpu = time.perf_counter(), children_cpu()
    done = subprocess.run([sys.executable, "manage.py", "pabulib_winners", "--rule", RULE, "--json", str(path)],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    return json.loads(done.stdout.splitlines()[-1])["selected"], seconds, children_cpu() - cpu


PABUTOOLS = """
import json, sys
from pabutools.election import Cost_Sat, parse_pabulib
from pabutools.rules import method_of_equal_shares
from pabutools.tiebreaking import TieBreakingRule

def tie_key(name):
    return (0, int(name)) if name.isdigit() else (1, name)

instance, profile = parse_pabulib(sys.argv[1])
same_ties = TieBreakingRule(lambda _inst, prof, proj: (-prof.approval_score(proj), tie_key(proj.name)))
outcome = method_of_equal_shares(instance, profile, sat_class=Cost_Sat, voter_budget_increment=1,
                                 tie_breaking=same_ties)
print(json.dumps(sorted((p.name for p in outcome), key=tie_key)))
"""


def run_pabutools(path: Path) -> tuple[list[str], float, float]:
    start, cpu = time.perf_counter(), children_cpu()
    done = subprocess.run([sys.executable, "-c", PABUTOOLS, str(path)], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    return json.loads(done.stdout.splitlines()[-1]), seconds, children_cpu() - cpu


def backend_cpu(pid: int) -> float | None:
    """CPU seconds of a local PostgreSQL backend so far (None when it is not on this machine)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stages(path: Path) -> str:
    """Our stages in one process (read the file, store it with COPY, select; rolled back), in
    wall seconds and in CPU seconds of this process plus its database backend: on a machine
    shared with other work the CPU seconds are what can be compared."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoportal.settings")
    import django

    django.setup()
    from django.db import connection, transaction

    from projects.actions import do_import_election, do_run_selection
    from projects.pabulib import read

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]

    def cpu() -> float:
        return time.process_time() + (backend_cpu(pid) or 0.0)

    marks = [(time.perf_counter(), cpu())]
    election = read(path)
    marks.append((time.perf_counter(), cpu()))
    with transaction.atomic():
        cycle, _problems = do_import_election(election, path.stem)
        marks.append((time.perf_counter(), cpu()))
        do_run_selection(cycle.headings.get(), rule="equal_shares", check=False)
        marks.append((time.perf_counter(), cpu()))
        transaction.set_rollback(True)
    names = ("read", "store", "select")
    parts = [f"{name} {b[0] - a[0]:.2f} s ({b[1] - a[1]:.2f} s CPU)" for name, a, b in zip(names, marks[:-1], marks[1:], strict=True)]
    db = "" if backend_cpu(pid) is not None else " (database not local: its CPU not counted)"
    return ", ".join(parts) + f"; total {marks[-1][0] - marks[0][0]:.2f} s ({marks[-1][1] - marks[0][1]:.2f} s CPU){db}"


def voters_in(path: Path) -> int:
    text = path.read_text(encoding="utf-8-sig")
    return len(text.split("\nVOTES", 1)[1].strip().splitlines()) - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--synthetic", type=int, default=0, metavar="VOTERS",
                        help="also a SYNTHETIC election with this many voters")
    parser.add_argument("--shape", choices=("wide", "short"), default="wide", help="of the synthetic election")
    parser.add_argument("--stages", action="store_true", help="also time our stages in one process")
    args = parser.parse_args()
    files = list(args.files)
    if not files:  # the largest real election at hand, by voters
        files = [max(sorted(DATA.glob("*.pb")), key=voters_in)]
    if args.synthetic:
        files.append(synthetic(args.synthetic, args.shape))
    print(f"{'election':<44} {'voters':>7} {'ours s':>7} {'(CPU)':>7} {'pabutools s':>11} {'(CPU)':>7} "
          f"{'ratio':>6}  same winners", flush=True)
    all_same = True
    for path in files:
        mine, t_ours, c_ours = run_ours(path)
        reference, t_theirs, c_theirs = run_pabutools(path)
        same = mine == reference
        all_same &= same
        print(f"{path.stem[:44]:<44} {voters_in(path):7d} {t_ours:7.2f} {c_ours:7.2f} {t_theirs:11.2f} {c_theirs:7.2f} "
              f"{t_ours / t_theirs:6.3f}  {same} ({len(mine)} winners)", flush=True)
        if args.stages:
            print(f"  ours in one process: {stages(path)}", flush=True)
    if not all_same:
        sys.exit("winners differ")


if __name__ == "__main__":
    main()
