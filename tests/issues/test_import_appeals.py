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


SPB_SAMPLE = Path(__file__).resolve().parent.parent / "data" / "appeals" / "spb_sample.csv"
SPB_MAPPING = Path(__file__).resolve().parent.parent.parent / "fixtures" / "mappings" / "spb_appeals.json"


def test_a_real_archive_loads_through_the_column_mapping_and_trains_a_router_seen_in_admin(region, tmp_path,
                                                                                          client):
    """St Petersburg's columns (object › category › reason, executor, created_at, district) through
    fixtures/mappings/spb_appeals.json: the region's classifier and executors are created, the
    history trains a router whose quality beside LinearSVC shows in /admin/routing/."""
    from geoportal.models import Agency, User
    from issues.models import Category
    from issues.routing_data import training_rows
    from routing import registry

    lines = SPB_SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    import csv

    records = list(csv.reader(lines))
    sample = tmp_path / "spb.csv"
    with sample.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(records[:301])  # the header and the 300 oldest appeals of the sample
    out, err = io.StringIO(), io.StringIO()
    call_command("import_appeals", "--csv", str(sample), "--mapping", str(SPB_MAPPING), stdout=out, stderr=err)
    imported = int(out.getvalue().split("imported ")[1].split(" ")[0])
    short = sum(1 for r in records[1:301] if len(" ".join(r[9].split())) < 10)
    assert imported == 300 - short and f"rejected {short} rows" in out.getvalue()
    first = records[1]
    appeal = Appeal.objects.get(text=" ".join(first[9].split()))
    assert [c.name for c in reversed(appeal.category.lineage())] == first[6:9]  # object › category › reason
    assert appeal.responsible_agency.name == first[11] and appeal.status == Status.CLOSED
    assert appeal.location is not None and abs(appeal.location.y - float(first[4])) < 1e-6
    assert Agency.objects.filter(name=first[11]).count() == 1  # created once, reused by later rows
    assert Category.objects.filter(name=first[6], parent=None).count() == 1
    again = io.StringIO()
    call_command("import_appeals", "--csv", str(sample), "--mapping", str(SPB_MAPPING), "--dry-run", stdout=again,
                 stderr=io.StringIO())
    assert Appeal.objects.count() == imported  # a dry run writes nothing

    rows, labels, times = training_rows()
    assert len(rows) == imported and rows[0].category_path[0] == appeal.category.code if rows else False
    record = registry.train_and_register(rows, labels, times, activate=True, params={"max_iter": 30})
    assert {"accuracy", "baseline_linear_accuracy", "baseline_rule_accuracy", "coverage_at_95"} <= set(record.metrics)
    client.force_login(User.objects.filter(is_superuser=True).first())
    page = client.get("/admin/routing/routermodel/").content.decode()
    assert "LinearSVC" in page and f"{record.metrics['baseline_linear_accuracy']:.3f}" in page
