"""Agency roles: agencies that do the same job in different districts (every district's housing
agency, every district's administration), found from the history alone, and a linear text
model that scores the *role* of an appeal, pooled over all districts.

Why: on St Petersburg most of the router's errors were the district housing agency against
the district administration for the same reason in the same district. The per-agency text
model learns the words that separate the two from one district's few hundred appeals; the role
model learns them from all districts' appeals at once (18 times the data), and the trees read
"the candidate's role scores best" as one more piece of evidence (bench/README.md: +0.3 to +0.4
accuracy points on the time split and on 5-fold, +1 to +2 points of macro-F1).

How roles are found (no names are read): an agency is *district-level* when at least 90% of its
(at least 20) appeals come from one district; the district-level agencies are clustered by
their profile of categories (k-means on the square roots of the category shares, k = the
largest number of district-level agencies in one district); every other agency is a role of
its own. An archive without districts, or where no district has two such agencies, gets no
roles and the features stay empty (NaN).

Out of fold: a training row's role scores come from roles found, and a model fitted, on the
other folds only (so the clustering never saw the row's label either); new rows are scored by
roles and a model fitted on all training rows."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from .rows import RoutingRow

MIN_ROWS = 20
HOME_SHARE = 0.9
FitOne = Callable[[sp.csr_matrix, np.ndarray, int], tuple[np.ndarray, np.ndarray]]


def _codes(values: Sequence[str | None]) -> np.ndarray:
    index: dict[str | None, int] = {}
    return np.fromiter((index.setdefault(v, len(index)) for v in values), dtype=np.int64, count=len(values))


def discover_roles(districts: np.ndarray, categories: np.ndarray, y: np.ndarray, n_classes: int,
                   random_state: int = 0) -> np.ndarray | None:
    """Role index per agency (n_classes), or None when there is nothing to pool.

    ``districts`` and ``categories``: integer codes per row, -1 where missing."""
    from sklearn.cluster import KMeans

    known = districts >= 0
    if not known.any():
        return None
    by_district = np.zeros((n_classes, int(districts.max()) + 1))
    np.add.at(by_district, (y[known], districts[known]), 1)
    rows = by_district.sum(axis=1)
    local = (rows >= MIN_ROWS) & (by_district.max(axis=1) >= HOME_SHARE * np.maximum(rows, 1))
    per_district = np.bincount(by_district.argmax(axis=1)[local], minlength=by_district.shape[1])
    k = int(per_district.max()) if local.any() else 0
    if k < 2 or local.sum() <= k:
        return None
    has = categories >= 0
    profile = np.zeros((n_classes, int(categories.max()) + 1 if has.any() else 1))
    np.add.at(profile, (y[has], categories[has]), 1)
    share = profile[local] / np.maximum(profile[local].sum(axis=1, keepdims=True), 1)
    labels = KMeans(k, n_init=10, random_state=random_state).fit_predict(np.sqrt(share))
    role = np.arange(n_classes) + k  # every agency its own role ...
    role[np.flatnonzero(local)] = labels  # ... but the district-level ones share theirs
    return np.unique(role, return_inverse=True)[1].astype(np.int64)


class RoleScorer:
    """Per row and agency: the linear role model's score of the agency's role (rows × agencies)."""

    role_: np.ndarray | None = None

    def _keys(self, rows: Sequence[RoutingRow]) -> tuple[np.ndarray, np.ndarray]:
        districts = _codes([r.district_code for r in rows])
        categories = _codes([(r.category_path[0] if r.category_path else r.category_code) for r in rows])
        districts[[r.district_code is None for r in rows]] = -1
        categories[[not (r.category_path or r.category_code) for r in rows]] = -1
        return districts, categories

    def fit_oof(self, rows: Sequence[RoutingRow], X: sp.csr_matrix, y: np.ndarray, n_classes: int,
                fold_of: np.ndarray, fit_one: FitOne) -> np.ndarray:
        """Fit on all rows (for new rows); return the training rows' out-of-fold scores (NaN
        where no roles were found). ``fit_one(X, y, n)`` fits the linear model."""
        districts, categories = self._keys(rows)
        out = np.full((len(rows), n_classes), np.nan, dtype=np.float32)
        folds = int(fold_of.max()) + 1
        for k in range(folds if folds > 1 else 0):
            inside = fold_of != k
            role = discover_roles(districts[inside], categories[inside], y[inside], n_classes)
            if role is not None:
                w, b = fit_one(X[inside], role[y[inside]], int(role.max()) + 1)
                out[~inside] = self._expand(np.asarray(X[~inside] @ w) + b, role)
        self.role_ = discover_roles(districts, categories, y, n_classes)
        if self.role_ is not None:
            w, b = fit_one(X, self.role_[y], int(self.role_.max()) + 1)
            w[np.abs(w) < 1e-3] = 0.0  # as the text model: near-zero weights make a smaller artefact
            self.weights_: Any = sp.csr_matrix(w.astype(np.float32))
            self.intercept_ = b.astype(np.float32)
        if folds == 1:
            out[:] = self.scores(X, n_classes)
        return out

    @staticmethod
    def _expand(role_scores: np.ndarray, role: np.ndarray) -> np.ndarray:
        return np.asarray(role_scores[:, role], dtype=np.float32)

    def shared(self, n_classes: int) -> np.ndarray:
        """Per agency: does its role have other members (a fact worth saying in an explanation)?"""
        if self.role_ is None:
            return np.zeros(n_classes, dtype=bool)
        return np.asarray(np.bincount(self.role_)[self.role_] > 1)

    def scores(self, X: sp.csr_matrix, n_classes: int) -> np.ndarray:
        if self.role_ is None:
            return np.full((X.shape[0], n_classes), np.nan, dtype=np.float32)
        return self._expand(np.asarray((X @ self.weights_).toarray()) + self.intercept_, self.role_)
