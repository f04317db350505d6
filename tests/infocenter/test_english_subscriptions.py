"""The notification centre names the categories a user follows (and the category of a followed
appeal, and the categories offered to follow) in the page's language: the register's Russian
name by default, ``name_en`` on English pages. Stored notices keep their Russian text."""
from __future__ import annotations

import html as html_lib
import re

import pytest
from django.conf import settings

from infocenter import discussion
from issues.models import Category
from tests.issues.helpers import make_appeal

pytestmark = pytest.mark.django_db


def follow_list(html: str) -> str:
    match = re.search(r'<ul class="follow-list">(.*?)</ul>', html, re.S)
    assert match, "the page lists nothing followed"
    return html_lib.unescape(match.group(1))


def options(html: str, select_id: str) -> list[str]:
    match = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert match, select_id
    return [html_lib.unescape(o) for o in re.findall(r"<option [^>]*>([^<]*)</option>", match.group(1))]


def test_followed_categories_and_appeals_are_named_in_the_page_language(personas):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Глубокая яма у остановки на Минина")
    topic = appeal.category.parent
    assert topic is not None and topic.name_en and appeal.category.name_en
    citizen = personas.client("other_citizen")
    assert citizen.post("/notifications/", {"action": "follow", "kind": "category",
                                            "target_id": topic.pk}).status_code == 302
    discussion.subscribe(actor=personas.other_citizen, kind="appeal", target_id=appeal.pk)
    offered = Category.objects.filter(parent__isnull=True, is_active=True)

    russian = citizen.get("/notifications/").content.decode()
    followed = follow_list(russian)
    assert f">{topic.name}<" in followed.replace("\n", "")
    assert f"{appeal.number}: {appeal.category.name}" in followed
    assert topic.name_en not in followed and appeal.category.name_en not in followed
    assert sorted(options(russian, "follow-category")) == sorted(c.name for c in offered)

    citizen.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = citizen.get("/notifications/").content.decode()
    followed = follow_list(english)
    assert f">{topic.name_en}<" in followed.replace("\n", "")
    assert f"{appeal.number}: {appeal.category.name_en}" in followed
    assert topic.name not in followed and appeal.category.name not in followed
    labels = options(english, "follow-category")
    assert labels == sorted(c.name_en or c.name for c in offered)  # in English order too
    assert all(labels)


def test_accept_language_alone_gives_english_labels(personas):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Глубокая яма у остановки на Минина")
    discussion.subscribe(actor=personas.citizen, kind="appeal", target_id=appeal.pk)
    html = personas.client("citizen").get("/notifications/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"{appeal.number}: {appeal.category.name_en}" in follow_list(html)
