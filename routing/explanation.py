"""Why the router chose an agency, in words: the facts the boosted trees tested on the way to
their score for the chosen (appeal, agency) pair, most used first, and the words of the text
that raised the text model's score for that agency.

The trees' path is read from the first ``explain_trees`` trees of the ranker (in boosting the
first trees carry most of the decision): every split a pair passes names one piece of evidence
(:data:`routing.tables.PAIR_FEATURES`); the pieces are grouped (a table's share and count are one
fact) and said with the pair's own numbers: «категория «Неисправный лифт» в районе «Невский»:
92% из 310 обращений — сюда»."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .rows import RoutingRow
from .tables import PAIR_FEATURES

if TYPE_CHECKING:
    from .model import Evidence, Names, Router

MAX_FACTS = 4


def _group(feature_name: str) -> str:
    for prefix in ("text", "near_same", "near", "role"):
        if feature_name.startswith(prefix):
            return prefix
    for suffix in ("_share", "_n"):
        if feature_name.endswith(suffix):
            return feature_name[: -len(suffix)]
    return feature_name


def _category(row: RoutingRow, names: Names, level: int = 0) -> str | None:
    """The category's display name; an archive's path code «Дом > Лифт» is named by its last part."""
    path = row.category_path or ((row.category_code,) if row.category_code else ())
    if len(path) <= level:
        return None
    code = path[level]
    return names.categories.get(code) or code.rsplit(" > ", 1)[-1]


def _share(values: dict[str, float], table: str) -> str:
    n = values[f"{table}_n"]
    share = values[f"{table}_share"]
    if not n or share != share:
        return "прежде не встречалось"
    return f"{share:.0%} из {int(n)} обращений — сюда"


def say_fact(group: str, values: dict[str, float], row: RoutingRow, agency: str, names: Names) -> str | None:
    """One fact about the pair (row, agency) in words, or None when there is nothing to say."""
    district = names.districts.get(row.district_code, row.district_code) if row.district_code else None
    category = _category(row, names)
    if group == "text":
        return f"текст и коды ставят «{agency}» на {int(values['text_rank']) + 1}-е место"
    if group == "category_district" and category and district:
        return f"категория «{category}» в районе «{district}»: {_share(values, group)}"
    if group == "category" and category:
        return f"категория «{category}»: {_share(values, group)}"
    if group == "parent_district" and district and _category(row, names, 1):
        return f"раздел «{_category(row, names, 1)}» в районе «{district}»: {_share(values, group)}"
    if group == "category_jurisdiction" and category and row.jurisdiction_agency_ids:
        return f"категория «{category}» в этой зоне ведения: {_share(values, group)}"
    if group == "district" and district:
        return f"район «{district}»: {_share(values, group)}"
    if group in ("near", "near_same") and values[f"{group}_share"] == values[f"{group}_share"]:
        which = "ближайших обращений" if group == "near" else "ближайших обращений той же категории"
        count = int(values[f"{group}_count"])
        close = f", {count} из них в пределах 60 м" if count else ""
        return f"среди {which} {values[f'{group}_share']:.0%} — сюда{close}"
    if group == "in_zone" and row.jurisdiction_agency_ids:
        return f"точка {'в зоне' if values['in_zone'] else 'вне зоны'} ведения «{agency}»"
    if group == "role" and values.get("role_shared") and values["role_gap"] == values["role_gap"]:
        if values["role_gap"] <= 0:
            return f"по текстам всех районов это дело ведомств того же рода, что «{agency}»"
        return f"по текстам всех районов это скорее дело ведомств другого рода, чем «{agency}»"
    if group == "prior":
        return f"«{agency}» получает {values['prior']:.0%} всех обращений"
    return None


def explain_decisions(router: Router, rows: Sequence[RoutingRow], evidence: Evidence, chosen: np.ndarray,
                      names: Names) -> list[str]:
    """One sentence per row for its chosen pair (``chosen``: the pair index of each row)."""

    agencies = evidence.agency[chosen]
    role_scorer = getattr(router, "roles_", None)
    shared = role_scorer.shared(len(router.classes_)) if role_scorer is not None else np.zeros(len(router.classes_))
    cues = router.text_.cues(evidence.text_matrix, agencies.tolist()) if evidence.text_matrix is not None \
        else [[] for _ in rows]
    out = []
    for i, row in enumerate(rows):
        x = evidence.features[chosen[i]]
        label = router.classes_[agencies[i]]
        agency = str(names.agencies.get(label, label))
        values = dict(zip(PAIR_FEATURES, x.tolist(), strict=True))
        values["role_shared"] = float(shared[agencies[i]])  # a role of its own says nothing new
        order: list[str] = []
        if router.ranker_ is not None:
            used = router.ranker_.path_features(x, router.explain_trees)
            for feature, _count in used.most_common():
                group = _group(PAIR_FEATURES[feature])
                if group not in order:
                    order.append(group)
        else:
            order = ["text"]
        facts = [fact for group in order if (fact := say_fact(group, values, row, agency, names))][:MAX_FACTS]
        if cues[i]:
            facts.append("в тексте: " + ", ".join(f"«{term}»" for term in cues[i]))
        out.append("; ".join(facts) or "по совокупности признаков")
    return out
