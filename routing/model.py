"""The router model: features → tree ensemble → calibrated confidence → decision with a reason.

Why extra trees (``ExtraTreesClassifier``, 120 trees, bootstrap, ``max_features="sqrt"``)
--------------------------------------------------------------------------------------
Measured with ``bench/router.py --compare`` (time-based/5-fold validation, this machine, 2 cores),
same features for every candidate (location + district + jurisdiction + category path + channel
+ season + chi2-selected word/stem text features):

==========================  ========  =========  ==========  ======================================
dataset                     model     accuracy   macro-F1    fit time
==========================  ========  =========  ==========  ======================================
synthetic city, 20k rows,   DT        0.828      0.781       1.0 s
location-dependent truth,   RF        0.888      0.842       9 s
31 agencies                 ET        0.894      0.855       6 s
                            HGB       0.882      0.830       95 s (one tree per class per iteration)
synthetic archive, 6k rows  DT        0.726      0.561       0.3 s
120 agencies, HTML, no      RF        0.826      0.640       4 s
coordinates in 30%          ET        0.843      0.677       3 s
                            HGB       0.779      0.584       210 s
==========================  ========  =========  ==========  ======================================

(Single decision tree on char n-grams alone, the reference the product owners named, is
printed by the bench beside these.) Extra trees win or tie on accuracy and macro-F1 on both,
fit fastest of the ensembles on sparse text (random thresholds: no sort per split), and their
bootstrap out-of-bag votes give out-of-fold probabilities for calibration for free.
Gradient boosting fits ``n_classes`` trees per iteration on a dense matrix: with 30–200
agencies it is 10–50× slower to train and did not beat the forests; a single tree overfits
the text and is the least accurate. The numbers above were measured while building this module
and are reproduced by the bench; rerun it on a real archive before changing the choice.

Calibration
-----------
The router acts on one number: the confidence that the top agency is right. It is calibrated
with isotonic regression of "top-1 was right" on the raw top-1 vote share, fitted on
out-of-bag predictions (forests) or 3-fold out-of-fold predictions (other estimators), so no
extra model fits are needed and classes with a single example cannot break stratified folds
(``CalibratedClassifierCV`` would refit the forest per fold — 4× the training time on 1M rows —
and fit one-vs-rest calibrators that are undetermined for agencies with 1–2 examples). The
other top-3 probabilities are the raw shares rescaled to sum to one with the calibrated top-1.
"""
from __future__ import annotations

import math
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from .features import SEASONS, FeatureBuilder, RoutingRow

ESTIMATORS = ("extra_trees", "random_forest", "decision_tree", "hist_gb")
DEFAULT_THRESHOLD = 0.6


