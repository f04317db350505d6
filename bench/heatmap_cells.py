"""The heatmap's own SQL over the status cells, old against new, at two database sizes in one
run (issue 22: "the heatmap at z10 grew 2.56× from 1M to 10M"): for the bench's 1280 × 800 viewport
over the city centre at z9–z18, the rows the statement reads (EXPLAIN ANALYZE), the cells it
returns and its median time warm, back to back.

*old*: the per-status rows of every cell summed (the statement before the cells' total rows);
*new*: one total row per cell (``tiles.cells.TOTAL``). On a database whose status cells have no
totals yet (migration ``tiles 0005`` not applied: a shared database this checkout may only
read), ``--scratch`` puts them in a TEMP table of this session (nothing persists; the new
statement reads it, the old one the database's own table):

    DATABASE_URL=postgis://…/geoportal_i21 .venv/bin/python bench/heatmap_cells.py \\
        --other-database postgis://…/geoportal_scale --scratch

Only reads the databases (and the TEMP tables). The load average is printed beside each size."""
from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoportal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.gis.geos import Polygon  # noqa: E402
from django.db import connections  # noqa: E402

from bench.scale import add_database  # noqa: E402
from bench.tile_client import viewport_bbox  # noqa: E402
from tiles import cells  # noqa: E402
from tiles.filters import TileFilters  # noqa: E402
from tiles.sql import STATEMENT_SETTINGS  # noqa: E402
from tiles.stats import CELLS, heatmap_statement  # noqa: E402

NEW_WHERE = f"a.status = '{cells.TOTAL}'"


def scratch_totals(alias: str) -> bool:
    """The cells' total rows in a TEMP table of this session when the database has none; whether made."""
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {cells.TABLE} WHERE status = %s)", [cells.TOTAL])
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SET temp_buffers = '256MB'")  # like the shared buffers a real table would sit in
        cursor.execute(f"CREATE TEMP TABLE {cells.TABLE} AS SELECT zoom, ix, iy, %s::varchar(20) AS status, "
                       f"sum(count)::int AS count, sum(sum_x) AS sum_x, sum(sum_y) AS sum_y FROM public.{cells.TABLE} "
                       "GROUP BY zoom, ix, iy ORDER BY zoom, ix, iy", [cells.TOTAL])
        cursor.execute(f"CREATE UNIQUE INDEX ON {cells.TABLE} (zoom, ix, iy, status)")
        cursor.execute(f"ANALYZE {cells.TABLE}")
    return True


def explain(alias: str, sql: str, params: list[Any], rounds: int) -> tuple[int, int, float]:
    """(rows read by the scans, cells returned, median execution ms of ``rounds`` after one warm-up)."""
    times, plan = [], {}
    with connections[alias].cursor() as cursor:
        for index in range(rounds + 1):
            cursor.execute(STATEMENT_SETTINGS + "EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
            while cursor.description is None and cursor.nextset():
                pass
            plan = cursor.fetchone()[0][0]
            if index:
                times.append(plan["Execution Time"])

    def scanned(node: dict[str, Any]) -> int:
        if node["Node Type"].endswith("Scan") and node["Node Type"] != "Subquery Scan":
            return int(node["Actual Rows"])
        return sum(scanned(child) for child in node.get("Plans", []))

    return scanned(plan["Plan"]), int(plan["Plan"]["Actual Rows"]), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--other-database", metavar="URL", help="a database of another size, measured in the same run")
    parser.add_argument("--scratch", action="store_true", help="TEMP total rows where a database has none")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    aliases = ["default"]
    if args.other_database:
        add_database("other", args.other_database)
        aliases.append("other")
    scratch = {alias: args.scratch and scratch_totals(alias) for alias in aliases}
    lat, lon = settings.MAP_DEFAULT_CENTER
    rows: dict[str, dict[int, tuple[Any, ...]]] = {alias: {} for alias in aliases}
    for alias in aliases:
        print(f"{connections[alias].settings_dict['NAME']}: load {os.getloadavg()[0]:.2f}"
              f"{' (totals in a TEMP table)' if scratch[alias] else ''}", flush=True)
        for z in range(9, 19):
            bbox = Polygon.from_bbox(viewport_bbox(lon, lat, z))
            bbox.srid = 4326
            sql, params, source, level = heatmap_statement(bbox, z, TileFilters(), True)
            assert source == CELLS and NEW_WHERE in sql, "the unfiltered heatmap reads the cells' totals"
            old_sql = sql.replace(NEW_WHERE, f"a.status <> '{cells.TOTAL}'")
            if scratch[alias]:
                old_sql = old_sql.replace(f"FROM {cells.TABLE} a", f"FROM public.{cells.TABLE} a")
            old, new = explain(alias, old_sql, params, args.rounds), explain(alias, sql, params, args.rounds)
            assert old[1] == new[1], f"z{z}: the same cells from both"
            rows[alias][z] = (level, *old, *new)
            print(f"  z{z} (level {level}): old {old[0]:6d} rows {old[2]:6.2f} ms; new {new[0]:6d} rows "
                  f"{new[2]:6.2f} ms; {new[1]} cells", flush=True)
        print(f"  load {os.getloadavg()[0]:.2f} after", flush=True)
    if len(aliases) == 2:
        small, large = aliases
        print("\ngrowth from the first database to the second (rows read; SQL time):")
        for z in range(9, 19):
            a, b = rows[small][z], rows[large][z]
            print(f"  z{z}: old {b[1] / a[1]:.2f}× rows, {b[3] / a[3]:.2f}× time; "
                  f"new {b[4] / a[4]:.2f}× rows, {b[6] / a[6]:.2f}× time")


if __name__ == "__main__":
    main()
