"""The router on real St Petersburg appeals (tests/data/appeals/spb_sample.csv): no leakage in
the stacking, calibrated confidence, explanations that name the text cues, the flat trees."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from routing.csvdata import CsvColumns, CsvData, read_csv
from routing.evaluation import expected_calibration_error, time_split
from routing.model import Router
from routing.ranker import FlatTrees, fit_ranker
from routing.rows import RoutingRow
from routing.text import TextScorer, clean_text

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "appeals" / "spb_sample.csv"
SPB = CsvColumns("executor", "text", "city_object,category,reason", "lat", "lon", "district", "created_at")


@pytest.fixture(scope="module")
def spb() -> CsvData:
    return read_csv(SAMPLE, SPB)


@pytest.fixture(scope="module")
def split_router(spb: CsvData) -> tuple[Router, list, list]:
    train, test = time_split(len(spb.rows), spb.times)
    router = Router(max_iter=80).fit([spb.rows[i] for i in train], [spb.labels[i] for i in train])
    return router, [spb.rows[i] for i in test], [spb.labels[i] for i in test]


def _encoded(spb: CsvData, n: int) -> tuple[list, np.ndarray, list]:
    rows = spb.rows[:n]
    classes = sorted(set(spb.labels[:n]))
    return rows, np.array([classes.index(label) for label in spb.labels[:n]]), classes


def test_text_scores_of_training_rows_come_from_models_that_never_saw_them(spb: CsvData) -> None:
    rows, y, classes = _encoded(spb, 300)
    fold_of = np.random.default_rng(0).permutation(np.arange(len(rows)) % 4)
    scores = TextScorer(folds=4).fit_oof(rows, y, len(classes), fold_of)
    # the row's own label changed: its out-of-fold scores stay exactly the same ...
    i = int(np.flatnonzero(fold_of == 0)[0])
    changed = y.copy()
    changed[i] = (y[i] + 1) % len(classes)
    again = TextScorer(folds=4).fit_oof(rows, changed, len(classes), fold_of)
    np.testing.assert_array_equal(scores[i], again[i])
    np.testing.assert_array_equal(scores[fold_of == 0], again[fold_of == 0])
    # ... while the rows of the other folds, scored by models that did see it, move
    assert not np.array_equal(scores[fold_of != 0], again[fold_of != 0])


def test_every_feature_and_candidate_of_a_training_row_is_out_of_fold(spb: CsvData) -> None:
    rows, y, classes = _encoded(spb, 300)
    fold_of = np.random.default_rng(1).permutation(np.arange(len(rows)) % 4)

    def evidence(labels: np.ndarray) -> dict[tuple[int, int], tuple[float, ...]]:
        router = Router()
        router.classes_, router.class_index_ = classes, {c: k for k, c in enumerate(classes)}
        router.prior_ = np.bincount(labels, minlength=len(classes)) / len(labels)
        found = router.out_of_fold_evidence(rows, labels, fold_of)
        features = np.nan_to_num(found.features, nan=-999.0).tolist()  # NaN (no neighbours) compares equal
        return {(int(r), int(a)): tuple(f) for r, a, f in zip(found.row, found.agency, features, strict=True)}

    before = evidence(y)
    mine = set(np.flatnonzero(fold_of == 2).tolist())
    changed = y.copy()
    first = sorted(mine)[:5]
    changed[first] = (y[first] + 3) % len(classes)  # five labels of fold 2 changed
    after = evidence(changed)
    in_fold = {pair: f for pair, f in before.items() if pair[0] in mine}
    # candidates and every feature (text scores, tables, neighbours, prior) of fold 2's rows: unchanged
    assert in_fold == {pair: f for pair, f in after.items() if pair[0] in mine}
    # the other folds' rows did learn from those labels: the comparison can fail
    assert {p: f for p, f in before.items() if p[0] not in mine} != {p: f for p, f in after.items() if p[0] not in mine}


def test_router_on_later_real_appeals_beats_the_rule_table_with_a_calibrated_confidence(split_router: tuple) -> None:
    router, rows, labels = split_router
    predicted, confidence = router.predict_labels(rows)
    correct = np.array([p == y for p, y in zip(predicted, labels, strict=True)])
    rules = np.array([p == y for p, y in zip(router.rules_.predict(rows), labels, strict=True)])
    assert correct.mean() > 0.75 and correct.mean() > rules.mean()
    assert ((confidence >= 0) & (confidence <= 1)).all()
    # calibrated on rows the trees never saw: the stated confidence matches the hit rate
    assert expected_calibration_error(correct, confidence) < 0.1
    confident = confidence >= np.median(confidence)
    assert correct[confident].mean() > correct[~confident].mean()
    decisions = router.route_batch(rows[:20], threshold=0.95)
    assert all(len(d.top3) == 3 and d.top3[0][1] == d.confidence for d in decisions)
    assert all(d.auto == (d.confidence >= 0.95) for d in decisions)  # below it: the operator picks from the top 3
    assert all(sum(p for _a, p in d.top3) <= 1 + 1e-9 for d in decisions)


def test_explanation_names_the_text_cues_that_raised_the_chosen_agency(split_router: tuple) -> None:
    router, rows, _labels = split_router
    decisions = router.route_batch(rows[:30])
    with_cues = [(row, d) for row, d in zip(rows[:30], decisions, strict=True) if "в тексте: «" in d.explanation]
    assert len(with_cues) >= 20
    for row, decision in with_cues:
        cues = decision.explanation.split("в тексте: ")[1].split("», «")
        words = set(clean_text(row.text).split())
        assert all(set(cue.strip("«»").split()) <= words for cue in cues)  # words of this very text
    # the trees' facts in words, with the category named by its last level, not the whole path code
    assert any("категория «" in d.explanation or "среди ближайших" in d.explanation for d in decisions)
    assert not any(" > " in d.explanation for d in decisions)


def test_flat_trees_give_sklearns_probabilities_also_for_missing_values() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 6))
    X[rng.random(X.shape) < 0.1] = np.nan
    y = (np.nan_to_num(X[:, 0]) + 0.5 * np.nan_to_num(X[:, 3]) + rng.normal(0, 0.5, 3000)) > 0
    ranker = fit_ranker(X, y, max_iter=30, learning_rate=0.1, max_leaf_nodes=15, random_state=0)
    np.testing.assert_allclose(FlatTrees(ranker).proba(X[:500]), ranker.predict_proba(X[:500])[:, 1], rtol=1e-9)


def test_a_text_only_archive_is_routed_by_the_text_model_over_lemmas_quoting_the_appeals_words() -> None:
    # an archive of texts alone, in portal HTML: no trees over the text model's own scores (they
    # lost 2 points to it on such archives); lemmas join the inflected forms of a word
    lamp = ["<p>Не горит фонарь у дома</p>", "Фонарь&nbsp;не работает", "<p>Сломан фонарь во дворе</p>"]
    pit = ["<p>Яма на дороге</p>", "Глубокая яма у остановки", "<br>Яма на проезжей части"]
    rows = [RoutingRow(i, (lamp if i % 2 else pit)[i % 3]) for i in range(80)]
    labels = ["Горсвет" if i % 2 else "Дороги" for i in range(80)]
    router = Router(char_features=0).fit(rows, labels)  # words only: the lemmas must do it
    assert router.text_only_ and router.ranker_ is None and router.text_.morphology_ == "lemmas"
    decision = router.route(RoutingRow(None, "<p>Погасли&nbsp;фонари, с фонарями беда</p>"))
    assert decision.agency_id == "Горсвет"
    assert "«фонари»" in decision.explanation or "«фонарями»" in decision.explanation  # the appeal's own words
