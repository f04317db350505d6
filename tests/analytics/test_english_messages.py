"""The statistics API's refusals (the pivot's parameters, open data's query and formats, the
initiative figures' cycle, the scorecard's agency) speak the request's language: Russian by
default, English for ``Accept-Language: en`` or the English pages' cookie. And no Russian text of
the analytics modules that answer requests bypasses gettext, except the open-data schema (a
published description of the data set, kept in Russian)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.http import Http404
from django.test import RequestFactory
from django.utils import translation

from analytics import catalog
from tests.i18n_checks import assert_translated, gettext_msgids, untranslated_cyrillic

pytestmark = pytest.mark.django_db
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
ANALYTICS = Path(__file__).resolve().parents[2] / "analytics"
EN = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


def test_bad_pivot_parameters_are_refused_in_the_request_language(client):
    dims = ", ".join(catalog.DIMENSIONS)
    russian = client.get("/api/v1/stats/appeals", {"rows": "planet", "scope": "world"})
    assert russian.status_code == 400 and russian["Content-Language"] == "ru"
    assert russian.json() == {"rows": f"Неизвестное измерение: planet. Допустимы: {dims}.",
                              "scope": "public или all."}
    english = client.get("/api/v1/stats/appeals", {"rows": "planet", "scope": "world"}, **EN)
    assert english.status_code == 400 and english["Content-Language"] == "en"
    assert english.json() == {"rows": f"Unknown dimension: planet. Valid: {dims}.",
                              "scope": "public or all."}
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    refused = client.get("/api/v1/stats/appeals", {"export": "pdf"})
    assert refused.status_code == 400 and refused.json() == {"export": "csv or xlsx."}


def test_open_data_refusals_follow_the_language(client):
    bad = {"period_start": "вчера", "period_end": "2025-01-01", "category": "roads", "limit": "10"}
    russian = client.get("/api/v1/opendata/appeals.csv", bad)
    assert russian.status_code == 400
    assert russian.json() == {
        "params": "Неизвестные параметры: limit; допустимы: period_start, period_end, category.",
        "period_start": "Дата ГГГГ-ММ-ДД.", "category": "Целое число — идентификатор категории."}
    english = client.get("/api/v1/opendata/appeals.csv", bad, **EN)
    assert english.status_code == 400 and english["Content-Language"] == "en"
    assert english.json() == {
        "params": "Unknown parameters: limit; allowed: period_start, period_end, category.",
        "period_start": "A date YYYY-MM-DD.", "category": "An integer: the category's id."}
    backwards = {"period_start": "2025-03-01", "period_end": "2025-01-01"}
    assert client.get("/api/v1/opendata/appeals.geojson", backwards).json() == {
        "period_end": "Конец периода раньше начала."}
    assert client.get("/api/v1/opendata/appeals.geojson", backwards, **EN).json() == {
        "period_end": "The period ends before it starts."}
    assert client.get("/api/v1/opendata/appeals.pdf").json() == {"detail": "Форматы: csv, geojson, gpkg."}
    missing = client.get("/api/v1/opendata/appeals.pdf", **EN)
    assert missing.status_code == 404 and missing.json() == {"detail": "Formats: csv, geojson, gpkg."}


def test_the_initiative_figures_refusal_follows_the_language(client):
    assert client.get("/api/v1/stats/initiatives", {"cycle": "last"}).json() == {
        "cycle": "id цикла (целое число); других параметров нет."}
    english = client.get("/api/v1/stats/initiatives", {"cycle": "last"}, **EN)
    assert english.status_code == 400
    assert english.json() == {"cycle": "The cycle's id (an integer); there are no other parameters."}


def test_a_missing_cycle_is_named_in_the_active_language():
    # a 404 page does not show the exception's text; the view's message is checked directly
    from analytics.views import initiatives_page

    request = RequestFactory().get("/stats/initiatives/", {"cycle": "999999"})
    for language, text in (("ru", "Нет такого цикла."), ("en", "No such cycle.")):
        with translation.override(language), pytest.raises(Http404) as refused:
            initiatives_page(request)
        assert str(refused.value) == text


# the open-data schema: a published description of the data set (title, licence, columns, query
# parameters), the same document for everyone — it stays Russian
SCHEMA_MODULE = "opendata.py"
MODULES = ("api.py", "params.py", "pivot.py", "access.py", "initiatives.py", "views.py", "insights.py", "report.py",
           "export.py", "svg.py", "scorecards.py", "drilldown.py", "catalog.py", "apps.py", SCHEMA_MODULE)


def _schema_texts() -> list[str]:
    """The Cyrillic literals of opendata.py's schema: its module-level constants and
    ``schema_document()``."""
    tree = ast.parse((ANALYTICS / SCHEMA_MODULE).read_text(encoding="utf-8"))
    return [node.value for statement in tree.body if isinstance(statement, ast.Assign | ast.AnnAssign) or (
                isinstance(statement, ast.FunctionDef) and statement.name == "schema_document")
            for node in ast.walk(statement)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and CYRILLIC.search(node.value)]


def test_every_russian_refusal_of_the_analytics_goes_through_gettext_and_has_an_english_translation():
    left = [text for name in MODULES for text in untranslated_cyrillic(ANALYTICS / name)]
    schema = _schema_texts()
    assert len(schema) >= 30
    assert sorted(left) == sorted(schema)
    msgids = gettext_msgids(ANALYTICS / name for name in MODULES)
    assert len(msgids) >= 100
    assert_translated(msgids)
