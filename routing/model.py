"""The router model: features → tree ensemble → calibrated confidence → decision with a reason.

Why a random forest (``RandomForestClassifier``, 120 trees, bootstrap, ``max_features="sqrt"``)
-------------------------------------------------------------------------------------------------
Measured with ``bench/router.py --estimators random_forest,extra_trees`` on this machine (2 cores,
shared with other jobs: fit seconds are given only for runs on an idle machine), identical
features for every candidate (location + rotated projections, district, jurisdiction, category
path, channel, season, chi2-selected word/stem text features); hold-out of the newest 20% (city,
demo) or a random 20% (archive):

==============================  ==============  ========  ========  ======  ======
dataset                         model           accuracy  macro-F1  cov@95  fit s
==============================  ==============  ========  ========  ======  ======
synthetic archive, 5k rows,     random forest   0.745     0.607     0.256   1.9
114 agencies (long tail with    extra trees     0.701     0.580     0.168   1.7
1–2 rows), HTML, 30% without    decision tree   0.701     0.556     0.005
a point                         rule table      0.518     0.341
                                1 tree, chars   0.599     0.459
synthetic archive, 20k rows,    random forest   0.829     0.703     0.645
120 agencies                    extra trees     0.792     0.675     0.548
                                rule table      0.515     0.326
                                1 tree, chars   0.663     0.562
synthetic city, 20k rows, 24    random forest   0.981     0.976     1.000
agencies, truth by district /   extra trees     0.981     0.975     1.000
river / heat zones              rule table      0.914     0.914
                                1 tree, chars   0.672     0.558
demo database (seeded region),  random forest   0.980     0.967     1.000   4.4
oldest 20k routed appeals,      extra trees     0.981     0.970     1.000   3.4
27 agencies, newest 20% held    rule table      0.915     0.909
out (``--demo-db``)             1 tree, chars   0.705     0.536
==============================  ==============  ========  ========  ======  ======

On the city and the demo data the two forests tie (within 0.003); on archive-like data with
many agencies the random forest is clearly better (+4 points of accuracy, +3 of macro-F1, and
1.2–1.5× more appeals routed automatically at 95% accuracy) — plausibly because exact thresholds
follow agency borders in the coordinates and rare text cues better than extra trees' random
ones. Archives of other regions are what the router will be judged on, so the forest is the
default. It costs more to fit: 1.1× on the small archive and 1.3× on the demo data above, 1.13×
per tree on 150k city rows (1.10 vs 0.97 CPU s per tree). On big sets the trees are fitted on at most
``FOREST_ROWS`` rows (rare agencies kept whole) and each draws at most ``MAX_TREE_ROWS`` of them,
which bounds the 1M-row fit: ``bench/router.py --rows 1000000`` measured 78 s wall / 94 s CPU
(load average 2.4) with accuracy 0.987, macro-F1 0.984 on 20k fresh rows, against 317 s wall /
189 s CPU (load average 5.8) and 0.987 / 0.985 when the trees drew 60k rows from all 1M (same
rows, same check). A single tree overfits the text: it reaches extra trees' accuracy on the
small archive but its confidence is useless (cov@95 0.005). Gradient boosting (``hist_gb``) was not re-measured in this
comparison: it fits one tree per class per iteration on a dense matrix, far slower with 30–200
agencies. Rerun the bench on a real archive (``--csv``) before changing the choice.

Throughput: a batch is one feature build (the words of all texts from one regex pass, structured
columns gathered per combination of codes), the forest's votes summed here over two row blocks in
a thread pool (``Tree.apply`` runs without the GIL; every row sums the trees in order, so the
numbers do not depend on the split; the explained trees' leaves are kept), one sparse product for
the explanation's facts, then a short sentence per row whose start is shared by rows with the same
codes. ``bench/router.py`` (4000 rows, best of 5, load average 0.6–0.9 on 2 cores) measured the
full pipeline at 55,589–61,536 rows/s on the synthetic city and 56,876–62,988 on the demo
database, against 91,083–92,839 rows/s for the bare ``estimator.predict``: 0.61–0.68 in wall time,
0.68–0.76 in CPU time (the code before this: 40,493 and 40,055 rows/s, 0.44 and 0.44, in the same
minutes). The bare ``predict`` goes through joblib, whose result loop polls every 10 ms, so its
wall time on 4000 rows moves in steps: one bench run measured it at 113,583 rows/s and a separate
timing at 8.2 µs/row (~122,000 rows/s), against which the same full pipeline is only 0.46–0.55 —
the goal of 0.5 is met with a margin only on the slower step. The pipeline's own Python work (features, sentences,
decision objects) runs on one core and does not overlap the trees: running the trees of one chunk
while building the next was measured slower, because every tree call must take the GIL back.
One appeal takes about 1 ms.

Calibration
-----------
The router acts on one number: the confidence that the top agency is right. It is calibrated
with isotonic regression of "top-1 was right" on the raw top-1 vote share, fitted on
out-of-bag predictions (forests; of 100k sampled rows on big sets) or 3-fold out-of-fold
predictions (other estimators), so no
extra model fits are needed and classes with a single example cannot break stratified folds
(``CalibratedClassifierCV`` would refit the forest per fold — 4× the training time on 1M rows —
and fit one-vs-rest calibrators that are undetermined for agencies with 1–2 examples). The
other top-3 probabilities are the raw shares rescaled to sum to one with the calibrated top-1.
"""
from __future__ import annotations

import math
import os
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from .features import SEASONS, FeatureBuilder, RoutingRow

