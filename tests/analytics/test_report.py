"""The leadership report: one self-contained HTML file with its maps, charts and tables."""
from __future__ import annotations

import html
import json
import re

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db
EXTERNAL = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.I)


def documents(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'srcdoc="([^"]*)"', page)]


def test_report_is_self_contained_and_holds_its_maps(dataset, tmp_path, artifacts_dir, settings):
    settings.ANALYTICS_REPORT_HOTSPOTS = {"days": 92, "eps": 50, "minpoints": 3}
    out = tmp_path / "report.html"
    call_command("leadership_report", period="2026-Q3", out=str(out))
    page = out.read_text(encoding="utf-8")
    (artifacts_dir / "leadership-report.html").write_text(page, encoding="utf-8")
    maps = documents(page)
    assert len(maps) == 3
    heat, choropleth, hotspots = maps
    assert "L.heatLayer(" in heat and "simpleheat" in heat  # the heat plugin is inlined
    central = json.dumps("Центральный")[1:-1]  # folium writes the GeoJSON with \\u escapes
    assert central in choropleth and "per_1000" in choropleth and "L.geoJson(" in choropleth
    assert "L.circle(" in hotspots
    for document in [page, *maps]:
        assert not EXTERNAL.search(document), EXTERNAL.search(document)
        assert "@import" not in document
    for document in maps:
        assert "L.map(" in document and "Leaflet 1.9.4" in document  # vendored Leaflet inlined
        urls = set(re.findall(r"https?://[^\s\"'<>)]+", document))
        tiles = {u for u in urls if "{z}" in u}
        assert tiles, "the base map tiles are the only network address the maps use"
    # the scorecard table, the charts and the comparison with the previous quarter
    assert "Комдорхоз" in page and "Горсвет" in page and "<svg" in page
    assert "2 квартал 2026 г." in page and "Наибольшие изменения" in page
    assert "Яма на дороге" not in page  # no free text


def test_bad_arguments_write_nothing(region, tmp_path):
    with pytest.raises(CommandError, match="period"):
        call_command("leadership_report", period="2026-Q9", out=str(tmp_path / "r.html"))
    with pytest.raises(CommandError, match="out"):
        call_command("leadership_report", period="2026-Q3", out=str(tmp_path / "missing" / "r.html"))
    assert list(tmp_path.iterdir()) == []


def test_report_download_is_for_leaders_only(dataset, personas):
    for name in ("anonymous", "citizen", "operator", "executor_a", "moderator"):
        response = personas.client(name).get("/stats/leadership/report", {"period": "2026-Q3"})
        assert response.status_code in (302, 403), name
    response = personas.client("leader").get("/stats/leadership/report", {"period": "2026-Q3"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert len(documents(response.content.decode("utf-8"))) == 3
    assert personas.client("admin").get("/stats/leadership/report", {"period": "bad"}).status_code == 400


def test_the_leadership_view_has_the_report_button(dataset, personas, clock):
    import re

    from analytics.params import current_period

    page = personas.client("leader").get("/leadership/").content.decode()
    href = re.search(r'id="leadership-report" href="([^"]+)"', page).group(1)
    response = personas.client("leader").get(href)
    assert response.status_code == 200
    quarter = current_period(clock()).code  # the dataset's clock: 2026-Q3
    assert response["Content-Disposition"] == f'attachment; filename="leadership-report-{quarter}.html"'
    assert len(documents(response.content.decode("utf-8"))) == 3  # heat map, choropleth, hotspots
