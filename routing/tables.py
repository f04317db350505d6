"""Routing tables learned from the history: for each of a few keys of an appeal (its category in
its district, its category, the parent category in its district, its category with the agencies
competent at its point, its district), how many past appeals with that key went to each agency.

They are the rule table made soft: the trees above read "82% of 240 appeals of this category
in this district went to agency A" as a feature of the pair (appeal, A). For training rows the
counts leave out the row's own fold (:meth:`RoutingTables.counts` with ``fold_of``), so no row
sees its own label."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from .rows import RoutingRow

TABLES = ("category_district", "category", "parent_district", "category_jurisdiction", "district")
# The evidence of one pair (appeal, candidate agency), column by column: the text model's cues,
# each table's share and count, the neighbours', the zone, the prior, the agency's id. The model
# builds these rows; the explanation names their columns.
PAIR_FEATURES: tuple[str, ...] = (
    "text_score", "text_gap", "text_rank",
    *(f"{table}_{part}" for table in TABLES for part in ("share", "n")),
    "near_share", "near_count", "near_same_share", "near_same_count",
    "in_zone", "prior", "agency", "role_score", "role_gap",
)


def row_keys(row: RoutingRow) -> tuple[Any, ...]:
    """The row's key in each table (None when the row lacks what the key needs)."""
    path = row.category_path or ((row.category_code,) if row.category_code else ())
    leaf = path[0] if path else None
    parent = path[1] if len(path) > 1 else None
    district = row.district_code
    zone = row.jurisdiction_agency_ids
    return (
        (leaf, district) if leaf and district else None,
        leaf,
        (parent, district) if parent and district else None,
        (leaf, zone) if leaf and zone else None,
        district,
    )


def _lookup(codes: np.ndarray, counts: np.ndarray, query: np.ndarray) -> np.ndarray:
    """counts[codes == q] for each q (0 where absent); ``codes`` sorted and unique."""
    if not len(codes):
        return np.zeros(len(query))
    at = np.minimum(np.searchsorted(codes, query), len(codes) - 1)
    return np.where(codes[at] == query, counts[at], 0).astype(float)


