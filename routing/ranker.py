"""The trees at the decision: a binary HistGradientBoostingClassifier over (appeal, candidate)
pairs, and :class:`FlatTrees`, the same trees as flat arrays so a handful of pairs is scored
with a few numpy steps (sklearn's ``predict_proba`` walks its trees one by one in Python and
validates its input: ~10 ms for one appeal's pairs; this: well under 1 ms, and the same numbers,
see the tests)."""
from __future__ import annotations

import warnings
from collections import Counter
from typing import Any

import numpy as np


def fit_ranker(features: np.ndarray, correct: np.ndarray, max_iter: int, learning_rate: float,
               max_leaf_nodes: int, random_state: int) -> Any:
    """The fitted trees, or None when every candidate was right or none was (nothing to rank)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    if correct.all() or not correct.any():
        return None
    ranker = HistGradientBoostingClassifier(
        max_iter=max_iter, learning_rate=learning_rate, max_leaf_nodes=max_leaf_nodes, min_samples_leaf=20,
        l2_regularization=1.0, early_stopping=False, random_state=random_state)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ranker.fit(features, correct.astype(np.int8))
    return ranker


class FlatTrees:
    """A fitted binary HistGradientBoostingClassifier (numeric features, no categorical ones)
    as concatenated node arrays; :meth:`proba` walks all trees for all rows at once, one depth
    level per step."""

    def __init__(self, ranker: Any) -> None:
        predictors = [p[0] for p in ranker._predictors]
        sizes = [len(p.nodes) for p in predictors]
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        nodes = np.concatenate([p.nodes for p in predictors])
        shift = np.repeat(offsets, sizes)
        self.feature = nodes["feature_idx"].astype(np.int64)
        self.threshold = nodes["num_threshold"].astype(float)
        self.missing_left = nodes["missing_go_to_left"].astype(bool)
        self.is_leaf = nodes["is_leaf"].astype(bool)
        self.left = np.where(self.is_leaf, 0, nodes["left"] + shift).astype(np.int64)
        self.right = np.where(self.is_leaf, 0, nodes["right"] + shift).astype(np.int64)
        self.value = nodes["value"].astype(float)
        self.roots = offsets
        self.depth = int(nodes["depth"].max()) + 1
        self.baseline = float(np.ravel(ranker._baseline_prediction)[0])

    def leaves(self, X: np.ndarray) -> np.ndarray:
        """(rows × trees) the leaf each row reaches in each tree."""
        node = np.tile(self.roots, (X.shape[0], 1))
        rows = np.arange(X.shape[0])[:, None]
        for _ in range(self.depth):
            inner = ~self.is_leaf[node]
            if not inner.any():
                break
            value = X[rows, self.feature[node]]
            left = np.where(np.isnan(value), self.missing_left[node], value <= self.threshold[node])
            node = np.where(inner, np.where(left, self.left[node], self.right[node]), node)
        return node

    def proba(self, X: np.ndarray) -> np.ndarray:
        """P(candidate is right) per row, as ``predict_proba(X)[:, 1]``."""
        if not len(X):
            return np.zeros(0)
        raw = self.baseline + self.value[self.leaves(X)].sum(axis=1)
        return 1.0 / (1.0 + np.exp(-raw))

    def path_features(self, x: np.ndarray, trees: int) -> Counter[int]:
        """How often each feature is tested on the path of ``x`` through the first ``trees`` trees."""
        used: Counter[int] = Counter()
        for root in self.roots[:trees].tolist():
            node = root
            while not self.is_leaf[node]:
                feature = int(self.feature[node])
                used[feature] += 1
                value = x[feature]
                left = self.missing_left[node] if np.isnan(value) else value <= self.threshold[node]
                node = int(self.left[node] if left else self.right[node])
        return used
