"""Pabulib files as real cities publish them (issue 21): ballots naming a project twice, rows that
cannot be read, a batch with a bad file in the middle, exports checked by pabulib-checker, and
the five outcomes the platform used to get wrong, rebuilt as small files here."""
from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from pabulib.checker import Checker

from projects import actions
from projects.models import Ballot, BallotChoice, BallotRule, BudgetCycle, Project
from projects.pabulib import parse

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "pabulib"


def pb(meta: dict[str, Any], projects: list[str], votes: list[str], *,
       project_header: str = "project_id;cost;votes;name;selected", vote_header: str = "voter_id;vote") -> str:
    head = {"description": "test", "country": "Poland", "unit": "Test", "instance": "2024",
            "num_projects": str(len(projects)), "num_votes": str(len(votes)), "vote_type": "approval",
            "rule": "greedy", "date_begin": "2024", "date_end": "2024", **meta}
    lines = ["META", "key;value", *(f"{k};{v}" for k, v in head.items()),
             "PROJECTS", project_header, *projects, "VOTES", vote_header, *votes]
    return "\n".join(lines) + "\n"


def run_json(command: str, *paths: Path, **kwargs: Any) -> tuple[list[dict[str, Any]], CommandError | None]:
    out = io.StringIO()
    failure = None
    try:
        call_command(command, *map(str, paths), "--json", stdout=out, stderr=io.StringIO(), **kwargs)
    except CommandError as exc:
        failure = exc
    return [json.loads(line) for line in out.getvalue().splitlines()], failure


# --- a ballot naming a project twice -------------------------------------------------------------

REPEATS = {
    # vote type: (vote header, the row of voter v7, stored (project, position, points), warning)
    "approval": ("voter_id;vote", "v7;1,2,1", [("1", 0, 1), ("2", 1, 1)], "project(s) 1 named more than once: counted once"),
    "cumulative": ("voter_id;vote;points", "v7;1,2,1;2,1,3", [("1", 0, 5), ("2", 1, 1)],
                   "project(s) 1 named more than once: points summed"),
    "ordinal": ("voter_id;vote", "v7;2,1,2", [("2", 0, 1), ("1", 1, 1)],
                "project(s) 2 named more than once: best rank kept"),
}


def line_of(text: str, row: str) -> int:
    return text.splitlines().index(row) + 1


@pytest.mark.django_db
@pytest.mark.parametrize("vote_type", sorted(REPEATS))
def test_a_ballot_naming_a_project_twice_is_kept_and_reported(tmp_path, vote_type):
    header, row, stored, how = REPEATS[vote_type]
    other = "v8;2" + (";4" if vote_type == "cumulative" else "")
    path = tmp_path / "repeat.pb"
    text = pb({"budget": "100", "vote_type": vote_type, "max_sum_points": "10", "max_length": "3"},
              ["1;60;;A;", "2;50;;B;"], [row, other], vote_header=header)
    path.write_text(text, encoding="utf-8")
    [result], failure = run_json("import_pabulib", path)
    assert failure is None and "error" not in result
    assert result["warnings"] == [f"line {line_of(text, row)}: voter v7: {how}"]
    ballot = Ballot.objects.get(voter_key="v7")
    choices = [(c.project.external_id, c.position, c.points) for c in ballot.choices.order_by("position")]
    assert choices == stored
    assert Ballot.objects.count() == 2


@pytest.mark.django_db
def test_unknown_projects_and_malformed_rows_skip_the_vote_with_their_line(tmp_path):
    path = tmp_path / "rows.pb"
    text = pb({"budget": "100"}, ["1;60;2;A;1", "2;50;1;B;0"], ["v1;1", "v2;1,9", "v3;1;surplus", "v4;1,2", "v5;;"])
    path.write_text(text, encoding="utf-8")
    [result], failure = run_json("import_pabulib", path)
    assert failure is None and result["ballots"] == 3  # v1, v4 and v5 (an empty ballot; its ';' is ignored)
    assert result["warnings"] == [f"line {line_of(text, 'v2;1,9')}: voter v2: names unknown project(s) 9: vote skipped",
                                  f"line {line_of(text, 'v3;1;surplus')}: VOTES row has 3 cells, the header has 2: "
                                  "vote skipped"]
    assert result["disagreements"] == []  # the file's votes column counted only the readable votes
    assert sorted(Ballot.objects.values_list("voter_key", flat=True)) == ["v1", "v4", "v5"]


