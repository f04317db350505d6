"""Open data exports open with geopandas, carry the right rows and only the documented columns."""
from __future__ import annotations

import pytest

gpd = pytest.importorskip("geopandas")

from analytics.opendata import COLUMNS  # noqa: E402

pytestmark = pytest.mark.django_db
JULY = {"period_start": "2026-07-01", "period_end": "2026-07-31"}


def download(client, fmt, tmp_path, **params):
    response = client.get(f"/api/v1/opendata/appeals.{fmt}", params)
    assert response.status_code == 200, getattr(response, "content", b"")[:500]
    path = tmp_path / f"appeals.{fmt}"
    path.write_bytes(b"".join(response.streaming_content))
    assert response["X-Licence"] == "CC-BY-4.0"
    return path


@pytest.mark.parametrize("fmt", ["csv", "geojson", "gpkg"])
def test_exports_open_with_geopandas_and_hold_the_public_appeals(dataset, personas, tmp_path, fmt):
    path = download(personas.client("anonymous"), fmt, tmp_path, **JULY)
    if fmt == "csv":
        frame = gpd.read_file(path, X_POSSIBLE_NAMES="lon", Y_POSSIBLE_NAMES="lat", KEEP_GEOM_COLUMNS="YES")
    else:
        frame = gpd.read_file(path)
    # A1–A7; A8 is hidden from the public
    assert sorted(frame["number"]) == sorted(dataset[n].number for n in ("A1", "A2", "A3", "A4", "A5", "A6", "A7"))
    assert [c for c in frame.columns if c != "geometry"][: len(COLUMNS) - 2] == [
        c for c in COLUMNS if c not in ("lon", "lat")] or set(COLUMNS) <= set(frame.columns)
    for forbidden in ("text", "answer_text", "address", "author", "author_name", "author_contact", "executor"):
        assert forbidden not in frame.columns
    a1 = frame[frame["number"] == dataset["A1"].number].iloc[0]
    point = dataset["A1"].location
    assert a1.geometry.x == pytest.approx(round(point.x, 4)) and a1.geometry.y == pytest.approx(round(point.y, 4))
    assert str(a1["status"]) == "closed" and str(a1["agency"]) == "Комдорхоз"
    assert a1["answered_on_time"] in (True, 1, "true")
    a2 = frame[frame["number"] == dataset["A2"].number].iloc[0]
    assert a2["answered_on_time"] in (False, 0, "false") and float(a2["days_to_answer"]) == 16.0


def test_period_and_category_filters(dataset, personas, tmp_path):
    client = personas.client("anonymous")
    path = download(client, "geojson", tmp_path, period_start="2026-07-01", period_end="2026-07-30")
    assert len(gpd.read_file(path)) == 6  # A7 came on 07-31
    path = download(client, "gpkg", tmp_path, category=dataset["A1"].category_id, **JULY)
    assert sorted(gpd.read_file(path)["number"]) == sorted(
        dataset[n].number for n in ("A1", "A2", "A3", "A6", "A7"))
    path = download(client, "gpkg", tmp_path, period_start="2020-01-01", period_end="2020-01-31")
    assert len(gpd.read_file(path)) == 0


def test_schema_and_bad_parameters(region, personas):
    client = personas.client("anonymous")
    schema = client.get("/api/v1/opendata/schema").json()
    assert [f["name"] for f in schema["fields"]] == COLUMNS
    assert "CC BY 4.0" in schema["licence"]["name"]
    for params in ({"period_start": "July"}, {"period_start": "2026-08-01", "period_end": "2026-07-01"},
                   {"category": "roads"}, {"author": "x"}):
        response = client.get("/api/v1/opendata/appeals.csv", params)
        assert response.status_code == 400
    assert client.get("/api/v1/opendata/appeals.xls").status_code == 404
