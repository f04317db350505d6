"""Writing :class:`~tiles.models.AppealPoint`, the table the unfiltered point tiles read, and
the quadtree keys that make a tile one range of it.

A key is the Morton code (bits of column and row interleaved) of the point's tile on the
zoom-24 grid, computed in SQL by ``tiles_point_key`` (migration ``tiles/0002``) and mirrored
here by :func:`key_of`. A tile at zoom z ≤ 24 holds exactly the keys that share its 2·z leading
bits, i.e. :func:`tile_key_range`. Each point belongs to exactly one tile per zoom.

The full rebuild runs inside :func:`tiles.aggregates.rebuild_all` (same transaction, same
advisory lock, one "ready" flag for both tables); the rows of changed appeals are rewritten by
:func:`refresh` with their cells (:func:`tiles.aggregates.refresh_appeals`)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.gis.db.models.functions import Transform

from issues.models import Appeal, AppealQuerySet

from .grid import ORIGIN, Tile
from .models import AppealPoint

KEY_ZOOM = 24
TABLE = AppealPoint._meta.db_table
COLUMNS = "appeal_id, tile_key, number, status, category_id, agency_id, received, geom"
_MASKS = ((16, 0x0000FFFF0000FFFF), (8, 0x00FF00FF00FF00FF), (4, 0x0F0F0F0F0F0F0F0F), (2, 0x3333333333333333),
          (1, 0x5555555555555555))


def _spread(value: int) -> int:
    for shift, mask in _MASKS:
        value = (value | (value << shift)) & mask
    return value


def morton(column: int, row: int) -> int:
    return _spread(column) | (_spread(row) << 1)


def key_of(x: float, y: float) -> int:
    """The key of an EPSG:3857 point (as ``tiles_point_key`` computes it)."""
    n = 1 << KEY_ZOOM
    column = min(max(int((x + ORIGIN) / (2 * ORIGIN) * n // 1), 0), n - 1)
    row = min(max(int((ORIGIN - y) / (2 * ORIGIN) * n // 1), 0), n - 1)
    return morton(column, row)


def tile_key_range(tile: Tile) -> tuple[int, int]:
    """Inclusive (lowest, highest) key of the points in a tile at zoom ≤ :data:`KEY_ZOOM`."""
    if tile.z > KEY_ZOOM:
        raise ValueError(f"tiles above z{KEY_ZOOM} are not key ranges")
    shift = 2 * (KEY_ZOOM - tile.z)
    prefix = morton(tile.x, tile.y)
    return prefix << shift, ((prefix + 1) << shift) - 1


def _insert(appeals: AppealQuerySet) -> tuple[str, list[Any]]:
    """INSERT of the public appeals with a point among ``appeals``, in key order."""
    rows = (appeals.public().filter(location__isnull=False).order_by()
            .annotate(g=Transform("location", 3857))
            .values("id", "number", "status", "category_id", "responsible_agency_id", "received_at", "g"))
    sql, params = rows.query.sql_with_params()
    return (f"INSERT INTO {TABLE} ({COLUMNS}) SELECT q.id, tiles_point_key(ST_X(q.g), ST_Y(q.g)), q.number, "
            "q.status, q.category_id, q.responsible_agency_id, "
            f"to_char(timezone(%s, q.received_at), 'YYYY-MM-DD'), q.g FROM ({sql}) q ORDER BY 2, 1",
            [settings.TIME_ZONE, *params])


def rebuild(cursor: Any) -> int:
    """Rewrite the whole table in key order (the caller holds the aggregates' lock and
    transaction); returns its row count."""
    cursor.execute(f"DELETE FROM {TABLE}")
    cursor.execute(*_insert(Appeal.objects.all()))
    rows = int(cursor.rowcount)
    cursor.execute(f"ANALYZE {TABLE}")
    return rows


def refresh(cursor: Any, appeal_ids: Iterable[int]) -> int:
    """Rewrite the rows of these appeals as they are now (gone when no longer public or
    without a point; the caller holds the aggregates' lock and transaction); returns how many
    rows they have now."""
    ids = sorted(set(appeal_ids))
    if not ids:
        return 0
    cursor.execute(f"DELETE FROM {TABLE} WHERE appeal_id = ANY(%s)", [ids])
    cursor.execute(*_insert(Appeal.objects.filter(pk__in=ids)))
    return int(cursor.rowcount)
