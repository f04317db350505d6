"""Training, baselines, confidence fallback to the operator's queue, explanations."""
from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest

from routing.features import SEASONS, RoutingRow, enrich_batch
from routing.model import Names, Router, coverage_at, cross_validate, time_split

from .helpers import region_dataset


@pytest.fixture
def trained(region: dict[str, int]) -> tuple[Router, list[RoutingRow], list[int], dict[str, dict]]:
    from geoportal.models import Agency, District

    rows, labels, times = region_dataset(700)
    rows = enrich_batch(rows)
    train, test = time_split(len(rows), times)
    router = Router(n_estimators=60).fit([rows[i] for i in train], [labels[i] for i in train])
    names = {"categories": {"yard-cleaning": "Уборка двора", "yards": "Дворы", "heat-outage": "Нет отопления",
                            "heating": "Отопление", "light-street": "Освещение"},
             "districts": dict(District.objects.values_list("code", "name")),
             "agencies": dict(Agency.objects.values_list("id", "short_name"))}
    return router, [rows[i] for i in test], [labels[i] for i in test], names


def test_router_learns_location_dependent_truth_and_beats_baselines(trained: tuple) -> None:
    router, rows, labels, _names = trained
    predicted, confidence = router.predict_labels(rows)
    accuracy = sum(p == y for p, y in zip(predicted, labels, strict=True)) / len(labels)
    majority = Counter(labels).most_common(1)[0][1] / len(labels)
    # category alone cannot tell heat north/south, yards by district, waste by river bank
    by_category = router.rules_.table_
    category_only = sum(by_category[("c", r.category_code)] == y for r, y in zip(rows, labels, strict=True))
    assert accuracy > 0.85
    assert accuracy > category_only / len(labels) + 0.2
    assert accuracy > majority + 0.5
    assert ((confidence >= 0) & (confidence <= 1)).all()


def test_rule_table_falls_back_from_place_to_category_to_majority(trained: tuple) -> None:
    router, rows, _labels, _names = trained
    rules = router.rules_
    unknown = RoutingRow(None, "что-то", category_code="never-seen")
    assert rules.predict([unknown]) == [rules.majority_]
    by_category = RoutingRow(None, "", category_code="light-street", district_code="nowhere")
    assert rules.predict([by_category]) == [rules.table_[("c", "light-street")]]


def test_low_confidence_goes_to_operator_queue_and_category_override_applies(trained: tuple) -> None:
    router, rows, _labels, names = trained
    row = rows[0]
    confident = router.route(row, names, threshold=0.0)
    assert confident.auto is True
    assert len(confident.top3) >= 1 and confident.top3[0] == (confident.agency_id, confident.confidence)
    assert sum(p for _l, p in confident.top3) <= 1.0 + 1e-9
    queued = router.route(row, names, threshold=1.01)
    assert queued.auto is False and queued.agency_id == confident.agency_id  # still suggested first
    override = router.route(row, names, threshold=1.01, category_thresholds={row.category_code: 0.0})
    assert override.auto is True
    parent = router.route(row, names, threshold=0.0, category_thresholds={row.category_path[-1]: 1.01})
    assert parent.auto is False  # a parent category's override applies to its children


def test_ambiguous_appeal_without_point_text_or_category_is_not_routed_automatically(trained: tuple) -> None:
    router, _rows, _labels, names = trained
    decision = router.route(RoutingRow(None, "", None), names, threshold=0.6)
    assert decision.auto is False
    assert decision.confidence < 0.6
    assert len(decision.top3) == 3


