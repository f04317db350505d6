"""The seam between appeals and the router library: build the router's plain row from an
appeal, ask the active model, and fall back to the rule table when no model is trained."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.geos import Point
from django.utils.translation import gettext

from geoportal.models import Agency, District
from routing.explanation import render

from .models import Appeal, Category
from .routing_data import build_row, competent_agency_ids


@dataclass
class RoutingDecision:
    agency_id: int | None
    confidence: float | None
    explanation: str
    auto: bool
    source: str  # "model" or "rules"
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    agency: Agency | None = None  # the chosen agency's row, when the decision already read it
    facts: list[dict[str, Any]] = field(default_factory=list)  # the explanation as phrase codes and values


def explanation_text(facts: list[dict[str, Any]] | None, stored: str) -> str:
    """A routing explanation in the active language: said from its facts when the decision
    kept them, else the Russian text stored with it (appeals routed before facts were kept)."""
    return (render(facts, gettext) if facts else "") or stored


def event_reason(event: Any) -> str:
    """An event's reason for the staff: a routing event's explanation in the reader's language
    (from the facts in its data), any other reason as written."""
    facts = event.data.get("explanation") if isinstance(event.data, dict) else None
    return explanation_text(facts if isinstance(facts, list) else None, event.reason)


def decide(appeal: Appeal) -> RoutingDecision:
    """Works on an unsaved appeal too (``issues.actions.submit_appeal`` decides before it
    takes the year's number). The agencies competent at the point are read once, for both the
    model's row and the rule table."""
    jurisdiction = competent_agency_ids(appeal.location)
    model_decision = _model_decision(appeal, jurisdiction)
    if model_decision is not None:
        return model_decision
    agency = rule_table_agency(appeal.category, appeal.location, appeal.district,
                               competent=set(jurisdiction) if appeal.location is not None else None)
    if agency is None:
        facts: list[dict[str, Any]] = [{"say": "no_rule"}]
        return RoutingDecision(None, None, render(facts), False, "rules", facts=facts)
    fact: dict[str, Any] = {"say": "rule", "category": appeal.category.name}
    if appeal.district_id and appeal.district:
        fact.update(district=appeal.district.name, agency=agency.short_name)
    return RoutingDecision(agency.pk, None, render([fact]), True, "rules",
                           [{"agency_id": agency.pk, "agency": agency.short_name, "probability": None}], agency,
                           [fact])


def rule_table_agency(category: Category, location: Point | None, district: District | None,
                      competent: set[int] | None = None) -> Agency | None:
    """The category → agency rule table, restricted to agencies competent at the point
    (``competent``: the active ones at ``location`` when the caller has read them already; the
    rule table only offers active agencies, so that is the same restriction)."""
    if competent is None:
        point = location if location is not None else (district.boundary.point_on_surface if district else None)
        competent = set(Agency.objects.serving(point).values_list("id", flat=True)) if point is not None else None
    for node in category.lineage():
        candidates = list(node.routes.select_related("agency").filter(agency__is_active=True))
        if not candidates:
            continue
        for route in candidates:
            if competent is None or route.agency_id in competent:
                return route.agency
        return candidates[0].agency
    return None


def _model_decision(appeal: Appeal, jurisdiction: tuple[int, ...]) -> RoutingDecision | None:
    from routing import registry

    decision = registry.route(build_row(appeal, jurisdiction=jurisdiction))
    if decision is None:
        return None

    top = list(getattr(decision, "top3", []) or [])
    agencies = Agency.objects.in_bulk([int(label) for label, _p in top])
    suggestions = [{"agency_id": int(label),
                    "agency": agencies[int(label)].short_name if int(label) in agencies else str(label),
                    "probability": float(p)} for label, p in top]
    auto = bool(decision.auto)  # thresholds (global and per category) applied by the router
    agency_id = int(decision.agency_id) if decision.agency_id is not None else None
    return RoutingDecision(agency_id, float(decision.confidence), decision.explanation, auto, "model", suggestions,
                           agencies.get(agency_id) if agency_id is not None else None,
                           list(decision.facts))
