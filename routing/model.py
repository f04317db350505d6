"""The router: a linear text model's out-of-fold agency scores, learned routing tables and the
agencies of nearby past appeals, ranked by gradient-boosted trees; a calibrated confidence; a
decision with the top 3 and a reason in words.

How an appeal is routed
-----------------------
1. :class:`~routing.text.TextScorer` scores every agency from the words, char n-grams and codes
   (category path, district, competent agencies) of the appeal.
2. A few candidate agencies are taken: the text model's top ``candidates``, the most frequent
   agency of each routing table key (:class:`~routing.tables.RoutingTables`) and the agencies
   competent at the point.
3. Each pair (appeal, candidate) gets a row of evidence (:data:`PAIR_FEATURES`): the candidate's
   text score, its gap to the best and its rank; its share of past appeals with the same
   category in the same district (and four other keys) with the counts behind them; its share
   of the nearest past appeals (:class:`~routing.place.PlaceNeighbours`); whether the point lies
   in its zone; how common it is; which agency it is; the score of its *role* (the same job in
   every district, :mod:`routing.roles`) by a text model pooled over all districts.
4. :class:`~sklearn.ensemble.HistGradientBoostingClassifier` (binary: is this candidate the
   agency that answered?) scores every pair; the best-scored candidate is the decision.

On an archive of texts alone (no row with a category, place or zone) the trees would read only
the text model's own scores: there the text model decides, refitted on all rows, and its score
is calibrated (small text-only archives: the trees cost 2 points, bench/README.md). Elsewhere the
trees are kept only when they route the held-out calibration rows at least as well as the text
model's first choice.

The ranker's trees are kept as flat arrays (:class:`~routing.ranker.FlatTrees`) so that one
appeal's few pairs are scored in well under a millisecond.

Trees are poor at learning from tens of thousands of sparse text columns and good at weighing
a few strong, heterogeneous pieces of evidence; the linear model is the reverse. For training
rows every piece of evidence is out of fold (the text scores, the tables and the neighbours
leave out the row's own fold), so the trees learn how far to trust each one on appeals it did
not come from. Measured designs and numbers: ``bench/README.md``.

Calibration: the trees are fitted on 85% of the training rows (chosen at random); isotonic
regression of "top-1 was right" on the top-1 score is fitted on the other 15%, which the trees
never saw. The other two of the top 3 are rescaled to sum to one with the calibrated top-1."""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .place import Neighbours, PlaceNeighbours
from .ranker import FlatTrees, fit_ranker
from .roles import RoleScorer
from .rows import RoutingRow
from .tables import PAIR_FEATURES, TABLES, RoutingTables, RuleTable
from .text import TextScorer

DEFAULT_THRESHOLD = 0.6
NEAR_KM = 0.06  # "the same house or yard"
@dataclass(slots=True)
class Decision:
    """Where the router would send an appeal and why. ``auto`` is False when the operator
    must choose (confidence below the threshold for the appeal's category)."""

    agency_id: Any
    confidence: float
    top3: list[tuple[Any, float]]
    auto: bool
    explanation: str  # the facts in Russian words
    facts: list[dict[str, Any]] = field(default_factory=list)  # the same as phrase codes and values

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


class TopLabelCalibrator:
    """Isotonic map from the raw top-1 score to the probability that top-1 is right (the raw
    score itself until fitted on at least 20 rows with both outcomes)."""

    iso_: Any = None

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


@dataclass
class Evidence:
    """The candidate pairs of a batch: ``row`` and ``agency`` (class index) per pair, the pair
    features (pairs × PAIR_FEATURES) and the text model's input rows (for the text cues)."""

    row: np.ndarray
    agency: np.ndarray
    features: np.ndarray
    text_matrix: Any


