"""Seed bench: ``seed_demo --appeals N`` of a base revision (``main`` by default) and of a new
one (``HEAD``), both exported with ``git archive``, back to back on the same database, per phase, with the
load average, the CPU seconds of the command and of its database backend (read from /proc, so
they hold under load), and a digest of the appeals and events to show the same seed gave the
same data.

    set -a; source var/services.env; set +a        # a database of its own: it is replaced
    .venv/bin/python bench/seed.py --appeals 1000000 2000000

Phases (seconds per million appeals). The base prints its steps on its progress bar: draws,
the appeals' frame and COPY, the staging frame, the events; "indexes, finish" is the rest of
its run (region, library, index builds, statistics). This checkout draws and encodes in a
producer thread while the database ingests the previous slice: its "draw"/"encode" overlap
the database's phases, and "wait for producer" is the part of them on the critical path."""
from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DIGEST = """SELECT (SELECT count(*) || ':' || sum(hashtextextended(concat_ws('|', id, number, channel, category_id,
                       status, ST_AsText(location), district_id, responsible_agency_id, received_at, deadline_at,
                       answered_at, result, text, redirect_count, author_id, is_public, supporters_count,
                       appeal_type, kind), 0)::numeric) FROM issues_appeal),
                  (SELECT count(*) || ':' || sum(hashtextextended(concat_ws('|', appeal_id, kind, from_status,
                       to_status, created_at, reason, data::text), 0)::numeric) FROM issues_appealevent),
                  (SELECT count(*) FROM issues_rating), (SELECT count(*) FROM issues_deadlineviolation)"""
BASE_STEPS = ["draw (when)", "draw (where)", "draw (how)", "draw (times)", "appeals frame+COPY", "stage frame",
              "events", None]


def dsn() -> str:
    return re.sub(r"^postgis://", "postgresql://", os.environ["DATABASE_URL"])


