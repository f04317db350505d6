"""The comment thread on the public appeal page (server-rendered HTML): names only as chosen,
official answers marked, moderation seen by moderators only, the author's name redacted from
every public text (appeal, answer, comments, one-box search) word by word; the support button
follows ``issues.access.can_support``."""
from __future__ import annotations

import re

import pytest
from django.test import Client

from infocenter.models import Comment
from issues import actions
from issues.access import REDACTED, redact_personal
from issues.models import Appeal, Category
from tests.issues.helpers import make_appeal, point_in

pytestmark = pytest.mark.django_db

AUTHOR = "Иванова Мария Петровна"
CONTACT = "тел. 8 (831) 765-43-21, maria.iv@example.org"


def comment(client: Client, appeal: Appeal, text: str, **extra: object) -> dict:
    response = client.post("/api/v1/comments/", {"kind": "appeal", "target_id": appeal.pk, "text": text, **extra})
    assert response.status_code == 201, response.content
    return response.json()


def thread_html(client: Client, appeal: Appeal) -> str:
    html = client.get(f"/appeals/{appeal.pk}/").content.decode()
    match = re.search(r'<section class="card comments".*?</section>', html, re.S)
    assert match, "no comment thread on the page"
    return match.group(0)


@pytest.fixture
def paper_appeal(personas) -> Appeal:
    """An appeal typed in by an operator for a citizen without an account, answered with a
    greeting by name and patronymic (the way officials write)."""
    appeal = actions.submit_appeal(author=None, actor=personas.operator, channel="paper",
                                   category=Category.objects.get(code="roads-potholes"),
                                   text="Яма у дома 3 на улице Советской, звоните 765-43-21.",
                                   author_name=AUTHOR, author_contact=CONTACT, location=point_in("centralny"))
    actions.register_appeal(appeal, actor=personas.operator)
    actions.accept_appeal(appeal, actor=personas.executor_a)
    actions.answer_appeal(appeal, actor=personas.executor_a, result="measures_taken",
                          text="Уважаемая Мария Петровна! Яма заделана. Ответ направлен на maria.iv@example.org.")
    return Appeal.objects.get(pk=appeal.pk)


def test_each_word_of_the_name_and_each_piece_of_the_contact_is_redacted(paper_appeal):
    redacted = redact_personal("Уважаемая Мария Петровна! Марии Петровне звонили по 8 831 765 43 21 и 765-43-21, "
                               "писали на maria.iv@example.org. Госпожа Иванова, дом 3.", paper_appeal)
    for secret in ("Мария", "Марии", "Петровн", "Иванова", "765", "maria.iv"):
        assert secret not in redacted, (secret, redacted)
    assert redacted.startswith(f"Уважаемая {REDACTED} {REDACTED}!") and "дом 3" in redacted


def test_public_page_search_and_api_never_show_the_name(paper_appeal, personas):
    for client in (Client(), personas.client("other_citizen")):
        page = client.get(f"/appeals/{paper_appeal.pk}/").content.decode()
        assert "Яма заделана" in page and "Яма у дома 3" in page
        for secret in ("Мария", "Петровна", "Иванова", "765-43-21", "maria.iv"):
            assert secret not in page, secret
    search = Client().get("/search/?q=яма Советской").content.decode()
    assert f"/appeals/{paper_appeal.pk}/" in search and "765-43-21" not in search
    api = Client().get(f"/api/v1/appeals/{paper_appeal.pk}/").content.decode()
    assert "Петровна" not in api and "765-43-21" not in api
    staff = personas.client("executor_a").get(f"/appeals/{paper_appeal.pk}/").content.decode()
    assert "Уважаемая Мария Петровна" in staff  # the competent staff see the full answer


