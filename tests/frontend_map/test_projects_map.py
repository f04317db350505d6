"""Residents' projects on the public map: the map API (public projects and fields only, the
latest monitoring photos as metadata-free thumbnails, nearest first with PostGIS distances,
400 with field errors) and, in real headless Chromium at 390×844, the layer with its legend,
a popup with stage, progress, cost and photos, the layer toggle and "projects near me"."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.gis.geos import LineString, Point, Polygon
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pyproj import Geod

from geoportal.models import District
from projects import actions
from projects.models import BudgetCycle, Heading, Phase, PhaseKind, Project, ProjectPhoto, ProjectStatus
from tests.browser import _local_only
from tests.frontend_map.test_map_pages import screenshot
from tests.issues.helpers import jpeg_bytes

GROUP_NAME = "Секретов Член Группович"
PHONE_AT = (44.0059, 56.3269)  # where the phone fixture's geolocation puts the resident (lon, lat)


def _cycle() -> Heading:
    now = timezone.now()
    cycle = BudgetCycle.objects.create(name="Народный бюджет 2026")
    for kind in PhaseKind.values:
        Phase.objects.create(cycle=cycle, kind=kind, starts_at=now - dt.timedelta(days=1),
                             ends_at=now + dt.timedelta(days=1))
    district = District.objects.get(code="centralny")
    return Heading.objects.create(cycle=cycle, name=district.name, district=district, money=Decimal(5_000_000))


def _submit(personas: Any, heading: Heading, title: str, geometry: Any, cost: int) -> Project:
    group = [{"full_name": GROUP_NAME if i == 0 else f"Житель Номер {i}", "birth_date": dt.date(1980, 5, 17),
              "address": f"ул. Тестовая, {i}"} for i in range(10)]
    return actions.do_submit_project(author=personas.citizen, heading=heading, title=title, description="Описание",
                                     geometry=geometry, category="yards", group=group,
                                     cost_items=[{"name": "Работы", "quantity": 1, "unit_price": Decimal(cost)}])


def _near_phone(dx: float, dy: float) -> Point:
    return Point(PHONE_AT[0] + dx, PHONE_AT[1] + dy, srid=4326)


def build_projects(personas: Any) -> dict[str, Project]:
    """A square being built (a point, 50 % done, four photos), a path on the ballot (a line)
    and a submitted playground (a polygon), all in the centre; and a draft nobody may see."""
    heading = _cycle()
    assert heading.district.boundary.contains(_near_phone(0, 0))
    square = _submit(personas, heading, "Благоустройство сквера у фонтана", _near_phone(0.002, 0.001), 1_250_000)
    actions.do_review_project(square, actor=personas.operator, feasible=True)
    Project.objects.get(pk=square.pk).transition("select", actor=personas.leader)
    actions.do_start_implementation(square.pk, actor=personas.operator, contractor="ООО Сквер")
    first = actions.do_add_milestone(square.pk, actor=personas.operator, title="Дорожки")
    actions.do_add_milestone(square.pk, actor=personas.operator, title="Освещение")
    actions.do_update_milestone(first, actor=personas.operator, status="done")
    base = timezone.now() - dt.timedelta(days=10)
    for day, color in enumerate(("red", "green", "blue", "yellow")):
        photo = ProjectPhoto(project_id=square.pk, caption=f"Фото {color}", taken_at=base + dt.timedelta(days=day),
                             uploaded_by=personas.operator)
        photo.image.save(f"{color}.jpg", ContentFile(jpeg_bytes((640, 480), gps=(56.32, 44.0), color=color)))
    path = _submit(personas, heading, "Пешеходная дорожка вдоль набережной",
                   LineString((PHONE_AT[0] - 0.004, PHONE_AT[1] + 0.006), (PHONE_AT[0] + 0.002, PHONE_AT[1] + 0.007),
                              srid=4326), 800_000)
    actions.do_review_project(path, actor=personas.operator, feasible=True)
    x, y = PHONE_AT[0] - 0.012, PHONE_AT[1] - 0.008
    playground = _submit(personas, heading, "Детская площадка во дворе",
                         Polygon(((x, y), (x + 0.002, y), (x + 0.002, y + 0.001), (x, y + 0.001), (x, y)), srid=4326),
                         600_000)
    draft = Project.objects.create(cycle=heading.cycle, heading=heading, title="Черновик проекта",
                                   geometry=_near_phone(0.0005, 0), cost_estimate=Decimal(1), status=ProjectStatus.DRAFT)
    return {name: Project.objects.get(pk=p.pk)
            for name, p in (("square", square), ("path", path), ("playground", playground), ("draft", draft))}


# --- the map API --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_map_projects_are_public_with_the_latest_photos(personas, django_assert_num_queries):
    projects = build_projects(personas)
    with django_assert_num_queries(2):  # the projects; the latest photos of each
        body = personas.client("anonymous").get("/api/v1/map/projects").json()
    by_id = {f["id"]: f for f in body["features"]}
    assert set(by_id) == {projects[n].pk for n in ("square", "path", "playground")}
    square = by_id[projects["square"].pk]
    assert square["geometry"] == {"type": "Point", "coordinates": list(projects["square"].geometry.coords)}
    props = square["properties"]
    assert props["status"] == "in_progress" and props["status_label"] == "реализуется"
    assert props["progress_percent"] == 50.0 and props["cost"] == 1_250_000.0
    assert props["url"] == reverse("project-page", args=[projects["square"].pk]) and props["district"] == "Центральный"
    assert [p["caption"] for p in props["photos"]] == ["Фото yellow", "Фото blue", "Фото green"]
    assert by_id[projects["path"].pk]["geometry"]["type"] == "LineString"
    assert by_id[projects["playground"].pk]["properties"]["status"] == "submitted"
    raw = personas.client("anonymous").get("/api/v1/map/projects").content.decode()
    for secret in (GROUP_NAME, "ул. Тестовая", "citizen", "operator", "author", "uploaded_by", "projects/photos/"):
        assert secret not in raw, secret
    assert [s["status"] for s in body["stages"]][0] == "submitted" and "draft" not in str(body["stages"])
    only = personas.client("anonymous").get("/api/v1/map/projects", {"status": "feasible"}).json()
    assert [f["id"] for f in only["features"]] == [projects["path"].pk]
    bad = personas.client("anonymous").get("/api/v1/map/projects", {"status": "draft", "bbox": "1,2"})
    assert bad.status_code == 400 and "bbox" in bad.json()


@pytest.mark.django_db
def test_thumbnails_carry_no_metadata_and_drafts_have_none(personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    projects = build_projects(personas)
    photo = ProjectPhoto.objects.filter(project=projects["square"]).latest("taken_at")
    assert Image.open(photo.image.path).getexif()  # the original has EXIF with GPS
    response = personas.client("anonymous").get(f"/api/v1/map/project-photos/{photo.pk}.jpg")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    thumb = Image.open(io.BytesIO(response.content))
    assert max(thumb.size) == 320 and not thumb.getexif() and "exif" not in thumb.info
    again = personas.client("anonymous").get(f"/api/v1/map/project-photos/{photo.pk}.jpg")
    assert again.content == response.content  # made once, then kept
    Project.objects.filter(pk=projects["square"].pk).update(status=ProjectStatus.DRAFT)
    assert personas.client("anonymous").get(f"/api/v1/map/project-photos/{photo.pk}.jpg").status_code == 404
    assert personas.client("anonymous").get("/api/v1/map/project-photos/999999.jpg").status_code == 404
    assert personas.client("anonymous").post(f"/api/v1/map/project-photos/{photo.pk}.jpg").status_code == 405


@pytest.mark.django_db
def test_projects_near_a_point_nearest_first_with_geodesic_distances(personas):
    projects = build_projects(personas)
    body = personas.client("anonymous").get("/api/v1/map/projects/near",
                                            {"lat": PHONE_AT[1], "lon": PHONE_AT[0]}).json()
    results = body["results"]
    assert [r["id"] for r in results] == [projects[n].pk for n in ("square", "path", "playground")]
    geod = Geod(ellps="WGS84")
    point = projects["square"].geometry
    _, _, metres = geod.inv(PHONE_AT[0], PHONE_AT[1], point.x, point.y)
    assert abs(results[0]["distance_m"] - metres) <= 1
    # the path is measured to its nearest point, not its centre: closer than both of its ends
    ends = [geod.inv(PHONE_AT[0], PHONE_AT[1], x, y)[2] for x, y in projects["path"].geometry.coords]
    assert results[1]["distance_m"] < min(ends)
    assert set(results[0]) == {"id", "title", "status", "status_label", "progress_percent", "cost", "district",
                               "category", "url", "distance_m", "point"}
    assert len(personas.client("anonymous").get("/api/v1/map/projects/near",
                                                {"lat": PHONE_AT[1], "lon": PHONE_AT[0], "limit": 1}).json()["results"]) == 1
    bad = personas.client("anonymous").get("/api/v1/map/projects/near", {"lat": "91", "lon": "x", "limit": "0"})
    assert bad.status_code == 400 and set(bad.json()) == {"lat", "lon", "limit"}


@pytest.mark.django_db
def test_public_map_page_has_the_layer_toggle_and_stage_legend(personas):
    html = personas.client("anonymous").get("/map/").content.decode()
    assert 'id="layer-projects"' in html and 'id="layer-appeals"' in html and "projects-layer.js" in html
    assert "реализуется" in html and 'class="dot proj-in_progress"' in html and "черновик" not in html


# --- in the browser --------------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_resident_sees_projects_opens_a_popup_and_lists_projects_near_them(live_server, personas, phone_page,
                                                                            settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    projects = build_projects(personas)
    page = phone_page
    page.goto(f"{live_server.url}/map/")
    page.wait_for_function("() => document.getElementById('map').dataset.projects === '3'", timeout=15000)
    assert page.locator("path.project-shape").count() == 3
    assert page.locator("path.proj-shape-in_progress").count() == 1
    assert page.locator("path.project-anchor").count() == 2  # the line and the polygon, marked citywide
    screenshot(page, "map-projects-phone")

    page.locator("#near-me").tap()
    page.wait_for_selector("#near-list[data-loaded='1']", timeout=15000)
    items = page.locator("#near-list li")
    assert [int(items.nth(i).get_attribute("data-project")) for i in range(items.count())] == [
        projects[n].pk for n in ("square", "path", "playground")]
    assert "Ближайшие к вам" in page.locator("#near-origin").inner_text()
    first = items.nth(0).inner_text()
    assert "Благоустройство сквера" in first and " м" in first and "реализуется" in first
    items.nth(0).locator("button").tap()
    popup = page.locator(".project-popup")
    popup.wait_for(timeout=10000)
    assert "Благоустройство сквера у фонтана" in popup.inner_text()
    assert "Выполнено: 50%" in popup.inner_text() and "1 250 000" in popup.inner_text().replace("\u00a0", " ")
    assert popup.locator("[role=progressbar]").get_attribute("aria-valuenow") == "50"
    assert popup.locator("a").get_attribute("href") == f"/projects/{projects['square'].pk}/"
    page.wait_for_function("() => [...document.querySelectorAll('.project-popup .thumbs img')]"
                           ".filter(i => i.complete && i.naturalWidth > 0).length === 3", timeout=15000)
    page.wait_for_timeout(600)  # the map finished moving
    page.screenshot(path=str(screenshot_path("map-projects-popup-phone")))  # what the phone shows now
    screenshot(page, "map-projects-near-phone")

    assert page.locator("path.project-anchor").count() == 0  # zoomed in: the shapes themselves
    page.locator("#layer-projects").uncheck()
    page.wait_for_function("() => document.querySelectorAll('path.project-shape').length === 0")
    page.locator("#layer-projects").check()
    page.wait_for_function("() => document.querySelectorAll('path.project-shape').length === 3")
    page.locator("#near-list li").nth(0).locator("button").tap()
    page.locator(".project-popup a").tap()  # on to the project's own page
    page.wait_for_url(f"**/projects/{projects['square'].pk}/", timeout=15000)
    assert "Благоустройство сквера у фонтана" in page.locator("h1").inner_text()


def screenshot_path(name: str) -> Any:
    from tests.browser import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_without_geolocation_the_list_starts_from_the_map_centre(live_server, personas, browser):
    build_projects(personas)
    context = browser.new_context(locale="ru-RU", viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)  # no geolocation permission: the browser refuses
    context.route("**/*", _local_only)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/map/")
        page.wait_for_function("() => document.getElementById('map').dataset.projects === '3'", timeout=15000)
        page.locator("#near-me").tap()
        page.wait_for_selector("#near-list[data-loaded='1']", timeout=20000)
        assert "от центра карты" in page.locator("#near-origin").inner_text()
        assert page.locator("#near-list li").count() == 3
    finally:
        context.close()