@dataclass
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
                   n_jobs: int = -1) -> Any:
    from sklearn.ensemble import ExtraTreesClassifier, HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.tree import DecisionTreeClassifier

    # Each tree sees at most 150k rows: keeps a 1M-row fit within minutes on 2 cores while
    # every row still lands in some trees (and in the out-of-bag estimate).
    max_samples = min(1.0, 150_000 / max(n_rows, 1)) if n_rows > 150_000 else None
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

    def __init__(self, estimator: str = "extra_trees", text_mode: str = "stems", max_text_features: int = 4000,
                 n_estimators: int = 120, random_state: int = 0, threshold: float = DEFAULT_THRESHOLD,
                 category_thresholds: dict[str, float] | None = None, explain_trees: int = 8,
                 use_location: bool = True, n_jobs: int = -1) -> None:
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

    @property
    def params(self) -> dict[str, Any]:
        return {"estimator": self.estimator_name, "text_mode": self.text_mode,
                "max_text_features": self.max_text_features, "n_estimators": self.n_estimators,
                "random_state": self.random_state, "threshold": self.threshold,
                "category_thresholds": self.category_thresholds, "use_location": self.use_location}

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
                                        min_df=2 if len(rows) >= 200 else 1, use_location=self.use_location)
        self.features_.fit(rows, y_enc)
        X = self.features_.transform(rows)
        step("estimator")
        self.estimator_ = make_estimator(self.estimator_name, len(rows), self.random_state, self.n_estimators,
                                         self.n_jobs)
        oob = self._fit_estimator(X, y_enc)
        step("calibration")
        raw = oob.max(axis=1) if oob.size else np.zeros(0)
        correct = (oob.argmax(axis=1) == y_enc) if oob.size else np.zeros(0, dtype=bool)
        valid = np.isfinite(oob).all(axis=1) & (oob.sum(axis=1) > 0) if oob.size else np.zeros(0, dtype=bool)
        self.calibrator_ = TopLabelCalibrator().fit(raw[valid], correct[valid])
        self.rules_ = RuleTable().fit(rows, list(y))
        self._prepare_explainer()
        self.fit_seconds_ = time.perf_counter() - started
        return self

    def _fit_estimator(self, X: sp.csr_matrix, y_enc: np.ndarray) -> np.ndarray:
        """Fit and return out-of-fold class probabilities (n × n_classes) for calibration."""
        from sklearn.model_selection import KFold

        n_classes = len(self.classes_)
        est = self.estimator_
        if hasattr(est, "bootstrap") and est.bootstrap:
            est.set_params(oob_score=len(y_enc) >= 30 and n_classes > 1)
            with warnings.catch_warnings():  # rows never out of bag are expected with few trees
                warnings.filterwarnings("ignore", message="Some inputs do not have OOB scores")
                est.fit(X, y_enc)
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

    # -- prediction
    def transform(self, rows: Sequence[RoutingRow]) -> sp.csr_matrix:
        return self.features_.transform(rows)

    def predict_proba_features(self, X: sp.csr_matrix) -> np.ndarray:
        data = X.toarray() if _needs_dense(self.estimator_) else X
        proba = np.asarray(self.estimator_.predict_proba(data), dtype=float)
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
        """Decisions for many rows: one feature build, one predict, one vectorised path walk."""
        if not rows:
            return []
        X = self.transform(rows)
        proba = self.predict_proba_features(X)
        order = np.argsort(-proba, axis=1)[:, :3]
        raw_top = proba[np.arange(len(rows)), order[:, 0]]
        confidence = self.calibrator_.transform(raw_top)
        predicted = [self.classes_[j] for j in order[:, 0]]
        reasons = self.explain(X, rows, Names.from_dict(names), predicted) if explain else [""] * len(rows)
        overrides = self.category_thresholds if category_thresholds is None else category_thresholds
        decisions = []
        for i, row in enumerate(rows):
            conf = float(confidence[i])
            rest = 1.0 - raw_top[i]
            scale = (1.0 - conf) / rest if rest > 1e-12 else 0.0
            top3 = [(self.classes_[order[i, 0]], conf)]
            top3 += [(self.classes_[j], float(proba[i, j] * scale)) for j in order[i, 1:] if proba[i, j] > 0]
            limit = self._threshold(row, threshold, overrides)
            decisions.append(Decision(self.classes_[order[i, 0]], conf, top3, conf >= limit, reasons[i]))
        return decisions

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
        """For the first ``explain_trees`` trees: a sparse map node → feature it asserts about the
        row. Entering the right child of a split on an indicator or a text weight means the row
        has that feature; any split on a coordinate means the point's location was used."""
        trees = getattr(self.estimator_, "estimators_", None)
        if trees is None and hasattr(self.estimator_, "tree_"):
            trees = [self.estimator_]
        self.explain_models_: list[Any] = []
        self.explain_map_: sp.csr_matrix | None = None
        if not trees:
            return
        meta = self.features_.meta_
        blocks = []
        for tree in list(trees)[: self.explain_trees]:
            t = tree.tree_
            rows_, cols_ = [], []
            for node in np.flatnonzero(t.children_left >= 0):
                feature = int(t.feature[node])
                group = meta[feature].group if feature < len(meta) else "text"
                rows_.append(int(t.children_right[node]))
                cols_.append(feature)
                if group == "coords":
                    rows_.append(int(t.children_left[node]))
                    cols_.append(feature)
            blocks.append(sp.csr_matrix((np.ones(len(rows_), dtype=np.float32), (rows_, cols_)),
                                        shape=(t.node_count, self.features_.n_features)))
            self.explain_models_.append(tree)
        self.explain_map_ = sp.vstack(blocks, format="csr")
        self.meta_group_ = [_GROUP_CODES[m.group] for m in meta]
        self.meta_key_ = [m.key.strip() if isinstance(m.key, str) else m.key for m in meta]
        self.meta_telling_ = [m.group == "text" and isinstance(m.key, str) and _telling(m.key) for m in meta]

    def explain(self, X: sp.csr_matrix, rows: Sequence[RoutingRow], names: Names,
                predicted: Sequence[Any] | None = None) -> list[str]:
        """One sentence per row from the paths of the first ``explain_trees`` trees: the facts
        about the row the trees tested, most used first, grouped and named for people."""
        if self.explain_map_ is None or not self.explain_models_:
            return [""] * len(rows)
        paths = sp.hstack([tree.decision_path(X) for tree in self.explain_models_], format="csr")
        used = (paths.astype(np.float32) @ self.explain_map_).tocoo()
        order = np.lexsort((-used.data, used.row))
        row_of = used.row[order]
        columns = used.col[order].tolist()
        bounds = np.searchsorted(row_of, np.arange(len(rows) + 1)).tolist()
        return [self._sentence(rows[i], columns[bounds[i]:bounds[i + 1]], names,
                               predicted[i] if predicted is not None else None)
                for i in range(len(rows))]

    def _sentence(self, row: RoutingRow, columns: list[int], names: Names, predicted: Any = None) -> str:
        groups, keys, telling = self.meta_group_, self.meta_key_, self.meta_telling_
        categories: list[str] = []
        agencies: list[Any] = []
        terms: list[str] = []
        seen: set[int] = set()
        flags: set[str] = set()
        for column in columns:
            group = groups[column] if column < len(groups) else _TEXT
            if group == _TEXT:
                if len(terms) < 3 and column < len(groups) and telling[column]:
                    terms.append(keys[column])
            elif group == _CATEGORY:
                categories.append(keys[column])
            elif group == _JURISDICTION:
                agencies.append(keys[column])
            elif group == _FLAG:
                flags.add(keys[column])
            else:
                seen.add(group)
        parts: list[str] = []
        if categories:
            path = row.category_path or ((row.category_code,) if row.category_code else ())
            shown = [c for c in reversed(path) if c in categories]  # parent › child
            if shown:
                parts.append("категория = " + " › ".join(names.categories.get(c, c) for c in shown[-2:]))
        if _DISTRICT in seen and row.district_code:
            parts.append("район = " + names.districts.get(row.district_code, row.district_code))
        if agencies:
            # the decided agency's own zone is the reason worth saying; otherwise the most used one
            chosen = predicted if predicted in agencies else agencies[0]
            parts.append(f"в зоне ведения: {names.agencies.get(chosen, chosen)}")
        if _COORDS in seen and row.has_point:
            parts.append(f"место на карте ({row.lat:.4f}, {row.lon:.4f})")
        if terms:
            parts.append("в тексте: " + ", ".join(f"«{t}»" for t in terms))
        if (_SEASON in seen or _MONTH in seen) and row.received_at is not None:
            parts.append("сезон = " + SEASONS[row.received_at.month])
        if _CHANNEL in seen and row.channel:
            parts.append("канал = " + row.channel)
        if "no_point" in flags and not row.has_point:
            parts.append("без точки на карте")
        if "no_text" in flags and not (row.text or "").strip():
            parts.append("без текста")
        return "; ".join(parts) if parts else "по совокупности признаков"


_TEXT, _CATEGORY, _DISTRICT, _JURISDICTION, _COORDS, _CHANNEL, _MONTH, _SEASON, _FLAG = range(9)
_GROUP_CODES = {"text": _TEXT, "category": _CATEGORY, "district": _DISTRICT, "jurisdiction": _JURISDICTION,
                "coords": _COORDS, "channel": _CHANNEL, "month": _MONTH, "season": _SEASON, "flag": _FLAG}


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