def test_explanation_names_category_district_jurisdiction_and_text(trained: tuple, region: dict) -> None:
    from geoportal.models import Agency

    router, rows, labels, names = trained
    yard = next(r for r, y in zip(rows, labels, strict=True) if r.category_code == "yard-cleaning" and r.has_point)
    decision = router.route(yard, names)
    district_name = names["districts"][yard.district_code]
    assert decision.agency_id == Agency.objects.get(short_name=f"Адм. {district_name}").pk
    text = decision.explanation
    assert "категория = " in text and ("Уборка двора" in text or "Дворы" in text)
    assert f"район = {district_name}" in text or f"Адм. {district_name}" in text
    assert "yard-cleaning" not in text  # display names, not codes
    heat = next(r for r in rows if r.category_code == "heat-outage" and r.has_point)
    explanation = router.route(heat, names).explanation
    assert "в зоне ведения: " in explanation or "район = " in explanation
    assert "Теплосеть" in explanation or "район = " in explanation
    light = router.route(RoutingRow(None, "Не горит уличный фонарь, темно", None), names)
    assert light.agency_id == Agency.objects.get(short_name="Горсвет").pk
    assert "в тексте: " in light.explanation and ("«фонарь»" in light.explanation or "«горит»" in light.explanation
                                                   or "«уличный»" in light.explanation)


def test_classes_with_a_single_example_and_tiny_data_train(region: dict) -> None:
    rows, labels, _times = region_dataset(60, seed=3)
    labels[0] = 999_999  # an agency seen once
    router = Router(n_estimators=20).fit(rows, labels)
    assert 999_999 in router.classes_
    decisions = router.route_batch(rows[:5])
    assert len(decisions) == 5 and all(0 <= d.confidence <= 1 for d in decisions)
    metrics = cross_validate(rows, labels, folds=3, n_estimators=20)
    assert metrics["rows"] == 60 and 0 <= metrics["accuracy"] <= 1


def test_coverage_at_95_counts_the_confident_prefix() -> None:
    import numpy as np

    correct = np.array([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0], dtype=bool)
    confidence = np.linspace(1, 0, len(correct))
    assert coverage_at(correct, confidence, 0.95) == pytest.approx(10 / 14)
    assert coverage_at(np.zeros(4, dtype=bool), np.ones(4)) == 0.0


def _walked_facts(router: Router, X: Any) -> np.ndarray:
    """The explanation's facts the slow, obvious way: follow each row down each explained tree
    and count the edges that assert a column (right child of any split, either child of a
    coordinate split)."""
    coords = {i for i, m in enumerate(router.features_.meta_) if m.group == "coords"}
    facts = np.zeros(X.shape, dtype=np.float32)
    for model in router.explain_models_:
        t = model.tree_
        for i in range(X.shape[0]):
            row = X[i].toarray().ravel()
            node = 0
            while t.children_left[node] >= 0:
                feature = int(t.feature[node])
                go_right = row[feature] > t.threshold[node]
                if go_right or feature in coords:
                    facts[i, feature] += 1
                node = t.children_right[node] if go_right else t.children_left[node]
    return facts


def test_explanation_facts_equal_a_walk_down_each_tree(trained: tuple) -> None:
    router, rows, _labels, _names = trained
    X = router.transform(rows[:60])
    facts = router.path_facts(X)
    assert facts is not None and facts.shape == X.shape
    walked = _walked_facts(router, X)
    assert walked.sum() > 0
    assert np.array_equal(facts.toarray(), walked)


def test_batch_decisions_and_explanations_equal_one_at_a_time(trained: tuple) -> None:
    router, rows, _labels, names = trained
    batch = router.route_batch(rows[:40], names, threshold=0.7)
    assert len({d.explanation for d in batch}) > 5  # rows are not given each other's reasons
    for row, decision in zip(rows[:40], batch, strict=True):
        single = router.route(row, names, threshold=0.7)
        assert (single.agency_id, single.auto, single.explanation) == (decision.agency_id, decision.auto,
                                                                       decision.explanation)
        assert single.confidence == pytest.approx(decision.confidence)
        assert [a for a, _p in single.top3] == [a for a, _p in decision.top3]


