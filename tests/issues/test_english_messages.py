"""The appeals API's own refusals (staff actions, the queue, a new appeal) speak the request's
language: Russian by default, English for the English pages' cookie or ``Accept-Language: en``.
And no Russian text in the appeals API's modules bypasses gettext."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from geoportal.models import Agency
from issues import actions
from issues.models import Category, Status
from tests.i18n_checks import assert_translated, gettext_msgids, untranslated_cyrillic
from tests.issues.helpers import make_appeal

pytestmark = pytest.mark.django_db
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
ISSUES = Path(__file__).resolve().parents[2] / "issues"


def english_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_claim_taken_by_another_executor_is_refused_in_the_request_language(personas):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Глубокая яма у остановки на Минина")
    assert personas.client("executor_a").post(f"/api/v1/appeals/{appeal.pk}/claim/").status_code == 200
    head = personas.client("agency_head")
    url = f"/api/v1/appeals/{appeal.pk}/claim/"
    russian = head.post(url)
    assert russian.status_code == 400
    assert russian.json() == {"executor": ["Обращение уже взято другим исполнителем."]}
    assert russian["Content-Language"] == "ru"
    english = head.post(url, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 400
    assert english.json() == {"executor": ["Another executor has already taken this appeal."]}
    assert english["Content-Language"] == "en"
    appeal.refresh_from_db()
    assert appeal.executor_id == personas.executor_a.pk  # the refusals changed nothing


def test_redirect_and_reject_refusals_in_russian_by_default_and_english_by_cookie(personas):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Глубокая яма у остановки на Минина")
    other = Agency.objects.filter(is_active=True).exclude(pk=appeal.responsible_agency_id).first()
    redirect = {"agency": other.pk, "reason": "  "}
    url = f"/api/v1/appeals/{appeal.pk}/redirect/"
    russian = personas.client("agency_head").post(url, redirect, content_type="application/json")
    assert russian.status_code == 400 and russian.json() == {"reason": ["Укажите причину переадресации."]}
    english = english_cookie(personas.client("agency_head")).post(url, redirect, content_type="application/json")
    assert english.status_code == 400 and english.json() == {"reason": ["Give the reason for the redirection."]}
    same = {"agency": appeal.responsible_agency_id, "reason": "не наш участок"}
    refused = english_cookie(personas.client("agency_head")).post(url, same, content_type="application/json")
    assert refused.json() == {"agency": ["The appeal is already with this agency."]}
    # an executor may not reject: the refusal names the action, in the request's language
    reject = f"/api/v1/appeals/{appeal.pk}/reject/"
    russian = personas.client("executor_a").post(reject, {"reason": "spam"}, content_type="application/json")
    assert russian.status_code == 403
    assert russian.json() == {"detail": "Нет прав на действие «reject» с этим обращением."}
    english = personas.client("executor_a").post(reject, {"reason": "spam"}, content_type="application/json",
                                                 HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert english.status_code == 403 and english.json() == {"detail": "You may not do “reject” with this appeal."}
    appeal.refresh_from_db()
    assert appeal.responsible_agency_id != other.pk and appeal.status == "routed"


def test_extend_and_rate_refusals_follow_the_language(personas):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Глубокая яма у остановки на Минина")
    actions.accept_appeal(appeal, actor=personas.executor_a)
    url = f"/api/v1/appeals/{appeal.pk}/extend/"
    body = {"days": 45, "reason": ""}
    russian = personas.client("agency_head").post(url, body, content_type="application/json").json()
    assert russian == {"days": [f"Продление — от 1 до {settings.APPEAL_MAX_EXTENSION_DAYS} дней."],
                       "reason": ["Укажите причину продления."]}
    english = english_cookie(personas.client("agency_head")).post(url, body, content_type="application/json").json()
    assert english == {"days": [f"An extension is from 1 to {settings.APPEAL_MAX_EXTENSION_DAYS} days."],
                       "reason": ["Give the reason for the extension."]}
    rate = english_cookie(personas.client("other_citizen")).post(
        f"/api/v1/appeals/{appeal.pk}/rate/", {"solved": True, "score": 5}, content_type="application/json")
    assert rate.status_code == 403 and rate.json() == {"detail": "Only the appeal's author may rate the answer."}


def test_an_action_the_status_no_longer_allows_is_a_409_in_the_request_language(personas):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Глубокая яма у остановки на Минина")
    actions.accept_appeal(appeal, actor=personas.executor_a)
    actions.answer_appeal(appeal, actor=personas.executor_a, result="measures_taken", text="Яма заделана.")
    url = f"/api/v1/appeals/{appeal.pk}/claim/"
    russian = personas.client("executor_a").post(url)
    assert russian.status_code == 409
    assert russian.json() == {"detail": "Действие «claim» недоступно: обращение в статусе «дан ответ»."}
    english = personas.client("executor_a").post(url, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 409
    assert english.json() == {"detail": "“claim” is not possible: the appeal's status is “answered”."}


def test_queue_and_new_appeal_refusals_follow_the_language(personas):
    citizen = personas.client("citizen")
    assert citizen.get("/api/v1/appeals/", {"scope": "work"}).json() == {
        "detail": "Очередь доступна только сотрудникам."}
    assert citizen.get("/api/v1/appeals/", {"scope": "work"}, HTTP_ACCEPT_LANGUAGE="en").json() == {
        "detail": "The work queue is for staff only."}
    category = Category.objects.get(code="light-street")
    half_a_point = {"category": category.pk, "text": "Не горит фонарь у дома 5, темно.", "lat": 56.3}
    russian = citizen.post("/api/v1/appeals/", half_a_point, content_type="application/json")
    assert russian.status_code == 400 and russian.json() == {"location": ["Укажите и широту, и долготу."]}
    english = english_cookie(personas.client("citizen")).post("/api/v1/appeals/", half_a_point,
                                                              content_type="application/json")
    assert english.status_code == 400 and english.json() == {"location": ["Give both the latitude and the longitude."]}
    # the public list's filters
    allowed = ", ".join(Status.values)
    assert citizen.get("/api/v1/appeals/", {"status": "lost"}).json() == {
        "status": f"Неизвестный статус: lost; допустимы: {allowed}"}
    assert citizen.get("/api/v1/appeals/", {"status": "lost"}, HTTP_ACCEPT_LANGUAGE="en").json() == {
        "status": f"Unknown status: lost; allowed: {allowed}"}
    assert citizen.get("/api/v1/appeals/", {"bbox": "44,56,43,57"}).json() == {"bbox": "Неверные границы bbox."}
    assert citizen.get("/api/v1/appeals/", {"bbox": "44,56,43,57"}, HTTP_ACCEPT_LANGUAGE="en").json() == {
        "bbox": "The bbox's bounds are wrong."}
    nearby = Category.objects.order_by("-pk").first().pk + 1
    assert citizen.get("/api/v1/appeals/nearby/", {"lat": 56.3, "lon": 44, "category": nearby},
                       HTTP_ACCEPT_LANGUAGE="en").json() == {"category": ["Unknown category."]}


def test_every_russian_text_of_the_appeals_api_goes_through_gettext_and_has_an_english_translation():
    modules = [*sorted((ISSUES / "actions").glob("*.py")), *sorted((ISSUES / "api").glob("*.py")),
               *(ISSUES / f for f in ("serializers.py", "models.py", "photos.py", "filters.py"))]
    # the appeal number's prefix («А-2026-000123») is a register value, not a message
    assert [t for path in modules for t in untranslated_cyrillic(path)] == ["А-"]
    msgids = gettext_msgids(modules)
    assert len(msgids) >= 100
    assert_translated(msgids)


@pytest.mark.django_db(transaction=True)
def test_a_rejection_made_on_an_english_page_is_stored_and_told_to_the_author_in_russian(personas,
                                                                                          celery_worker_process):
    from inbox.models import Notification
    from tests.infocenter.test_discussion import wait_for

    appeal = make_appeal(personas.citizen, "transport-schedule", text="Автобус 3 не ходит по выходным, ждём час.")
    moderator = english_cookie(personas.client("moderator"))
    response = moderator.post(f"/api/v1/appeals/{appeal.pk}/reject/", {"reason": "spam"},
                              content_type="application/json")
    assert response.status_code == 200 and response["Content-Language"] == "en"
    assert response.json()["properties"]["status_display"] == "rejected by a moderator"  # the moderator reads English
    assert appeal.events.get(kind="reject").reason == "спам, бессмысленный текст"  # the record: Russian
    told = wait_for(lambda: Notification.objects.filter(user=personas.citizen, appeal=appeal,
                                                        title__contains="отклонено").first())
    assert told.title == f"Обращение {appeal.number} отклонено: спам, бессмысленный текст."
