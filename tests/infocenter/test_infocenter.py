"""Information centre: page editing rights and sanitising, document versions, Russian
full-text search, the read-only document API, and the pages in a real browser."""
from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from infocenter.actions import add_version
from infocenter.models import Document, Page
from tests.browser import screenshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(region):
    call_command("load_library", stdout=None)
    return Document.objects.count()


@pytest.mark.parametrize(("who", "status"), [("anonymous", 403), ("citizen", 403), ("executor_a", 403),
                                             ("leader", 403), ("moderator", 302), ("admin", 302)])
def test_only_moderators_and_admins_edit_pages(personas, who, status):
    client = personas.client(who)
    response = client.post("/pages/rules/edit/", {"title": "Правила", "body": "Текст"})
    assert response.status_code == status
    assert Page.objects.filter(slug="rules").exists() == (status == 302)


def test_scripts_and_handlers_never_render(personas):
    client = personas.client("moderator")
    body = ("## Заголовок\n\n<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n"
            "[ссылка](javascript:alert(2)) и [сайт](https://example.org)")
    client.post("/pages/rules/edit/", {"title": "Правила", "body": body})
    html = Client().get("/pages/rules/").content.decode()
    assert "<h2>Заголовок</h2>" in html and 'href="https://example.org"' in html
    assert "<script>alert" not in html and "onerror" not in html and "javascript:" not in html


def test_empty_title_is_400(personas):
    assert personas.client("moderator").post("/pages/x/edit/", {"title": " ", "body": ""}).status_code == 400


def test_versions_and_search_follow_the_current_text(library):
    document = Document.objects.get(slug="guide-answer-on-the-merits")
    add_version(document, text="Новая редакция про обжалование решений и жалобы.", note="обновление")
    assert [v.number for v in document.versions.all()] == [2, 1]
    page = Client().get("/library/guide-answer-on-the-merits/").content.decode()
    assert "обжалование" in page and "Редакция 1" in page
    old = Client().get("/library/guide-answer-on-the-merits/?version=1").content.decode()
    assert "Структура ответа" in old
    found = Client().get("/api/v1/documents/?q=жалобами").json()  # another word form of «жалобы»
    assert [d["slug"] for d in found["results"]] == ["guide-answer-on-the-merits"]


def test_russian_word_forms_match(library):
    """«обращение» finds documents that only say «обращений»/«обращения»."""
    slugs = [d["slug"] for d in Client().get("/api/v1/documents/?q=обращение").json()["results"]]
    assert "model-regulation-appeals" in slugs
    html = Client().get("/library/?q=инициативный+проект").content.decode()
    assert "Модельное положение о реализации инициативных проектов" in html and "<mark>" in html
    assert "ничего" in Client().get("/library/?q=квантовая+хромодинамика").content.decode().lower()


def test_document_api_is_read_only(library, personas):
    for who in ("anonymous", "admin"):
        client = personas.client(who)
        assert client.post("/api/v1/documents/", {"title": "x"}).status_code in (401, 403, 405)
        assert client.delete("/api/v1/documents/model-regulation-appeals/").status_code in (401, 403, 405)
    detail = Client().get("/api/v1/documents/commission-scoring-rubric/").json()
    assert detail["url"] == "/library/commission-scoring-rubric/" and detail["versions"][0]["number"] == 1
    assert Client().get("/library/?doc_type=methodology").content.decode().count("<article") == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_library_and_document_pages_on_phone_and_desk(live_server, library, phone_page, desk_page):
    for size, page in (("phone", phone_page), ("desk", desk_page)):
        page.goto(f"{live_server.url}/library/")
        page.fill("#q", "обращение")
        page.click("form[role=search] button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert page.locator("article.card").count() >= 2
        screenshot(page, f"library-{size}")
        page.click("text=Модельный регламент рассмотрения обращений")
        page.wait_for_load_state("networkidle")
        assert "Типовой шаблон" in page.inner_text(".document-text")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"] + 1  # nothing overflows sideways
        screenshot(page, f"document-{size}")


def test_one_box_search_over_appeals_and_documents_without_private_text(library, personas):
    from tests.issues.helpers import make_appeal

    make_appeal(personas.citizen, "transport-schedule", text="Автобусы не ходят по расписанию вечером.")
    make_appeal(personas.citizen, "transport-schedule", text="Автобусы приватно не ходят к дому соседа Пупкина.",
                text_is_private=True)
    html = Client().get("/search/?q=автобус").content.decode()
    assert "Автобусы не ходят по расписанию" in html and "Пупкина" not in html
    assert "Модельный регламент" in Client().get("/search/?q=обращения").content.decode()
    assert Client().get("/search/?q=а").status_code == 200
