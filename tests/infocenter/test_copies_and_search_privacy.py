"""Every copy of a comment is as redacted as the thread (the followers' notices, hence the
digests); the one-box search matches only what the public may read — the redacted text of
public appeals, projects past their draft; an «Официальный ответ» comes only from the agency
in charge of the appeal."""
from __future__ import annotations

import pytest
from django.test import Client

from inbox.models import Notification
from infocenter.announcements import notify_followers
from infocenter.models import Comment, Subscription
from issues import actions
from issues.models import Appeal, Category
from tests.issues.helpers import point_in
from tests.projects.conftest import make_cycle, make_project  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

AUTHOR = "Заречная Ульяна Тимофеевна"
PHONE = "+7 912 345-67-89"


@pytest.fixture
def named_appeal(personas) -> Appeal:
    appeal = actions.submit_appeal(author=None, actor=personas.operator, channel="paper",
                                   category=Category.objects.get(code="roads-potholes"),
                                   text="Яма у дома 3 на улице Советской. Заявитель Заречная, телефон 912 345-67-89.",
                                   author_name=AUTHOR, author_contact=PHONE, location=point_in("centralny"))
    actions.register_appeal(appeal, actor=personas.operator)
    return Appeal.objects.get(pk=appeal.pk)


def test_a_followers_notice_carries_the_redacted_comment(named_appeal, personas):
    Subscription.objects.create(user=personas.other_citizen, kind="appeal", target_id=named_appeal.pk)
    posted = personas.client("citizen").post("/api/v1/comments/", {
        "kind": "appeal", "target_id": named_appeal.pk,
        "text": "Ульяна Тимофеевна, я тоже звонил по 912 345-67-89, ответа нет."})
    assert posted.status_code == 201
    assert notify_followers(posted.json()["id"]) == 1
    notice = Notification.objects.get(user=personas.other_citizen)
    for secret in ("Ульяна", "Тимофеевна", "345-67-89"):
        assert secret not in notice.body, notice.body
    assert "ответа нет" in notice.body
    page = personas.client("other_citizen").get("/notifications/").content.decode()
    assert "Тимофеевна" not in page and "345-67-89" not in page


def test_search_matches_the_public_text_only(named_appeal, personas, make_cycle, make_project):  # noqa: F811
    assert Client().get("/search/?q=Заречная").content.decode().count(f"/appeals/{named_appeal.pk}/") == 0
    assert Client().get("/search/?q=345-67-89").content.decode().count(f"/appeals/{named_appeal.pk}/") == 0
    assert f"/appeals/{named_appeal.pk}/" in Client().get("/search/?q=яма Советской").content.decode()

    heading = make_cycle().headings.get()
    draft = make_project(heading, title="Секретный черновик сквера")
    draft.status = "draft"
    draft.save(update_fields=["status"])
    assert f"/projects/{draft.pk}/" not in Client().get("/search/?q=Секретный черновик").content.decode()


def test_official_answers_only_from_the_agency_in_charge(named_appeal, personas):
    roads = personas.executor_a.memberships.get().agency_id
    if named_appeal.responsible_agency_id != roads:  # registration routed it; the roads committee answers here
        actions.redirect_appeal(named_appeal, actor=personas.operator, agency=personas.executor_a.memberships.get().agency,
                                reason="ямы на дорогах — комитет по дорогам")
    question = personas.client("citizen").post("/api/v1/comments/", {
        "kind": "appeal", "target_id": named_appeal.pk, "text": "Когда заделают яму?", "is_question": True}).json()
    other_agency = personas.client("executor_b").post("/api/v1/comments/", {
        "kind": "appeal", "target_id": named_appeal.pk, "text": "Это не наша яма, но скоро.",
        "parent": question["id"]})
    assert other_agency.status_code == 201 and other_agency.json()["is_official"] is False
    assert Comment.objects.get(pk=question["id"]).answered_at is None
    own = personas.client("executor_a").post("/api/v1/comments/", {
        "kind": "appeal", "target_id": named_appeal.pk, "text": "Заделаем до пятницы.", "parent": question["id"]})
    assert own.status_code == 201 and own.json()["is_official"] is True
