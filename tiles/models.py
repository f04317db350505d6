"""Precomputed appeal counts per grid cell, so that low-zoom clusters and heatmaps over a
million appeals read a few thousand rows instead of scanning every point.

One row per (zoom, cell, category, status, month) over *public* appeals only. The grid
nests (see ``tiles.grid``): the finest level is built from the points, each coarser level
from the level below. ``sum_x``/``sum_y`` (EPSG:3857) let a cluster sit at the centroid of its
appeals rather than at the cell's centre. Written only by ``tiles.aggregates``."""
from __future__ import annotations

from django.contrib.gis.db import models
from django.contrib.gis.geos import Polygon

from issues.models import Category

from .grid import ORIGIN, cell_size


class AppealCellAggregate(models.Model):
    zoom = models.PositiveSmallIntegerField()
    ix = models.IntegerField(help_text="cell column from the west edge of the Mercator square")
    iy = models.IntegerField(help_text="cell row from the south edge of the Mercator square")
    # no database constraint: a derived table, rebuilt whole (see AppealPoint)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    status = models.CharField(max_length=20)
    month = models.DateField(help_text="first day of the month the appeal was received (local time)")
    count = models.PositiveIntegerField()
    sum_x = models.FloatField()
    sum_y = models.FloatField()

    class Meta:
        constraints = [
            # Its index also serves the per-tile range scan (zoom, ix range, iy range).
            models.UniqueConstraint(fields=["zoom", "ix", "iy", "category", "status", "month"],
                                    name="unique_appeal_cell_aggregate"),
            models.CheckConstraint(condition=models.Q(count__gt=0), name="appeal_cell_aggregate_count_positive"),
        ]

    def __str__(self) -> str:
        return f"z{self.zoom} ({self.ix},{self.iy}) {self.status} {self.month:%Y-%m}: {self.count}"

    def cell_polygon(self) -> Polygon:
        """The cell's square in EPSG:3857."""
        size = cell_size(self.zoom)
        west, south = -ORIGIN + self.ix * size, -ORIGIN + self.iy * size
        polygon = Polygon.from_bbox((west, south, west + size, south + size))
        polygon.srid = 3857
        return polygon


class AppealPoint(models.Model):
    """A public appeal's point as the point tiles read it: already in EPSG:3857, with the
    public attributes of the tile (never author, contacts or text) and a quadtree key.

    ``tile_key`` interleaves the bits of the point's column and row on the zoom-24 tile grid
    (Morton order), so every tile up to z24 is one contiguous key range: a point tile is one
    B-tree range scan, and a table written in key order (the rebuild) keeps a tile's rows on
    neighbouring pages. Measured on 1M appeals, an unfiltered point tile takes a third of the
    time of the same tile built from ``issues_appeal`` (transform, date formatting, rows spread
    over the whole heap). Filtered tiles still read ``issues_appeal`` (the API's filters).
    Written only by ``tiles.points``; rebuilt with the cell aggregates, refreshed per appeal."""

    # No database constraints on this derived table's keys: it is written from the appeals by
    # construction, and a rebuild's deferred checks of 3 keys × 886,000 rows took 156 s of the
    # rebuild's ~4 minutes at 1M appeals (row by row, at commit). The ORM still cascades.
    appeal = models.OneToOneField("issues.Appeal", primary_key=True, on_delete=models.CASCADE, related_name="+",
                                  db_constraint=False)
    tile_key = models.BigIntegerField(help_text="Morton code of the point's zoom-24 tile (tiles.points.key_of)")
    number = models.CharField(max_length=20)
    status = models.CharField(max_length=20)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+", db_index=False,
                                 db_constraint=False)
    agency = models.ForeignKey("geoportal.Agency", null=True, on_delete=models.SET_NULL, related_name="+",
                               db_index=False, db_constraint=False)
    received = models.CharField(max_length=10, help_text="local date received, YYYY-MM-DD")
    geom = models.PointField(srid=3857, spatial_index=False)

    class Meta:
        indexes = [models.Index(fields=["tile_key", "appeal"], name="tiles_appealpoint_key")]

    def __str__(self) -> str:
        return f"{self.number} @ {self.tile_key}"


class AppealStatusCell(models.Model):
    """Public appeals with a point counted per (level, grid cell, status) at every level from
    0 to ``tiles.cells.FINEST_LEVEL`` — no category or month, so the fine levels stay small
    (a few rows per occupied cell) where :class:`AppealCellAggregate` would hold about one row
    per appeal. The heatmap reads it at every zoom, and so do unfiltered cluster tiles: the low
    zooms, and the dense point tiles that are thinned to clusters (``tiles.sql``).

    Built from :class:`AppealPoint` (finest level), each coarser level from the level below,
    with the cell aggregates (same transaction and lock); the cells of changed appeals are
    rewritten with them. Written only by ``tiles.cells``."""

    zoom = models.PositiveSmallIntegerField()
    ix = models.IntegerField(help_text="cell column from the west edge of the Mercator square")
    iy = models.IntegerField(help_text="cell row from the south edge of the Mercator square")
    status = models.CharField(max_length=20, help_text="'' (tiles.cells.TOTAL): the cell's appeals of every status")
    count = models.PositiveIntegerField()
    sum_x = models.FloatField()
    sum_y = models.FloatField()

    class Meta:
        constraints = [
            # Also the index of the range scans (zoom, ix range, iy range).
            models.UniqueConstraint(fields=["zoom", "ix", "iy", "status"], name="unique_appeal_status_cell"),
            models.CheckConstraint(condition=models.Q(count__gt=0), name="appeal_status_cell_count_positive"),
        ]

    def __str__(self) -> str:
        return f"z{self.zoom} ({self.ix},{self.iy}) {self.status}: {self.count}"
