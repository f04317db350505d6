"""Pre-aggregated answer times, so that pivots with a median or a 90th percentile over millions
of appeals read a histogram instead of sorting every appeal's answer time.

One row per (local month received, district, category, responsible agency, status, public,
bucket) with the number of appeals in it. ``bucket`` is the log-scale bucket of the days from
registration to answer (see :mod:`analytics.histograms`); −1 holds the appeals without an answer
time, so counts and open counts come from the same rows. Written only by
:mod:`analytics.histograms` (rebuilt with the tile aggregates, recounted per month and category
when an appeal changes)."""
from __future__ import annotations

from django.db import models


class AnswerTimeHistogram(models.Model):
    # No database constraints on this derived table's keys (like tiles.AppealPoint): it is
    # written from the appeals by construction and rebuilt whole.
    received_month = models.DateTimeField(help_text="local midnight of the first day of the month received")
    district = models.ForeignKey("geoportal.District", null=True, on_delete=models.DO_NOTHING, related_name="+",
                                 db_index=False, db_constraint=False)
    category = models.ForeignKey("issues.Category", on_delete=models.DO_NOTHING, related_name="+", db_index=False,
                                 db_constraint=False)
    agency = models.ForeignKey("geoportal.Agency", null=True, on_delete=models.DO_NOTHING, related_name="+",
                               db_index=False, db_constraint=False)
    status = models.CharField(max_length=20)
    public = models.BooleanField(help_text="counted by Appeal.objects.public()")
    bucket = models.SmallIntegerField(help_text="log-scale bucket of days to answer; -1: no answer time")
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["received_month", "category"], name="analytics_hist_month")]

    def __str__(self) -> str:
        return f"{self.received_month:%Y-%m} {self.status} b{self.bucket}: {self.count}"