@pytest.mark.django_db
def test_warnings_are_printed_with_the_file_name(tmp_path):
    path = tmp_path / "rows.pb"
    text = pb({"budget": "100"}, ["1;60;1;A;1"], ["v1;1,1"])
    path.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("pabulib_winners", str(path), stdout=out, stderr=err)
    assert err.getvalue() == (f"rows.pb: warning: line {line_of(text, 'v1;1,1')}: voter v1: project(s) 1 named more "
                              "than once: counted once\n")
    assert out.getvalue().startswith("rows.pb (greedy): 1\n")


# --- a batch with a bad file in the middle --------------------------------------------------------

def _batch(tmp_path: Path) -> list[Path]:
    bad = tmp_path / "bad.pb"
    bad.write_text(pb({"budget": "100"}, ["1;fifty;1;A;1"], ["v1;1"]), encoding="utf-8")
    assert line_of(bad.read_text(encoding="utf-8"), "1;fifty;1;A;1") == 16
    return [DATA / "Poland_Warszawa_2017_subunit_Wawer.pb", bad, DATA / "Poland_Gdynia_2020_Babie_Doly__small.pb"]


@pytest.mark.django_db
def test_a_bad_file_in_the_middle_of_a_batch_fails_alone(tmp_path):
    files = _batch(tmp_path)
    results, failure = run_json("pabulib_winners", *files)
    assert failure is not None and failure.returncode == 1 and str(failure) == "1 of 3 file(s) failed"
    assert [r["file"] for r in results] == [f.name for f in files]
    assert results[1] == {"file": "bad.pb", "error": "line 16: cost 'fifty' is not a number"}
    assert results[0]["selected"] == ["74", "2450", "2464"] and results[2]["selected"] == ["1", "2", "4"]
    assert BudgetCycle.objects.count() == 0

    results, failure = run_json("import_pabulib", *files)
    assert failure is not None and "error" in results[1]
    assert sorted(BudgetCycle.objects.values_list("name", flat=True)) == sorted([files[0].stem, files[2].stem])


