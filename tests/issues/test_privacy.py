"""Who sees what: personal data never reaches public responses; the role × action matrix."""
from __future__ import annotations

import pytest
from django.test import Client

from issues import actions
from issues.models import Appeal, Category

from .helpers import make_appeal, point_in

pytestmark = pytest.mark.django_db

SECRET_NAME = "Секретова Приватина"
SECRET_PHONE = "+7 912 345-67-89"
SECRET_MAIL = "secret.person@example.org"
PRIVATE_TEXT = "Личная история про соседа Петрова из квартиры 13"
OPERATOR_NAME = "Бумажный Заявитель Иванович"


@pytest.fixture
def private_world(personas):
    profile = personas.citizen.profile
    profile.full_name, profile.phone, profile.email = SECRET_NAME, SECRET_PHONE, SECRET_MAIL
    profile.save()
    personas.citizen.email = SECRET_MAIL
    personas.citizen.save()
    public = make_appeal(personas.citizen, "transport-schedule", text="Автобус 12 не ходит вечером.")
    private = make_appeal(personas.citizen, "safety-noise", text=PRIVATE_TEXT, text_is_private=True)
    paper = actions.submit_appeal(author=None, actor=personas.operator, channel="paper",
                                  category=Category.objects.get(code="transport-route"),
                                  text="Прошу продлить маршрут автобуса до поликлиники.", address="ул. Горького, 5",
                                  author_name=OPERATOR_NAME, author_contact=SECRET_PHONE,
                                  location=point_in("centralny"))
    actions.register_appeal(paper, actor=personas.operator)
    actions.post_message(public, actor=personas.citizen, text=f"Пишу лично: {SECRET_PHONE}", visibility="private")
    return {"public": public, "private": private, "paper": Appeal.objects.get(pk=paper.pk)}


SECRETS = (SECRET_NAME, SECRET_PHONE, SECRET_MAIL, PRIVATE_TEXT, OPERATOR_NAME, "citizen@")


@pytest.mark.parametrize("who", ["anonymous", "other_citizen"])
def test_no_personal_data_in_any_public_response(private_world, personas, who):
    client = personas.client(who)
    ids = [a.pk for a in private_world.values()]
    urls = ["/api/v1/appeals/", "/api/v1/appeals/?page_size=1000", "/api/v1/categories/", "/api/v1/agencies/",
            "/api/v1/districts/", "/", "/api/v1/schema/",
            f"/api/v1/appeals/nearby/?lat={point_in('centralny').y}&lon={point_in('centralny').x}"
            f"&category={private_world['public'].category_id}"]
    for appeal_id in ids:
        urls += [f"/api/v1/appeals/{appeal_id}/", f"/api/v1/appeals/{appeal_id}/events/",
                 f"/api/v1/appeals/{appeal_id}/messages/"]
    seen = 0
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
        seen += response.status_code == 200
        body = response.content.decode()
        for secret in SECRETS:
            assert secret not in body, (url, secret)
    assert seen >= len(urls) - 3


def test_author_and_competent_staff_see_the_full_view(private_world, personas):
    appeal = private_world["private"]
    mine = personas.client("citizen").get(f"/api/v1/appeals/{appeal.pk}/").json()["properties"]
    assert mine["author"]["name"] == SECRET_NAME and mine["text"] == PRIVATE_TEXT
    public = personas.client("other_citizen").get(f"/api/v1/appeals/{appeal.pk}/").json()["properties"]
    assert "author" not in public and public["text"] is None
    executor_other_agency = personas.client("executor_a").get(f"/api/v1/appeals/{appeal.pk}/").json()["properties"]
    assert "author" not in executor_other_agency
    operator = personas.client("operator").get(f"/api/v1/appeals/{appeal.pk}/").json()["properties"]
    assert operator["author"]["phone"] == SECRET_PHONE


def test_scopes(private_world, personas):
    assert personas.client("anonymous").get("/api/v1/appeals/?scope=mine").status_code == 403
    assert personas.client("citizen").get("/api/v1/appeals/?scope=work").status_code == 403
    mine = personas.client("citizen").get("/api/v1/appeals/?scope=mine").json()["features"]
    assert len(mine) == 2
    work = personas.client("executor_b").get("/api/v1/appeals/?scope=work").json()["features"]
    assert {f["properties"]["agency"] for f in work} <= {"Горсвет"}


