"""Judging a router the way a city would: accuracy and macro-F1 beside the baselines (the rule
table, the most frequent agency, and the strongest plain model: LinearSVC on word and char
TF-IDF with one-hot codes), the share routed automatically at 95% accuracy, calibration; on a
time split (train on earlier appeals, test on later ones) or by k-fold cross-validation."""
from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .rows import RoutingRow
from .text import clean_texts


def majority_predict(y_train: Sequence[Any], n: int) -> list[Any]:
    return [Counter(y_train).most_common(1)[0][0]] * n


def _plain_codes(row: RoutingRow) -> list[str]:
    path = row.category_path or ((row.category_code,) if row.category_code else ())
    return ([f"c:{c}" for c in path] + ([f"d:{row.district_code}"] if row.district_code else [])
            + [f"j:{a}" for a in row.jurisdiction_agency_ids])


def linear_baseline(train_rows: Sequence[RoutingRow], y_train: Sequence[Any],
                    test_rows: Sequence[RoutingRow]) -> list[Any]:
    """The strongest plain model to beat: LinearSVC on word 1–2-grams and char 2–5-grams
    (TF-IDF) and one-hot codes (category path, district, competent agencies), no crossings."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.svm import LinearSVC

    labels = [str(v) for v in y_train]
    if len(set(labels)) < 2:
        return [labels[0]] * len(test_rows)
    min_df = 2 if len(train_rows) >= 200 else 1
    vectorizers = [TfidfVectorizer(ngram_range=(1, 2), min_df=min_df, sublinear_tf=True, max_features=50_000,
                                   dtype=np.float32),
                   TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=min_df, sublinear_tf=True,
                                   max_features=50_000, dtype=np.float32)]
    codes = CountVectorizer(analyzer=_plain_codes_of, binary=True, dtype=np.float32)
    train_text, test_text = clean_texts([r.text for r in train_rows]), clean_texts([r.text for r in test_rows])
    blocks_train, blocks_test = [], []
    for vectorizer in vectorizers:
        try:
            blocks_train.append(vectorizer.fit_transform(train_text))
            blocks_test.append(vectorizer.transform(test_text))
        except ValueError:  # no terms at all (texts empty): the codes alone
            continue
    blocks_train.append(codes.fit_transform([_plain_codes(r) or ["-"] for r in train_rows]))
    blocks_test.append(codes.transform([_plain_codes(r) or ["-"] for r in test_rows]))
    model = LinearSVC(C=0.1, tol=1e-3, random_state=0).fit(sp.hstack(blocks_train, format="csr"), labels)
    return list(model.predict(sp.hstack(blocks_test, format="csr")))


def _plain_codes_of(tokens: list[str]) -> list[str]:
    return tokens


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
          per_agency: bool = True, linear_pred: Sequence[Any] | None = None) -> dict[str, Any]:
    """Accuracy, macro-F1 (over the classes present in truth or prediction), per-agency
    precision/recall, coverage curve and coverage at 95% accuracy, the baselines given."""
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
    for name, baseline in (("rule", rule_pred), ("linear", linear_pred)):
        if baseline is not None:
            guess = [str(v) for v in baseline]
            metrics[f"baseline_{name}_accuracy"] = float(accuracy_score(true, guess)) if true else 0.0
            metrics[f"baseline_{name}_macro_f1"] = float(
                f1_score(true, guess, average="macro", zero_division=0)) if true else 0.0
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


def time_split(n: int, times: Sequence[Any], test_share: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the older (train) and newest (test) rows."""
    order = np.argsort(np.asarray([t.timestamp() if t is not None else -math.inf for t in times]), kind="stable")
    n_test = max(1, int(round(n * test_share))) if n >= 5 else 0
    return order[: n - n_test], order[n - n_test:]


def evaluate_split(train_rows: Sequence[RoutingRow], y_train: Sequence[Any], test_rows: Sequence[RoutingRow],
                   y_test: Sequence[Any], router: Any = None, linear: bool = True,
                   **router_params: Any) -> tuple[Any, dict[str, Any]]:
    """Fit on train, score on test with the baselines beside (the trained router is returned)."""
    from .model import Router

    router = router or Router(**router_params)
    router.fit(train_rows, y_train)
    labels, confidence = router.predict_labels(test_rows)
    metrics = score(y_test, labels, confidence, router.rules_.predict(test_rows),
                    majority_predict(y_train, len(test_rows)),
                    linear_pred=linear_baseline(train_rows, y_train, test_rows) if linear else None)
    metrics["fit_seconds"] = router.fit_seconds_
    return router, metrics


def cross_validate(rows: Sequence[RoutingRow], y: Sequence[Any], folds: int = 5, random_state: int = 0,
                   progress: Callable[[int], None] | None = None, linear: bool = True,
                   **router_params: Any) -> dict[str, Any]:
    """k-fold CV of the full pipeline; every row is predicted once by a model that never saw it.

    Folds are stratified where class counts allow; a class with fewer examples than folds is
    spread over folds at random (its single example is then predicted by a model that never
    saw the class, which is exactly what happens in production)."""
    from sklearn.model_selection import KFold, StratifiedKFold

    from .model import Router

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
    plain: list[Any] = [None] * n
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
            linear_labels = linear_baseline(train_rows, y_train, test_rows) if linear else [None] * len(test)
            top = Counter(y_train).most_common(1)[0][0]
            for j, i in enumerate(test):
                pred[i], rule[i], majority[i], confidence[i] = labels[j], rules[j], top, conf[j]
                plain[i] = linear_labels[j]
            if progress:
                progress(k + 1)
    metrics = score(list(y_arr), pred, confidence, rule, majority, linear_pred=plain if linear else None)
    metrics["folds"] = folds
    return metrics