ESTIMATORS = ("random_forest", "extra_trees", "decision_tree", "hist_gb")
DEFAULT_THRESHOLD = 0.6
OOB_ROWS = 100_000  # above this many training rows, calibration uses out-of-bag votes of a sample
TEXT_SAMPLE = 200_000  # texts the vocabulary, idf and chi2 selection are fitted on
MAX_TREE_ROWS = 60_000  # rows each tree draws at most (bootstrap) on big training sets
FOREST_ROWS = 300_000  # rows the trees are fitted on at most (see Router._forest_subset)
RARE_CLASS_ROWS = 200  # agencies with fewer examples keep all of them in that subset
SMALL_BATCH = 16  # up to this many rows, forests are averaged in the calling thread


@dataclass(slots=True)
class Decision:
    """Where the router would send an appeal and why. ``auto`` is False when the operator
    must choose (confidence below the threshold for the appeal's category)."""

    agency_id: Any
    confidence: float
    top3: list[tuple[Any, float]]
    auto: bool
    explanation: str

    @property
    def label(self) -> Any:
        return self.agency_id


@dataclass
class Names:
    """Display names for explanations: codes/ids → Russian names."""

    categories: dict[str, str] = field(default_factory=dict)
    districts: dict[str, str] = field(default_factory=dict)
    agencies: dict[Any, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, names: dict[str, dict[Any, str]] | Names | None) -> Names:
        if isinstance(names, Names):
            return names
        names = names or {}
        return cls(dict(names.get("categories", {})), dict(names.get("districts", {})),
                   dict(names.get("agencies", {})))


_POOL: tuple[int, int, ThreadPoolExecutor] | None = None
_POOL_LOCK = threading.Lock()


def _workers(n_jobs: int | None) -> int:
    cpus = os.cpu_count() or 1
    if n_jobs is None:
        return 1
    return max(1, cpus + 1 + n_jobs if n_jobs < 0 else min(n_jobs, cpus))