# transition -> (url suffix, payload builder)
def _matrix_payloads(world, personas):
    from geoportal.models import Agency

    return {
        "accept": {},
        "redirect": {"agency": Agency.objects.get(short_name="Адм. Центральный").pk, "reason": "Внутридворовое"},
        "extend": {"days": 10, "reason": "Экспертиза"},
        "reject": {"reason": "spam"},
        "moderate": {"is_public": False, "reason": "Персональные данные в тексте"},
    }


EXPECTED = {  # action -> personas allowed (others: 403 or 404)
    "accept": {"executor_a", "agency_head"},
    "redirect": {"operator", "agency_head", "admin"},
    "extend": {"agency_head"},
    "reject": {"operator", "moderator", "admin"},
    "moderate": {"moderator", "admin"},
}
PERSONAS = ["anonymous", "citizen", "other_citizen", "operator", "executor_a", "executor_b", "agency_head",
            "moderator", "leader", "admin"]


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("who", PERSONAS)
def test_role_matrix_for_transitions(personas, action, who):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма во дворе дома 5 на проезде.")  # Комдорхоз
    payload = _matrix_payloads(None, personas)[action]
    response = personas.client(who).post(f"/api/v1/appeals/{appeal.pk}/{action}/", payload,
                                         content_type="application/json")
    if who in EXPECTED[action]:
        assert response.status_code == 200, (who, action, response.content)
    else:
        assert response.status_code in (401, 403, 404), (who, action, response.status_code)
        appeal.refresh_from_db()
        assert appeal.events.filter(kind=action).count() == 0


def test_rating_only_by_author_and_illegal_transition_is_409(personas):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма у перехода возле школы.")
    premature = personas.client("citizen").post(f"/api/v1/appeals/{appeal.pk}/rate/", {"solved": True, "score": 5},
                                                content_type="application/json")
    assert premature.status_code == 400
    executor = personas.client("executor_a")
    assert executor.post(f"/api/v1/appeals/{appeal.pk}/start/").status_code == 409  # not accepted yet
    assert executor.post(f"/api/v1/appeals/{appeal.pk}/accept/").status_code == 200
    answer = {"text": "Яма заделана асфальтобетоном.", "result": "measures_taken"}
    assert executor.post(f"/api/v1/appeals/{appeal.pk}/answer/", answer).status_code == 200
    other = personas.client("other_citizen").post(f"/api/v1/appeals/{appeal.pk}/rate/",
                                                  {"solved": True, "score": 5}, content_type="application/json")
    assert other.status_code == 403
    rated = personas.client("citizen").post(f"/api/v1/appeals/{appeal.pk}/rate/", {"solved": True, "score": 5},
                                            content_type="application/json")
    assert rated.status_code == 200 and rated.json()["properties"]["status"] == "closed"


def test_internal_notes_are_staff_only(personas):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма на дороге возле рынка.")
    staff = personas.client("executor_a")
    assert staff.post(f"/api/v1/appeals/{appeal.pk}/messages/", {"text": "Проверить гарантию подрядчика",
                                                                "visibility": "internal"}).status_code == 201
    assert personas.client("citizen").post(f"/api/v1/appeals/{appeal.pk}/messages/",
                                           {"text": "Тайно", "visibility": "internal"}).status_code == 403
    assert personas.client("other_citizen").post(f"/api/v1/appeals/{appeal.pk}/messages/",
                                                 {"text": "Я тоже", "visibility": "public"}).status_code == 403
    for who in ("citizen", "other_citizen", "anonymous"):
        body = personas.client(who).get(f"/api/v1/appeals/{appeal.pk}/messages/").content.decode()
        assert "гарантию подрядчика" not in body
    assert "гарантию подрядчика" in staff.get(f"/api/v1/appeals/{appeal.pk}/messages/").content.decode()
    assert Client().get(f"/api/v1/appeals/{appeal.pk}/").status_code == 200