def test_sampled_out_of_bag_votes_equal_sklearns_on_the_sampled_rows(region: dict) -> None:
    rows, labels, _times = region_dataset(400, seed=5)
    router = Router(n_estimators=25, oob_rows=10_000).fit(enrich_batch(rows), labels)  # exact: sklearn's OOB
    X = router.transform(enrich_batch(rows))
    router.oob_rows = 150
    sampled = router._sampled_oob(X, len(router.classes_))
    picked = np.flatnonzero(np.isfinite(sampled).all(axis=1))
    assert 100 < len(picked) <= 150
    assert np.allclose(sampled[picked], router.estimator_.oob_decision_function_[picked])
    # and training with the sample calibrates as well
    small = Router(n_estimators=25, oob_rows=150).fit(enrich_batch(rows), labels)
    assert small.calibrator_.iso_ is not None
    _labels, confidence = small.predict_labels(enrich_batch(rows[:50]))
    assert ((confidence >= 0) & (confidence <= 1)).all()


def test_small_batches_get_exactly_the_forests_probabilities(trained: tuple) -> None:
    from routing.model import SMALL_BATCH

    router, rows, _labels, _names = trained
    for batch in (rows[:1], rows[1:SMALL_BATCH + 1], rows[:SMALL_BATCH + 5]):
        X = router.transform(batch)
        assert np.allclose(router.predict_proba_features(X), router.estimator_.predict_proba(X), rtol=0, atol=1e-12)


def test_big_training_sets_fit_the_trees_on_a_subset_that_keeps_rare_agencies(region: dict) -> None:
    rows, labels, _times = region_dataset(400, seed=6)
    rows = enrich_batch(rows)
    labels[7] = 424_242  # an agency seen once
    router = Router(n_estimators=20, forest_rows=120)
    subset = router._forest_subset(np.array([sorted(set(labels)).index(v) for v in labels]))
    assert subset is not None and len(subset) == 120 and 7 in subset
    assert len(set(subset.tolist())) == len(subset)
    router.fit(rows, labels)
    assert 424_242 in router.classes_
    assert router.estimator_.n_features_in_ == router.features_.n_features
    assert sum(router.estimator_.estimators_[0].tree_.weighted_n_node_samples[:1]) <= 120  # trees saw the subset
    predicted, _confidence = router.predict_labels(rows[:100])
    assert sum(p == y for p, y in zip(predicted, labels[:100], strict=True)) > 60
    assert Router(forest_rows=10_000)._forest_subset(np.zeros(400, dtype=np.int64)) is None


def _plain_sentence(router: Router, row: RoutingRow, used: np.ndarray, names: Any, predicted: Any) -> str:
    """One row's explanation read the obvious way from its facts (``used``: per column, how many
    edges of its paths assert it): the groups the paths used; the category (parent › child), the
    district, the zone of competence (the decided agency's if tested, else the most used), the
    point, at most 3 telling terms (most used first, ties by column), season, channel, flags."""
    meta, keys = router.features_.meta_, router.column_key_
    columns = np.flatnonzero(used)
    groups = {m.key if m.group == "flag" else m.group for m in (meta[c] for c in columns)}
    named = sorted((c for c in columns if meta[c].group in ("category", "jurisdiction")
                    or (meta[c].group == "text" and router.column_telling_[c])), key=lambda c: (-used[c], c))
    categories = {keys[c] for c in named if meta[c].group == "category"}
    agencies = [keys[c] for c in named if meta[c].group == "jurisdiction"]
    terms = [keys[c] for c in named if meta[c].group == "text"][:3]
    parts = []
    path = row.category_path or ((row.category_code,) if row.category_code else ())
    shown = [c for c in reversed(path) if c in categories]
    if shown:
        parts.append("категория = " + " › ".join(names.categories.get(c, c) for c in shown[-2:]))
    if "district" in groups and row.district_code:
        parts.append("район = " + names.districts.get(row.district_code, row.district_code))
    if agencies:
        chosen = predicted if predicted in agencies else agencies[0]
        parts.append(f"в зоне ведения: {names.agencies.get(chosen, chosen)}")
    if "coords" in groups and row.has_point:
        parts.append(f"место на карте ({row.lat:.4f}, {row.lon:.4f})")
    if terms:
        parts.append("в тексте: " + ", ".join(f"«{t}»" for t in terms))
    if groups & {"season", "month"} and row.received_at is not None:
        parts.append("сезон = " + SEASONS[row.received_at.month])
    if "channel" in groups and row.channel:
        parts.append("канал = " + row.channel)
    if "no_point" in groups and not row.has_point:
        parts.append("без точки на карте")
    if "no_text" in groups and not (row.text or "").strip():
        parts.append("без текста")
    return "; ".join(parts) if parts else "по совокупности признаков"


