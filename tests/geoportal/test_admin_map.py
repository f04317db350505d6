"""An administrator sees districts and agencies on a map in the admin (OpenLayers served
locally, no CDN)."""
from __future__ import annotations

import pytest

from geoportal.models import Agency, District
from tests.browser import screenshot


@pytest.mark.django_db
def test_admin_map_widget_uses_local_openlayers(personas):
    client = personas.client("admin")
    district = District.objects.get(code="centralny")
    page = client.get(f"/admin/geoportal/district/{district.pk}/change/").content.decode()
    assert "/static/vendor/ol/ol.js" in page and "cdn.jsdelivr" not in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_sees_districts_and_agencies_on_a_map(live_server, region, desk_page):
    page = desk_page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "demo12345")
    page.click("input[type=submit]")
    for name, obj in (("district", District.objects.get(code="sormovsky")),
                      ("agency", Agency.objects.get(short_name="Теплосеть-Север"))):
        page.goto(f"{live_server.url}/admin/geoportal/{name}/{obj.pk}/change/")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("typeof ol") == "object"
        page.wait_for_selector(".ol-viewport canvas, .ol-viewport .ol-layer")
        # the boundary was drawn as a feature of the widget's vector layer
        count = page.evaluate("""() => {
            const maps = Object.values(window).filter(v => v && v.map && v.featureOverlay);
            return maps.length ? maps[0].featureOverlay.getSource().getFeatures().length : -1; }""")
        assert count >= 1, count
        screenshot(page, f"admin-{name}-map")
