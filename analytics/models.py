"""Pre-aggregated appeals, so that the statistics over millions of appeals read a few thousand
rows instead of every appeal: :class:`AppealFact` (exact counts and sums behind every additive
metric), :class:`AnswerTimeHistogram` (answer times, for medians and 90th percentiles) and its
sum over categories and statuses, :class:`CoarseAnswerTimeHistogram`.

The histogram:

One row per (local month received, district, category, responsible agency, status, public,
bucket) with the number of appeals in it. ``bucket`` is the log-scale bucket of the days from
registration to answer (see :mod:`analytics.histograms`); −1 holds the appeals without an answer
time, so counts and open counts come from the same rows. Written only by
:mod:`analytics.histograms` (rebuilt with the tile aggregates, recounted per month and category
when an appeal changes)."""
from __future__ import annotations

from django.db import models


class MonthKeys(models.Model):
    """The keys every derived table of the statistics has. No database constraints on them (like
    tiles.AppealPoint): the rows are written from the appeals by construction and rebuilt whole."""

    received_month = models.DateTimeField(help_text="local midnight of the first day of the month received")
    district = models.ForeignKey("geoportal.District", null=True, on_delete=models.DO_NOTHING, related_name="+",
                                 db_index=False, db_constraint=False)
    agency = models.ForeignKey("geoportal.Agency", null=True, on_delete=models.DO_NOTHING, related_name="+",
                               db_index=False, db_constraint=False)
    public = models.BooleanField(help_text="counted by Appeal.objects.public()")

    class Meta:
        abstract = True


class MonthSlice(MonthKeys):
    """The keys the histogram and the facts share: a (local month received, category) slice of
    the appeals is what a change recounts."""

    category = models.ForeignKey("issues.Category", on_delete=models.DO_NOTHING, related_name="+", db_index=False,
                                 db_constraint=False)
    status = models.CharField(max_length=20)

    class Meta:
        abstract = True


class Buckets(models.Model):
    """A histogram row's bucket of answer times (see :mod:`analytics.histograms`) and its count."""

    bucket = models.SmallIntegerField(help_text="log-scale bucket of days to answer; -1: no answer time")
    count = models.PositiveIntegerField()

    class Meta:
        abstract = True


class AnswerTimeHistogram(MonthSlice, Buckets):
    class Meta:
        indexes = [models.Index(fields=["received_month", "category"], name="analytics_hist_month")]

    def __str__(self) -> str:
        return f"{self.received_month:%Y-%m} {self.status} b{self.bucket}: {self.count}"


class CoarseAnswerTimeHistogram(MonthKeys, Buckets):
    """:class:`AnswerTimeHistogram` summed over everything but one dimension (``sliced_by``): one
    row per (local month received, district, public, bucket), per (…, agency, …) and per (…,
    category, …). The percentiles of the pivots that read at most one of the three and not the
    status (the public statistics page: the total, per district, per agency; the agency
    scorecards; medians by category) come from that slice: the same bucket counts, so the same
    figures, from a fraction of the rows (10M appeals: slices of 55,000, 98,000 and 133,000 rows
    against the histogram's 1.15M, which the statistics page's three statements read in
    0.22-0.34 s each). Written only by :mod:`analytics.histograms`, from the histogram, in the
    same transaction (a rebuild whole, a refresh the changed months)."""

    sliced_by = models.CharField(max_length=8, help_text="district, agency or category: the one key of the row")
    category = models.ForeignKey("issues.Category", null=True, on_delete=models.DO_NOTHING, related_name="+",
                                 db_index=False, db_constraint=False)

    class Meta:
        indexes = [models.Index(fields=["sliced_by", "received_month"], name="analytics_coarse_hist_month")]

    def __str__(self) -> str:
        return f"{self.received_month:%Y-%m} by {self.sliced_by} b{self.bucket}: {self.count}"


class AppealFact(MonthSlice):
    """Exact counts and sums of the appeals per (local month received, district, category,
    responsible agency, status, public, pending deadline), read by the pivots' additive metrics
    (:mod:`analytics.sql.facts`). Written only by :mod:`analytics.facts`, with the histograms.

    ``pending_deadline`` is set only on the rows of open appeals without an answer that have a
    deadline: whether they are overdue depends on the clock, so they keep their deadline (or
    1970-01-01 once it had passed when the row was written: it stays passed). Every other
    condition of the metrics is settled when the row is written."""

    pending_deadline = models.DateTimeField(null=True, help_text="open, unanswered, with a deadline: the deadline")
    count = models.PositiveIntegerField()
    answered = models.PositiveIntegerField(help_text="answered_at set")
    on_time = models.PositiveIntegerField(help_text="answered by the deadline")
    late = models.PositiveIntegerField(help_text="answered after the deadline")
    resolved = models.PositiveIntegerField(help_text="answered, result supported or measures taken")
    redirects = models.PositiveIntegerField(help_text="sum of redirect_count")
    redirected = models.PositiveIntegerField()
    repeated = models.PositiveIntegerField()
    reopened = models.PositiveIntegerField()
    rated = models.PositiveIntegerField()
    score_sum = models.PositiveIntegerField()
    score_1 = models.PositiveIntegerField()
    score_2 = models.PositiveIntegerField()
    score_3 = models.PositiveIntegerField()
    score_4 = models.PositiveIntegerField()
    score_5 = models.PositiveIntegerField()
    solved = models.PositiveIntegerField()
    politeness_sum = models.PositiveIntegerField()
    politeness_n = models.PositiveIntegerField()
    timeliness_sum = models.PositiveIntegerField()
    timeliness_n = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["received_month", "category"], name="analytics_fact_month")]

    def __str__(self) -> str:
        return f"{self.received_month:%Y-%m} {self.status}: {self.count}"


class HotspotSnapshot(models.Model):
    """The hotspots of the default window (:mod:`analytics.hotspot_snapshots`) as computed at
    ``computed_at`` for one scope: the answer of ``analytics.insights.hotspots``, which holds no
    person (cluster centres, hulls, counts and category names only)."""

    public = models.BooleanField(help_text="over Appeal.objects.public() (else every appeal)")
    computed_at = models.DateTimeField(help_text="the window's end")
    result = models.JSONField()

    class Meta:
        indexes = [models.Index(fields=["public", "computed_at"], name="analytics_hotspot_fresh")]

    def __str__(self) -> str:
        return f"{'public' if self.public else 'all'} {self.computed_at:%Y-%m-%d %H:%M}"