def test_explanations_equal_a_plain_reading_of_the_walked_facts(trained: tuple) -> None:
    """The batch explanation (facts from the leaves the forest's votes already found, sentence
    starts shared between rows with the same codes) says what a plain per-row reading says."""
    router, rows, _labels, names = trained
    odd = [RoutingRow(None, "", None), RoutingRow(None, "!!! ...", "light-street", ("light-street", "lighting")),
           RoutingRow(None, "<p>Не горит фонарь</p>", None, (), 56.33, 44.0, None, (), "phone", None)]
    batch = list(rows[:90]) + odd
    decisions = router.route_batch(batch, names)
    facts = _walked_facts(router, router.transform(batch))
    shown = Names.from_dict(names)
    assert len({d.explanation for d in decisions}) > 10
    for part in ("категория = ", "в зоне ведения: ", "место на карте", "в тексте: "):
        assert any(part in d.explanation for d in decisions), part
    for i, (row, decision) in enumerate(zip(batch, decisions, strict=True)):
        assert decision.explanation == _plain_sentence(router, row, facts[i], shown, decision.agency_id), i


def test_forest_votes_equal_the_forests_probabilities_however_the_rows_are_split(trained: tuple) -> None:
    """route_batch's probabilities come from our own loop over the trees (in the thread pool
    for big batches): every row sums the trees in the forest's order, so the result is the
    same to the bit whatever the split, and sklearn's predict_proba up to its normalisation."""
    router, rows, _labels, _names = trained
    X = router.transform(rows)
    est, n = router.estimator_, X.shape[0]
    assert n > 40
    serial = np.zeros((n, est.n_classes_))
    for model in est.estimators_:
        serial += model.tree_.predict(X)[:, :est.n_classes_]
    serial /= len(est.estimators_)
    keep = len(router.explain_models_)
    pooled, leaves = router._votes(X, keep)
    assert np.array_equal(pooled, serial)
    assert np.allclose(pooled, est.predict_proba(X), rtol=0, atol=1e-12)
    assert leaves is not None and np.array_equal(leaves, np.column_stack([m.apply(X) for m in router.explain_models_]))
    parts = [router._forest_votes(X[a:b], keep) for a, b in ((0, 7), (7, 40), (40, n))]
    assert np.array_equal(np.vstack([p for p, _l in parts]), serial)
    assert np.array_equal(np.vstack([q for _p, q in parts]), leaves)
    assert router.path_facts(X, leaves).toarray().tolist() == router.path_facts(X).toarray().tolist()
    pooled_decisions = router.route_batch(rows, threshold=0.7)
    router.n_jobs = 1  # no pool: the calling thread does all the trees
    try:
        assert np.array_equal(router.predict_proba_features(X), serial)
        serial_decisions = router.route_batch(rows, threshold=0.7)
    finally:
        router.n_jobs = -1
    assert [(d.agency_id, d.confidence, d.top3, d.auto, d.explanation) for d in pooled_decisions] == \
        [(d.agency_id, d.confidence, d.top3, d.auto, d.explanation) for d in serial_decisions]
