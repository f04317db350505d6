"""A citizen deletes their own comment (nobody else may; moderators still see it, marked; an
official answer taken down makes the question unanswered again), and writes to discussions
are limited per user (429 beyond ``COMMENT_RATE``, nothing written)."""
from __future__ import annotations

import pytest
from django.core.cache import cache

from infocenter.api import CommentRateThrottle
from infocenter.models import Comment
from tests.infocenter.test_comment_thread_and_privacy import comment, thread_html

pytestmark = pytest.mark.django_db


@pytest.fixture
def appeal(personas):
    from tests.issues.helpers import make_appeal

    return make_appeal(personas.citizen)


def test_only_the_author_deletes_and_moderators_still_see_it(appeal, personas):
    neighbour = personas.client("other_citizen")
    mine = comment(neighbour, appeal, "Подтверждаю, яма глубокая")
    reply = comment(personas.client("citizen"), appeal, "Спасибо, что подтвердили", parent=mine["id"])
    url = f"/api/v1/comments/{mine['id']}/"
    assert personas.client("anonymous").delete(url).status_code in (401, 403)
    for name in ("citizen", "operator", "moderator"):
        assert personas.client(name).delete(url).status_code == 403, name
    assert not Comment.objects.get(pk=mine["id"]).is_hidden
    # the author sees a delete button on their own comment only
    html = thread_html(neighbour, appeal)
    own = html[html.index(f'id="comment-{mine["id"]}"'):html.index(f'id="comment-{reply["id"]}"')]
    assert 'data-action="delete"' in own
    assert 'data-action="delete"' not in html[html.index(f'id="comment-{reply["id"]}"'):]

    assert neighbour.delete(url).status_code == 204
    assert neighbour.delete(url).status_code == 404  # gone from the public set
    stored = Comment.objects.get(pk=mine["id"])
    assert (stored.is_hidden, stored.moderation_note) == (True, "удалён автором")
    listed = personas.client("anonymous").get(f"/api/v1/comments/?kind=appeal&target={appeal.pk}").json()
    assert listed == [] or all(c["id"] != mine["id"] for c in listed)
    assert "Подтверждаю" not in thread_html(personas.client("anonymous"), appeal)
    # moderators still see it, marked
    moderated = thread_html(personas.client("moderator"), appeal)
    assert "Подтверждаю" in moderated and "удалён автором" in moderated


def test_an_official_answer_taken_down_reopens_the_question(appeal, personas):
    question = comment(personas.client("other_citizen"), appeal, "Когда заделают?", is_question=True)
    # the street light is Горсвет's: its executor answers officially (the agency in charge)
    answer = comment(personas.client("executor_b"), appeal, "На этой неделе", parent=question["id"])
    assert answer["is_official"] is True
    assert Comment.objects.get(pk=question["id"]).answered_at is not None
    assert personas.client("executor_b").delete(f"/api/v1/comments/{answer['id']}/").status_code == 204
    assert Comment.objects.get(pk=question["id"]).answered_at is None
    assert "ждёт ответа" in thread_html(personas.client("anonymous"), appeal)


def flooder_at_limit(appeal, personas, monkeypatch, limit: int):
    """The other citizen's client, having posted ``limit`` comments under a limit of that many
    a minute."""
    monkeypatch.setattr(CommentRateThrottle, "THROTTLE_RATES", {"comments": f"{limit}/min"})
    cache.delete_many([f"throttle_comments_{u.pk}" for u in (personas.citizen, personas.other_citizen)])
    flooder = personas.client("other_citizen")
    for i in range(limit):
        comment(flooder, appeal, f"Сообщение номер {i}")
    return flooder


def test_comments_and_reports_are_limited_per_user(appeal, personas, monkeypatch):
    flooder = flooder_at_limit(appeal, personas, monkeypatch, 3)
    refused = flooder.post("/api/v1/comments/", {"kind": "appeal", "target_id": appeal.pk, "text": "Ещё одно"})
    assert refused.status_code == 429 and "detail" in refused.json()
    assert Comment.objects.filter(author=personas.other_citizen).count() == 3
    # reports count against the same limit; another user is not affected
    first = Comment.objects.filter(author=personas.other_citizen).first()
    assert flooder.post(f"/api/v1/comments/{first.pk}/report/", {"reason": "Спам"}).status_code == 429
    assert personas.client("citizen").post(f"/api/v1/comments/{first.pk}/report/",
                                           {"reason": "Спам"}).status_code == 200
    # reading is never limited
    assert flooder.get(f"/api/v1/comments/?kind=appeal&target={appeal.pk}").status_code == 200


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_author_deletes_a_comment_on_a_phone(live_server, personas, phone_page):
    from tests.browser import login, screenshot
    from tests.issues.helpers import make_appeal

    appeal = make_appeal(personas.citizen)
    mine = Comment.objects.create(kind="appeal", target_id=appeal.pk, author=personas.other_citizen,
                                  text="Фонарь не горит уже неделю")
    page = phone_page
    login(page, live_server.url, "citizen2")
    page.goto(f"{live_server.url}/appeals/{appeal.pk}/#comments")
    item = page.locator(f"#comment-{mine.pk}")
    item.screenshot(path=str(screenshot(page, "comment-own-phone")))
    page.once("dialog", lambda dialog: dialog.dismiss())  # changed their mind: nothing happens
    item.get_by_role("button", name="Удалить").tap()
    page.wait_for_timeout(300)
    assert not Comment.objects.get(pk=mine.pk).is_hidden
    page.once("dialog", lambda dialog: dialog.accept())
    item.get_by_role("button", name="Удалить").tap()
    page.wait_for_function(f"() => !document.getElementById('comment-{mine.pk}')")
    assert "Фонарь не горит уже неделю" not in page.locator("#comments").inner_text()
    assert Comment.objects.get(pk=mine.pk).moderation_note == "удалён автором"