class BackendCpu(threading.Thread):
    """Polls the CPU seconds of the backends (and parallel workers) of one application name."""

    def __init__(self, name: str) -> None:
        super().__init__(daemon=True)
        self.name_, self.done = name, threading.Event()
        self.seen: dict[int, float] = {}

    def run(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        with psycopg.connect(dsn(), autocommit=True) as conn:
            while not self.done.wait(0.5):
                rows = conn.execute("""SELECT pid FROM pg_stat_activity WHERE application_name = %s OR leader_pid IN
                    (SELECT pid FROM pg_stat_activity WHERE application_name = %s)""", [self.name_, self.name_])
                for (pid,) in rows.fetchall():
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    except OSError:
                        continue
                    self.seen[pid] = (int(fields[11]) + int(fields[12])) / tick

    def seconds(self) -> float:
        return sum(self.seen.values())


def base_phases(stderr: str) -> dict[str, float]:
    """The base revision's step timings from its progress bars (one bar of 8 steps a slice)."""
    finals: list[list[float]] = []
    last_count = 99
    for segment in re.split(r"[\r\n]", stderr):
        match = re.match(r"appeals:\s+\d+%\|.*?\| (\d)/8 \[[^\]]*?, ([\d.s ]+)\]", segment)
        if not match:
            continue
        count = int(match.group(1))
        if count < last_count:
            finals.append([])
        last_count = count
        finals[-1] = [float(v.rstrip("s")) for v in match.group(2).split()]
    phases: dict[str, float] = {}
    for steps in finals:
        for name, value in zip(BASE_STEPS, steps, strict=False):
            if name:
                phases[name] = phases.get(name, 0.0) + value
    return phases


def run(label: str, cwd: Path, appeals: int, seed: int, new: bool) -> dict[str, object]:
    args = [sys.executable, "manage.py", "seed_demo", "--appeals", str(appeals), "--projects", "0", "--seed", str(seed)]
    args += ["--quiet", "--timings"] if new else []
    env = dict(os.environ, PGAPPNAME=f"seed-bench-{label}")
    load_before = os.getloadavg()
    cpu = BackendCpu(env["PGAPPNAME"])
    cpu.start()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.done.set()
    cpu.join()
    if done.returncode:
        sys.exit(f"{label} failed:\n{done.stderr[-3000:]}")
    cpu_of: dict[str, tuple[float, float]] = {}
    if new:
        line = next(line for line in done.stdout.splitlines() if line.startswith("appeals phases"))
        phases = {}
        for item in line.split(": ", 1)[1].split(", "):
            name, values = item.split("=")
            wall_s, own, db = (float(v) for v in values.split("/"))
            phases[name], cpu_of[name] = wall_s, (own, db)
        critical = sum(v for k, v in phases.items() if not k.startswith(("draw", "encode")))
    else:
        phases = base_phases(done.stderr)
        critical = sum(phases.values())
    phases["rest (region, library…)" if new else "indexes, finish, region…"] = wall - critical
    with psycopg.connect(dsn()) as conn:
        digest = conn.execute(DIGEST).fetchone()
    return {"label": label, "wall": wall, "phases": phases, "load": (load_before, os.getloadavg()),
            "client_cpu": after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime,
            "server_cpu": cpu.seconds(), "digest": digest, "cpu_of": cpu_of}


def show(appeals: int, result: dict[str, object]) -> None:
    """One run, printed as soon as it ends (a later failure does not lose it)."""
    per_m = 1_000_000 / appeals
    print(f"\n== {appeals:,} appeals: seconds (seconds per million)", flush=True)
    load = result["load"]
    print(f"-- {result['label']}: wall {result['wall']:.1f} s ({result['wall'] * per_m:.1f}/M); "  # type: ignore[operator]
          f"CPU: command {result['client_cpu']:.1f} s, database backend {result['server_cpu']:.1f} s; "
          f"load average before {load[0][0]:.2f}, after {load[1][0]:.2f}")  # type: ignore[index]
    for name, value in result["phases"].items():  # type: ignore[attr-defined]
        cpu = result["cpu_of"].get(name)  # type: ignore[attr-defined]
        note = f"   CPU/M: thread {cpu[0] * per_m:6.1f}, database {cpu[1] * per_m:6.1f}" if cpu else ""
        print(f"   {name:<28} {value:8.1f} s {value * per_m:8.1f}/M{note}", flush=True)


def report(results: list[dict[str, object]]) -> None:
    if len(results) == 1:
        print(f"digest (appeals, events, ratings, violations): {results[0]['digest']}", flush=True)
        return
    old, new = results
    print(f"ratio old/new: wall {old['wall'] / new['wall']:.2f}×, "  # type: ignore[operator]
          f"command+backend CPU {(old['client_cpu'] + old['server_cpu']) / (new['client_cpu'] + new['server_cpu']):.2f}×")  # type: ignore[operator]
    same = old["digest"] == new["digest"]
    print(f"digest (appeals, events, ratings, violations) {'identical' if same else 'DIFFERENT'}: {new['digest']}")
    if not same:
        print(f"   base: {old['digest']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appeals", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--base", default="main", help="git revision to compare with (default: main)")
    parser.add_argument("--new", default="HEAD", help="git revision measured against it (default: HEAD)")
    parser.add_argument("--new-only", action="store_true", help="only the new revision (growth with size)")
    args = parser.parse_args()
    if "geoportal_scale" in os.environ.get("DATABASE_URL", ""):
        sys.exit("bench/seed.py replaces the appeals: point DATABASE_URL at a database of your own")
    with tempfile.TemporaryDirectory(prefix="seed-base-") as base, tempfile.TemporaryDirectory(prefix="seed-new-") as new:
        for revision, folder in ((args.base, base), (args.new, new)):  # snapshots: edits during a run do not leak in
            archive = subprocess.run(["git", "archive", revision], cwd=ROOT, capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        for appeals in args.appeals:
            results = []
            for label, folder, is_new in (("base " + args.base, base, False), ("new " + args.new, new, True)):
                if is_new or not args.new_only:
                    results.append(run(label, Path(folder), appeals, args.seed, new=is_new))
                    show(appeals, results[-1])
            report(results)


if __name__ == "__main__":
    main()
