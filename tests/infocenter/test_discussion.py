"""Comments, questions to officials, moderation and privacy; subscriptions delivered by the
real Celery worker; the daily digest."""
from __future__ import annotations

import time

import pytest
from django.core import mail
from django.test import Client

from inbox.models import Notification
from inbox.tasks import send_digests
from infocenter.models import Comment
from issues import actions
from issues.models import Category
from tests.issues.helpers import make_appeal


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (value := predicate()):
            return value
        time.sleep(0.3)
    raise AssertionError("not delivered in time; see var/test-celery-worker.log")


@pytest.mark.django_db
def test_comments_show_no_names_unless_chosen_and_officials_answer_questions(personas):
    personas.citizen.profile.full_name = "Скрытов Скрытень"
    personas.citizen.profile.public_name = ""
    personas.citizen.profile.save()
    personas.other_citizen.profile.public_name = "Сосед с Минина"
    personas.other_citizen.profile.save()
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма у перехода на Минина.")
    citizen = personas.client("citizen")
    question = citizen.post("/api/v1/comments/", {"kind": "appeal", "target_id": appeal.pk,
                                                  "text": "Когда отремонтируют?", "is_question": True})
    assert question.status_code == 201
    personas.client("other_citizen").post("/api/v1/comments/", {"kind": "appeal", "target_id": appeal.pk,
                                                                "text": "Поддерживаю, яма глубокая."})
    answer = personas.client("executor_a").post("/api/v1/comments/", {
        "kind": "appeal", "target_id": appeal.pk, "text": "Ремонт запланирован на 15 ноября.",
        "parent": question.json()["id"]})
    assert answer.status_code == 201 and answer.json()["is_official"] is True
    listing = Client().get(f"/api/v1/comments/?kind=appeal&target={appeal.pk}")
    body = listing.content.decode()
    names = [c["author"] for c in listing.json()]
    assert names == ["Житель", "Сосед с Минина", "Официальный ответ: Комдорхоз"]
    assert "Скрытов" not in body and Comment.objects.get(pk=question.json()["id"]).answered_at is not None


@pytest.mark.django_db
def test_moderation_and_abuse_reports(personas):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге у рынка.")
    posted = personas.client("citizen").post("/api/v1/comments/", {"kind": "appeal", "target_id": appeal.pk,
                                                                   "text": "Оскорбительный текст"}).json()
    assert Client().post(f"/api/v1/comments/{posted['id']}/report/", {"reason": "x"}).status_code in (401, 403)
    assert personas.client("other_citizen").post(f"/api/v1/comments/{posted['id']}/moderate/",
                                                 {"hidden": True}).status_code == 403
    for who in ("other_citizen", "operator", "leader"):
        assert personas.client(who).post(f"/api/v1/comments/{posted['id']}/report/",
                                         {"reason": "оскорбление"}).status_code == 200
    assert Client().get(f"/api/v1/comments/?kind=appeal&target={appeal.pk}").json() == []  # hidden after 3 reports
    assert personas.client("moderator").post(f"/api/v1/comments/{posted['id']}/moderate/",
                                             {"hidden": False, "note": "проверено"}).status_code == 200
    assert len(Client().get(f"/api/v1/comments/?kind=appeal&target={appeal.pk}").json()) == 1


@pytest.mark.django_db
def test_comment_validation(personas):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге у вокзала.")
    client = personas.client("citizen")
    assert client.post("/api/v1/comments/", {"kind": "appeal", "target_id": appeal.pk, "text": ""}).status_code == 400
    assert client.post("/api/v1/comments/", {"kind": "appeal", "target_id": 999999, "text": "Текст"}).status_code \
        == 400
    assert Client().post("/api/v1/comments/", {"kind": "appeal", "target_id": appeal.pk,
                                               "text": "Аноним"}).status_code in (401, 403)
    assert Client().get("/api/v1/comments/?kind=appeal").status_code == 400
    assert personas.client("citizen").get("/api/v1/subscriptions/").status_code == 200
    assert Client().get("/api/v1/subscriptions/").status_code in (401, 403)


@pytest.mark.django_db(transaction=True)
def test_subscriptions_are_delivered_by_the_worker_and_digested(personas, celery_worker_process):
    category = Category.objects.get(code="roads-potholes")
    follower = personas.client("other_citizen")
    assert follower.post("/api/v1/subscriptions/", {"kind": "category", "target_id": category.pk}).status_code == 201
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма на проспекте у дома 40.")
    wait_for(lambda: Notification.objects.filter(user=personas.other_citizen, appeal=appeal,
                                                 kind="subscription").exists())
    follower.post("/api/v1/subscriptions/", {"kind": "appeal", "target_id": appeal.pk})
    actions.accept_appeal(appeal, actor=personas.executor_a)
    wait_for(lambda: Notification.objects.filter(user=personas.other_citizen, appeal=appeal,
                                                 kind="subscription").count() >= 2)
    personas.client("executor_a").post("/api/v1/comments/", {"kind": "appeal", "target_id": appeal.pk,
                                                             "text": "Бригада выехала."})
    wait_for(lambda: Notification.objects.filter(user=personas.other_citizen, title__startswith="Новый комментарий")
             .exists())
    personas.other_citizen.email = "neighbour@example.org"
    personas.other_citizen.save()
    mail.outbox.clear()
    assert send_digests() == 1
    assert len(mail.outbox) == 1 and "подпискам" in mail.outbox[0].subject
    assert send_digests() == 0  # each notice is e-mailed once
