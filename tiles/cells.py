"""Writing :class:`~tiles.models.AppealStatusCell`: counts of public appeals per (level, grid cell,
status) at every level from 0 to :func:`finest_level`, read by the heatmap at every zoom and by
unfiltered cluster tiles (low zooms, and dense point tiles thinned to clusters).

The finest level is grouped from the point table (:mod:`tiles.points`, already in EPSG:3857,
public appeals only), every coarser level from the level below (a cell is four cells of the next
level, see :mod:`tiles.grid`). Both run inside :func:`tiles.aggregates.rebuild_all` and
:func:`tiles.aggregates.refresh_appeals`: same transaction, same advisory lock, same "ready"
flag as the cell aggregates and the point table.

A cell of level L is exactly the tile (L + 3, ix, 2^(L+3) − 1 − iy) (8 × 8 cells per tile), so
the points of one finest cell are one key range of the point table: a changed appeal's cell is
recounted from a few index range scans.

Beside its per-status rows every cell has one :data:`TOTAL` row (status ``''``: all its appeals),
written and rolled up with them: the unfiltered heatmap reads one row per cell of the viewport,
so its cost is bounded by the viewport, not by how many statuses the data puts in each cell
(10M appeals, z12–z15: twice the rows of 1M before). Readers of the per-status counts exclude it."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import conf, points
from .grid import CELLS_PER_TILE, ORIGIN, Tile, cell_size
from .models import AppealStatusCell
from .rollup import rewrite_parents

TABLE = AppealStatusCell._meta.db_table
COLUMNS = "zoom, ix, iy, status, count, sum_x, sum_y"
TOTAL = ""  # the status of a cell's row that counts all its appeals
CELL_TILE_ZOOMS = CELLS_PER_TILE.bit_length() - 1  # 8 cells per tile side: a cell is a tile 3 zooms deeper


def finest_level() -> int:
    return conf.status_cells_finest_level()


def _finest_insert(where: str = "TRUE") -> str:
    level = finest_level()
    size = cell_size(level)
    return (f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {level}, p.ix, p.iy, "
            f"CASE WHEN GROUPING(p.status) = 1 THEN '{TOTAL}' ELSE p.status END, count(*), sum(p.x), sum(p.y) "
            f"FROM (SELECT floor((ST_X(g.geom) + {ORIGIN!r}) / {size!r})::int AS ix, "
            f"floor((ST_Y(g.geom) + {ORIGIN!r}) / {size!r})::int AS iy, g.status, ST_X(g.geom) AS x, "
            f"ST_Y(g.geom) AS y FROM {points.TABLE} g WHERE {{keys}}) p WHERE {where} "
            "GROUP BY GROUPING SETS ((p.ix, p.iy, p.status), (p.ix, p.iy)) ORDER BY 2, 3, 4")


def _rollup_insert(zoom: int, where: str = "TRUE") -> str:
    """Level ``zoom`` from level ``zoom + 1`` (indices are non-negative: halve them; the totals
    are summed from the totals)."""
    return (f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {zoom}, c.ix / 2, c.iy / 2, c.status, sum(c.count), "
            f"sum(c.sum_x), sum(c.sum_y) FROM {TABLE} c WHERE c.zoom = {zoom + 1} AND {where} "
            "GROUP BY c.ix / 2, c.iy / 2, c.status ORDER BY c.ix / 2, c.iy / 2, c.status")


def rebuild(cursor: Any) -> int:
    """Rewrite every level from the point table, which must be current (the caller holds the
    aggregates' lock and transaction); returns the row count. Rows are written in index order,
    so a viewport's range scan reads neighbouring pages."""
    cursor.execute(f"DELETE FROM {TABLE}")
    cursor.execute(_finest_insert().replace("{keys}", "TRUE"))
    for zoom in range(finest_level() - 1, -1, -1):
        cursor.execute(_rollup_insert(zoom))
    cursor.execute(f"SELECT count(*) FROM {TABLE}")
    rows = int(cursor.fetchone()[0])
    cursor.execute(f"ANALYZE {TABLE}")
    return rows


def cell_tile(level: int, ix: int, iy: int) -> Tile:
    """The tile that is exactly this cell."""
    zoom = level + CELL_TILE_ZOOMS
    return Tile(zoom, ix, (1 << zoom) - 1 - iy)


def _neighbourhood_keys(ix: int, iy: int) -> tuple[str, list[int]]:
    """Key ranges of the cell's tile and its eight neighbours: a point on a cell border may
    fall on either side of it in the key arithmetic; the exact cell test follows."""
    level = finest_level()
    limit = 1 << (level + CELL_TILE_ZOOMS)
    ranges: list[int] = []
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            if 0 <= ix + dx < limit and 0 <= iy + dy < limit:
                ranges.extend(points.tile_key_range(cell_tile(level, ix + dx, iy + dy)))
    condition = " OR ".join(["g.tile_key BETWEEN %s AND %s"] * (len(ranges) // 2))
    return f"({condition})", ranges


def finest_cells_sql() -> str:
    """SELECT of the finest-level (ix, iy) of given appeals (one parameter: their ids)."""
    size = cell_size(finest_level())
    return (f"SELECT DISTINCT floor((ST_X(ST_Transform(location, 3857)) + {ORIGIN!r}) / {size!r})::int, "
            f"floor((ST_Y(ST_Transform(location, 3857)) + {ORIGIN!r}) / {size!r})::int "
            "FROM issues_appeal WHERE id = ANY(%s) AND location IS NOT NULL")


def refresh(cursor: Any, appeal_ids: Iterable[int]) -> int:
    """Recount the cells holding these appeals' points at every level from the point table,
    which must already hold their current rows (the caller holds the lock and transaction).
    Exact whatever changed, as long as points do not move. Returns the cells rewritten."""
    ids = sorted(set(appeal_ids))
    if not ids:
        return 0
    cursor.execute(finest_cells_sql(), [ids])
    cells = {(int(ix), int(iy)) for ix, iy in cursor.fetchall()}
    top = finest_level()
    rewritten = 0
    for ix, iy in sorted(cells):
        cursor.execute(f"DELETE FROM {TABLE} WHERE zoom = %s AND ix = %s AND iy = %s", [top, ix, iy])
        keys, ranges = _neighbourhood_keys(ix, iy)
        cursor.execute(_finest_insert("p.ix = %s AND p.iy = %s").replace("{keys}", keys), [*ranges, ix, iy])
        rewritten += 1
    return rewritten + rewrite_parents(cursor, TABLE, _rollup_insert, cells, top)
