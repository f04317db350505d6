"""Why the router chose an agency, in words: the facts the boosted trees tested on the way to
their score for the chosen (appeal, agency) pair, most used first, and the words of the text
that raised the text model's score for that agency.

The trees' path is read from the first ``explain_trees`` trees of the ranker (in boosting the
first trees carry most of the decision): every split a pair passes names one piece of evidence
(:data:`routing.tables.PAIR_FEATURES`); the pieces are grouped (a table's share and count are one
fact) and said with the pair's own numbers: «категория «Неисправный лифт» в районе «Невский»:
92% из 310 обращений — сюда».

A decision keeps its facts as phrase codes with values (:func:`fact_for`), so every page says
them in its reader's language (:func:`render` with Django's ``gettext``: the phrases below are
the msgids, ``routing/locale/en`` has them in English); the library itself says them in Russian
(``Decision.explanation``: the bench and the command line)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .rows import RoutingRow
from .tables import PAIR_FEATURES

if TYPE_CHECKING:
    from .model import Evidence, Names, Router

MAX_FACTS = 4
Fact = dict[str, Any]


def gettext_noop(message: str) -> str:
    """Marks a msgid for ``makemessages`` (which reads the name); Django's own would need settings,
    and the library runs without them (the bench, the command line)."""
    return message


PHRASES: dict[str, str] = {
    "text": gettext_noop("текст и коды ставят «%(agency)s» на %(rank)s-е место"),
    "category_district": gettext_noop("категория «%(category)s» в районе «%(district)s»"),
    "category": gettext_noop("категория «%(category)s»"),
    "parent_district": gettext_noop("раздел «%(section)s» в районе «%(district)s»"),
    "category_jurisdiction": gettext_noop("категория «%(category)s» в этой зоне ведения"),
    "district": gettext_noop("район «%(district)s»"),
    "share": gettext_noop("%(share)s%% из %(n)s обращений — сюда"),
    "unseen": gettext_noop("прежде не встречалось"),
    "near": gettext_noop("среди ближайших обращений %(share)s%% — сюда"),
    "near_same": gettext_noop("среди ближайших обращений той же категории %(share)s%% — сюда"),
    "near_close": gettext_noop("%(count)s из них в пределах 60 м"),
    "in_zone": gettext_noop("точка в зоне ведения «%(agency)s»"),
    "out_of_zone": gettext_noop("точка вне зоны ведения «%(agency)s»"),
    "role_same": gettext_noop("по текстам всех районов это дело ведомств того же рода, что «%(agency)s»"),
    "role_other": gettext_noop("по текстам всех районов это скорее дело ведомств другого рода, чем «%(agency)s»"),
    "prior": gettext_noop("«%(agency)s» получает %(share)s%% всех обращений"),
    "cues": gettext_noop("в тексте: %(terms)s"),
    "overall": gettext_noop("по совокупности признаков"),
    "rule": gettext_noop("правило: категория = %(category)s"),
    "rule_place": gettext_noop("район = %(district)s; в зоне ведения: %(agency)s"),
    "no_rule": gettext_noop("нет правила для категории"),
}
# the routing tables' facts and what each needs of the appeal to be said
TABLE_NEEDS = {"category_district": ("category", "district"), "category": ("category",),
               "parent_district": ("section", "district"), "category_jurisdiction": ("category", "zone"),
               "district": ("district",)}


def _as_is(message: str) -> str:
    return message


def render(facts: Sequence[Fact], translate: Callable[[str], str] = _as_is) -> str:
    """The facts as one sentence; ``translate``: ``gettext`` of the reader's language (the
    Russian msgids when not given). A fact of a kind this code does not know is left out."""
    parts = []
    for fact in facts:
        code = fact.get("say")
        if not isinstance(code, str) or code not in PHRASES:
            continue
        values = dict(fact)
        if code == "cues":
            values["terms"] = ", ".join(f"«{term}»" for term in fact.get("terms", ()))
        try:
            text = translate(PHRASES[code]) % values
            if code in TABLE_NEEDS:
                text += ": " + translate(PHRASES["share" if fact.get("n") else "unseen"]) % values
            if code in ("near", "near_same") and fact.get("count"):
                text += ", " + translate(PHRASES["near_close"]) % values
            if code == "rule" and fact.get("district"):
                text += "; " + translate(PHRASES["rule_place"]) % values
        except (KeyError, TypeError, ValueError):  # a fact missing a value: say nothing rather than fail a page
            continue
        parts.append(text)
    return "; ".join(parts)


def _percent(share: float) -> int:
    return int(round(share * 100))


def fact_for(group: str, values: dict[str, float], row: RoutingRow, agency: str, names: Names) -> Fact | None:
    """One fact about the pair (row, agency): its phrase code (``say``) and values, or None
    when there is nothing to say."""
    district = names.districts.get(row.district_code, row.district_code) if row.district_code else None
    known: dict[str, Any] = {"category": _category(row, names), "section": _category(row, names, 1),
                             "district": district, "zone": bool(row.jurisdiction_agency_ids)}
    if group == "text":
        return {"say": "text", "agency": agency, "rank": int(values["text_rank"]) + 1}
    if group in TABLE_NEEDS:
        if not all(known[need] for need in TABLE_NEEDS[group]):
            return None
        n, share = values[f"{group}_n"], values[f"{group}_share"]
        seen = bool(n) and share == share
        fact: Fact = {"say": group, "n": int(n) if seen else 0, "share": _percent(share) if seen else 0}
        fact.update({need: known[need] for need in TABLE_NEEDS[group] if need != "zone"})
        return fact
    if group in ("near", "near_same") and values[f"{group}_share"] == values[f"{group}_share"]:
        return {"say": group, "share": _percent(values[f"{group}_share"]), "count": int(values[f"{group}_count"])}
    if group == "in_zone" and row.jurisdiction_agency_ids:
        return {"say": "in_zone" if values["in_zone"] else "out_of_zone", "agency": agency}
    if group == "role" and values.get("role_shared") and values["role_gap"] == values["role_gap"]:
        return {"say": "role_same" if values["role_gap"] <= 0 else "role_other", "agency": agency}
    if group == "prior":
        return {"say": "prior", "agency": agency, "share": _percent(values["prior"])}
    return None


def explain_decisions(router: Router, rows: Sequence[RoutingRow], evidence: Evidence, chosen: np.ndarray,
                      names: Names) -> list[list[Fact]]:
    """The facts of each row's chosen pair (``chosen``: the pair index of each row)."""

    agencies = evidence.agency[chosen]
    role_scorer = getattr(router, "roles_", None)
    shared = role_scorer.shared(len(router.classes_)) if role_scorer is not None else np.zeros(len(router.classes_))
    cues = router.text_.cues(evidence.text_matrix, agencies.tolist(), texts=[row.text for row in rows]) \
        if evidence.text_matrix is not None else [[] for _ in rows]
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
        facts = [fact for group in order if (fact := fact_for(group, values, row, agency, names))][:MAX_FACTS]
        if cues[i]:
            facts.append({"say": "cues", "terms": list(cues[i])})
        out.append(facts or [{"say": "overall"}])
    return out


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
