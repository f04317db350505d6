"""A heading of a budget cycle as a Pabulib election (``export_pabulib``), written so that
pabulib-checker accepts it: only the format's own META fields, in the format's order, the
mandatory ones filled in for cycles that were not imported; the votes/score columns equal to
what the ballots give; ``selected`` from the heading's latest selection run, projects listed
by tally with ties in the order the selection broke them (the checker recomputes the rule
from that order); voters of the portal under an opaque number, never their account."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from .actions import tally
from .models import BallotChannel, BallotChoice, BallotRule, Heading, PhaseKind, SelectionRule
from .pabulib import Election, pabulib_rule, pabulib_vote_type

# the META fields of the format, in its order (pabulib.org/format); anything else in a cycle's
# meta (the platform's own settings such as mes_increment) stays out of the file
META_FIELDS = (
    "description", "country", "unit", "district", "subunit", "instance", "num_projects", "num_votes", "budget",
    "vote_type", "rule", "date_begin", "date_end", "min_length", "max_length", "min_sum_cost", "max_sum_cost",
    "min_points", "max_points", "min_sum_points", "max_sum_points", "default_score", "min_project_cost",
    "max_project_cost", "min_project_score_threshold", "neighborhoods", "subdistricts", "categories", "edition",
    "language", "currency", "fully_funded", "experimental", "comment", "acknowledgments",
)
DEFAULT_COUNTRY = "Russian Federation"  # the name pycountry (and so the checker) knows


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _meta(heading: Heading, num_projects: int, num_votes: int, total_cost: Decimal) -> dict[str, str]:
    cycle = heading.cycle
    given = {k: str(v) for k, v in cycle.meta.items()}
    voting = cycle.phases.filter(kind=PhaseKind.VOTING).first()
    year = str((voting.starts_at if voting else cycle.created_at).year)
    rule = cycle.selection_rule
    if rule == SelectionRule.GREEDY and cycle.min_threshold is not None:
        rule = SelectionRule.GREEDY_THRESHOLD  # the platform applies a threshold to any greedy rule
    derived = {
        "description": cycle.name, "country": DEFAULT_COUNTRY, "unit": cycle.territory or cycle.name,
        "instance": year,
        "date_begin": voting.starts_at.strftime("%d.%m.%Y") if voting else year,
        "date_end": voting.ends_at.strftime("%d.%m.%Y") if voting else year,
        "currency": cycle.currency,
    }
    if cycle.headings.count() > 1:
        derived["subunit"] = heading.name
    meta = {**derived, **{k: v for k, v in given.items() if v != ""}}
    meta.update({"num_projects": str(num_projects), "num_votes": str(num_votes), "budget": _number(heading.money),
                 "vote_type": pabulib_vote_type(cycle.ballot_rule), "rule": pabulib_rule(rule)})
    limits = {"min_length": cycle.min_approvals,
              "max_length": cycle.max_ranks if cycle.ballot_rule == BallotRule.RANKED else cycle.max_approvals,
              "max_sum_points": cycle.points_total if cycle.ballot_rule == BallotRule.CUMULATIVE else None}
    for key, limit in limits.items():
        if limit is not None:
            meta[key] = str(limit)
    if cycle.min_threshold is not None:
        meta["min_project_score_threshold"] = _number(cycle.min_threshold)
    if heading.money >= total_cost:
        meta["fully_funded"] = "1"
    if meta.get("comment") and not meta["comment"].startswith("#1: "):
        meta["comment"] = f"#1: {meta['comment']}"
    return {key: meta[key] for key in META_FIELDS if key in meta}


def election_of(heading: Heading) -> Election:
    cycle = heading.cycle
    rule = cycle.ballot_rule
    projects = list(heading.projects.on_ballot().order_by("pk"))
    tallies = tally(heading)
    run = heading.selection_runs.order_by("-created_at", "-id").first()
    selected = dict(run.decisions.values_list("project_id", "selected")) if run else None
    ranked = sorted(projects, key=lambda p: (-tallies.get(p.pk, Decimal(0)), p.pk))
    keys = {p.pk: p.key for p in projects}
    places = cycle.max_ranks or 0
    rows: dict[int, list[tuple[str, int]]] = defaultdict(list)
    supporters: dict[int, int] = defaultdict(int)
    choices = BallotChoice.objects.filter(ballot__heading=heading, project_id__in=keys)
    for ballot_id, project_id, position, points in choices.order_by("ballot_id", "position").values_list(
            "ballot_id", "project_id", "position", "points"):
        rows[ballot_id].append((keys[project_id], points if rule == BallotRule.CUMULATIVE else position))
        supporters[project_id] += 1
    if rule == BallotRule.RANKED and not places:  # as tally() does: the longest ranking
        places = max((position + 1 for items in rows.values() for _key, position in items), default=1)
    with_points = rule in (BallotRule.CUMULATIVE, BallotRule.RANKED)
    votes: dict[str, dict[str, str]] = {}
    for ballot_id, channel, voter_key in heading.ballots.order_by("pk").values_list("id", "channel", "voter_key"):
        # an imported voter keeps the file's id; a portal or paper voter is a number, not an account
        voter = voter_key if channel == BallotChannel.IMPORT else str(ballot_id)
        items = rows.get(ballot_id, [])
        record = {"voter_id": voter, "vote": ",".join(key for key, _value in items)}
        if rule == BallotRule.CUMULATIVE:
            record["points"] = ",".join(str(value) for _key, value in items)
        elif rule == BallotRule.RANKED:  # the points the tally gives each place
            record["points"] = ",".join(str(max(places - value, 0)) for _key, value in items)
        votes[voter] = record
    score = rule in (BallotRule.CUMULATIVE, BallotRule.RANKED)
    has_geo = any(p.geometry is not None for p in projects)
    rows_out: dict[str, dict[str, str]] = {}
    for project in ranked:
        row = {"project_id": project.key, "cost": _number(project.cost), "votes": str(supporters[project.pk]),
               "name": project.title}
        if score:
            row["score"] = _number(tallies.get(project.pk, Decimal(0)))
        if selected is not None:
            row["selected"] = "1" if selected.get(project.pk) else "0"
        if project.geometry is not None:
            centre = project.geometry.centroid
            row.update({"latitude": f"{centre.y:.7f}", "longitude": f"{centre.x:.7f}"})
        rows_out[project.key] = row
    project_columns = ["project_id", "cost", "votes"] + (["score"] if score else []) + ["name"]
    project_columns += (["selected"] if selected is not None else []) + (["latitude", "longitude"] if has_geo else [])
    vote_columns = ["voter_id", "vote"] + (["points"] if with_points else [])
    meta = _meta(heading, len(rows_out), len(votes), sum((p.cost for p in projects), Decimal(0)))
    return Election(meta, rows_out, votes, project_columns, vote_columns)