def _thread_pool(workers: int) -> ThreadPoolExecutor:
    """The process's pool for tree votes (made again after a fork: threads do not survive it)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None or _POOL[0] != os.getpid() or _POOL[1] != workers:
            _POOL = (os.getpid(), workers, ThreadPoolExecutor(workers, thread_name_prefix="router-trees"))
        return _POOL[2]


# --------------------------------------------------------------------------- baselines

class RuleTable:
    """The rule-table baseline: the most frequent agency per (category, jurisdiction set),
    then per (category, district), then per category, then the majority class."""

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


def majority_predict(y_train: Sequence[Any], n: int) -> list[Any]:
    return [Counter(y_train).most_common(1)[0][0]] * n


# --------------------------------------------------------------------------- estimators

def make_estimator(name: str, n_rows: int, random_state: int = 0, n_estimators: int = 120,
                   n_jobs: int = -1, max_tree_rows: int = 60_000) -> Any:
    from sklearn.ensemble import ExtraTreesClassifier, HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.tree import DecisionTreeClassifier

    # Each tree draws at most ``max_tree_rows`` rows: a 1M-row fit stays within minutes on 2
    # shared cores, and every row is still drawn by ~7 of 120 trees (and out of bag for the rest)
    max_samples = min(1.0, max_tree_rows / max(n_rows, 1)) if n_rows > max_tree_rows else None
    if name == "extra_trees":
        return ExtraTreesClassifier(n_estimators=n_estimators, max_features="sqrt", bootstrap=True,
                                    max_samples=max_samples, n_jobs=n_jobs,
                                    random_state=random_state, class_weight=None)
    if name == "random_forest":
        return RandomForestClassifier(n_estimators=n_estimators, max_features="sqrt", bootstrap=True,
                                      max_samples=max_samples, n_jobs=n_jobs, random_state=random_state)
    if name == "decision_tree":
        return DecisionTreeClassifier(random_state=random_state, min_samples_leaf=1)
    if name == "hist_gb":
        return HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, early_stopping=False,
                                              random_state=random_state)
    raise ValueError(f"unknown estimator {name!r}; choose one of {', '.join(ESTIMATORS)}")


def _needs_dense(estimator: Any) -> bool:
    return type(estimator).__name__ == "HistGradientBoostingClassifier"


class TopLabelCalibrator:
    """Isotonic map from the raw top-1 share to the probability that top-1 is right."""

    def fit(self, raw_top: np.ndarray, correct: np.ndarray) -> TopLabelCalibrator:
        from sklearn.isotonic import IsotonicRegression

        finite = np.isfinite(raw_top)
        self.iso_: Any = None
        if finite.sum() >= 20 and 0 < correct[finite].mean() < 1:
            self.iso_ = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip", increasing=True)
            self.iso_.fit(raw_top[finite], correct[finite].astype(float))
        return self

    def transform(self, raw_top: np.ndarray) -> np.ndarray:
        if self.iso_ is None:
            return raw_top
        return np.asarray(self.iso_.predict(raw_top), dtype=float)


# --------------------------------------------------------------------------- the router

class Router:
    """Feature builder + tree ensemble + calibrator + thresholds; joblib-serialisable."""

    def __init__(self, estimator: str = "random_forest", text_mode: str = "stems", max_text_features: int = 4000,
                 n_estimators: int = 120, random_state: int = 0, threshold: float = DEFAULT_THRESHOLD,
                 category_thresholds: dict[str, float] | None = None, explain_trees: int = 8,
                 use_location: bool = True, n_jobs: int = -1, oob_rows: int = OOB_ROWS,
                 text_sample: int = TEXT_SAMPLE, max_tree_rows: int = MAX_TREE_ROWS,
                 forest_rows: int = FOREST_ROWS) -> None:
        self.estimator_name = estimator
        self.text_mode = text_mode
        self.max_text_features = max_text_features
        self.n_estimators = n_estimators
        self.random_state = random_state
        self.threshold = threshold
        self.category_thresholds = dict(category_thresholds or {})
        self.explain_trees = explain_trees
        self.use_location = use_location
        self.n_jobs = n_jobs
        self.oob_rows = oob_rows
        self.text_sample = text_sample
        self.max_tree_rows = max_tree_rows
        self.forest_rows = forest_rows

    @property
    def params(self) -> dict[str, Any]:
        return {"estimator": self.estimator_name, "text_mode": self.text_mode,
                "max_text_features": self.max_text_features, "n_estimators": self.n_estimators,
                "random_state": self.random_state, "threshold": self.threshold,
                "category_thresholds": self.category_thresholds, "use_location": self.use_location,
                "max_tree_rows": getattr(self, "max_tree_rows", None),
                "forest_rows": getattr(self, "forest_rows", None)}

    # -- training
    def fit(self, rows: Sequence[RoutingRow], y: Sequence[Any],
            progress: Callable[[str], None] | None = None) -> Router:
        step = progress or (lambda _msg: None)
        if not rows:
            raise ValueError("no training rows")
        started = time.perf_counter()
        self.classes_ = sorted(set(y), key=lambda v: (str(type(v)), v))
        index = {c: i for i, c in enumerate(self.classes_)}
        y_enc = np.fromiter((index[v] for v in y), dtype=np.int64, count=len(y))
        step("features")
        self.features_ = FeatureBuilder(text_mode=self.text_mode, max_text_features=self.max_text_features,
                                        min_df=2 if len(rows) >= 200 else 1, use_location=self.use_location,
                                        text_sample=self.text_sample)
        self.features_.fit(rows, y_enc)
        X = self.features_.transform(rows)
        step("estimator")
        subset = self._forest_subset(y_enc)
        X_fit, y_fit = (X, y_enc) if subset is None else (X[subset], y_enc[subset])
        self.estimator_ = make_estimator(self.estimator_name, len(y_fit), self.random_state, self.n_estimators,
                                         self.n_jobs, self.max_tree_rows)
        oob = self._fit_estimator(X_fit, y_fit)
        step("calibration")
        raw = oob.max(axis=1) if oob.size else np.zeros(0)
        correct = (oob.argmax(axis=1) == y_fit) if oob.size else np.zeros(0, dtype=bool)
        valid = np.isfinite(oob).all(axis=1) & (oob.sum(axis=1) > 0) if oob.size else np.zeros(0, dtype=bool)
        self.calibrator_ = TopLabelCalibrator().fit(raw[valid], correct[valid])
        self.rules_ = RuleTable().fit(rows, list(y))
        self._prepare_explainer()
        self.fit_seconds_ = time.perf_counter() - started
        return self

    def _forest_subset(self, y_enc: np.ndarray) -> np.ndarray | None:
        """Rows the trees are fitted on when there are more than ``forest_rows``: every row of
        a rare agency (fewer than ``RARE_CLASS_ROWS`` examples, less when the subset is small),
        the rest drawn at random.

        sklearn's trees see the whole (sparse, column-major) matrix even when bootstrap draws
        only ``max_tree_rows`` of it, so a 1M-row matrix costs every tree a pass over 1M rows;
        features, vocabulary and the rule table still use every row."""
        n = len(y_enc)
        if n <= self.forest_rows:
            return None
        counts = np.bincount(y_enc)
        limit = min(RARE_CLASS_ROWS, max(2, self.forest_rows // (10 * len(counts))))
        rare = counts[y_enc] < limit
        kept = np.flatnonzero(rare)
        others = np.flatnonzero(~rare)
        draw = min(len(others), max(0, self.forest_rows - len(kept)))
        drawn = np.random.default_rng(self.random_state).choice(others, draw, replace=False)
        return np.sort(np.concatenate([kept, drawn]))

    def _fit_estimator(self, X: sp.csr_matrix, y_enc: np.ndarray) -> np.ndarray:
        """Fit and return out-of-fold class probabilities (n × n_classes) for calibration."""
        from sklearn.model_selection import KFold

        n_classes = len(self.classes_)
        est = self.estimator_
        if hasattr(est, "bootstrap") and est.bootstrap:
            exact = X.shape[0] <= self.oob_rows
            est.set_params(oob_score=exact and len(y_enc) >= 30 and n_classes > 1)
            with warnings.catch_warnings():  # rows never out of bag are expected with few trees
                warnings.filterwarnings("ignore", message="Some inputs do not have OOB scores")
                est.fit(X, y_enc)
            if not exact:
                return self._sampled_oob(X, n_classes)
            if not est.oob_score:
                return np.full((X.shape[0], n_classes), np.nan)
            oob = np.asarray(est.oob_decision_function_, dtype=float)  # rows never out of bag are all 0
            full = np.zeros((X.shape[0], n_classes))
            full[:, est.classes_.astype(int)] = oob
            return full
        data = X.toarray() if _needs_dense(est) else X
        oof = np.full((X.shape[0], n_classes), np.nan)
        if X.shape[0] >= 30 and n_classes > 1:
            from sklearn.base import clone

            for train, test in KFold(3, shuffle=True, random_state=self.random_state).split(data):
                part = clone(est).fit(data[train], y_enc[train])
                block = np.zeros((len(test), n_classes))
                block[:, part.classes_.astype(int)] = part.predict_proba(data[test])
                oof[test] = block
        est.fit(data, y_enc)
        return oof

    def _sampled_oob(self, X: sp.csr_matrix, n_classes: int) -> np.ndarray:
        """Out-of-bag class shares for ``oob_rows`` random rows (NaN for the others).

        sklearn's ``oob_score`` predicts every row with every tree that did not draw it: with
        60k-row draws from 1M rows that is ~110M tree predictions plus a sparse copy of most of
        the matrix per tree. Calibration needs far fewer rows."""
        est = self.estimator_
        n = X.shape[0]
        rng = np.random.default_rng(self.random_state)
        sample = np.sort(rng.choice(n, min(n, self.oob_rows), replace=False))
        X_sample = X[sample]
        votes = np.zeros((len(sample), len(est.classes_)))
        trees = np.zeros(len(sample))
        for tree, drawn in zip(est.estimators_, est.estimators_samples_, strict=True):
            out = np.flatnonzero(~np.isin(sample, drawn))
            if len(out):
                votes[out] += tree.predict_proba(X_sample[out], check_input=False)
                trees[out] += 1
        full = np.full((n, n_classes), np.nan)
        seen = trees > 0
        block = np.zeros((int(seen.sum()), n_classes))
        block[:, est.classes_.astype(int)] = votes[seen] / trees[seen, None]
        full[sample[seen]] = block
        return full

    # -- prediction
    def transform(self, rows: Sequence[RoutingRow]) -> sp.csr_matrix:
        return self.features_.transform(rows)

    def predict_proba_features(self, X: sp.csr_matrix) -> np.ndarray:
        return self._votes(X, 0)[0]

    def _is_forest(self) -> bool:
        return type(self.estimator_).__name__ in ("RandomForestClassifier", "ExtraTreesClassifier")

    def _votes(self, X: sp.csr_matrix, keep: int) -> tuple[np.ndarray, np.ndarray | None]:
        """(class probabilities, leaves of the first ``keep`` trees or None) for a whole batch.

        Forests are averaged by :meth:`_forest_votes`, in the calling thread for a few rows,
        otherwise over row blocks in the router's thread pool (each block sums every tree in
        order, so the numbers do not depend on how the rows are split)."""
        if not self._is_forest():
            data = X.toarray() if _needs_dense(self.estimator_) else X
            return self._full_width(np.asarray(self.estimator_.predict_proba(data), dtype=float)), None
        n = X.shape[0]
        workers = _workers(self.n_jobs)
        if n <= SMALL_BATCH or workers == 1:
            return self._forest_votes(X, keep)
        bounds = np.linspace(0, n, workers + 1).astype(int).tolist()
        pool = _thread_pool(workers)
        parts = [pool.submit(self._forest_votes, X[a:b], keep) for a, b in zip(bounds, bounds[1:], strict=False)]
        results = [part.result() for part in parts]
        proba = np.vstack([p for p, _leaves in results])
        leaves = np.vstack([q for _p, q in results if q is not None]) if keep else None
        return proba, leaves

    def _forest_votes(self, X: sp.csr_matrix, keep: int) -> tuple[np.ndarray, np.ndarray | None]:
        """The forest's average class shares, summed here tree by tree in the forest's order
        (the same numbers as ``predict_proba``; see the tests), and the leaf each row reaches in
        the first ``keep`` trees (for the explanation, so those trees are not applied twice).

        ``Tree.apply`` runs without the GIL: calls on other rows proceed in parallel threads
        while the calling thread does Python work."""
        est = self.estimator_
        width = est.n_classes_
        n = X.shape[0]
        proba = np.zeros((n, width))
        leaves = np.empty((n, keep), dtype=np.intp) if keep else None
        for j, model in enumerate(est.estimators_):
            tree = model.tree_
            if j < keep:
                assert leaves is not None
                leaf = tree.apply(X)
                leaves[:, j] = leaf
                # what Tree.predict does after apply
                proba += tree.value.take(leaf, axis=0, mode="clip").reshape(n, -1)[:, :width]
            else:
                proba += tree.predict(X)[:, :width]
        proba /= len(est.estimators_)
        return self._full_width(proba), leaves

    def _full_width(self, proba: np.ndarray) -> np.ndarray:
        if proba.shape[1] != len(self.classes_):  # estimator saw fewer classes (cannot happen on fit data)
            full = np.zeros((proba.shape[0], len(self.classes_)))
            full[:, self.estimator_.classes_.astype(int)] = proba
            proba = full
        return proba

    def predict_labels(self, rows: Sequence[RoutingRow]) -> tuple[list[Any], np.ndarray]:
        """(labels, calibrated confidences) without explanations: the evaluation path."""
        proba = self.predict_proba_features(self.transform(rows))
        top = proba.argmax(axis=1)
        confidence = self.calibrator_.transform(proba.max(axis=1))
        return [self.classes_[i] for i in top], confidence

    def threshold_for(self, row: RoutingRow) -> float:
        for code in (row.category_path or ((row.category_code,) if row.category_code else ())):
            if code in self.category_thresholds:
                return float(self.category_thresholds[code])
        return float(self.threshold)

    def route_batch(self, rows: Sequence[RoutingRow], names: dict[str, dict[Any, str]] | Names | None = None,
                    threshold: float | None = None, category_thresholds: dict[str, float] | None = None,
                    explain: bool = True) -> list[Decision]:
        """Decisions for many rows: one feature build, the forest's votes (which also give the
        leaves of the explained trees), one vectorised explanation; the per-row work left in
        Python is assembling the objects and the sentence."""
        if not rows:
            return []
        if not hasattr(self, "column_group_"):  # an artefact saved before this explainer
            self._prepare_explainer()
        X = self.transform(rows)
        keep = len(self.explain_models_) if explain and self._is_forest() else 0
        proba, leaves = self._votes(X, keep)
        return self._decide(rows, X, proba, leaves, Names.from_dict(names), threshold, category_thresholds, explain)

    def _decide(self, rows: Sequence[RoutingRow], X: sp.csr_matrix, proba: np.ndarray, leaves: np.ndarray | None,
                names: Names, threshold: float | None, category_thresholds: dict[str, float] | None,
                explain: bool) -> list[Decision]:
        n = len(rows)
        # top 3 by three argmax passes: ties go to the lowest class index, as in predict()
        work = proba.copy()
        picks = []
        for _ in range(min(3, proba.shape[1])):
            j = work.argmax(axis=1)
            picks.append(j)
            work[np.arange(n), j] = -1.0
        order = np.column_stack(picks)
        shares = np.take_along_axis(proba, order, axis=1)
        raw_top = shares[:, 0]
        confidence = self.calibrator_.transform(raw_top)
        rest = 1.0 - raw_top
        scale = np.divide(1.0 - confidence, rest, out=np.zeros(n), where=rest > 1e-12)
        others = shares[:, 1:] * scale[:, None]
        classes = np.empty(len(self.classes_), dtype=object)
        classes[:] = self.classes_
        predicted = classes[order[:, 0]].tolist()
        reasons = self.explain(X, rows, names, predicted, leaves) if explain else [""] * n
        overrides = self.category_thresholds if category_thresholds is None else category_thresholds
        default = float(self.threshold if threshold is None else threshold)
        confs = confidence.tolist()
        if overrides:
            cache: dict[tuple[Any, ...], float] = {}
            limits = []
            for row in rows:
                key = (row.category_path, row.category_code)
                limit = cache.get(key)
                if limit is None:
                    limit = cache[key] = self._threshold(row, default, overrides)
                limits.append(limit)
            autos = [c >= t for c, t in zip(confs, limits, strict=True)]
        else:
            autos = (confidence >= default).tolist()
        # the other two of the top 3, kept while their raw share is positive (shares descend)
        firsts = list(zip(predicted, confs, strict=True))
        seconds: list[Any] = [None] * n
        thirds: list[Any] = [None] * n
        if order.shape[1] > 1:
            seconds = list(zip(classes[order[:, 1]].tolist(), others[:, 0].tolist(), strict=True))
        if order.shape[1] > 2:
            thirds = list(zip(classes[order[:, 2]].tolist(), others[:, 1].tolist(), strict=True))
        extra = (shares[:, 1:] > 0).sum(axis=1).tolist()
        top3s = [[first] if k == 0 else [first, second] if k == 1 else [first, second, third]
                 for first, second, third, k in zip(firsts, seconds, thirds, extra, strict=True)]
        return list(map(Decision, predicted, confs, top3s, autos, reasons))

    def _threshold(self, row: RoutingRow, default: float | None, overrides: dict[str, float]) -> float:
        for code in (row.category_path or ((row.category_code,) if row.category_code else ())):
            if code in overrides:
                return float(overrides[code])
        return float(self.threshold if default is None else default)

    def route(self, row: RoutingRow, names: dict[str, dict[Any, str]] | Names | None = None,
              threshold: float | None = None, category_thresholds: dict[str, float] | None = None) -> Decision:
        return self.route_batch([row], names, threshold, category_thresholds)[0]

    # -- explanation
    def _prepare_explainer(self) -> None:
        """Per column: its group code, readable key and whether a person would call it a reason.

        What a tree "says" about a row is read from the edges of its path: entering the right
        child of a split on an indicator or a text weight means the row has that feature; any
        split on a coordinate means the point's location was used. Those edges are summed per
        leaf once (:meth:`_leaf_facts`), so explaining a batch is ``apply`` on the first
        ``explain_trees`` trees and one sparse product."""
        trees = getattr(self.estimator_, "estimators_", None)
        if trees is None and hasattr(self.estimator_, "tree_"):
            trees = [self.estimator_]
        self.explain_models_: list[Any] = list(trees)[: self.explain_trees] if trees else []
        meta = self.features_.meta_
        width = self.features_.n_features
        groups = np.full(width, _TEXT, dtype=np.int8)  # hashed text columns have no meta
        groups[: len(meta)] = [_FLAG_CODES[m.key] if m.group == "flag" else _GROUP_CODES[m.group] for m in meta]
        self.column_group_ = groups
        self.column_key_ = [m.key.strip() if isinstance(m.key, str) else m.key for m in meta]
        self.column_telling_ = np.zeros(width, dtype=bool)
        self.column_telling_[: len(meta)] = [m.group == "text" and isinstance(m.key, str) and _telling(m.key)
                                            for m in meta]
        self.__dict__.pop("_leaf_cache", None)

    def _leaf_facts(self) -> tuple[np.ndarray, np.ndarray, sp.csr_matrix]:
        """(node offset of each explained tree, node → row of the leaf matrix, leaf matrix): row
        ``r`` of the leaf matrix counts, per column, the edges on the path to that leaf that
        assert the column. Built on first use from the trees (a walk of depth steps, vectorised
        over all leaves) and not stored in the artefact."""
        cached = self.__dict__.get("_leaf_cache")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        is_coord = self.column_group_ == _COORDS
        width = len(self.column_group_)
        node_offsets = [0]
        node_to_leaf: list[np.ndarray] = []
        leaf_rows: list[np.ndarray] = []
        leaf_cols: list[np.ndarray] = []
        n_leaves = 0
        for model in self.explain_models_:
            t = model.tree_
            left, right, feature = t.children_left, t.children_right, t.feature
            internal = np.flatnonzero(left >= 0)
            parent = np.full(t.node_count, -1, dtype=np.int64)
            parent[left[internal]] = internal
            parent[right[internal]] = internal
            edge = np.full(t.node_count, -1, dtype=np.int64)
            edge[right[internal]] = feature[internal]
            coord_splits = internal[is_coord[feature[internal]]]
            edge[left[coord_splits]] = feature[coord_splits]
            leaves = np.flatnonzero(left < 0)
            index = np.full(t.node_count, -1, dtype=np.int64)
            index[leaves] = n_leaves + np.arange(len(leaves))
            node, row_of = leaves, index[leaves]
            while len(node):  # one step up per level, all leaves at once
                asserted = edge[node]
                keep = asserted >= 0
                leaf_rows.append(row_of[keep])
                leaf_cols.append(asserted[keep])
                up = parent[node]
                alive = up >= 0
                node, row_of = up[alive], row_of[alive]
            n_leaves += len(leaves)
            node_to_leaf.append(index)
            node_offsets.append(node_offsets[-1] + t.node_count)
        rows_ = np.concatenate(leaf_rows) if leaf_rows else np.zeros(0, dtype=np.int64)
        cols_ = np.concatenate(leaf_cols) if leaf_cols else np.zeros(0, dtype=np.int64)
        facts = sp.csr_matrix((np.ones(len(rows_), dtype=np.float32), (rows_, cols_)), shape=(n_leaves, width))
        facts.sum_duplicates()
        cache = (np.asarray(node_offsets[:-1], dtype=np.int64),
                 np.concatenate(node_to_leaf) if node_to_leaf else np.zeros(0, dtype=np.int64), facts)
        self.__dict__["_leaf_cache"] = cache
        return cache

    def path_facts(self, X: sp.csr_matrix, leaves: np.ndarray | None = None) -> sp.csr_matrix | None:
        """(rows × columns) how many edges on the row's paths through the explained trees assert
        each column; None when the estimator has no trees to read. ``leaves``: the node each row
        reaches in each explained tree when already known (:meth:`_forest_votes`)."""
        if not hasattr(self, "column_group_"):  # an artefact saved before this explainer
            self._prepare_explainer()
        if not self.explain_models_:
            return None
        n, k = X.shape[0], len(self.explain_models_)
        offsets, node_to_leaf, facts = self._leaf_facts()
        if leaves is not None and leaves.shape == (n, k):
            nodes = leaves
        else:
            nodes = np.column_stack([model.apply(X, check_input=False) for model in self.explain_models_])
        leaf = node_to_leaf[nodes + offsets[None, :]].ravel()
        reached = sp.csr_matrix((np.ones(n * k, dtype=np.float32), leaf, np.arange(0, n * k + 1, k)),
                                shape=(n, facts.shape[0]))
        return sp.csr_matrix(reached @ facts)

    def explain(self, X: sp.csr_matrix, rows: Sequence[RoutingRow], names: Names,
                predicted: Sequence[Any] | None = None, leaves: np.ndarray | None = None) -> list[str]:
        """One sentence per row from the paths of the first ``explain_trees`` trees: the facts
        about the row the trees tested, most used first, grouped and named for people."""
        used = self.path_facts(X, leaves)
        if used is None:
            return [""] * len(rows)
        n = len(rows)
        used = used.tocoo()
        row, col, count = used.row, used.col, used.data
        group = self.column_group_[col]
        seen = np.zeros((n, _N_CODES), dtype=bool)
        seen[row, group] = True
        masks = (seen @ (1 << np.arange(_N_CODES))).tolist()  # one bit per group the row's paths used
        # the facts worth naming one by one, most used first (ties: column order), at most 3 terms
        groups = self.column_group_
        nameable = ((groups == _TEXT) & self.column_telling_) | (groups == _CATEGORY) | (groups == _JURISDICTION)
        named = nameable[col]
        row, col, count, group = row[named], col[named], count[named], group[named]
        # one sort of (row, more uses first, column) packed into an int64; categories only by
        # column (they are named as a set), so rows with the same codes share sentence starts
        width, most = np.int64(len(self.column_group_)), np.int64(count.max(initial=0))
        rank = np.where(group == _CATEGORY, 0, most - count.astype(np.int64))
        packed = np.sort((row.astype(np.int64) * (most + 1) + rank) * width + col)
        row, col = packed // ((most + 1) * width), packed % width
        group = self.column_group_[col]
        text = np.flatnonzero(group == _TEXT)
        if len(text):
            text_rows = row[text]
            rank = np.arange(len(text)) - np.searchsorted(text_rows, text_rows)
            keep = np.ones(len(row), dtype=bool)
            keep[text[rank >= 3]] = False
            row, col, group = row[keep], col[keep], group[keep]
        # the sentence: what the codes say (category, district, zone) is the same for many rows
        # and made once per combination; the point, the terms, season and channel per row
        is_term = group == _TEXT
        term_bounds = np.searchsorted(row[is_term], np.arange(n + 1)).tolist()
        code_bounds = np.searchsorted(row[~is_term], np.arange(n + 1)).tolist()
        terms, codes = col[is_term].tolist(), col[~is_term].tolist()
        zoned = (np.bincount(row[group == _JURISDICTION], minlength=n) > 0).tolist()
        quoted = self._quoted_terms()
        chosen = list(predicted) if predicted is not None else [None] * n
        heads = _Memo(lambda key: self._head(list(key[0]), key[1], key[2], key[3], key[4], names))
        code_lists = [tuple(codes[a:b]) for a, b in zip(code_bounds, code_bounds[1:], strict=False)]
        # the decided agency matters only to rows whose paths tested a zone of competence
        starts = [heads[(c, r.category_path, r.category_code, r.district_code if m & _DISTRICT_BIT else None,
                         p if z else None)]
                  for c, r, m, p, z in zip(code_lists, rows, masks, chosen, zoned, strict=True)]
        points = [_POINT_PART % (r.lat, r.lon) if m & _COORDS_BIT and r.has_point else ""
                  for r, m in zip(rows, masks, strict=True)]
        said = ["в тексте: " + ", ".join([quoted[t] for t in terms[c:d]]) if c < d else ""
                for c, d in zip(term_bounds, term_bounds[1:], strict=False)]
        tails = [_tail(r, m) if m & _TAIL_BITS else "" for r, m in zip(rows, masks, strict=True)]
        return ["; ".join(filter(None, parts)) or "по совокупности признаков"
                for parts in zip(starts, points, said, tails, strict=True)]

    def _head(self, columns: list[int], category_path: tuple[str, ...], category_code: str | None,
              district_code: str | None, predicted: Any, names: Names) -> str:
        """The start of a sentence: the category (parent › child) and the zone of competence
        the paths tested (``columns``: category and jurisdiction columns, most used first) and
        the district when the paths used it (``district_code`` is then given)."""
        keys, group_of = self.column_key_, self.column_group_
        categories = {keys[c] for c in columns if group_of[c] == _CATEGORY}
        agencies = [keys[c] for c in columns if group_of[c] == _JURISDICTION]  # most used first
        parts: list[str] = []
        if categories:
            path = category_path or ((category_code,) if category_code else ())
            shown = [c for c in reversed(path) if c in categories]  # parent › child
            if shown:
                parts.append("категория = " + " › ".join(names.categories.get(c, c) for c in shown[-2:]))
        if district_code:
            parts.append("район = " + names.districts.get(district_code, district_code))
        if agencies:
            # the decided agency's own zone is the reason worth saying; otherwise the most used one
            chosen = predicted if predicted in agencies else agencies[0]
            parts.append(f"в зоне ведения: {names.agencies.get(chosen, chosen)}")
        return "; ".join(parts)

    def _quoted_terms(self) -> list[str]:
        """«term» per column (built on first use, not stored in the artefact)."""
        quoted = self.__dict__.get("_quoted_cache")
        if quoted is None or len(quoted) != len(self.column_key_):
            quoted = self.__dict__["_quoted_cache"] = [f"«{k}»" if isinstance(k, str) else "" for k in self.column_key_]
        return quoted  # type: ignore[no-any-return]

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_leaf_cache", None)  # rebuilt from the trees on first use
        state.pop("_quoted_cache", None)
        return state


(_TEXT, _CATEGORY, _DISTRICT, _JURISDICTION, _COORDS, _CHANNEL, _MONTH, _SEASON,
 _NO_POINT, _NO_TEXT, _NO_CATEGORY) = range(11)
_N_CODES = 11
_DISTRICT_BIT, _COORDS_BIT, _CHANNEL_BIT = 1 << _DISTRICT, 1 << _COORDS, 1 << _CHANNEL
_SEASON_BITS, _NO_POINT_BIT, _NO_TEXT_BIT = 1 << _SEASON | 1 << _MONTH, 1 << _NO_POINT, 1 << _NO_TEXT
_TAIL_BITS = _SEASON_BITS | _CHANNEL_BIT | _NO_POINT_BIT | _NO_TEXT_BIT
_POINT_PART = "место на карте (%.4f, %.4f)"


class _Memo(dict[Any, Any]):
    """A dict that makes a missing value with ``make(key)`` and keeps it."""

    def __init__(self, make: Callable[[Any], Any]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self.make(key)
        return value


def _tail(row: RoutingRow, mask: int) -> str:
    """The end of an explanation: season, channel, no point, no text — when the paths used them."""
    parts = []
    if mask & _SEASON_BITS and row.received_at is not None:
        parts.append(_SEASON_PART[row.received_at.month])
    if mask & _CHANNEL_BIT and row.channel:
        parts.append("канал = " + row.channel)
    if mask & _NO_POINT_BIT and not row.has_point:
        parts.append("без точки на карте")
    if mask & _NO_TEXT_BIT and not (row.text or "").strip():
        parts.append("без текста")
    return "; ".join(parts)
_SEASON_PART = {month: "сезон = " + season for month, season in SEASONS.items()}
_GROUP_CODES = {"text": _TEXT, "category": _CATEGORY, "district": _DISTRICT, "jurisdiction": _JURISDICTION,
                "coords": _COORDS, "channel": _CHANNEL, "month": _MONTH, "season": _SEASON}
_FLAG_CODES = {"no_point": _NO_POINT, "no_text": _NO_TEXT, "no_category": _NO_CATEGORY}


STOP_WORDS = frozenset(
    "не нет ни и в во на с со по у к ко о об от за из до для а но что это как уже так же бы ли или то при "
    "над под про без все всё очень уже ещё еще мы вы я он она они их его ее её нам вам нас вас просим прошу "
    "д ул дом the a an is are at of to in on and or no not very please".split())


def _telling(term: str) -> bool:
    """A text feature worth showing a person: not only stop words, numbers or a single letter."""
    words = [w.rstrip("…") for w in term.split()]
    return any(len(w) > 2 and w not in STOP_WORDS and not w.isdigit() for w in words)


# --------------------------------------------------------------------------- metrics

def coverage_curve(correct: np.ndarray, confidence: np.ndarray, points: int = 10) -> list[dict[str, float]]:
    """Share routed automatically and its accuracy for thresholds 0.0, 0.1, …, 0.9."""
    out = []
    for k in range(points):
        threshold = k / points
        mask = confidence >= threshold
        out.append({"threshold": threshold, "coverage": float(mask.mean()) if len(mask) else 0.0,
                    "accuracy": float(correct[mask].mean()) if mask.any() else math.nan})
    return out


def coverage_at(correct: np.ndarray, confidence: np.ndarray, target: float = 0.95) -> float:
    """The largest share of appeals, taken in order of confidence, routed with accuracy ≥ target."""
    if len(correct) == 0:
        return 0.0
    order = np.argsort(-confidence, kind="stable")
    cumulative = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)
    ok = np.flatnonzero(cumulative >= target - 1e-12)
    return float((ok[-1] + 1) / len(order)) if len(ok) else 0.0


def expected_calibration_error(correct: np.ndarray, confidence: np.ndarray, bins: int = 10) -> float:
    if len(correct) == 0:
        return 0.0
    edges = np.linspace(0, 1, bins + 1)
    error = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        mask = (confidence >= lo) & ((confidence < hi) if hi < 1 else (confidence <= hi))
        if mask.any():
            error += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(error)


def score(y_true: Sequence[Any], y_pred: Sequence[Any], confidence: np.ndarray | None = None,
          rule_pred: Sequence[Any] | None = None, majority_pred: Sequence[Any] | None = None,
          per_agency: bool = True) -> dict[str, Any]:
    """Accuracy, macro-F1 (over the classes present in truth or prediction), per-agency
    precision/recall, coverage curve and coverage at 95% accuracy, the two baselines."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    true = [str(v) for v in y_true]
    pred = [str(v) for v in y_pred]
    metrics: dict[str, Any] = {
        "rows": len(true),
        "classes": len(set(true)),
        "accuracy": float(accuracy_score(true, pred)) if true else 0.0,
        "macro_f1": float(f1_score(true, pred, average="macro", zero_division=0)) if true else 0.0,
    }
    if confidence is not None:
        correct = np.array([a == b for a, b in zip(true, pred, strict=True)], dtype=bool)
        metrics["coverage_at_95"] = coverage_at(correct, confidence, 0.95)
        metrics["coverage_curve"] = coverage_curve(correct, confidence)
        metrics["calibration_error"] = expected_calibration_error(correct, confidence)
    if rule_pred is not None:
        rule = [str(v) for v in rule_pred]
        metrics["baseline_rule_accuracy"] = float(accuracy_score(true, rule)) if true else 0.0
        metrics["baseline_rule_macro_f1"] = float(f1_score(true, rule, average="macro", zero_division=0)) \
            if true else 0.0
    if majority_pred is not None:
        majority = [str(v) for v in majority_pred]
        metrics["baseline_majority_accuracy"] = float(accuracy_score(true, majority)) if true else 0.0
        metrics["baseline_majority_macro_f1"] = float(
            f1_score(true, majority, average="macro", zero_division=0)) if true else 0.0
    if per_agency and true:
        labels = sorted(set(true))
        precision, recall, _f1, support = precision_recall_fscore_support(true, pred, labels=labels,
                                                                          zero_division=0)
        metrics["per_agency"] = {label: {"precision": float(p), "recall": float(r), "support": int(s)}
                                 for label, p, r, s in zip(labels, precision, recall, support, strict=True)}
    return metrics


