"""``manage.py load_categories``: categories for a portal without demo appeals."""
from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from geoportal.models import Agency
from issues.models import Category, CategoryRoute

pytestmark = pytest.mark.django_db


def test_loads_the_tree_and_the_rule_table_idempotently(region):
    Category.objects.filter(code="light-street").update(is_active=False, name="старое имя")
    CategoryRoute.objects.filter(category__code="light-street").delete()
    out = io.StringIO()
    call_command("load_categories", stdout=out)
    light = Category.objects.get(code="light-street")
    assert light.is_active and light.name == "Не горит уличный фонарь" and light.parent.code == "lighting"
    assert list(light.routes.values_list("agency__short_name", flat=True)) == ["Горсвет"]
    counts = (Category.objects.count(), CategoryRoute.objects.count())
    call_command("load_categories", stdout=io.StringIO())
    assert (Category.objects.count(), CategoryRoute.objects.count()) == counts
    assert f"categories: {counts[0]}" in out.getvalue() and counts[0] >= 40


def test_refuses_without_agencies(db):
    assert not Agency.objects.exists()
    with pytest.raises(CommandError, match="no agencies"):
        call_command("load_categories", stdout=io.StringIO())
    assert not Category.objects.exists()
