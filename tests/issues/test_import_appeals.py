"""import_appeals: an archive becomes closed appeals; bad rows are reported by line number."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from issues.models import Appeal, Status

pytestmark = pytest.mark.django_db

CSV = """Номер;Текст;Рубрика;Исполнитель;Дата;Широта;Долгота;Результат
1;<p>Не горит фонарь у дома 3 по ул. Минина</p>;light-street;Горсвет;01.03.2025;56.3269;44.0059;меры приняты
2;Яма;roads-potholes;Комдорхоз;02.03.2025;56.32;44.01;разъяснено
3;Большая яма на дороге у остановки;Ямы и выбоины на дороге;Комдорхоз;03.03.2025;;;поддержано
4;Переполнены контейнеры во дворе дома;waste-container;Нет такого;04.03.2025;56.33;44.02;разъяснено
5;Переполнены контейнеры во дворе дома;waste-container;Экология-Юг;35.03.2025;56.30;44.02;разъяснено
6;Не работает светофор на перекрёстке;roads-traffic-lights;Комдорхоз;05.03.2025;abc;44.02;разъяснено
"""


def _files(tmp_path: Path) -> tuple[Path, Path]:
    csv_path = tmp_path / "archive.csv"
    csv_path.write_text(CSV, encoding="utf-8")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"text": "Текст", "category": "Рубрика", "agency": "Исполнитель",
                                   "received_at": "Дата", "lat": "Широта", "lon": "Долгота",
                                   "result": "Результат", "delimiter": ";", "date_format": "%d.%m.%Y"},
                                  ensure_ascii=False), encoding="utf-8")
    return csv_path, mapping


def test_good_rows_load_bad_rows_are_reported(region, tmp_path):
    csv_path, mapping = _files(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    call_command("import_appeals", "--csv", str(csv_path), "--mapping", str(mapping), stdout=out, stderr=err)
    assert "imported 2 appeals; rejected 4 rows" in out.getvalue()
    report = err.getvalue()
    for line, words in ((3, "text is empty or shorter than 10"), (5, "unknown agency"), (6, "date '35.03.2025'"),
                        (7, "lat/lon are not numbers")):
        assert f"line {line}: {words}" in report
    appeals = list(Appeal.objects.order_by("received_at"))
    assert [a.status for a in appeals] == [Status.CLOSED, Status.CLOSED]
    first, second = appeals
    assert first.text.startswith("Не горит фонарь") and "<p>" not in first.text
    assert first.district is not None and first.responsible_agency.short_name == "Горсвет"
    assert first.result == "measures_taken"
    assert second.location is None and second.category.code == "roads-potholes"
    assert list(first.events.values_list("kind", flat=True)) == ["submit", "register", "route", "answer", "close"]


def test_dry_run_writes_nothing_and_bad_mapping_is_clear(region, tmp_path):
    csv_path, mapping = _files(tmp_path)
    out = io.StringIO()
    call_command("import_appeals", "--csv", str(csv_path), "--mapping", str(mapping), "--dry-run", stdout=out,
                 stderr=io.StringIO())
    assert "2 rows valid, 4 rows rejected" in out.getvalue() and Appeal.objects.count() == 0
    broken = tmp_path / "broken.json"
    broken.write_text('{"text": "Текст"}', encoding="utf-8")
    with pytest.raises(CommandError, match="must name columns for category, agency, received_at"):
        call_command("import_appeals", "--csv", str(csv_path), "--mapping", str(broken))
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"text": "Нет", "category": "Рубрика", "agency": "Исполнитель",
                                 "received_at": "Дата", "delimiter": ";"}), encoding="utf-8")
    with pytest.raises(CommandError, match="no column Нет"):
        call_command("import_appeals", "--csv", str(csv_path), "--mapping", str(wrong))
