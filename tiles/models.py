"""Precomputed appeal counts per grid cell, so that low-zoom clusters and heatmaps over a
million appeals read a few thousand rows instead of scanning every point.

One row per (zoom, cell, category, status, month) over *public* appeals only. The grid
nests (see ``tiles.grid``): the finest level is built from the points, each coarser level
from the level below. ``sum_x``/``sum_y`` (EPSG:3857) let a cluster sit at the centroid of its
appeals rather than at the cell's centre. Written only by ``tiles.aggregates``."""
from __future__ import annotations

from django.contrib.gis.geos import Polygon
from django.db import models

from issues.models import Category

from .grid import ORIGIN, cell_size


class AppealCellAggregate(models.Model):
    zoom = models.PositiveSmallIntegerField()
    ix = models.IntegerField(help_text="cell column from the west edge of the Mercator square")
    iy = models.IntegerField(help_text="cell row from the south edge of the Mercator square")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
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
