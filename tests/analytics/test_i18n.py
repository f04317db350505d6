"""The statistics pages and the leadership report in English: every label, heading, hint and
script message is translated; what stays Russian is data (district, agency and category names,
appeal numbers). The Russian pages keep their wording."""
from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.utils import translation

pytestmark = pytest.mark.django_db
CYRILLIC = re.compile(r"[\u0400-\u04ff]+")
# attributes a reader sees or hears (tooltips, placeholders, phone-card labels, screen readers) and
# the data- attributes the page's script takes its messages from
SHOWN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt", "value")


class VisibleText(HTMLParser):
    """Text nodes outside <script>/<style> plus the attributes above and every data-* attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.hidden += 1
        for name, value in attrs:
            if value and (name in SHOWN_ATTRIBUTES or name.startswith("data-")) and name != "srcdoc":
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden and data.strip():
            self.parts.append(" ".join(data.split()))


def data_names() -> list[str]:
    """Proper names that come from the database and stay Russian, longest first: districts and
    agencies (the register has no English names for them) and categories without an English name."""
    from geoportal.models import Agency, District
    from issues.models import Category

    names = [*District.objects.values_list("name", flat=True), *Agency.objects.values_list("name", flat=True),
             *Agency.objects.exclude(short_name="").values_list("short_name", flat=True),
             *Category.objects.filter(name_en="").values_list("name", flat=True)]
    return sorted(set(names), key=len, reverse=True)


def foreign_words(html: str, *, keep: str = "<main") -> list[str]:
    """Cyrillic words a reader of the English page would see that are not data. ``keep``: the part
    of the document checked (the statistics pages' own <main>; the site's frame is not ours)."""
    if keep in html:
        html = html[html.index(keep):]
    parser = VisibleText()
    parser.feed(html)
    text = "\n".join(parser.parts)
    for name in data_names():
        text = text.replace(name, " ")
    text = re.sub(r"А-\d{4}-\d+", " ", text)  # appeal numbers
    return CYRILLIC.findall(text)


def english(client: Any) -> Any:
    client.cookies["django_language"] = "en"
    return client


PAGES = [
    ("anonymous", "/stats/?period=2026-Q3",
     ["Citizens' appeal statistics: Q3 2026", "Appeals received", "What concerns residents", "By district",
      "By agency", "Loading…", "No growth above the norm.", "No hotspots.", "appeals against a norm of"]),
    ("leader", "/stats/?period=2026-Q3", ["Based on all appeals (staff view;", "as residents see it"]),
    ("anonymous", "/stats/", ["Heat map for 90 days", "Per 1,000 residents"]),
    ("anonymous", "/stats/agencies/?period=2026-Q3",
     ["Agency league table: Q3 2026", "How the composite score is calculated", "share answered on time (0…1)",
      "← Q2 2026", "12-month trend"]),
    ("leader", "/stats/agencies/{roads}/?period=2026-Q3&show=overdue",
     ["Appeals per month", "on time", "overdue", "all appeals", "{potholes}"]),
    ("anonymous", "/stats/pivot/", ["Appeals in any slice", "Rows", "Columns", "— none —", "all time", "Build",
                                    'data-total="Total"', "median calendar days from registration to answer"]),
    ("leader", "/stats/leadership/", ["Leadership report", "Generate the report", "From the command line:"]),
]


@pytest.mark.parametrize(("who", "url", "expected"), PAGES, ids=[p[1] for p in PAGES])
def test_statistics_pages_in_english_show_no_russian_but_data(dataset, personas, settings, who, url, expected):
    from geoportal.models import Agency

    settings.ANALYTICS_SCORECARD_MIN_VOLUME = 1
    from issues.models import Category

    url = url.format(roads=Agency.objects.get(short_name="Комдорхоз").pk)
    expected = [text.format(potholes=Category.objects.get(code="roads-potholes").name_en) for text in expected]
    russian = personas.client(who).get(url)
    page = english(personas.client(who)).get(url)
    assert page.status_code == russian.status_code == 200
    html = page.content.decode()
    for text in expected:
        assert text in html, text
    assert foreign_words(html) == []
    # the check sees Russian where there is some: the same page in Russian is full of it
    assert len(foreign_words(russian.content.decode())) > 20


def test_the_no_district_row_and_refusals_follow_the_language(dataset, personas):
    from analytics.catalog import DIMENSIONS
    from issues.models import Appeal

    Appeal.objects.filter(pk=dataset["A7"].pk).update(district=None)
    client = english(personas.client("leader"))
    page = client.get("/stats/", {"period": "2026-Q3"}).content.decode()
    assert '<tr data-key=""><td class="name">not specified</td>' in page
    assert "не указано" in personas.client("leader").get("/stats/", {"period": "2026-Q3"}).content.decode()
    refused = english(personas.client("operator")).get("/stats/leadership/")
    # the portal's 403 page (geoportal.roles.role_required) with the reason in the page's language
    assert refused.status_code == 403
    assert '<p id="refusal-reason">Available to the leadership and administrators.</p>' in refused.content.decode()
    # the slices the pivot page draws: labels of the classifier sections and of the missing district
    sections = client.get("/api/v1/stats/appeals", {"period": "2026-Q3", "rows": "classifier_section"}).json()
    labels = {r["classifier_section_label"] for r in sections["results"] if r["level"] == "row"}
    assert labels and not any(CYRILLIC.search(label) for label in labels), labels
    # category names in English where the register has them, Russian for Russian pages
    from issues.models import Category

    potholes = Category.objects.get(code="roads-potholes")
    assert potholes.name_en and potholes.name_en != potholes.name
    for who_reads, name in ((client, potholes.name_en), (personas.client("leader"), potholes.name)):
        rows = who_reads.get("/api/v1/stats/appeals", {"period": "2026-Q3", "rows": "category,category_l1",
                                                       "metrics": "count"}).json()["results"]
        assert {r["category_label"] for r in rows if r["category"] == potholes.pk} == {name}
        assert {r["category_l1_label"] for r in rows if r["category"] == potholes.pk} == {
            potholes.parent.name_en if name == potholes.name_en else potholes.parent.name}
    # and in the insights of /stats/ and the report: hotspots and rising topics
    insight = {"until": dataset.end.isoformat(), "days": "60", "eps": "5000", "minpoints": "2", "density": "0"}
    for who_reads, name in ((client, potholes.name_en), (personas.client("leader"), potholes.name)):
        clusters = who_reads.get("/api/v1/stats/hotspots", insight).json()["clusters"]
        assert name in {d["category"] for c in clusters for d in c["dominant_categories"]}
        topics = who_reads.get("/api/v1/stats/rising", {"as_of": dataset.end.isoformat()}).json()["topics"]
        assert {t["category"] for t in topics if t["category_id"] == potholes.pk} == {name}
    districts = client.get("/api/v1/stats/appeals", {"period": "2026-Q3", "rows": "district"}).json()
    assert "not specified" in {r["district_label"] for r in districts["results"]}
    # the spreadsheet of the slice builder names its sheet in English too
    from openpyxl import load_workbook

    xlsx = client.get("/api/v1/stats/appeals", {"period": "2026-Q3", "rows": "district", "export": "xlsx"})
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames == ["Statistics"]
    russian_xlsx = personas.client("leader").get("/api/v1/stats/appeals", {"rows": "district", "export": "xlsx"})
    assert load_workbook(io.BytesIO(russian_xlsx.content)).sheetnames == ["Статистика"]
    bad = client.get("/api/v1/stats/appeals", {"period": "2026-Q9"})
    assert bad.status_code == 400 and "Period: YYYY, YYYY-Qn or YYYY-MM" in str(bad.json()["period"])
    bad = client.get("/api/v1/stats/appeals", {"rows": "district,colour", "metrics": "count,count"}).json()
    assert bad["rows"] == "Unknown dimension: colour. Valid: " + ", ".join(DIMENSIONS) + "."
    assert bad["metrics"] == "The same name is repeated."
    russian = personas.client("leader").get("/api/v1/stats/appeals", {"rows": "colour"}).json()
    assert russian["rows"].startswith("Неизвестное измерение: colour. Допустимы: district, ")


def test_leadership_report_in_english(dataset, personas, tmp_path, settings):
    settings.ANALYTICS_REPORT_HOTSPOTS = {"days": 92, "eps": 50, "minpoints": 3}
    response = english(personas.client("leader")).get("/stats/leadership/report", {"period": "2026-Q3"})
    assert response.status_code == 200
    downloaded = response.content.decode()
    out = tmp_path / "report-en.html"
    call_command("leadership_report", period="2026-Q3", out=str(out), language="en")
    written = out.read_text(encoding="utf-8")
    for html in (downloaded, written):
        assert '<html lang="en">' in html
        for text in ("Citizens' appeals: report to the leadership", "Q3 2026 (compared with Q2 2026)",
                     "Key figures", "Appeals per 1,000 residents by district", "Biggest changes against Q2 2026",
                     "On time before → now", 'title="Heat map of appeals"', "Main problems"):
            assert text in html, text
        assert foreign_words(html, keep="<body") == []
        # the maps' tooltips speak English too
        choropleth = html.split('title="Appeals per 1,000 residents by district"')[1].split("</iframe>")[0]
        assert "Per 1,000 residents" in choropleth and "District" in choropleth
    # without --language the command writes Russian, as before, and leaves the caller's language alone
    before = translation.get_language()
    call_command("leadership_report", period="2026-Q3", out=str(out))
    russian = out.read_text(encoding="utf-8")
    assert translation.get_language() == before
    assert '<html lang="ru">' in russian and "Ключевые показатели" in russian and "Key figures" not in russian
    assert len(foreign_words(russian, keep="<body")) > 20


def test_percentage_points_keep_their_dots():
    template = Template("{% load analytics_tags %}{{ value|signed:'pp' }}")
    with translation.override("ru"):
        assert template.render(Context({"value": 0.035})) == "+3,5 п.п."
    with translation.override("en"):
        assert template.render(Context({"value": -0.1})) == "-10,0 pp"


@pytest.mark.browser
def test_statistics_in_english_on_a_phone(transactional_db, live_server, dataset, phone_page):
    from tests.browser import screenshot

    phone_page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    phone_page.goto(f"{live_server.url}/stats/?period=2026-Q3")
    phone_page.wait_for_function("() => !document.getElementById('rising').textContent.includes('Loading')")
    phone_page.wait_for_function("() => !document.getElementById('hotspots').textContent.includes('Loading')")
    assert phone_page.inner_text("#rising") == "No growth above the norm."
    assert phone_page.inner_text("#hotspots") == "No hotspots."
    assert phone_page.inner_text("h1") == "Citizens' appeal statistics: Q3 2026"
    # the phone card of a district row labels its figures in English
    shown_labels = phone_page.evaluate("""Array.from(document.querySelectorAll('#districts tr[data-key] td[data-label]'))
        .map(function (td) { return getComputedStyle(td, '::before').content; })""")
    assert '"Per 1,000 res."' in shown_labels and '"Median, days"' in shown_labels, shown_labels
    phone_page.wait_for_selector("#heatmap canvas.leaflet-heatmap-layer")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    shown = phone_page.inner_text("main")
    for name in data_names():
        shown = shown.replace(name, " ")
    assert CYRILLIC.findall(shown) == []
    screenshot(phone_page, "stats-public-phone-en")
    phone_page.goto(f"{live_server.url}/stats/pivot/")
    phone_page.wait_for_selector("#pivot-table tr td")
    assert "Total" in phone_page.inner_text("#pivot-table")
    assert phone_page.inner_text("label[for=rows]") == "Rows"
