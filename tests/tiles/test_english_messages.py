"""The tiles' refusals (tiles, TileJSON, heatmap, clusters, choropleth, the projects map) speak
the request's language: Russian by default, English for ``Accept-Language: en`` or the English
pages' cookie. And no Russian text of those modules bypasses gettext, except the layers'
TileJSON names and descriptions (tile metadata, cached whatever the language)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.http import Http404
from django.test import RequestFactory
from django.utils import translation

from issues.models import Status
from projects.models import ProjectPhoto
from tests.i18n_checks import assert_translated, gettext_msgids, untranslated_cyrillic
from tiles import conf
from tiles.layers import LAYERS
from tiles.projects_map import STAGES, project_photo_thumbnail

from .test_fastpath import call

pytestmark = pytest.mark.django_db
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
TILES = Path(__file__).resolve().parents[2] / "tiles"
CITY_BBOX = "43.7,56.1,44.3,56.5"
PERIOD_RU = "Период: 30d (последние N дней), 2025, 2025-03, 2025-01..2025-06 или 2025-01-15..2025-02-01."
PERIOD_EN = "Period: 30d (the last N days), 2025, 2025-03, 2025-01..2025-06 or 2025-01-15..2025-02-01."


def test_a_tile_outside_the_matrix_is_refused_in_the_request_language_through_the_fast_path():
    # the web server's application: the fast path hands the request to Django, which answers
    russian = call("/tiles/appeals/3/99/0.pbf")
    assert russian.code == 400 and russian.headers["Content-Language"] == "ru"
    assert json_of(russian) == {"x": ["x должен быть от 0 до 7 на масштабе 3."]}
    english = call("/tiles/appeals/3/0/99.pbf", ACCEPT_LANGUAGE="en")
    assert english.code == 400 and english.headers["Content-Language"] == "en"
    assert json_of(english) == {"y": ["y must be from 0 to 7 at zoom 3."]}
    too_deep = call(f"/tiles/appeals/{conf.max_zoom() + 1}/0/0.pbf",
                    COOKIE=f"{settings.LANGUAGE_COOKIE_NAME}=en")
    assert json_of(too_deep) == {"z": [f"The zoom z must be from 0 to {conf.max_zoom()}."]}
    filtered = call("/tiles/appeals/10/600/300.pbf", "period=soon", ACCEPT_LANGUAGE="en")
    assert filtered.code == 400 and json_of(filtered) == {"period": [PERIOD_EN]}
    assert json_of(call("/tiles/appeals/10/600/300.pbf", "period=soon")) == {"period": [PERIOD_RU]}


def json_of(answer) -> object:
    import json

    return json.loads(answer.body)


def test_an_unknown_layer_is_a_404_in_the_request_language(client):
    layers = ", ".join(LAYERS)
    russian = client.get("/tiles/lost.json")
    assert russian.status_code == 404 and russian.json() == {"detail": f"Нет слоя «lost»; есть: {layers}."}
    english = client.get("/tiles/lost/1/0/0.pbf", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 404 and english.json() == {"detail": f"No layer “lost”; there are: {layers}."}


def test_heatmap_clusters_and_choropleth_refusals_follow_the_language(client):
    assert client.get("/api/v1/heatmap").json() == {
        "bbox": ["Укажите bbox = west,south,east,north."], "z": [f"Укажите масштаб z от 0 до {conf.max_zoom()}."]}
    assert client.get("/api/v1/heatmap", HTTP_ACCEPT_LANGUAGE="en").json() == {
        "bbox": ["Give bbox = west,south,east,north."], "z": [f"Give the zoom z from 0 to {conf.max_zoom()}."]}
    english = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}
    backwards = {"bbox": CITY_BBOX, "z": 11, "period": "2025-03..2025-01"}
    assert client.get("/api/v1/clusters", backwards).json() == {"period": ["Конец периода раньше начала."]}
    assert client.get("/api/v1/clusters", backwards, **english).json() == {"period": ["The period ends before it starts."]}
    allowed = ", ".join(Status.values)
    lost = {"bbox": CITY_BBOX, "z": 11, "status": "lost"}
    assert client.get("/api/v1/clusters", lost).json() == {"status": [f"Неизвестный статус: lost; допустимы: {allowed}"]}
    assert client.get("/api/v1/clusters", lost, **english).json() == {"status": [f"Unknown status: lost; allowed: {allowed}"]}
    world = {"bbox": "-179,-80,179,80", "z": 16}
    assert client.get("/api/v1/heatmap", world).json() == {
        "bbox": ["Слишком большая область для этого масштаба: уменьшите bbox или z."]}
    assert client.get("/api/v1/heatmap", world, **english).json() == {
        "bbox": ["The area is too large for this zoom: make the bbox smaller or lower z."]}
    assert client.get("/api/v1/choropleth", {"metric": "mean"}).json() == {
        "metric": ["Неизвестная метрика; допустимы: per_1000, count."]}
    assert client.get("/api/v1/choropleth", {"metric": "mean"}, **english).json() == {
        "metric": ["Unknown metric; allowed: per_1000, count."]}


def test_projects_map_refusals_follow_the_language(client):
    stages = ", ".join(STAGES)
    assert client.get("/api/v1/map/projects", {"status": "draft"}).json() == {
        "status": [f"Неизвестная стадия: draft; допустимы: {stages}"]}
    assert client.get("/api/v1/map/projects", {"status": "draft"}, HTTP_ACCEPT_LANGUAGE="en").json() == {
        "status": [f"Unknown stage: draft; allowed: {stages}"]}
    bad = {"lat": "north", "lon": "200", "limit": "0"}
    assert client.get("/api/v1/map/projects/near", bad).json() == {
        "lat": ["Укажите lat числом от -90 до 90."], "lon": ["Укажите lon числом от -180 до 180."],
        "limit": ["Укажите limit от 1 до 50."]}
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/api/v1/map/projects/near", bad)
    assert response.status_code == 400 and response["Content-Language"] == "en"
    assert response.json() == {"lat": ["Give lat as a number from -90 to 90."],
                               "lon": ["Give lon as a number from -180 to 180."], "limit": ["Give limit from 1 to 50."]}


def test_a_missing_project_photo_is_named_in_the_active_language():
    # a 404 page does not show the exception's text; the view's message is checked directly
    missing = (ProjectPhoto.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    request = RequestFactory().get(f"/api/v1/map/project-photos/{missing}.jpg")
    for language, text in (("ru", "Нет такой фотографии"), ("en", "No such photo")):
        with translation.override(language), pytest.raises(Http404) as refused:
            project_photo_thumbnail(request, missing)
        assert str(refused.value) == text


MODULES = ("api.py", "filters.py", "grid.py", "projects_map.py", "stats.py", "views.py", "layers.py")
# TileJSON metadata, cached independently of the request's language: stays Russian
LAYER_METADATA = ["Обращения, сгруппированные по ячейкам сетки", "Публичные обращения", "Инициативные проекты",
                  "Обращения граждан", "Районы", "Границы районов", "Инициативные проекты"]


def test_every_russian_refusal_of_the_tiles_goes_through_gettext_and_has_an_english_translation():
    left = [text for name in MODULES for text in untranslated_cyrillic(TILES / name)]
    assert sorted(left) == sorted(LAYER_METADATA)
    msgids = gettext_msgids(TILES / name for name in MODULES)
    assert len(msgids) == 19  # + the zoom of the filters and the tile numbers (security audit)
    assert_translated(msgids)
