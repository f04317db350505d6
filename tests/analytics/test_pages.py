"""Statistics pages: the figures match the API; who may open what; screenshots at desk and phone size."""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def values(html: str, table: str) -> dict[str, dict[str, str]]:
    section = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for key, body in re.findall(r'<tr data-key="([^"]*)">(.*?)</tr>', section, re.S):
        rows[key] = dict(re.findall(r'data-metric="(\w+)"(?: data-value="([^"]*)")?', body))
        rows[key]["count"] = re.search(r'data-metric="count">([^<]*)<', body).group(1).replace(" ", "")
    return rows


@pytest.mark.parametrize("who", ["anonymous", "leader"])
def test_public_stats_page_figures_match_the_api(dataset, personas, who):
    client = personas.client(who)
    page = client.get("/stats/", {"period": "2026-Q3"}).content.decode()
    api = client.get("/api/v1/stats/appeals", {"period": "2026-Q3", "metrics": "count,on_time_share,median_days,"
                                               "resolved_share,satisfaction_avg,answered"}).json()
    total = api["results"][-1]
    assert f'data-metric="count" data-value="{total["count"]}"' in page
    for metric in ("on_time_share", "median_days", "resolved_share", "satisfaction_avg", "answered"):
        assert f'data-metric="{metric}" data-value="{total[metric]}"' in page, metric
    assert total["count"] == (7 if who == "anonymous" else 8)
    for dim, table in (("district", "districts"), ("agency", "agencies")):
        rows = {str(r[dim]): r for r in client.get("/api/v1/stats/appeals", {
            "period": "2026-Q3", "rows": dim, "metrics": "count,on_time_share"}).json()["results"] if r["level"] == "row"}
        shown = values(page, table)
        assert set(shown) == {k for k in rows if k != "None"} | ({""} if "None" in rows else set())
        for key, row in rows.items():
            key = "" if key == "None" else key
            assert int(shown[key]["count"]) == row["count"]
            assert shown[key]["on_time_share"] == str(row["on_time_share"])
    assert "Сидоров" not in page and "Яма на дороге" not in page


def test_scorecard_and_pivot_pages_open_for_anyone_leadership_for_leaders(dataset, personas):
    anonymous = personas.client("anonymous")
    page = anonymous.get("/stats/agencies/", {"period": "2026-Q3"}).content.decode()
    assert "Комдорхоз" in page and re.search(r">0[.,]35<", page)  # the published weight of on-time answers
    assert 'id="weights"' in page and re.search(r'href="/stats/agencies/\d+/\?period=2026-Q3"', page)
    assert anonymous.get("/stats/agencies/", {"period": "Q9"}).status_code == 400
    assert anonymous.get("/stats/pivot/").status_code == 200
    assert anonymous.get("/stats/leadership/").status_code == 302
    assert personas.client("operator").get("/stats/leadership/").status_code == 403
    assert 'id="make-report"' in personas.client("leader").get("/stats/leadership/").content.decode()


@pytest.mark.browser
def test_scorecard_page_in_a_browser(transactional_db, live_server, personas, dataset, desk_page, phone_page,
                                     settings):
    from tests.browser import screenshot

    settings.ANALYTICS_SCORECARD_MIN_VOLUME = 1
    url = f"{live_server.url}/stats/agencies/?period=2026-Q3"
    for page, name in ((desk_page, "stats-agencies-desk"), (phone_page, "stats-agencies-phone")):
        page.goto(url)
        # the public sees Комдорхоз only: Горсвет's one appeal (A8) is hidden
        assert page.locator("#league tr[data-agency]").count() == 1
        assert "Комдорхоз" in page.inner_text("#league")
        assert page.locator("#weights tr").count() == 7
        screenshot(page, name)
    desk_page.goto(f"{live_server.url}/stats/pivot/")
    desk_page.wait_for_selector("#pivot-table tr td")
    assert "Итого" in desk_page.inner_text("#pivot-table")
    assert desk_page.locator("#pivot-chart svg rect").count() >= 2
    screenshot(desk_page, "stats-pivot-desk")
    phone_page.goto(f"{live_server.url}/stats/pivot/")
    phone_page.wait_for_selector("#pivot-chart svg rect")
    # the chart is drawn at the phone's width, so its 12 px labels are not scaled down
    assert int(phone_page.get_attribute("#pivot-chart svg", "width")) <= 390
    screenshot(phone_page, "stats-pivot-phone")
    desk_page.goto(f"{live_server.url}/stats/?period=2026-Q3")
    assert desk_page.inner_text('[data-metric="count"]').strip() == "7"
    screenshot(desk_page, "stats-public-desk")
    phone_page.goto(f"{live_server.url}/stats/?period=2026-Q3")
    assert phone_page.inner_text('[data-metric="count"]').strip() == "7"
    # the insights are asked for the period's end: the requests succeed and say what they found
    phone_page.wait_for_function("() => !document.getElementById('hotspots').textContent.includes('Загрузка')")
    phone_page.wait_for_function("() => !document.getElementById('rising').textContent.includes('Загрузка')")
    assert phone_page.inner_text("#hotspots") == "Очагов нет."  # 20 appeals make a hotspot; July has 7
    assert phone_page.inner_text("#rising") == "Роста сверх нормы нет."  # no history before July
    phone_page.wait_for_selector("#heatmap canvas.leaflet-heatmap-layer")
    screenshot(phone_page, "stats-public-phone")
    # drill-down from the league table to the appeals, on a phone
    phone_page.goto(url)
    phone_page.click("#league tr[data-agency] td:nth-child(2) a")
    phone_page.wait_for_selector("#appeals")
    assert phone_page.locator("#appeals li[data-appeal]").count() == 7
    screenshot(phone_page, "stats-agency-drilldown-phone")


@pytest.mark.browser
@pytest.mark.parametrize("path", ["/stats/?period=2026-Q3", "/stats/agencies/?period=2026-Q3", "/stats/pivot/"])
def test_statistics_pages_do_not_scroll_sideways_on_a_phone(transactional_db, live_server, dataset, phone_page,
                                                              path):
    """Wide tables scroll inside their own box; the page itself fits 390 px."""
    phone_page.goto(f"{live_server.url}{path}")
    phone_page.wait_for_load_state("networkidle")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