class RoutingTables:
    """Counts (key, agency) per table, stored as sorted ``key * n_classes + agency`` codes."""

    def fit(self, rows: Sequence[RoutingRow], y: np.ndarray, n_classes: int,
            fold_of: np.ndarray | None = None) -> RoutingTables:
        self.n_classes_ = n_classes
        self.index_: list[dict[Any, int]] = [{} for _ in TABLES]
        keys = self.encode(rows, grow=True)
        self.full_ = [self._count(keys[:, t], y) for t in range(len(TABLES))]
        self.totals_ = [np.bincount(keys[keys[:, t] >= 0, t], minlength=max(1, len(self.index_[t])))
                        for t in range(len(TABLES))]
        self.folds_: list[list[tuple[np.ndarray, np.ndarray]]] = []
        self.fold_totals_: list[list[np.ndarray]] = []
        if fold_of is not None:
            for k in range(int(fold_of.max()) + 1):
                inside = fold_of == k
                self.folds_.append([self._count(keys[inside, t], y[inside]) for t in range(len(TABLES))])
                self.fold_totals_.append([
                    np.bincount(keys[inside & (keys[:, t] >= 0), t], minlength=max(1, len(self.index_[t])))
                    for t in range(len(TABLES))])
        # the agency most often chosen per key: a candidate the text model may have missed
        self.best_ = [self._best_per_key(*self.full_[t], len(self.index_[t])) for t in range(len(TABLES))]
        return self

    def _count(self, keys: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        known = keys >= 0
        codes, counts = np.unique(keys[known].astype(np.int64) * self.n_classes_ + y[known], return_counts=True)
        return codes, counts

    def encode(self, rows: Sequence[RoutingRow], grow: bool = False) -> np.ndarray:
        """(n × tables) key indices, -1 for a missing or (unless ``grow``) unseen key."""
        out = np.full((len(rows), len(TABLES)), -1, dtype=np.int64)
        for i, row in enumerate(rows):
            for t, key in enumerate(row_keys(row)):
                if key is None:
                    continue
                index = self.index_[t]
                found = index.get(key)
                if found is None and grow:
                    found = index[key] = len(index)
                if found is not None:
                    out[i, t] = found
        return out

    def counts(self, keys: np.ndarray, pair_row: np.ndarray, pair_class: np.ndarray,
               fold_of: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(agency count, key total) per pair and table: pairs × tables each. With ``fold_of``
        (training rows), the counts of the row's own fold are taken away."""
        n_pairs = len(pair_row)
        hits = np.zeros((n_pairs, len(TABLES)))
        totals = np.zeros((n_pairs, len(TABLES)))
        for t in range(len(TABLES)):
            key = keys[pair_row, t]
            known = key >= 0
            query = key * self.n_classes_ + pair_class
            codes, counts = self.full_[t]
            hit = _lookup(codes, counts, query)
            total = self.totals_[t][np.maximum(key, 0)].astype(float)
            if fold_of is not None:
                fold = fold_of[pair_row]
                for k, (fold_counts, fold_total) in enumerate(zip(self.folds_, self.fold_totals_, strict=True)):
                    mine = fold == k
                    hit[mine] -= _lookup(*fold_counts[t], query[mine])
                    total[mine] -= fold_total[t][np.maximum(key[mine], 0)]
            hits[:, t] = np.where(known, hit, 0.0)
            totals[:, t] = np.where(known, total, 0.0)
        return hits, totals

    def best(self, keys: np.ndarray, fold_of: np.ndarray | None = None) -> np.ndarray:
        """(n × tables) the most frequent agency per row's key, -1 when none; with ``fold_of``
        (training rows) counted without the row's own fold."""
        out = np.full(keys.shape, -1, dtype=np.int64)
        for t in range(len(TABLES)):
            known = keys[:, t] >= 0
            if fold_of is None:
                out[known, t] = self.best_[t][keys[known, t]]
                continue
            codes, counts = self.full_[t]
            for k, fold_counts in enumerate(self.folds_):
                others = counts - _lookup(*fold_counts[t], codes)
                best = self._best_per_key(codes[others > 0], others[others > 0], len(self.index_[t]))
                mine = known & (fold_of == k)
                out[mine, t] = best[keys[mine, t]]
        return out

    def _best_per_key(self, codes: np.ndarray, counts: np.ndarray, n_keys: int) -> np.ndarray:
        best = np.full(max(n_keys, 1), -1, dtype=np.int64)
        if len(codes):
            order = np.lexsort((-counts, codes // self.n_classes_))
            key_of = codes[order] // self.n_classes_
            first = np.r_[True, key_of[1:] != key_of[:-1]]
            best[key_of[first]] = codes[order][first] % self.n_classes_
        return best


class RuleTable:
    """The rule-table baseline (and the fallback's logic): the most frequent agency per
    (category, jurisdiction set), then per (category, district), then per category, then the
    majority class."""

    def fit(self, rows: Sequence[RoutingRow], y: Sequence[Any]) -> RuleTable:
        counters: dict[tuple[Any, ...], Counter[Any]] = {}
        for row, label in zip(rows, y, strict=True):
            for key in self._keys(row):
                counters.setdefault(key, Counter())[label] += 1
        self.table_ = {key: counter.most_common(1)[0][0] for key, counter in counters.items()}
        self.majority_ = Counter(y).most_common(1)[0][0]
        return self

    @staticmethod
    def _keys(row: RoutingRow) -> list[tuple[Any, ...]]:
        keys: list[tuple[Any, ...]] = []
        if row.category_code:
            if row.jurisdiction_agency_ids:
                keys.append(("j", row.category_code, row.jurisdiction_agency_ids))
            if row.district_code:
                keys.append(("d", row.category_code, row.district_code))
            keys.append(("c", row.category_code))
        return keys

    def predict(self, rows: Sequence[RoutingRow]) -> list[Any]:
        out = []
        for row in rows:
            label = self.majority_
            for key in self._keys(row):
                if key in self.table_:
                    label = self.table_[key]
                    break
            out.append(label)
        return out