def evaluate_split(train_rows: Sequence[RoutingRow], y_train: Sequence[Any], test_rows: Sequence[RoutingRow],
                   y_test: Sequence[Any], router: Router | None = None, **router_params: Any) -> tuple[Router,
                                                                                                    dict[str, Any]]:
    """Fit on train, score on test with both baselines beside."""
    router = router or Router(**router_params)
    router.fit(train_rows, y_train)
    labels, confidence = router.predict_labels(test_rows)
    metrics = score(y_test, labels, confidence, router.rules_.predict(test_rows),
                    majority_predict(y_train, len(test_rows)))
    metrics["fit_seconds"] = router.fit_seconds_
    return router, metrics


def cross_validate(rows: Sequence[RoutingRow], y: Sequence[Any], folds: int = 5, random_state: int = 0,
                   progress: Callable[[int], None] | None = None, **router_params: Any) -> dict[str, Any]:
    """k-fold CV of the full pipeline; every row is predicted once by a model that never saw it.

    Folds are stratified where class counts allow; a class with fewer examples than folds is
    spread over folds at random (its single example is then predicted by a model that never
    saw the class, which is exactly what happens in production)."""
    from sklearn.model_selection import KFold, StratifiedKFold

    n = len(rows)
    folds = max(2, min(folds, n))
    y_arr = np.asarray([str(v) for v in y])
    counts = Counter(y_arr)
    if min(counts.values()) >= folds:
        splitter: Any = StratifiedKFold(folds, shuffle=True, random_state=random_state)
    else:
        splitter = KFold(folds, shuffle=True, random_state=random_state)
    pred: list[Any] = [None] * n
    rule: list[Any] = [None] * n
    majority: list[Any] = [None] * n
    confidence = np.zeros(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for k, (train, test) in enumerate(splitter.split(np.zeros(n), y_arr)):
            train_rows = [rows[i] for i in train]
            test_rows = [rows[i] for i in test]
            y_train = [y_arr[i] for i in train]
            router = Router(random_state=random_state, **router_params).fit(train_rows, y_train)
            labels, conf = router.predict_labels(test_rows)
            rules = router.rules_.predict(test_rows)
            top = Counter(y_train).most_common(1)[0][0]
            for j, i in enumerate(test):
                pred[i], rule[i], majority[i], confidence[i] = labels[j], rules[j], top, conf[j]
            if progress:
                progress(k + 1)
    metrics = score(list(y_arr), pred, confidence, rule, majority)
    metrics["folds"] = folds
    return metrics


def time_split(n: int, times: Sequence[Any], test_share: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the older (train) and newest (test) rows."""
    order = np.argsort(np.asarray([t.timestamp() if t is not None else -math.inf for t in times]), kind="stable")
    n_test = max(1, int(round(n * test_share))) if n >= 5 else 0
    return order[: n - n_test], order[n - n_test:]