class Router:
    """Text model + routing tables + neighbours → pair evidence → boosted trees → calibrated
    decision; joblib-serialisable."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, category_thresholds: dict[str, float] | None = None,
                 folds: int = 4, candidates: int = 5, max_iter: int = 200, learning_rate: float = 0.1,
                 max_leaf_nodes: int = 31, calibration_share: float = 0.15, random_state: int = 0,
                 word_features: int = 50_000, char_features: int = 50_000, explain_trees: int = 12,
                 morphology: str = "auto") -> None:
        self.threshold = threshold
        self.category_thresholds = dict(category_thresholds or {})
        self.folds = folds
        self.candidates = candidates
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.calibration_share = calibration_share
        self.random_state = random_state
        self.word_features = word_features
        self.char_features = char_features
        self.explain_trees = explain_trees
        self.morphology = morphology

    @property
    def params(self) -> dict[str, Any]:
        return {"design": "text scores + tables + neighbours → boosted trees", "threshold": self.threshold,
                "category_thresholds": self.category_thresholds, "folds": self.folds,
                "candidates": self.candidates, "max_iter": self.max_iter, "learning_rate": self.learning_rate,
                "max_leaf_nodes": self.max_leaf_nodes, "word_features": self.word_features,
                "char_features": self.char_features, "random_state": self.random_state,
                "morphology": self.morphology}

    # -- training
    def fit(self, rows: Sequence[RoutingRow], y: Sequence[Any],
            progress: Callable[[str], None] | None = None) -> Router:
        step = progress or (lambda _msg: None)
        if not rows:
            raise ValueError("no training rows")
        started = time.perf_counter()
        self.classes_ = sorted(set(y), key=lambda v: (str(type(v)), v))
        self.class_index_ = {c: i for i, c in enumerate(self.classes_)}
        y_enc = np.fromiter((self.class_index_[v] for v in y), dtype=np.int64, count=len(y))
        n, n_classes = len(rows), len(self.classes_)
        self.prior_ = np.bincount(y_enc, minlength=n_classes) / n
        folds = min(self.folds, n // 10) if n >= 20 else 1
        rng = np.random.default_rng(self.random_state)
        fold_of = rng.permutation(np.arange(n) % max(folds, 1))
        # an archive of texts alone (no category, place or zone on any row): the trees would read
        # only the text model's own scores and learned noise from them, 2 points below the text
        # model on small archives (bench/README.md); there the text model decides, fitted on all rows
        self.text_only_ = not any(_structured(row) for row in rows)
        step("features")
        evidence = self.out_of_fold_evidence(rows, y_enc, fold_of)
        step("estimator")
        calibrate = np.zeros(n, dtype=bool)
        if n >= 200:
            calibrate[rng.permutation(n)[: int(n * self.calibration_share)]] = True
        correct = evidence.agency == y_enc[evidence.row]
        ranker = None if self.text_only_ else fit_ranker(
            evidence.features[~calibrate[evidence.row]], correct[~calibrate[evidence.row]], self.max_iter,
            self.learning_rate, self.max_leaf_nodes, self.random_state)
        self.ranker_ = FlatTrees(ranker) if ranker is not None else None
        step("calibration")
        held = np.flatnonzero(calibrate)
        self.calibrator_ = TopLabelCalibrator()
        if len(held):
            mine = calibrate[evidence.row]
            part = Evidence(np.searchsorted(held, evidence.row[mine]), evidence.agency[mine],
                            evidence.features[mine], None)
            self._keep_trees_if_better(part, y_enc[held])
            top, raw = self._top(part, len(held))
            self.calibrator_.fit(raw, top == y_enc[held])
        self.rules_ = RuleTable().fit(rows, list(y))
        self.fit_seconds_ = time.perf_counter() - started
        return self

    def _keep_trees_if_better(self, held: Evidence, y_held: np.ndarray) -> None:
        """Keep the trees only when they route the rows they never saw at least as well as the text
        model's own first choice. Where the text is the only evidence (small text-only archives)
        they learn noise from a few hundred rows: 2 points below the text model (bench/README.md)."""
        trees = self.ranker_
        if trees is None:
            return
        trees_right = np.mean(self._top(held, len(y_held))[0] == y_held)
        self.ranker_ = None
        text_right = np.mean(self._top(held, len(y_held))[0] == y_held)
        self.ranker_ = trees if trees_right >= text_right else None

    # -- evidence
    def out_of_fold_evidence(self, rows: Sequence[RoutingRow], y_enc: np.ndarray, fold_of: np.ndarray) -> Evidence:
        """Fit the text model, the tables and the neighbours; return the training rows' pairs
        whose every feature (and candidate) was computed without the row's own fold."""
        n_classes = len(self.classes_)
        folds = int(fold_of.max()) + 1
        held = fold_of if folds > 1 else None
        self.text_ = TextScorer(folds=folds, word_features=self.word_features, char_features=self.char_features,
                                morphology=getattr(self, "morphology", "auto"),
                                refit=getattr(self, "text_only_", False))
        scores, X = self.text_.fit_oof_matrix(rows, y_enc, n_classes, fold_of)
        self.roles_ = RoleScorer()
        roles = self.roles_.fit_oof(rows, X, y_enc, n_classes, fold_of, self.text_.fit_one)
        self.tables_ = RoutingTables().fit(rows, y_enc, n_classes, held)
        self.place_ = PlaceNeighbours()
        neighbours = self.place_.fit(rows, y_enc, held)
        return self._evidence(rows, (scores, roles), self.tables_.encode(rows), neighbours, held, None, y_enc)

    def _evidence(self, rows: Sequence[RoutingRow], linear: tuple[np.ndarray, np.ndarray], keys: np.ndarray,
                  neighbours: Neighbours, fold_of: np.ndarray | None, text_matrix: Any,
                  y_enc: np.ndarray | None = None) -> Evidence:
        """The pairs and their features; ``linear``: the text model's scores and the role model's
        scores of each agency's role (rows × agencies each)."""
        scores, roles = linear
        n, n_classes = scores.shape
        k = min(self.candidates, n_classes)
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k < n_classes else np.tile(np.arange(n_classes), (n, 1))
        zone = np.full((n, 3), -1, dtype=np.int64)
        for i, row in enumerate(rows):
            found = [self.class_index_[a] for a in row.jurisdiction_agency_ids if a in self.class_index_][:3]
            zone[i, : len(found)] = found
        candidates = np.hstack([top, self.tables_.best(keys, fold_of), zone])
        pair_row = np.repeat(np.arange(n), candidates.shape[1])
        pair_agency = candidates.ravel()
        keep = pair_agency >= 0
        code = np.unique(pair_row[keep] * n_classes + pair_agency[keep])  # one pair per (row, agency), sorted
        pair_row, pair_agency = code // n_classes, code % n_classes
        features = np.empty((len(code), len(PAIR_FEATURES)))
        own = scores[pair_row, pair_agency]
        features[:, 0] = own
        features[:, 1] = scores.max(axis=1)[pair_row] - own
        features[:, 2] = (scores[pair_row] > own[:, None]).sum(axis=1)
        hits, totals = self.tables_.counts(keys, pair_row, pair_agency, fold_of)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = np.where(totals > 0, hits / totals, np.nan)
        features[:, 3:3 + 2 * len(TABLES):2] = shares
        features[:, 4:4 + 2 * len(TABLES):2] = totals
        base = 3 + 2 * len(TABLES)
        features[:, base:base + 4] = neighbours.votes(pair_row, pair_agency, NEAR_KM)
        features[:, base + 4] = (zone[pair_row] == pair_agency[:, None]).any(axis=1)
        features[:, base + 5] = self._prior(pair_row, pair_agency, fold_of, y_enc)
        features[:, base + 6] = pair_agency  # numeric: two splits single out an agency
        own_role = roles[pair_row, pair_agency]
        features[:, base + 7] = own_role
        with np.errstate(invalid="ignore"):  # no roles found: all NaN, and so the gap
            features[:, base + 8] = np.max(roles, axis=1)[pair_row] - own_role
        return Evidence(pair_row, pair_agency, features, text_matrix)

    def _prior(self, pair_row: np.ndarray, pair_agency: np.ndarray, fold_of: np.ndarray | None,
               y_enc: np.ndarray | None) -> np.ndarray:
        """How common the agency is; for training rows, counted without the row's own fold."""
        if fold_of is None or y_enc is None:
            return np.asarray(self.prior_[pair_agency], dtype=float)
        n_classes = len(self.classes_)
        total = np.bincount(y_enc, minlength=n_classes).astype(float)
        out = np.empty(len(pair_row))
        fold = fold_of[pair_row]
        for k in range(int(fold_of.max()) + 1):
            inside = fold_of == k
            others = total - np.bincount(y_enc[inside], minlength=n_classes)
            mine = fold == k
            out[mine] = others[pair_agency[mine]] / max(others.sum(), 1.0)
        return out

    def evidence(self, rows: Sequence[RoutingRow]) -> Evidence:
        """The candidate pairs of new rows (everything learned from all training rows)."""
        X = self.text_.transform(rows)
        # a version saved before roles existed has no role model; its trees never read these columns
        role_scorer = getattr(self, "roles_", None) or RoleScorer()
        roles = role_scorer.scores(X, len(self.classes_))
        return self._evidence(rows, (self.text_.scores(X), roles), self.tables_.encode(rows),
                              self.place_.query(rows), None, X)

    def pair_scores(self, evidence: Evidence) -> np.ndarray:
        if self.ranker_ is None:
            return evidence.features[:, 0].astype(float)
        return self.ranker_.proba(evidence.features)

    def _top(self, evidence: Evidence, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(best agency, its score) per row."""
        pair_scores = self.pair_scores(evidence)
        order = np.lexsort((-pair_scores, evidence.row))
        first = order[np.r_[True, evidence.row[order][1:] != evidence.row[order][:-1]]]
        top = np.zeros(n, dtype=np.int64)
        raw = np.zeros(n)
        top[evidence.row[first]] = evidence.agency[first]
        raw[evidence.row[first]] = pair_scores[first]
        return top, raw

    # -- prediction
    def predict_labels(self, rows: Sequence[RoutingRow]) -> tuple[list[Any], np.ndarray]:
        """(labels, calibrated confidences) without explanations: the evaluation path."""
        if not rows:
            return [], np.zeros(0)
        top, raw = self._top(self.evidence(rows), len(rows))
        return [self.classes_[i] for i in top], self.calibrator_.transform(raw)

    def route(self, row: RoutingRow, names: dict[str, dict[Any, str]] | Names | None = None,
              threshold: float | None = None, category_thresholds: dict[str, float] | None = None) -> Decision:
        return self.route_batch([row], names, threshold, category_thresholds)[0]

    def route_batch(self, rows: Sequence[RoutingRow], names: dict[str, dict[Any, str]] | Names | None = None,
                    threshold: float | None = None, category_thresholds: dict[str, float] | None = None,
                    explain: bool = True) -> list[Decision]:
        """Decisions for many rows: the top 3 candidates by the trees' score, the calibrated
        confidence of the first, ``auto`` against the threshold of the row's category."""
        from .explanation import explain_decisions, render

        if not rows:
            return []
        evidence = self.evidence(rows)
        pair_scores = self.pair_scores(evidence)
        order = np.lexsort((-pair_scores, evidence.row))
        starts = np.searchsorted(evidence.row[order], np.arange(len(rows)))
        ends = np.r_[starts[1:], len(order)]
        chosen = order[starts]
        confidence = self.calibrator_.transform(pair_scores[chosen])
        overrides = self.category_thresholds if category_thresholds is None else category_thresholds
        default = float(self.threshold if threshold is None else threshold)
        facts = explain_decisions(self, rows, evidence, chosen, Names.from_dict(names)) if explain \
            else [[] for _ in rows]
        decisions = []
        for i, row in enumerate(rows):
            picks = order[starts[i]:min(ends[i], starts[i] + 3)]
            first = float(confidence[i])
            rest = pair_scores[picks[1:]]
            scale = (1.0 - first) / rest.sum() if rest.sum() > 1e-12 else 0.0
            top3 = [(self.classes_[evidence.agency[picks[0]]], first)]
            top3 += [(self.classes_[evidence.agency[p]], float(s * scale)) for p, s in zip(picks[1:], rest, strict=True)
                     if s > 0]
            limit = _threshold(row, default, overrides)
            decisions.append(Decision(top3[0][0], first, top3, first >= limit, render(facts[i]), facts[i]))
        return decisions

    def threshold_for(self, row: RoutingRow) -> float:
        return _threshold(row, float(self.threshold), self.category_thresholds)


def _structured(row: RoutingRow) -> bool:
    """Does the row carry anything besides its text (category, district, point, zone, channel)?"""
    return bool(row.category_path or row.category_code or row.district_code or row.has_point
                or row.jurisdiction_agency_ids or row.channel)


def _threshold(row: RoutingRow, default: float, overrides: dict[str, float]) -> float:
    for code in (row.category_path or ((row.category_code,) if row.category_code else ())):
        if code in overrides:
            return float(overrides[code])
    return default
