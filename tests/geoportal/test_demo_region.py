"""The demo region: valid, non-overlapping districts covering the city; jurisdictions that
are not simply districts; a login for every role."""
from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from geoportal.models import Agency, District, Role, User

pytestmark = pytest.mark.django_db


def test_districts_are_valid_disjoint_and_cover_the_city(region: object) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), bool_and(ST_IsValid(boundary)) FROM geoportal_district")
        count, valid = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM geoportal_district a JOIN geoportal_district b "
            "ON a.id < b.id AND ST_Area(ST_Intersection(a.boundary, b.boundary)::geography) > 1"
        )
        (overlaps,) = cursor.fetchone()
        cursor.execute(
            "SELECT ST_Area(ST_Union(boundary)::geography) / 1e6, "
            "ST_Area(ST_ConvexHull(ST_Union(boundary))::geography) / 1e6 FROM geoportal_district"
        )
        area, hull = cursor.fetchone()
    assert 8 <= count <= 12 and valid
    assert overlaps == 0
    assert 200 < area < 600 and area / hull > 0.9  # one compact city, no holes between districts


def test_agencies_cross_district_borders(region: object) -> None:
    assert 20 <= Agency.objects.count() <= 30
    heat_north = Agency.objects.get(short_name="Теплосеть-Север")
    assert heat_north.districts.count() == 3
    waste_north = Agency.objects.get(short_name="Экология-Север")
    # The river splits districts: some district is served by both waste operators.
    split = [d for d in District.objects.all()
             if Agency.objects.filter(short_name__startswith="Экология", jurisdiction__overlaps=d.boundary).count() == 2]
    assert split, "the river line should cut through at least one district"
    assert waste_north.jurisdiction is not None


def test_every_role_has_a_demo_login(region: object) -> None:
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)


def test_seed_is_idempotent(region: object) -> None:
    before = (District.objects.count(), Agency.objects.count(), User.objects.count())
    call_command("seed_demo", "--appeals", "0", "--projects", "0", "--quiet")
    assert (District.objects.count(), Agency.objects.count(), User.objects.count()) == before


def test_point_lookup_uses_the_boundaries(region: object) -> None:
    from django.contrib.gis.geos import Point

    from fixtures.demo_region import CITY_CENTER

    centre = District.containing(Point(*CITY_CENTER, srid=4326))
    assert centre is not None and centre.code == "centralny"
    assert District.containing(Point(30.0, 60.0, srid=4326)) is None
    assert Agency.objects.serving(Point(*CITY_CENTER, srid=4326)).filter(short_name="Комдорхоз").exists()
