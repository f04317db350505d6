"""evaluate_router on archive CSVs: k-fold CV with baselines, JSON summary, readable errors."""
from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from routing.models import RouterModel

from .helpers import write_archive_csv

ARGS = ["--label", "Ведомство", "--text", "Текст", "--category", "Рубрика", "--lat", "Широта", "--lon", "Долгота",
        "--district", "Район", "--delimiter", ";"]


def run(*args: str) -> str:
    out = StringIO()
    call_command("evaluate_router", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_evaluate_router_cross_validates_a_russian_archive_with_gaps(tmp_path: Path) -> None:
    path = write_archive_csv(tmp_path / "archive.csv")
    out = run("--csv", str(path), *ARGS, "--folds", "4", "--json")
    summary = json.loads(out.strip().splitlines()[-1])
    assert {"rows", "classes", "accuracy", "macro_f1", "baseline_rule_accuracy", "baseline_majority_accuracy",
            "coverage_at_95"} <= set(summary)
    assert summary["rows"] == 241 and summary["classes"] == 6  # five agencies + one with a single appeal
    assert summary["rows_without_point"] > 30
    # the side of the city decides roads and waste: text says it, coordinates say it when present
    assert summary["accuracy"] > 0.85
    assert summary["accuracy"] > summary["baseline_majority_accuracy"] + 0.4
    assert summary["accuracy"] >= summary["baseline_rule_accuracy"]
    assert 0 < summary["coverage_at_95"] <= 1
    assert 0 <= summary["macro_f1"] <= 1
    assert "Таблица правил" in out and "Автоматически при точности ≥ 95%" in out
    assert not RouterModel.objects.exists()  # nothing written


@pytest.mark.django_db
def test_evaluate_router_reads_other_encodings_and_minimal_columns(tmp_path: Path) -> None:
    path = write_archive_csv(tmp_path / "cp1251.csv", n=90, encoding="cp1251")
    out = run("--csv", str(path), "--label", "Ведомство", "--text", "Текст", "--delimiter", ";",
              "--encoding", "cp1251", "--folds", "3", "--json")
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["rows"] == 91 and summary["accuracy"] > summary["baseline_majority_accuracy"]


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "message"), [
    ("missing_file", "Файл не найден"),
    ("missing_column", "нет колонок: --text 'Описание'"),
    ("bad_encoding", "кодировке utf-8"),
    ("unknown_encoding", "Неизвестная кодировка"),
    ("one_class", "меньше двух"),
    ("lat_without_lon", "обе колонки координат"),
])
def test_evaluate_router_bad_input_gives_a_readable_error(tmp_path: Path, case: str, message: str) -> None:
    path = write_archive_csv(tmp_path / "a.csv", n=30)
    args = ["--csv", str(path), "--label", "Ведомство", "--text", "Текст", "--delimiter", ";"]
    if case == "missing_file":
        args[1] = str(tmp_path / "nope.csv")
    elif case == "missing_column":
        args[5] = "Описание"
    elif case == "bad_encoding":
        write_archive_csv(path, n=30, encoding="cp1251")
    elif case == "unknown_encoding":
        args += ["--encoding", "klingon"]
    elif case == "one_class":
        path.write_text("Ведомство;Текст\nГорсвет;фонарь\nГорсвет;фонари\nГорсвет;темно\n", encoding="utf-8")
    elif case == "lat_without_lon":
        args += ["--lat", "Широта"]
    with pytest.raises(CommandError, match=message):
        run(*args)