def test_thread_shows_chosen_names_official_answers_and_redacts_the_author(personas):
    personas.citizen.profile.full_name = "Скрытова Анфиса Львовна"
    personas.citizen.profile.public_name = ""
    personas.citizen.profile.save()
    personas.other_citizen.profile.public_name = "Сосед с Минина"
    personas.other_citizen.profile.save()
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма у перехода на Минина.")
    question = comment(personas.client("citizen"), appeal, "Когда отремонтируют?", is_question=True)
    before = thread_html(Client(), appeal)
    assert "Вопрос ведомству: ждёт ответа" in before
    comment(personas.client("executor_a"), appeal, "Анфиса Львовна, ремонт 15 ноября.", parent=question["id"])
    comment(personas.client("other_citizen"), appeal, "Поддерживаю, яма глубокая.")
    html = thread_html(Client(), appeal)
    assert "Житель" in html and "Сосед с Минина" in html
    assert "Официальный ответ" in html and "Комдорхоз" in html and "Вопрос: есть ответ" in html
    assert "Скрытова" not in html and "Анфиса" not in html and "Львовна" not in html
    assert f"{REDACTED} {REDACTED}, ремонт 15 ноября." in html
    api = Client().get(f"/api/v1/comments/?kind=appeal&target={appeal.pk}").content.decode()
    assert "Анфиса" not in api and "Львовна" not in api
    # the official answer sits under the question it answers
    official = re.search(rf'id="comment-{question["id"]}".*?</li>', html, re.S)
    assert official and "ремонт 15 ноября" in official.group(0)
    # anonymous visitors are asked to sign in and get no forms or moderation buttons
    assert "Войдите, чтобы комментировать" in html and 'id="comment-form"' not in html
    assert 'data-action="hide"' not in html and 'data-action="report"' not in html


def test_moderation_is_seen_by_moderators_only(personas):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге у рынка.")
    rude = comment(personas.client("other_citizen"), appeal, "Грубость и оскорбление")
    kept = comment(personas.client("citizen"), appeal, "Обычный комментарий")
    citizen_view = thread_html(personas.client("citizen"), appeal)
    assert 'data-action="report"' in citizen_view and 'data-action="hide"' not in citizen_view
    assert personas.client("citizen").post(f"/api/v1/comments/{rude['id']}/moderate/",
                                           {"hidden": True}).status_code == 403
    assert personas.client("moderator").post(f"/api/v1/comments/{rude['id']}/moderate/",
                                             {"hidden": True, "note": "оскорбление"}).status_code == 200
    for who in ("anonymous", "citizen", "other_citizen", "executor_a"):
        html = thread_html(personas.client(who), appeal)
        assert "Грубость" not in html and "Обычный комментарий" in html, who
    # a hidden official answer does not count as the answer to a question
    question = comment(personas.client("citizen"), appeal, "Когда заделают?", is_question=True)
    official = personas.client("executor_a").post("/api/v1/comments/", {
        "kind": "appeal", "target_id": appeal.pk, "text": "Скоро.", "parent": question["id"]}).json()
    assert "Вопрос: есть ответ" in thread_html(Client(), appeal)
    personas.client("moderator").post(f"/api/v1/comments/{official['id']}/moderate/", {"hidden": True})
    assert "Вопрос ведомству: ждёт ответа" in thread_html(Client(), appeal)
    moderator_view = thread_html(personas.client("moderator"), appeal)
    assert "Грубость" in moderator_view and "скрыт: оскорбление" in moderator_view
    assert 'data-action="unhide"' in moderator_view and 'data-action="hide"' in moderator_view
    assert Comment.objects.get(pk=kept["id"]).is_hidden is False


def test_private_appeal_takes_no_comments(personas):
    private = make_appeal(personas.citizen, "roads-potholes", text="Личное про квартиру.", text_is_private=True)
    actions.moderate_appeal(private, actor=personas.moderator, is_public=False, reason="личное")
    page = personas.client("citizen").get(f"/appeals/{private.pk}/").content.decode()
    assert "data-comments" not in page
    assert personas.client("citizen").post("/api/v1/comments/", {"kind": "appeal", "target_id": private.pk,
                                                                 "text": "Текст"}).status_code == 400


def test_support_button_follows_can_support(personas):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма у школы номер пять.")
    appeal.refresh_from_db()
    assert appeal.status in ("registered", "routed")
    assert 'id="support"' in personas.client("other_citizen").get(f"/appeals/{appeal.pk}/").content.decode()
    for who in ("citizen", "leader", "executor_a", "moderator", "anonymous"):
        assert 'id="support"' not in personas.client(who).get(f"/appeals/{appeal.pk}/").content.decode(), who


def test_thread_and_notification_centre_speak_english(personas):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма у моста через овраг.")
    client = personas.client("other_citizen")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get(f"/appeals/{appeal.pk}/").content.decode()
    assert "Discussion" in html and "Follow the news" in html and "Обсуждение" not in html
    assert '"reportSend": "Send the report"' in html  # the script's texts come translated
    assert "Mark all as read" not in client.get("/notifications/").content.decode()  # nothing unread
    assert "I follow" in client.get("/notifications/").content.decode()
