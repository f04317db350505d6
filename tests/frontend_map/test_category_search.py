"""The report form's category search understands Russian as people type it: every everyday
phrasing in tests/data/category_phrasings.tsv (word forms, synonyms, misspellings, words in any
order) puts its expected category first. The page's own script runs in node (no copy of the
algorithm in Python); the browser journey in test_desks_browser.py runs it in Chromium."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from issues.categories_data import TREE

ROOT = Path(__file__).resolve().parent
PHRASINGS = ROOT.parent / "data" / "category_phrasings.tsv"
NODE = shutil.which("node") or shutil.which("nodejs")


def categories() -> list[dict[str, object]]:
    return [{"id": n, "code": leaf.code, "name": leaf.name, "group": group}
            for n, (_code, group, _en, leaves) in enumerate(TREE) for leaf in leaves]


def phrasings() -> list[tuple[str, str]]:
    rows = [line.split("\t") for line in PHRASINGS.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    return [(query.strip(), code.strip()) for query, code in rows]


def run(queries: list[str]) -> list[list[str]]:
    assert NODE, "node is installed by scripts/setup.sh (npm pulls it in)"
    result = subprocess.run([NODE, str(ROOT / "category_search_runner.js")], check=True, capture_output=True,
                            input=json.dumps({"categories": categories(), "queries": queries}).encode(), timeout=60)
    return json.loads(result.stdout)


def test_every_everyday_phrasing_puts_its_category_first():
    cases = phrasings()
    assert len(cases) >= 60
    known = {c["code"] for c in categories()}
    assert {code for _q, code in cases} <= known
    tops = run([query for query, _code in cases])
    misses = [(query, code, top) for (query, code), top in zip(cases, tops, strict=True) if not top or top[0] != code]
    assert misses == []


@pytest.mark.parametrize(("query", "expected"), [
    ("", []),  # nothing typed: no suggestion
    ("абракадабра", []),  # nothing like any category
    ("xyz", []),
])
def test_nonsense_suggests_nothing(query, expected):
    assert run([query]) == [expected]


def test_word_forms_share_a_stem_and_typos_are_close():
    script = ("const s = require(process.argv[1]);"
              "process.stdout.write(JSON.stringify([['яма','ямы','ям','ямой'].map(s.stem),"
              "s.distance('фанарь','фонарь',2), s.distance('светофор','светафор',2), s.distance('яма','дом',1)]))")
    path = str(ROOT.parent.parent / "frontend_map" / "static" / "frontend_map" / "category-search.js")
    out = json.loads(subprocess.run([NODE or "node", "-e", script, path], check=True, capture_output=True,
                                    timeout=60).stdout)
    assert out == [["ям", "ям", "ям", "ям"], 1, 1, 2]
