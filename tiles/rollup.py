"""The one rollup both cell tables share (tiles.aggregates, tiles.cells): after the finest cells
of a change were recounted, every coarser cell above them is rewritten from its four children."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def rewrite_parents(cursor: Any, table: str, rollup_insert: Callable[[int, str], str],
                    cells: Iterable[tuple[int, int]], top: int) -> int:
    """Rewrite the parents of ``cells`` (finest level ``top``) at every coarser level; returns
    how many cells were rewritten."""
    rewritten = 0
    level = set(cells)
    for zoom in range(top - 1, -1, -1):
        level = {(ix >> 1, iy >> 1) for ix, iy in level}
        for ix, iy in sorted(level):
            cursor.execute(f"DELETE FROM {table} WHERE zoom = %s AND ix = %s AND iy = %s", [zoom, ix, iy])  # noqa: S608
            cursor.execute(rollup_insert(zoom, "c.ix BETWEEN %s AND %s AND c.iy BETWEEN %s AND %s"),
                           [2 * ix, 2 * ix + 1, 2 * iy, 2 * iy + 1])
            rewritten += 1
    return rewritten
