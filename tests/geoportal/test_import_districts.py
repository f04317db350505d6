"""import_districts: reprojection, repair, and refusal without writing on bad files."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from geoportal.models import District

pytestmark = pytest.mark.django_db


def _write(path: Path, features: list[dict[str, object]], crs: str | None = None) -> Path:
    doc: dict[str, object] = {"type": "FeatureCollection", "features": features}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _feature(props: dict[str, object], geometry: dict[str, object]) -> dict[str, object]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


SQUARE_3857 = {"type": "Polygon", "coordinates": [[[4898000, 7626000], [4900000, 7626000], [4900000, 7628000],
                                                   [4898000, 7628000], [4898000, 7626000]]]}
# A self-intersecting "bow tie": invalid, must be repaired.
BOWTIE = {"type": "Polygon", "coordinates": [[[44.0, 56.3], [44.1, 56.4], [44.1, 56.3], [44.0, 56.4], [44.0, 56.3]]]}


def test_imports_reprojects_and_repairs(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.geojson", [
        _feature({"NAME": "Первый", "CODE": "first", "POP": 1200}, SQUARE_3857),
    ], crs="urn:ogc:def:crs:EPSG::3857")
    call_command("import_districts", str(path), "--name-field", "NAME", "--code-field", "CODE",
                 "--population-field", "POP")
    district = District.objects.get(code="first")
    assert district.population == 1200
    lon, lat = district.boundary.centroid.coords
    assert 43.9 < lon < 44.1 and 56.3 < lat < 56.4  # metres became degrees

    bowtie = _write(tmp_path / "b.geojson", [_feature({"NAME": "Бабочка"}, BOWTIE)])
    call_command("import_districts", str(bowtie), "--name-field", "NAME")
    repaired = District.objects.get(name="Бабочка")
    assert repaired.boundary.valid
    assert len(repaired.boundary) == 2  # the two triangles of the bow tie


@pytest.mark.parametrize(
    ("features", "args", "message"),
    [
        ([_feature({"NAME": "X"}, BOWTIE)], ["--name-field", "TITLE"], "no field TITLE"),
        ([], ["--name-field", "NAME"], "no features"),
        ([_feature({"NAME": "A"}, BOWTIE), _feature({"NAME": "Точка"}, {"type": "Point", "coordinates": [44, 56]})],
         ["--name-field", "NAME"], "only polygons"),
        ([_feature({"NAME": "A", "C": "x"}, BOWTIE), _feature({"NAME": "B", "C": "x"}, SQUARE_3857)],
         ["--name-field", "NAME", "--code-field", "C"], "repeats"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_written(
    tmp_path: Path, features: list[dict[str, object]], args: list[str], message: str
) -> None:
    path = _write(tmp_path / "bad.geojson", features)
    with pytest.raises(CommandError, match=message):
        call_command("import_districts", str(path), *args)
    assert District.objects.count() == 0


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_districts", str(tmp_path / "none.geojson"), "--name-field", "N")
    garbage = tmp_path / "garbage.geojson"
    garbage.write_text("this is not json")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_districts", str(garbage), "--name-field", "N")


def test_geopackage_input(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    frame = gpd.GeoDataFrame({"title": ["Пакетный"]}, geometry=[box(44.0, 56.3, 44.05, 56.33)], crs=4326)
    path = tmp_path / "d.gpkg"
    frame.to_file(path, driver="GPKG")
    call_command("import_districts", str(path), "--name-field", "title")
    assert District.objects.filter(name="Пакетный").exists()
