"""Comments on initiative projects: the same thread and API as on appeals; a draft takes none;
a follower of the project hears of a new comment through the real Celery worker and the notice
in the notification centre leads to the project's page."""
from __future__ import annotations

import pytest
from django.test import Client

from inbox.models import Notification
from projects.models import Project
from tests.infocenter.test_discussion import wait_for
from tests.projects.conftest import make_cycle, make_project  # noqa: F401  (fixtures)


@pytest.mark.django_db(transaction=True)
def test_project_thread_and_follower_notice_through_the_worker(personas, make_cycle, make_project,  # noqa: F811
                                                               celery_worker_process):
    heading = make_cycle().headings.get()
    project = make_project(heading, title="Сквер у школы №5")
    follower = personas.client("other_citizen")
    assert follower.post("/api/v1/subscriptions/", {"kind": "project", "target_id": project.pk}).status_code == 201
    posted = personas.client("executor_a").post("/api/v1/comments/", {
        "kind": "project", "target_id": project.pk, "text": "Смета проверена, замечаний нет."})
    assert posted.status_code == 201
    notice = wait_for(lambda: Notification.objects.filter(user=personas.other_citizen,
                                                          title__contains=f"проекту №{project.pk}").first())
    html = follower.get("/notifications/").content.decode()
    assert notice.title in html and "Сквер у школы №5" in html  # the followed project by its title
    opened = follower.get(f"/notifications/{notice.pk}/")
    assert opened.status_code == 302 and opened["Location"] == f"/projects/{project.pk}/"
    listing = Client().get(f"/api/v1/comments/?kind=project&target={project.pk}").json()
    assert [c["text"] for c in listing] == ["Смета проверена, замечаний нет."]
    # a draft is nobody's to discuss: simulated by moving the project back (submit makes it public)
    Project.objects.filter(pk=project.pk).update(status="draft")
    assert Client().get(f"/api/v1/comments/?kind=project&target={project.pk}").status_code == 404
    assert follower.post("/api/v1/comments/", {"kind": "project", "target_id": project.pk,
                                               "text": "Вопрос"}).status_code == 400
