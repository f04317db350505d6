"""Reader and writer of Pabulib files (pabulib.org), the open format of participatory
budgeting elections: META (key;value), PROJECTS and VOTES sections separated by ';'.

Copes with CRLF line ends, a UTF-8 byte-order mark, empty cells and quoted free text;
every error names the line it was found on."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

SECTIONS = ("META", "PROJECTS", "VOTES")

# Pabulib's words -> the platform's (projects.models.BallotRule / SelectionRule values)
VOTE_TYPES = {"approval": "approval", "cumulative": "cumulative", "ordinal": "ranked", "choose-1": "choose_one"}
RULES = {"greedy": "greedy", "greedy-no-skip": "greedy_no_skip", "greedy-threshold": "greedy_threshold",
         "greedy-exclusive": "greedy_exclusive", "equalshares/add1": "equal_shares"}


def ballot_rule(vote_type: str) -> str:
    try:
        return VOTE_TYPES[vote_type]
    except KeyError:
        raise PabulibError(f"unsupported vote_type {vote_type!r}") from None


def selection_rule(rule: str) -> str:
    """A Pabulib rule name (or one of the platform's own) as the platform's rule."""
    if rule in RULES.values():
        return rule
    try:
        return RULES[rule]
    except KeyError:
        raise PabulibError(f"unsupported rule {rule!r}") from None


def pabulib_vote_type(rule: str) -> str:
    return {v: k for k, v in VOTE_TYPES.items()}.get(rule, "approval")


def pabulib_rule(rule: str) -> str:
    return {v: k for k, v in RULES.items()}.get(rule, rule)


class PabulibError(ValueError):
    """A malformed file; ``line`` is the 1-based line the problem was found on (when known)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


@dataclass
class Election:
    meta: dict[str, str]
    projects: dict[str, dict[str, str]]  # project_id -> row (cost, votes, score, name, selected, ...)
    votes: dict[str, dict[str, str]]  # voter_id -> row (vote, points, ...)
    project_columns: list[str] = field(default_factory=list)
    vote_columns: list[str] = field(default_factory=list)

    @property
    def budget(self) -> Decimal:
        return Decimal(self.meta["budget"])

    @property
    def vote_type(self) -> str:
        return self.meta.get("vote_type", "approval")

    @property
    def rule(self) -> str:
        return self.meta.get("rule", "greedy")

    def cost(self, project_id: str) -> Decimal:
        return Decimal(self.projects[project_id]["cost"])

    def ballots(self) -> list[tuple[str, list[str], list[int]]]:
        """(voter, projects in the order written, points) for every ballot."""
        result = []
        for voter, row in self.votes.items():
            chosen = [p for p in (row.get("vote") or "").split(",") if p]
            raw_points = [p for p in (row.get("points") or "").split(",") if p]
            points = [int(p) for p in raw_points] if raw_points else [1] * len(chosen)
            result.append((voter, chosen, points))
        return result


def parse(source: str | Path) -> Election:
    text = Path(source).read_text(encoding="utf-8-sig") if isinstance(source, Path) or (
        isinstance(source, str) and "\n" not in source and Path(source).exists()) else str(source)
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"')
    section = None
    header: list[str] = []
    meta: dict[str, str] = {}
    projects: dict[str, dict[str, str]] = {}
    votes: dict[str, dict[str, str]] = {}
    columns: dict[str, list[str]] = {}
    for row in reader:
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        first = row[0].strip()
        if first.upper() in SECTIONS and len([c for c in row if c.strip()]) == 1:
            section = first.upper()
            header = []
            continue
        if section is None:
            raise PabulibError(f"content before the first section: {first!r}", line)
        if not header:
            header = [c.strip() for c in row]
            columns[section] = header
            if section == "PROJECTS" and not {"project_id", "cost"} <= set(header):
                raise PabulibError("PROJECTS needs project_id and cost columns", line)
            if section == "VOTES" and not {"voter_id", "vote"} <= set(header):
                raise PabulibError("VOTES needs voter_id and vote columns", line)
            continue
        if len(row) != len(header):
            raise PabulibError(f"{section} row has {len(row)} cells, the header has {len(header)}", line)
        record = {key: value.strip() for key, value in zip(header, row, strict=True)}
        if section == "META":
            meta[record.get("key", row[0]).strip()] = record.get("value", row[1] if len(row) > 1 else "")
        elif section == "PROJECTS":
            try:
                if Decimal(record["cost"]) < 0:
                    raise PabulibError("negative cost", line)
            except InvalidOperation as exc:
                raise PabulibError(f"cost {record['cost']!r} is not a number", line) from exc
            if record["project_id"] in projects:
                raise PabulibError(f"project {record['project_id']} repeats", line)
            projects[record["project_id"]] = record
        else:
            chosen = [p for p in record["vote"].split(",") if p]
            unknown = [p for p in chosen if p not in projects]
            if unknown:
                raise PabulibError(f"vote names unknown project(s) {', '.join(unknown)}", line)
            points = [p for p in (record.get("points") or "").split(",") if p]
            if points and (len(points) != len(chosen) or not all(p.lstrip("-").isdigit() for p in points)):
                raise PabulibError("points do not match the projects of the vote", line)
            if record["voter_id"] in votes:
                raise PabulibError(f"voter {record['voter_id']} votes twice", line)
            votes[record["voter_id"]] = record
    for name in SECTIONS:
        if name not in columns and not (name == "META" and meta):
            raise PabulibError(f"section {name} is missing")
    if "budget" not in meta:
        raise PabulibError("META has no budget")
    try:
        Decimal(meta["budget"])
    except InvalidOperation as exc:
        raise PabulibError(f"budget {meta['budget']!r} is not a number") from exc
    ballot_rule(meta.get("vote_type", "approval"))
    selection_rule(meta.get("rule", "greedy"))
    return Election(meta, projects, votes, columns.get("PROJECTS", []), columns.get("VOTES", []))


def write(election: Election) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    out.write("META\n")
    writer.writerow(["key", "value"])
    for key, value in election.meta.items():
        writer.writerow([key, value])
    out.write("PROJECTS\n")
    writer.writerow(election.project_columns)
    for row in election.projects.values():
        writer.writerow([row.get(c, "") for c in election.project_columns])
    out.write("VOTES\n")
    writer.writerow(election.vote_columns)
    for row in election.votes.values():
        writer.writerow([row.get(c, "") for c in election.vote_columns])
    return out.getvalue()
