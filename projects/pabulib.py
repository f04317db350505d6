"""Reader and writer of Pabulib files (pabulib.org), the open format of participatory
budgeting elections: META (key;value), PROJECTS and VOTES sections separated by ';'.

Copes with CRLF line ends, a UTF-8 byte-order mark, empty cells and quoted free text;
every error names the line it was found on."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
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
    # what was repaired or skipped while reading, each naming its line (see ``parse``)
    warnings: list[str] = field(default_factory=list)
    # (voter, projects, points) per kept ballot, repeats merged; None: worked out from ``votes``
    normalized: list[tuple[str, list[str], list[int]]] | None = None

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
        """(voter, projects in the order written, points) for every ballot, a project named
        twice merged as ``parse`` explains."""
        if self.normalized is not None:
            return self.normalized
        result = []
        for voter, row in self.votes.items():
            chosen = [p for p in (row.get("vote") or "").split(",") if p]
            raw_points = [p for p in (row.get("points") or "").split(",") if p]
            points = [int(p) for p in raw_points] if raw_points else [1] * len(chosen)
            result.append((voter, chosen, points))
        return result


def parse(source: str | Path) -> Election:
    """Read a Pabulib file (a path or its text) as it is.

    What is refused (``PabulibError``, nothing imported) and what is repaired or skipped (a
    warning naming the line and the voter, kept in ``Election.warnings``):

    - META and PROJECTS define the election: any malformed row there (wrong number of cells, a
      cost that is not a number, a repeated project id), a missing section, budget, an unknown
      ``vote_type`` or ``rule`` refuse the file;
    - a voter id that repeats refuses the file (which of the two ballots counts is not ours to
      decide);
    - a ballot naming a project twice is kept: for approval and choose-1 the project counts
      once, for cumulative the points are summed, for ordinal the best (first) rank is kept;
    - a VOTES row that cannot be read as a ballot (more or fewer cells than the header, a
      project that PROJECTS does not list, points that are missing, not whole numbers,
      negative or do not match the projects) is skipped: one bad row does not cost an election
      of thousands of ballots, and the warning says which line was left out;
    - extra cells that are all empty (a trailing ';') are ignored."""
    text = Path(source).read_text(encoding="utf-8-sig") if isinstance(source, Path) or (
        isinstance(source, str) and "\n" not in source and Path(source).exists()) else str(source)
    reader = _Reader()
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=";", quotechar='"')
    for row in rows:
        reader.row(row, rows.line_num)
    return reader.election()


class _Reader:
    """``parse``'s state while it walks the file's rows, one method a kind of row."""

    def __init__(self) -> None:
        self.section: str | None = None
        self.header: list[str] = []
        self.meta: dict[str, str] = {}
        self.meta_lines: dict[str, int] = {}
        self.projects: dict[str, dict[str, str]] = {}
        self.votes: dict[str, dict[str, str]] = {}
        self.ballots: list[tuple[str, list[str], list[int]]] = []
        self.voter_lines: dict[str, int] = {}
        self.warnings: list[str] = []
        self.columns: dict[str, list[str]] = {}
        self.vote_type = ""

    def row(self, row: list[str], line: int) -> None:
        if not row or all(not cell.strip() for cell in row):
            return
        first = row[0].strip()
        if first.upper() in SECTIONS and len([c for c in row if c.strip()]) == 1:
            self.section, self.header = first.upper(), []
            return
        if self.section is None:
            raise PabulibError(f"content before the first section: {first!r}", line)
        if not self.header:
            self._header([c.strip() for c in row], line)
            return
        header = self.header
        if len(row) > len(header) and not any(cell.strip() for cell in row[len(header):]):
            row = row[:len(header)]  # a trailing ';'
        if len(row) != len(header):
            problem = f"{self.section} row has {len(row)} cells, the header has {len(header)}"
            if self.section != "VOTES":
                raise PabulibError(problem, line)
            self.warnings.append(f"line {line}: {problem}: vote skipped")
            return
        record = {key: value.strip() for key, value in zip(header, row, strict=True)}
        if self.section == "META":
            key = record.get("key", row[0]).strip()
            self.meta[key] = record.get("value", row[1] if len(row) > 1 else "")
            self.meta_lines[key] = line
        elif self.section == "PROJECTS":
            self._project(record, line)
        else:
            self._vote(record, line)

    def _header(self, header: list[str], line: int) -> None:
        assert self.section is not None
        self.header = self.columns[self.section] = header
        if self.section == "PROJECTS" and not {"project_id", "cost"} <= set(header):
            raise PabulibError("PROJECTS needs project_id and cost columns", line)
        if self.section == "VOTES":
            if not {"voter_id", "vote"} <= set(header):
                raise PabulibError("VOTES needs voter_id and vote columns", line)
            self.vote_type = self.meta.get("vote_type", "approval")
            _declared(ballot_rule, self.meta, "vote_type", "approval", self.meta_lines)
            if self.vote_type == "cumulative" and "points" not in header:
                raise PabulibError("cumulative votes need a points column", line)

    def _project(self, record: dict[str, str], line: int) -> None:
        try:
            if Decimal(record["cost"]) < 0:
                raise PabulibError("negative cost", line)
        except InvalidOperation as exc:
            raise PabulibError(f"cost {record['cost']!r} is not a number", line) from exc
        if not record["project_id"]:
            raise PabulibError("a project without project_id", line)
        if record["project_id"] in self.projects:
            raise PabulibError(f"project {record['project_id']} repeats", line)
        self.projects[record["project_id"]] = record

    def _vote(self, record: dict[str, str], line: int) -> None:
        voter = record["voter_id"]
        if not voter:
            self.warnings.append(f"line {line}: a vote without voter_id: vote skipped")
            return
        if voter in self.voter_lines:
            raise PabulibError(f"voter {voter} votes twice (lines {self.voter_lines[voter]} and {line})", line)
        self.voter_lines[voter] = line
        ballot = _ballot(self.vote_type, record, self.projects, f"line {line}: voter {voter}", self.warnings)
        if ballot is not None:
            self.votes[voter] = record
            self.ballots.append((voter, *ballot))

    def election(self) -> Election:
        """The election read, once the sections and META are checked as a whole."""
        meta = self.meta
        for name in SECTIONS:
            if name not in self.columns and not (name == "META" and meta):
                raise PabulibError(f"section {name} is missing")
        if not meta.get("budget"):
            raise PabulibError("META has no budget")
        for key in ("budget", "min_project_score_threshold"):
            try:
                if meta.get(key):
                    Decimal(meta[key])
            except InvalidOperation as exc:
                raise PabulibError(f"{key} {meta[key]!r} is not a number", self.meta_lines.get(key)) from exc
        _declared(ballot_rule, meta, "vote_type", "approval", self.meta_lines)
        _declared(selection_rule, meta, "rule", "greedy", self.meta_lines)
        return Election(meta, self.projects, self.votes, self.columns.get("PROJECTS", []),
                        self.columns.get("VOTES", []), warnings=self.warnings, normalized=self.ballots)


def _declared(check: Callable[[str], str], meta: dict[str, str], key: str, default: str,
              lines: dict[str, int]) -> None:
    try:
        check(meta.get(key, default))
    except PabulibError as exc:
        raise PabulibError(str(exc), lines.get(key)) from None


def _ballot(vote_type: str, record: dict[str, str], projects: dict[str, dict[str, str]], where: str,
            warnings: list[str]) -> tuple[list[str], list[int]] | None:
    """(projects, points) of one VOTES row with repeats merged, or None (and a warning) when the
    row is skipped."""
    vote = record["vote"]
    chosen = vote.split(",") if vote else []
    if " " in vote or "" in chosen:  # the plain "1,2,3" needs no cleaning (90,000 ballots: seconds)
        chosen = [p.strip() for p in chosen if p.strip()]
    distinct = set(chosen)
    if not distinct.issubset(projects):
        unknown = [p for p in chosen if p not in projects]
        warnings.append(f"{where}: names unknown project(s) {', '.join(unknown)}: vote skipped")
        return None
    raw = [p.strip() for p in (record.get("points") or "").split(",") if p.strip()]
    if raw:
        if len(raw) != len(chosen):
            warnings.append(f"{where}: {len(raw)} points for {len(chosen)} projects: vote skipped")
            return None
        try:
            exact = [Decimal(p) for p in raw]
        except InvalidOperation:
            warnings.append(f"{where}: points {','.join(raw)} are not numbers: vote skipped")
            return None
        if any(p < 0 or p != p.to_integral_value() for p in exact):
            warnings.append(f"{where}: points {','.join(raw)} are not whole non-negative numbers: vote skipped")
            return None
        points = [int(p) for p in exact]
    elif vote_type == "cumulative" and chosen:
        warnings.append(f"{where}: a cumulative vote without points: vote skipped")
        return None
    else:
        points = [1] * len(chosen)
    if len(distinct) == len(chosen):
        return chosen, points
    merged: dict[str, int] = {}
    for project, value in zip(chosen, points, strict=True):
        if project not in merged:
            merged[project] = value
        elif vote_type == "cumulative":
            merged[project] += value
        # approval and choose-1: counted once; ordinal: the first (best) rank stays
    repeated = sorted({p for p in chosen if chosen.count(p) > 1}, key=chosen.index)
    how = {"cumulative": "points summed", "ordinal": "best rank kept"}.get(vote_type, "counted once")
    warnings.append(f"{where}: project(s) {', '.join(repeated)} named more than once: {how}")
    return list(merged), list(merged.values())


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


def read(path: Path) -> Election:
    """``parse`` of a file on disk, every way of failing a ``PabulibError`` (no traceback for a
    missing file or one that is not UTF-8)."""
    if not path.is_file():
        raise PabulibError("no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PabulibError(f"not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise PabulibError(f"cannot be read: {exc.strerror}") from exc
    return parse(text)
