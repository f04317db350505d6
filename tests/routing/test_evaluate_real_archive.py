"""evaluate_router the way a city would judge it, on real St Petersburg appeals: a later file or
a time split, LinearSVC beside the router, per-agency report, readable errors with exit code 1."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from routing.models import RouterModel

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "appeals" / "spb_sample.csv"
ROOT = Path(__file__).resolve().parent.parent.parent
SPB = ["--label", "executor", "--text", "text", "--category", "city_object,category,reason", "--lat", "lat",
       "--lon", "lon", "--district", "district"]
KEYS = {"rows", "classes", "accuracy", "macro_f1", "baseline_rule_accuracy", "baseline_majority_accuracy",
        "coverage_at_95", "calibration_error", "baseline_linear_accuracy"}


def run(*args: str) -> str:
    out = StringIO()
    call_command("evaluate_router", *args, stdout=out)
    return out.getvalue()


def _halves(tmp_path: Path, rows: int = 700) -> tuple[Path, Path]:
    """The sample's first ``rows`` appeals by time: older 80% and newer 20% as two files."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    import csv

    records = list(csv.reader(lines))
    header, body = records[0], records[1:rows + 1]
    cut = int(len(body) * 0.8)
    paths = []
    for name, part in (("older.csv", body[:cut]), ("newer.csv", body[cut:])):
        path = tmp_path / name
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([header, *part])
        paths.append(path)
    return paths[0], paths[1]


@pytest.mark.django_db
def test_train_on_earlier_months_test_on_a_later_file_beside_linearsvc(tmp_path: Path) -> None:
    older, newer = _halves(tmp_path)
    out = run("--csv", str(older), "--test-csv", str(newer), *SPB, "--report", "per-class", "--json")
    summary = json.loads(out.strip().splitlines()[-1])
    assert KEYS <= set(summary)
    assert summary["rows"] == 140 and summary["train_rows"] == 560 and summary["split"] == "test-csv"
    assert summary["accuracy"] > summary["baseline_majority_accuracy"] + 0.4
    assert 0.4 < summary["baseline_linear_accuracy"] <= 1
    assert "LinearSVC:" in out and "Таблица правил:" in out
    # per-agency precision / recall lines, the biggest agency of the test file first
    assert "Ведомство: точность (precision) / полнота (recall)" in out
    assert "СПб ГКУ" in out.split("Ведомство: точность")[1]
    assert not RouterModel.objects.exists()  # nothing written


@pytest.mark.django_db
def test_time_column_splits_one_file_into_older_and_newer_appeals(tmp_path: Path) -> None:
    older, _newer = _halves(tmp_path, rows=500)
    out = run("--csv", str(older), "--time-column", "created_at", *SPB, "--json")
    summary = json.loads(out.strip().splitlines()[-1])
    assert KEYS <= set(summary)
    assert summary["rows"] == 80 and summary["train_rows"] == 320 and summary["split"].startswith("time")


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "message"), [
    ("empty_file", "Файл пуст"),
    ("header_only", "нет ни одного значения"),
    ("missing_category_column", "нет колонок: --category 'reason_x'"),
    ("not_a_time_column", "нет ни одной даты"),
    ("test_file_missing_column", "newer.csv: В файле нет колонок"),
    ("one_executor", "меньше двух разных значений"),
    ("wrong_encoding", "кодировке utf-8"),
])
def test_bad_archives_get_a_clear_message(tmp_path: Path, case: str, message: str) -> None:
    older, newer = _halves(tmp_path, rows=60)
    args = ["--csv", str(older), *SPB]
    if case == "empty_file":
        older.write_text("", encoding="utf-8")
    elif case == "header_only":
        older.write_text(older.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    elif case == "missing_category_column":
        args[args.index("city_object,category,reason")] = "city_object,category,reason_x"
    elif case == "not_a_time_column":
        args += ["--time-column", "district"]
    elif case == "test_file_missing_column":
        newer.write_text("executor,text\nА,б\n", encoding="utf-8")
        args += ["--test-csv", str(newer)]
    elif case == "one_executor":
        older.write_text("executor,text,city_object,category,reason,lat,lon,district\n"
                         + "ЖА,лифт,Дом,МКД,Лифт,59.9,30.3,Невский\n" * 5, encoding="utf-8")
    elif case == "wrong_encoding":
        older.write_bytes(older.read_text(encoding="utf-8").encode("cp1251", errors="replace"))
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_the_command_line_exits_with_code_1_and_no_traceback(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "geoportal.settings"}
    done = subprocess.run([sys.executable, str(ROOT / "manage.py"), "evaluate_router", "--csv", str(empty),
                           "--label", "executor"], capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    assert done.returncode == 1
    assert "Файл пуст" in done.stderr and "Traceback" not in done.stderr
