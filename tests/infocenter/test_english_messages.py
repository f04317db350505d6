"""The information centre's refusals (the comments API: a bad thread, a bad comment, the rate
limit, abuse reports, moderation, deleting; subscriptions; the page editor) speak the request's
language: Russian by default, English for ``Accept-Language: en`` or the English pages' cookie.
What is stored stays Russian (moderation notes). And no Russian text of those modules bypasses
gettext."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from infocenter.models import Comment
from tests.i18n_checks import assert_translated, gettext_msgids, untranslated_cyrillic
from tests.infocenter.test_comment_delete_and_limit import flooder_at_limit
from tests.infocenter.test_comment_thread_and_privacy import comment

pytestmark = pytest.mark.django_db
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
INFOCENTER = Path(__file__).resolve().parents[2] / "infocenter"
EN = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


@pytest.fixture
def appeal(personas):
    from tests.issues.helpers import make_appeal

    return make_appeal(personas.citizen)


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_thread_and_comment_refusals_follow_the_language(appeal, personas):
    anonymous = personas.client("anonymous")
    russian = anonymous.get("/api/v1/comments/", {"kind": "news"})
    assert russian.status_code == 400 and russian["Content-Language"] == "ru"
    assert russian.json() == {"kind": "kind=appeal|project и target=<id> обязательны."}
    refused = anonymous.get("/api/v1/comments/", {"kind": "news"}, **EN)
    assert refused.status_code == 400 and refused["Content-Language"] == "en"
    assert refused.json() == {"kind": "kind=appeal|project and target=<id> are required."}
    missing = {"kind": "appeal", "target": appeal.pk + 10**6}
    assert anonymous.get("/api/v1/comments/", missing).json() == {"detail": "Не найдено."}
    assert anonymous.get("/api/v1/comments/", missing, **EN).json() == {"detail": "Not found."}

    citizen = personas.client("citizen")
    short = {"kind": "appeal", "target_id": appeal.pk, "text": "a"}
    russian = citizen.post("/api/v1/comments/", short, content_type="application/json")
    assert russian.status_code == 400 and russian.json() == {"text": ["Комментарий от 2 до 3000 символов."]}
    refused = citizen.post("/api/v1/comments/", short, content_type="application/json", **EN)
    assert refused.status_code == 400 and refused.json() == {"text": ["A comment is from 2 to 3000 characters."]}
    nowhere = {**short, "target_id": appeal.pk + 10**6, "text": "Где это?"}
    assert english(personas.client("other_citizen")).post(
        "/api/v1/comments/", nowhere, content_type="application/json").json() == {
        "target": ["No such appeal or project."]}
    assert not Comment.objects.filter(target_id=appeal.pk).exists()  # refusals wrote nothing


def test_reports_moderation_and_deleting_refusals_follow_the_language(appeal, personas):
    mine = comment(personas.client("other_citizen"), appeal, "Подтверждаю, яма глубокая")
    report = f"/api/v1/comments/{mine['id']}/report/"
    citizen = personas.client("citizen")
    assert citizen.post(report, {"reason": " "}, content_type="application/json").json() == {
        "reason": ["Укажите причину."]}
    assert citizen.post(report, {"reason": " "}, content_type="application/json", **EN).json() == {
        "reason": ["Give a reason."]}
    moderate = f"/api/v1/comments/{mine['id']}/moderate/"
    russian = citizen.post(moderate, {"hidden": True}, content_type="application/json")
    assert russian.status_code == 403
    assert russian.json() == {"detail": "Скрывать и возвращать комментарии могут только модераторы."}
    refused = english(personas.client("citizen")).post(moderate, {"hidden": True}, content_type="application/json")
    assert refused.status_code == 403 and refused.json() == {"detail": "Only moderators may hide and restore comments."}
    delete = f"/api/v1/comments/{mine['id']}/"
    assert citizen.delete(delete).json() == {"detail": "Удалить комментарий может только его автор."}
    assert citizen.delete(delete, **EN).json() == {"detail": "Only its author may delete a comment."}
    stored = Comment.objects.get(pk=mine["id"])
    assert not stored.is_hidden and not stored.reports.exists()
    # the author deletes it from an English page: the stored note stays Russian
    assert english(personas.client("other_citizen")).delete(delete).status_code == 204
    assert Comment.objects.get(pk=mine["id"]).moderation_note == "удалён автором"
    # ... and a moderator reads it in the page's language
    from tests.infocenter.test_comment_thread_and_privacy import thread_html

    assert "удалён автором" in thread_html(personas.client("moderator"), appeal)
    english_thread = thread_html(english(personas.client("moderator")), appeal)
    assert "deleted by its author" in english_thread and "удалён автором" not in english_thread


def test_the_rate_limit_is_told_in_the_request_language(appeal, personas, monkeypatch):
    flooder = flooder_at_limit(appeal, personas, monkeypatch, 2)
    body = {"kind": "appeal", "target_id": appeal.pk, "text": "Ещё одно"}
    russian = flooder.post("/api/v1/comments/", body, content_type="application/json")
    assert russian.status_code == 429 and russian["Content-Language"] == "ru"
    seconds = int(russian["Retry-After"])
    assert 1 <= seconds <= 60
    assert re.fullmatch(r"Слишком много комментариев и жалоб подряд: попробуйте снова через \d+ с\.",
                        russian.json()["detail"])
    first = Comment.objects.filter(author=personas.other_citizen).first()
    refused = flooder.post(f"/api/v1/comments/{first.pk}/report/", {"reason": "Спам"},
                           content_type="application/json", **EN)
    assert refused.status_code == 429 and refused["Content-Language"] == "en" and refused.has_header("Retry-After")
    assert re.fullmatch(r"Too many comments and reports in a row: try again in \d+ s\.", refused.json()["detail"])
    assert Comment.objects.filter(author=personas.other_citizen).count() == 2 and not first.reports.exists()


def test_subscription_and_page_editor_refusals_follow_the_language(appeal, personas):
    citizen = personas.client("citizen")
    body = {"kind": "appeal", "target_id": appeal.pk + 10**6}
    assert citizen.post("/api/v1/subscriptions/", body, content_type="application/json").json() == {
        "target_id": ["Нет такого объекта."]}
    assert citizen.post("/api/v1/subscriptions/", body, content_type="application/json", **EN).json() == {
        "target_id": ["No such object."]}
    moderator = personas.client("moderator")
    russian = moderator.post("/pages/about/edit/", {"title": " ", "body": "x"})
    assert russian.status_code == 400 and "Укажите заголовок." in russian.content.decode()
    refused = english(personas.client("moderator")).post("/pages/about/edit/", {"title": " ", "body": "x"})
    assert refused.status_code == 400 and "Give a title." in refused.content.decode()
    assert "Укажите заголовок." not in refused.content.decode()
    # the notification centre names a notice's kind in the page's language (the labels were never
    # extracted: ``_lazy`` is not a keyword makemessages knows)
    from inbox.models import Notification, NotificationKind

    Notification.objects.create(user=personas.citizen, appeal=appeal, kind=NotificationKind.SUBSCRIPTION,
                                title=f"{appeal.number}: зарегистрировано")
    assert "по подписке · <time" in citizen.get("/notifications/").content.decode()
    page = english(personas.client("citizen")).get("/notifications/").content.decode()
    assert "following · <time" in page and "по подписке" not in page


def test_comment_authors_are_named_in_the_page_language(appeal, personas):
    from infocenter.discussion import display_name

    question = comment(personas.client("citizen"), appeal, "Когда заделают?", is_question=True)
    # the street light is Горсвет's: its executor answers officially (the agency in charge)
    answer = comment(personas.client("executor_b"), appeal, "На этой неделе", parent=question["id"])
    listed = {c["id"]: c["author"] for c in personas.client("anonymous").get(
        "/api/v1/comments/", {"kind": "appeal", "target": appeal.pk}, **EN).json()}
    agency = Comment.objects.get(pk=answer["id"]).author.memberships.first().agency.short_name
    assert listed[answer["id"]] == f"Official answer: {agency}"
    with translation.override("ru"):
        assert display_name(Comment.objects.get(pk=answer["id"])) == f"Официальный ответ: {agency}"


MODULES = ("api.py", "discussion.py", "views.py", "views_notifications.py", "search.py", "models.py", "apps.py")
# stored moderation notes: moderators read them later in any language, so they stay Russian
STORED = ["удалён автором", "скрыт по жалобам"]


def test_every_russian_refusal_of_the_infocenter_goes_through_gettext_and_has_an_english_translation():
    left = [text for name in MODULES for text in untranslated_cyrillic(INFOCENTER / name)]
    assert sorted(left) == sorted(STORED)
    msgids = gettext_msgids(INFOCENTER / name for name in MODULES)
    assert len(msgids) >= 60
    assert_translated(msgids)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_english_page_shows_the_comment_refusal_in_english_on_a_phone(live_server, personas, phone_page):
    from tests.browser import login, screenshot
    from tests.issues.helpers import make_appeal

    appeal = make_appeal(personas.citizen)
    page = phone_page
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}])
    login(page, live_server.url, "citizen2")
    page.goto(f"{live_server.url}/appeals/{appeal.pk}/#comments")
    page.fill("#comment-text", "a ")  # two characters for the browser, one once trimmed: the server refuses
    page.locator("#comment-form button[type=submit]").tap()
    error = page.locator("#comment-form [data-error]")
    error.wait_for(state="visible")
    page.wait_for_function("() => document.querySelector('#comment-form [data-error]').textContent.length > 0")
    assert error.inner_text() == "A comment is from 2 to 3000 characters."
    page.locator("#comments").screenshot(path=str(screenshot(page, "comment-refused-english-phone")))
    assert not Comment.objects.filter(target_id=appeal.pk).exists()
