"""Training, baselines, confidence fallback to the operator's queue, explanations."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from django.utils import translation

from routing.evaluation import coverage_at, cross_validate, time_split
from routing.explanation import PHRASES, render
from routing.features import RoutingRow, enrich_batch
from routing.model import Router

from .helpers import region_dataset


@pytest.fixture
def trained(region: dict[str, int]) -> tuple[Router, list[RoutingRow], list[int], dict[str, dict]]:
    from geoportal.models import Agency, District

    rows, labels, times = region_dataset(700)
    rows = enrich_batch(rows)
    train, test = time_split(len(rows), times)
    router = Router(max_iter=60).fit([rows[i] for i in train], [labels[i] for i in train])
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


def test_explanation_names_the_trees_facts_with_display_names_and_the_text_cues(trained: tuple, region: dict) -> None:
    from geoportal.models import Agency

    router, rows, labels, names = trained
    yard = next(r for r, y in zip(rows, labels, strict=True) if r.category_code == "yard-cleaning" and r.has_point)
    decision = router.route(yard, names)
    district_name = names["districts"][yard.district_code]
    assert decision.agency_id == Agency.objects.get(short_name=f"Адм. {district_name}").pk
    text = decision.explanation
    assert f"Адм. {district_name}" in text or f"«{district_name}»" in text  # the agency or the district, by name
    assert "yard-cleaning" not in text  # display names, not codes
    light = router.route(RoutingRow(None, "Не горит уличный фонарь, темно", None), names)
    assert light.agency_id == Agency.objects.get(short_name="Горсвет").pk
    assert "в тексте: " in light.explanation
    cues = light.explanation.split("в тексте: ")[1]
    assert any(f"«{word}" in cues for word in ("фонарь", "горит", "уличный", "темно"))
    # the same facts as phrase codes and values, said in English for an English page
    assert render(decision.facts) == decision.explanation and decision.facts[0]["say"] in PHRASES
    with translation.override("en"):
        english = render(decision.facts + light.facts, translation.gettext)
    assert "in the text: «" in english and district_name in english
    assert not any(word in english for word in ("категория", "обращени", "в тексте", "место", "район «"))


def test_every_explanation_phrase_has_an_english_translation() -> None:
    with translation.override("en"):
        missing = [phrase for phrase in PHRASES.values() if translation.gettext(phrase) == phrase]
    assert not missing


def test_classes_with_a_single_example_and_tiny_data_train(region: dict) -> None:
    rows, labels, _times = region_dataset(60, seed=3)
    labels[0] = 999_999  # an agency seen once
    router = Router(max_iter=20).fit(rows, labels)
    assert 999_999 in router.classes_
    decisions = router.route_batch(rows[:5])
    assert len(decisions) == 5 and all(0 <= d.confidence <= 1 for d in decisions)
    metrics = cross_validate(rows, labels, folds=3, max_iter=20)
    assert metrics["rows"] == 60 and 0 <= metrics["accuracy"] <= 1


def test_coverage_at_95_counts_the_confident_prefix() -> None:

    correct = np.array([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0], dtype=bool)
    confidence = np.linspace(1, 0, len(correct))
    assert coverage_at(correct, confidence, 0.95) == pytest.approx(10 / 14)
    assert coverage_at(np.zeros(4, dtype=bool), np.ones(4)) == 0.0


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