@pytest.mark.django_db
def test_the_exit_status_of_a_batch_from_the_command_line(tmp_path):
    db = settings.DATABASES["default"]
    env = {"DATABASE_URL": f"postgis://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
                           f"{db['PORT'] or 5432}/{db['NAME']}", "PATH": "/usr/bin:/bin",
           "DEBUG": "1"}  # the demo settings (the production ones refuse to start without a secret key)
    files = _batch(tmp_path)
    done = subprocess.run([sys.executable, "manage.py", "pabulib_winners", "--json", *map(str, files)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "1 of 3 file(s) failed" in done.stderr
    assert [json.loads(line).get("error") is None for line in done.stdout.splitlines()] == [True, False, True]
    # (a batch without a bad file raises nothing from call_command, which is exit status 0)


# --- exports pass pabulib-checker -----------------------------------------------------------------

def check(text: str) -> dict[str, Any]:
    with contextlib.redirect_stdout(io.StringIO()):  # the checker prints progress
        results = Checker().process_files([text])
    [key] = [k for k in results if k not in ("metadata", "summary")]
    return results[key]["results"]


def export(cycle: BudgetCycle) -> str:
    out = io.StringIO()
    call_command("export_pabulib", str(cycle.pk), stdout=out)
    return out.getvalue()


REAL = ["Poland_Katowice_2020_Brynow_Czesc_Wschodnia-Osiedle_Zgrzebnioka.pb",  # cumulative, threshold
        "Poland_Krakow_2018_Bienczyce.pb",  # ordinal
        "Poland_Warszawa_2018_subunit_Wawer.pb",  # approval, greedy-threshold
        "Netherlands_Assen_2024.pb",  # equal shares
        "Poland_Wroclaw_2016_Rejon_nr_11_250.pb"]  # choose-1, greedy-no-skip


def test_the_checker_does_find_errors():
    text = (DATA / "Poland_Warszawa_2017_subunit_Wawer.pb").read_text(encoding="utf-8")
    assert check(text)["errors"] == {}
    assert "greedy rule not followed" in check(text.replace("74;103076;269", "74;103076;2"))["errors"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", REAL)
def test_an_exported_election_passes_the_checker(name):
    call_command("import_pabulib", str(DATA / name), stdout=io.StringIO(), stderr=io.StringIO())
    cycle = BudgetCycle.objects.get()
    actions.do_run_selection(cycle.headings.get(), check=False)
    text = export(cycle)
    assert "selected" in parse(text).project_columns  # so the checker verifies the rule's outcome too
    assert check(text)["errors"] == {}


@pytest.mark.django_db
def test_a_cycle_run_on_the_portal_exports_a_valid_file(make_cycle, make_project, personas):
    cycle = make_cycle({"voting"}, ballot_rule=BallotRule.CUMULATIVE, points_total=5, money=Decimal(250_000),
                       name="Бюджет Центрального района", territory="Тестовый район")
    heading = cycle.headings.get()
    a, b, c = (make_project(heading, cost=Decimal(cost), title=f"Проект {cost}") for cost in (150_000, 120_000, 90_000))
    actions.do_cast_ballot(heading, voter=personas.citizen, choices=[{"project": a.pk, "points": 3},
                                                                  {"project": c.pk, "points": 2}])
    actions.do_cast_ballot(heading, voter=personas.other_citizen, choices=[{"project": b.pk, "points": 4}])
    actions.do_run_selection(heading, check=False)
    text = export(cycle)
    assert check(text)["errors"] == {}
    election = parse(text)
    assert election.meta["country"] == "Russian Federation" and election.meta["currency"] == "RUB"
    assert f"user:{personas.citizen.pk}" not in text  # voters are numbers in the file, not accounts
    assert {p: row["selected"] for p, row in election.projects.items()} == {str(b.pk): "1", str(a.pk): "0",
                                                                           str(c.pk): "1"}


# --- the five outcomes (rebuilt as small files) ----------------------------------------------------

def approvals(counts: dict[str, int]) -> list[str]:
    """One voter per approval: the file's votes column and its VOTES agree."""
    return [f"{project}-{i};{project}" for project, n in counts.items() for i in range(n)]


def cumulative(spread: dict[str, tuple[int, int]]) -> list[str]:
    """``votes`` voters per project giving it ``score`` points in all (1 to 3 each)."""
    rows = []
    for project, (votes, score) in spread.items():
        extra = score - votes
        for i in range(votes):
            give = min(2, extra)
            extra -= give
            rows.append(f"{project}-{i};{project};{1 + give}")
    return rows


FIVE = {
    # Warszawa 2019 Bródno: two projects tie at the edge of the money; the city funded the one its
    # ranking (the order of PROJECTS) lists first, not the one with the smaller id
    "bródno": pb({"budget": "100"}, ["2188;60;3;A;1", "1404;40;2;B;1", "917;40;2;C;0"],
                 approvals({"2188": 3, "1404": 2, "917": 2})),
    # Warszawa 2019 Okęcie: the tie is between a dear and a cheap project; funding the dear one
    # (listed first) leaves room for the next one
    "okęcie": pb({"budget": "100"}, ["12;70;5;A;1", "7;50;5;B;0", "30;30;4;C;1"],
                 approvals({"12": 5, "7": 5, "30": 4})),
    # Warszawa 2020 Rembertów: three projects tie; the first two listed were funded
    "rembertów": pb({"budget": "80"}, ["8;40;4;A;1", "3;40;4;B;1", "5;40;4;C;0"],
                    approvals({"8": 4, "3": 4, "5": 4})),
    # Warszawa 2018 Niskie Okęcie: 10% of the votes were needed; the file declares the threshold
    # with a plain greedy rule and a cheap project below it is not funded although it fits
    "niskie okęcie": pb({"budget": "100", "min_project_score_threshold": "6"},
                        ["1;50;30;A;1", "2;30;20;B;1", "3;10;5;C;0", "4;5;6;D;1"],
                        approvals({"1": 30, "2": 20, "3": 5, "4": 6})),
    # Katowice 2025 Kostuchna: cumulative ballots, ranked and thresholded by the points (score),
    # not by the voters (votes); the rule is declared `greedy` with a threshold of 50 points, and
    # C (49 points) would fit in what is left
    "kostuchna": pb({"budget": "100", "vote_type": "cumulative", "max_sum_points": "3",
                     "min_project_score_threshold": "50"},
                    ["1;60;45;90;A;1", "2;60;60;80;B;0", "3;15;40;49;C;0", "4;20;30;60;D;1"],
                    cumulative({"1": (45, 90), "2": (60, 80), "3": (40, 49), "4": (30, 60)}),
                    project_header="project_id;cost;votes;score;name;selected", vote_header="voter_id;vote;points"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(FIVE))
def test_the_official_outcome_of_the_five(tmp_path, case):
    path = tmp_path / "case.pb"
    path.write_text(FIVE[case], encoding="utf-8")
    election = parse(FIVE[case])
    official = {p for p, row in election.projects.items() if row["selected"] == "1"}
    [result], failure = run_json("pabulib_winners", path)
    assert failure is None and set(result["selected"]) == official
    [imported], _ = run_json("import_pabulib", path)
    assert imported["disagreements"] == []  # the ballots give the file's own tallies: the rule decides
    assert Project.objects.count() == len(election.projects) and BallotChoice.objects.exists()
