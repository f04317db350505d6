"""English pages name categories by their English names (``Category.name_en``) and show the
appeal's status and outcome labels in English; Russian pages keep the register's Russian."""
from __future__ import annotations

import pytest
from django.conf import settings

from issues import actions
from issues.models import Category
from tests.issues.helpers import make_appeal

pytestmark = pytest.mark.django_db


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_report_form_lists_categories_in_the_page_language(personas):
    potholes = Category.objects.get(code="roads-potholes")
    assert potholes.name_en and potholes.name_en != potholes.name
    russian = personas.client("citizen").get("/report/").content.decode()
    assert f">{potholes.name}</option>" in russian and f">{potholes.name_en}</option>" not in russian
    page = english(personas.client("citizen")).get("/report/").content.decode()
    assert f">{potholes.name_en}</option>" in page and f">{potholes.name}</option>" not in page
    assert f'label="{potholes.parent.name_en}"' in page


def test_appeal_page_in_english_names_the_category_status_and_outcome(personas):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Глубокая яма у остановки на Минина")
    actions.accept_appeal(appeal, actor=personas.executor_a)
    actions.answer_appeal(appeal, actor=personas.executor_a, result="measures_taken", text="Яма заделана.")
    client = english(personas.client("anonymous"))
    html = client.get(f"/appeals/{appeal.pk}/").content.decode()
    assert appeal.category.name_en in html and "supported, measures taken" in html
    assert "поддержано, меры приняты" not in html
    russian = personas.client("anonymous").get(f"/appeals/{appeal.pk}/").content.decode()
    assert appeal.category.name in russian and "поддержано, меры приняты" in russian
    # the one search box too
    hits = client.get("/search/", {"q": "яма"}).content.decode()
    assert f"{appeal.number}: {appeal.category.name_en}" in hits
