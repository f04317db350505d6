"""The leadership report: one self-contained HTML file with its maps, charts and tables."""
from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from analytics.tasks import snapshot_hotspots
from issues.models import Appeal
from tiles import aggregates, cache

from .conftest import END

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


def note(page: str, name: str) -> str:
    return html.unescape(re.search(rf'<p class="note" id="{name}">([^<]*)</p>', page).group(1))


def test_the_leadership_view_has_the_report_button(dataset, personas, clock, settings):
    from analytics.params import current_period

    window = {"days": 60, "eps": 50, "minpoints": 3}  # the fixed dataset's clusters (test_insights.py)
    settings.ANALYTICS_HOTSPOTS_DEFAULTS = settings.ANALYTICS_REPORT_HOTSPOTS = window
    page = personas.client("leader").get("/leadership/").content.decode()
    href = re.search(r'id="leadership-report" href="([^"]+)"', page).group(1)
    response = personas.client("leader").get(href)
    assert response.status_code == 200
    quarter = current_period(clock()).code  # the dataset's clock: 2026-Q3
    assert response["Content-Disposition"] == f'attachment; filename="leadership-report-{quarter}.html"'
    live = response.content.decode("utf-8")
    assert len(documents(live)) == 3  # heat map, choropleth, hotspots
    # nothing pre-computed yet: both maps computed live, over every appeal
    assert note(live, "heat-note") == "Все обращения за период по ячейкам 150 м."
    assert note(live, "hotspots-note") == "Рассчитаны при формировании доклада."
    aggregates.rebuild_all()
    cache.mark_aggregates_ready()  # on commit in production; this test runs in a transaction
    snapshot_hotspots()
    clock.at(END + dt.timedelta(minutes=5))
    served = personas.client("leader").get(href).content.decode("utf-8")
    assert len(documents(served)) == 3
    assert note(served, "heat-note").startswith("Опубликованные обращения за период по ячейкам карты портала около 680 м")
    assert note(served, "hotspots-note") == "По состоянию на 05.08.2026 10:00: рассчитываются в фоне, не старше 30 мин."
    clusters = re.findall(r"<tr><td>[^<]*</td><td>(\d+)</td>", served)
    assert clusters == re.findall(r"<tr><td>[^<]*</td><td>(\d+)</td>", live) == ["5", "3"]  # the same clusters
    # the key figures' medians (and the scorecard's) now come from the histograms: both say so
    assert live.count("approximate-note") == 0 and served.count("approximate-note") == 2


def test_hotspots_of_a_past_period_past_their_budget_are_said_not_computed(db, settings):
    from analytics.params import parse_period
    from analytics.report import hotspot_map
    from tests.geoportal.test_statement_timeout import _locker

    settings.ANALYTICS_REPORT_HOTSPOTS_BUDGET_S = 1
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        before = cursor.fetchone()[0]
    # the clustering waits behind a lock on the appeals (this test writes none: nothing to wait for
    # on the locker's side), so the budget runs out whatever the machine's speed
    with _locker() as other:
        other.execute(f"LOCK TABLE {Appeal._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        try:
            document, clusters, said = hotspot_map(parse_period("2026-Q3"), (56.3, 44.0), END + dt.timedelta(days=90))
        finally:
            other.rollback()
    assert (document, clusters) == ("", [])
    assert said == "Очаги за этот период не рассчитаны: расчёт занял бы больше 1 с."
    with connection.cursor() as cursor:  # the budget held only inside
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == before
