"""Discussion on projects and notifications to followers, delivered by the real Celery worker:
the author and supporters follow a project automatically, anyone may follow it; they hear of
its review, stages and answers to control reports (never the one who acted); a resident's
question gets an official answer that followers hear of."""
from __future__ import annotations

import time
from decimal import Decimal

import pytest

from inbox.models import Notification
from infocenter.models import Comment, Subscription
from projects import actions
from tests.projects.conftest import open_all
from tests.projects.official_helpers import implementing_project


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (value := predicate()):
            return value
        time.sleep(0.3)
    raise AssertionError("not delivered in time; see var/test-celery-worker.log")


def notices(user, contains: str):
    return Notification.objects.filter(user=user, kind="subscription", title__contains=contains)


@pytest.mark.django_db(transaction=True)
def test_followers_hear_of_the_review_and_of_an_official_answer(make_cycle, make_project, personas,
                                                                 celery_worker_process):
    cycle = make_cycle({"support"})
    project = make_project(cycle.headings.get(), feasible=None, title="Детская площадка")
    actions.do_support_project(project, actor=personas.other_citizen)
    assert set(Subscription.objects.filter(kind="project", target_id=project.pk).values_list("user__username",
                                                                                             flat=True)) \
        == {"citizen", "citizen2"}
    moderator = personas.client("moderator")
    assert moderator.post("/api/v1/subscriptions/", {"kind": "project", "target_id": project.pk}).status_code == 201

    open_all(cycle, "review")
    actions.do_review_project(project, actor=personas.operator, feasible=True, reviewed_price=Decimal(95_000))
    for follower in (personas.citizen, personas.other_citizen, personas.moderator):
        wait_for(lambda f=follower: notices(f, "Детская площадка»: допущен к конкурсу").exists())
    assert not Notification.objects.filter(user=personas.operator, kind="subscription").exists()

    question = personas.client("other_citizen").post("/api/v1/comments/", {
        "kind": "project", "target_id": project.pk, "is_question": True,
        "text": "Будет ли у площадки резиновое покрытие?"})
    assert question.status_code == 201
    # an answer is official only from the agency in charge: the operator's administration implements it
    type(project).objects.filter(pk=project.pk).update(implementing_agency_id=min(personas.operator.agency_ids()))
    answer = personas.client("operator").post("/api/v1/comments/", {
        "kind": "project", "target_id": project.pk, "parent": question.json()["id"],
        "text": "Да, покрытие из резиновой крошки заложено в смету."})
    assert answer.status_code == 201 and answer.json()["is_official"] is True
    assert Comment.objects.get(pk=question.json()["id"]).answered_at is not None
    wait_for(lambda: notices(personas.other_citizen, f"Официальный ответ к проекту №{project.pk}").exists())
    wait_for(lambda: notices(personas.citizen, f"Официальный ответ к проекту №{project.pk}").exists())
    # a resident's reply is not an official answer, even to a question
    reply = personas.client("citizen").post("/api/v1/comments/", {
        "kind": "project", "target_id": project.pk, "parent": question.json()["id"], "text": "Присоединяюсь!"})
    assert reply.json()["is_official"] is False
    # moderation: a hidden comment disappears from the thread
    assert moderator.post(f"/api/v1/comments/{reply.json()['id']}/moderate/",
                          {"hidden": True, "note": "флуд"}).status_code == 200
    thread = personas.client("anonymous").get("/api/v1/comments/", {"kind": "project", "target": project.pk}).json()
    assert [c["id"] for c in thread] == [question.json()["id"], answer.json()["id"]]


@pytest.mark.django_db(transaction=True)
def test_followers_hear_of_stages_and_answers_to_control_reports(make_cycle, make_project, personas,
                                                                   celery_worker_process):
    project = implementing_project(make_cycle, make_project, personas, title="Тротуар к школе")
    # the author (citizen) follows since submission; the start of works was announced
    wait_for(lambda: notices(personas.citizen, "Тротуар к школе»: начата реализация").exists())
    stage = actions.do_add_milestone(project, actor=personas.executor_a, title="Укладка плитки")
    actions.do_update_milestone(stage, actor=personas.executor_a, status="done")
    wait_for(lambda: notices(personas.citizen, "этап «Укладка плитки» — 100 % проекта выполнено").exists())
    report = actions.do_submit_control_report(project, author=personas.other_citizen, text="Бордюр треснул")
    actions.do_answer_control_report(report, actor=personas.executor_a, answer="Заменим по гарантии до пятницы")
    wait_for(lambda: notices(personas.citizen, "дан ответ на отчёт жителя").exists())
    # the report's author gets the answer itself in a personal notice
    wait_for(lambda: Notification.objects.filter(user=personas.other_citizen, kind="message",
                                                 body__contains="Заменим по гарантии").exists())
    assert not Notification.objects.filter(user=personas.executor_a, kind="subscription").exists()
