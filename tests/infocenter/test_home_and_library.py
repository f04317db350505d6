"""Home page (real headline counts, news, the 59-FZ deadlines), editing rights of staff with the
Django permission, document files checked, the library's year filter and text snippets, and
document versions added through the admin."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from geoportal.models import Agency, District, Role, User
from infocenter import stats
from infocenter.actions import add_version, publish_news
from infocenter.models import Document, DocumentVersion, News

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(region):
    call_command("load_library", stdout=None)
    return Document.objects.count()


def figure(html: str, key: str) -> str:
    match = re.search(rf'data-key="{key}"><dt>[^<]*</dt><dd class="stat">([^<]*)</dd>', html)
    assert match, f"no figure {key}"
    return match.group(1)


def test_headline_counts_what_the_tables_hold(personas):
    from issues.models import Appeal
    from tests.issues.helpers import make_appeal

    before = {f.key: f.value for f in stats.headline()}
    assert before["districts"] == District.objects.count() == 11
    assert before["agencies"] == Agency.objects.filter(is_active=True).count() > 0
    make_appeal(personas.citizen)
    make_appeal(personas.other_citizen, text="Яма на дороге у остановки.")
    after = {f.key: f.value for f in stats.headline()}
    assert after["appeals_total"] == Appeal.objects.public().count() == before["appeals_total"] + 2
    assert after["appeals_on_time"] == "—"  # nothing answered yet: no made-up share
    html = Client().get("/").content.decode()
    assert figure(html, "districts") == "11" and figure(html, "appeals_total") == str(after["appeals_total"])


def test_a_missing_table_hides_its_figures_and_the_page_still_works(region, monkeypatch):
    def broken() -> list[stats.Figure]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM table_not_migrated_yet")
        return [stats.Figure("never", 1, "never")]

    monkeypatch.setattr(stats, "PROVIDERS", [broken, *stats.PROVIDERS])
    keys = [f.key for f in stats.headline()]
    assert "never" not in keys and "districts" in keys  # the savepoint kept the connection usable
    assert Client().get("/").status_code == 200


def test_home_explains_the_law_and_links_the_library(library):
    html = Client().get("/").content.decode()
    for text in ("3 дня", "7 дней", "30 дней", "+30 дней", "Анонимные обращения", "Конфиденциальность",
                 "59-ФЗ", "Сообщить о проблеме", "teaserLayers"):
        assert text in html, text
    assert 'href="/library/model-regulation-appeals/"' in html and 'href="/pages/how-appeals-work/"' in html
    assert "Опубликованы типовые шаблоны документов" in html  # the news item of the starter package


def test_news_published_by_moderators_drafts_hidden_and_sanitised(personas):
    publish_news(actor=personas.moderator, title="Ремонт дворов начался",
                 body="Подробности <script>alert(1)</script> [тут](javascript:alert(2)) и **жирно**")
    publish_news(actor=personas.admin, title="Черновик на завтра", body="—",
                 published_at=timezone.now() + dt.timedelta(days=1))
    with pytest.raises(PermissionDenied):
        publish_news(actor=personas.citizen, title="Моя новость", body="")
    html = Client().get("/").content.decode()
    assert "Ремонт дворов начался" in html and "<strong>жирно</strong>" in html
    assert "Черновик на завтра" not in html
    assert "<script>alert(1)" not in html and "javascript:alert" not in html
    assert News.objects.count() == 2


def test_staff_editing_rights_come_from_the_role_or_the_django_permission(region):
    staff = User.objects.create_user("editor", password="x", role=Role.CITIZEN, is_staff=True)
    client = Client()
    client.force_login(staff)
    assert client.post("/pages/about/edit/", {"title": "О портале", "body": "Текст"}).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="change_page", content_type__app_label="infocenter"))
    staff = User.objects.get(pk=staff.pk)  # permission cache
    client.force_login(staff)
    assert client.post("/pages/about/edit/", {"title": "О портале", "body": "Текст"}).status_code == 302
    # the permission without staff status does not count
    staff.is_staff = False
    staff.save()
    client.force_login(staff)
    assert client.get("/pages/about/edit/").status_code == 403
    assert "Редактировать" not in Client().get("/pages/about/").content.decode()


def test_version_files_are_checked_and_nothing_is_half_written(library, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    document = Document.objects.get(slug="commission-scoring-rubric")
    with pytest.raises(ValidationError) as refused:
        add_version(document, text="Новая шкала", file=SimpleUploadedFile("rubric.exe", b"MZ..."))
    assert "file" in refused.value.message_dict
    monkeypatch.setattr("infocenter.models.MAX_DOCUMENT_FILE_BYTES", 1000)
    with pytest.raises(ValidationError) as too_big:
        add_version(document, text="Новая шкала", file=SimpleUploadedFile("rubric.pdf", b"%PDF-1.4\n" + b"0" * 2000))
    assert "20 МБ" in str(too_big.value)
    assert DocumentVersion.objects.filter(document=document).count() == 1
    assert not list(tmp_path.rglob("*.exe")) and not list(tmp_path.rglob("*.pdf"))
    add_version(document, text="Новая шкала баллов", file=SimpleUploadedFile("rubric.pdf", b"%PDF-1.4\n%%EOF"))
    html = Client().get("/library/commission-scoring-rubric/").content.decode()
    assert "Скачать файл" in html and ".pdf" in html and "Новая шкала баллов" in html


def test_document_text_is_escaped_with_headings_kept(library):
    document = Document.objects.get(slug="guide-answer-on-the-merits")
    add_version(document, text="1. Раздел\nСтрока <script>alert(1)</script> <img src=x onerror=alert(2)>\n\n— пункт")
    html = Client().get("/library/guide-answer-on-the-merits/").content.decode()
    assert "<h2>1. Раздел</h2>" in html and "<li>пункт</li>" in html
    assert "<script>alert(1)" not in html and "<img src=x" not in html and "&lt;script&gt;" in html


def test_library_snippets_come_from_the_text_and_the_year_filter_works(library):
    html = Client().get("/library/?q=субботник").content.decode()  # only in the rubric's text, as «субботники»
    assert "<mark>субботники</mark>" in html and html.count('class="card doc-card"') == 1
    Document.objects.filter(slug="model-regulation-appeals").update(adopted_on=dt.date(2024, 3, 1))
    page = Client().get("/library/").content.decode()
    assert '<option value="2024" >2024</option>' in page or '<option value="2024">2024</option>' in page
    filtered = Client().get("/library/?year=2024").content.decode()
    assert filtered.count('class="card doc-card"') == 1 and "Модельный регламент" in filtered
    assert Client().get("/library/?year=1990").content.decode().count('class="card doc-card"') == 0


def test_admin_adds_a_version_through_the_action(library, personas):
    document = Document.objects.get(slug="model-municipal-initiative-projects")
    version = document.versions.get()
    client = personas.client("admin")
    data = {
        "title": document.title, "slug": document.slug, "doc_type": document.doc_type, "level": document.level,
        "territory": "", "adopted_on": "", "status": document.status, "summary": document.summary,
        "versions-TOTAL_FORMS": "2", "versions-INITIAL_FORMS": "1", "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "1000",
        "versions-0-id": str(version.pk), "versions-0-document": str(document.pk),
        "versions-1-id": "", "versions-1-document": str(document.pk),
        "versions-1-text": "Редакция с новым порядком возврата платежей и палисадниками.",
        "versions-1-note": "поправки",
    }
    response = client.post(f"/admin/infocenter/document/{document.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert [v.number for v in document.versions.all()] == [2, 1]
    slugs = [d["slug"] for d in Client().get("/api/v1/documents/?q=палисадник").json()["results"]]
    assert slugs == ["model-municipal-initiative-projects"]


def test_document_api_filters_and_refuses_bad_values(library, django_assert_max_num_queries):
    Document.objects.filter(slug="model-regulation-appeals").update(adopted_on=dt.date(2024, 3, 1))
    client = Client()
    by_level = client.get("/api/v1/documents/?level=municipal").json()["results"]
    assert sorted(d["slug"] for d in by_level) == ["commission-scoring-rubric", "model-municipal-initiative-projects"]
    assert [d["slug"] for d in client.get("/api/v1/documents/?year=2024").json()["results"]] == [
        "model-regulation-appeals"]
    assert client.get("/api/v1/documents/?doc_type=methodology&q=обращение").json()["count"] == 1
    bad = client.get("/api/v1/documents/?level=galactic&year=abc")
    assert bad.status_code == 400 and set(bad.json()) == {"level", "year"}
    with django_assert_max_num_queries(4):  # count, page, versions: not one query per document
        assert client.get("/api/v1/documents/").status_code == 200
    detail = client.get("/api/v1/documents/model-regulation-appeals/").json()
    assert detail["territory"] is None and detail["adopted_on"] == "2024-03-01"
