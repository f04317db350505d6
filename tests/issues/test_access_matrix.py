"""The role × endpoint matrix of the appeals API for every persona.

Each test walks one endpoint over all ten personas (a fresh appeal per persona, so one
persona's success cannot change the next one's cell) and compares the whole row of status
codes with the expected row; successful cells also prove their effect (the event row), and
refused cells prove that nothing changed. Views also assert which fields appear."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from geoportal.models import Agency
from inbox.models import Notification
from issues import actions
from issues.models import Appeal, Category, CategoryRoute, Message, Status

from .helpers import make_appeal

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "citizen", "other_citizen", "operator", "executor_a", "executor_b", "agency_head",
            "moderator", "leader", "admin"]
URL = "/api/v1/appeals/"

PUBLIC_FIELDS = {"number", "status", "status_display", "category", "category_name", "district", "agency",
                 "address", "text", "kind", "appeal_type", "received_at", "registered_at", "deadline_at",
                 "answered_at", "closed_at", "extended", "result", "result_display", "answer_text",
                 "supporters_count", "sla", "photos"}
FULL_ONLY = {"author", "executor", "agency_id", "channel", "text_is_private", "is_public", "no_answer_required",
             "reject_reason", "moderation_note", "extension_reason", "redirect_count", "reopen_count",
             "routing_confidence", "routing_explanation", "routing_suggestions", "duplicate_of", "earlier_appeal",
             "location_source"}


def row(default: int, **cells: int) -> dict[str, int]:
    """A full row: ``default`` for every signed-in persona, 401 for the anonymous visitor
    unless given, and the named exceptions."""
    result = {name: default for name in PERSONAS}
    result["anonymous"] = 401
    result.update(cells)
    return result


# --- appeals in the state each action needs (fresh for every cell) ------------------------------

def routed(p: Any) -> Appeal:
    """A citizen's pothole report, routed to the roads agency (executor_a, agency_head)."""
    return make_appeal(p.citizen, "roads-potholes", text="Яма на проезжей части у дома 5.")


def accepted(p: Any) -> Appeal:
    return actions.accept_appeal(routed(p), actor=p.executor_a)


def answered(p: Any) -> Appeal:
    return actions.answer_appeal(accepted(p), actor=p.executor_a, text="Яма заделана асфальтом.",
                                 result="measures_taken")


def closed(p: Any) -> Appeal:
    return actions.rate_appeal(answered(p), actor=p.citizen, solved=True, score=5)


def registered_in_queue(p: Any) -> Appeal:
    """Registered, waiting for an operator: its category has no rule."""
    CategoryRoute.objects.filter(category__code="roads-signs").delete()
    appeal = make_appeal(p.citizen, "roads-signs", text="Стёрлась разметка на пешеходном переходе.")
    assert appeal.status == Status.REGISTERED
    return appeal


def paper(p: Any) -> Appeal:
    """A paper appeal an operator typed in (submitted, not public yet)."""
    return actions.submit_appeal(author=None, actor=p.operator, channel="paper",
                                 category=Category.objects.get(code="roads-potholes"),
                                 text="Прошу отремонтировать дорогу у дома 7.", address="ул. Ильинская, 7",
                                 author_name="Заявитель Бумажный", author_contact="ул. Ильинская, 7, кв. 1")


def _agency(short_name: str) -> int:
    return Agency.objects.get(short_name=short_name).pk


# action -> (set-up, payload builder, event kind written on success, expected row)
ActionSpec = tuple[Callable[[Any], Appeal], Callable[[Any, Appeal], dict[str, Any]], str, dict[str, int]]
ACTIONS: dict[str, ActionSpec] = {
    "register": (paper, lambda p, a: {}, "register",
                 row(404, operator=200, admin=200, moderator=403, leader=403, anonymous=404)),
    "route": (registered_in_queue, lambda p, a: {"agency": _agency("Комдорхоз"), "reason": "по карте"}, "route",
              row(403, operator=200, admin=200)),
    "accept": (routed, lambda p, a: {}, "accept", row(403, executor_a=200, agency_head=200)),
    "claim": (routed, lambda p, a: {}, "claim", row(403, executor_a=200, agency_head=200)),
    "start": (accepted, lambda p, a: {}, "start", row(403, executor_a=200, agency_head=200)),
    "assign": (routed, lambda p, a: {"executor": p.executor_a.pk}, "assign", row(403, agency_head=200)),
    "answer": (accepted, lambda p, a: {"text": "Яма заделана, фото приложено.", "result": "measures_taken"},
               "answer", row(403, executor_a=200, agency_head=200)),
    "redirect": (routed, lambda p, a: {"agency": _agency("Адм. Центральный"), "reason": "Внутридворовой проезд"},
                 "redirect", row(403, operator=200, agency_head=200, admin=200)),
    "extend": (routed, lambda p, a: {"days": 10, "reason": "Нужна экспертиза покрытия"}, "extend",
               row(403, agency_head=200)),
    "reject": (routed, lambda p, a: {"reason": "spam", "note": "реклама"}, "reject",
               row(403, operator=200, moderator=200, admin=200)),
    "merge": (routed, lambda p, a: {"into": routed(p).pk}, "merge", row(403, operator=200, moderator=200, admin=200)),
    "rate": (answered, lambda p, a: {"solved": True, "score": 5}, "rate", row(403, citizen=200)),
    "moderate": (routed, lambda p, a: {"is_public": False, "reason": "Телефон в тексте"}, "moderate",
                 row(403, moderator=200, admin=200)),
    # supporting is a citizen's act, and not of one's own appeal
    "support": (routed, lambda p, a: {}, "support", row(403, other_citizen=200)),
}


@pytest.mark.parametrize("action", list(ACTIONS))
def test_who_may_perform_each_action(personas, action):
    setup, build_payload, event_kind, expected = ACTIONS[action]
    got: dict[str, int] = {}
    for who in PERSONAS:
        appeal = setup(personas)
        before = Appeal.objects.values().get(pk=appeal.pk)
        events_before = appeal.events.filter(kind=event_kind).count()
        response = personas.client(who).post(f"{URL}{appeal.pk}/{action}/", build_payload(personas, appeal),
                                             content_type="application/json")
        got[who] = response.status_code
        written = appeal.events.filter(kind=event_kind).count() - events_before
        if response.status_code == 200:
            assert written == 1, (who, action)
            assert response.json()["id"] == appeal.pk and FULL_ONLY <= set(response.json()["properties"])
        else:
            assert written == 0, (who, action)
            assert Appeal.objects.values().get(pk=appeal.pk) == before, (who, action)
    assert got == expected


# An allowed persona in a state where the action makes no sense gets 409; a persona who may
# not act at all gets 403 in the same state (the permission is checked first, so a refusal
# tells nothing about the state).
WRONG_STATE: dict[str, tuple[Callable[[Any], Appeal], str, str, dict[str, Any]]] = {
    "register": (routed, "operator", "leader", {}),
    "route": (routed, "operator", "executor_b", {"agency": "Комдорхоз"}),
    "accept": (answered, "executor_a", "executor_b", {}),
    "claim": (answered, "executor_a", "executor_b", {}),
    "start": (routed, "executor_a", "executor_b", {}),
    "assign": (closed, "agency_head", "executor_a", {"executor": "executor_a"}),
    "answer": (routed, "executor_a", "executor_b", {"text": "Ответ по существу дан.", "result": "explained"}),
    "redirect": (answered, "agency_head", "executor_a", {"agency": "Адм. Центральный", "reason": "не наше"}),
    "extend": (answered, "agency_head", "executor_a", {"days": 5, "reason": "экспертиза"}),
    "reject": (accepted, "moderator", "leader", {"reason": "spam"}),
    "merge": (closed, "moderator", "leader", {"into": "other"}),
    "rate": (routed, "citizen", "other_citizen", {"solved": True, "score": 5}),
    "support": (closed, "other_citizen", "operator", {}),
}


@pytest.mark.parametrize("action", list(WRONG_STATE))
def test_wrong_state_is_409_and_checked_after_the_permission(personas, action):
    setup, allowed, refused, raw = WRONG_STATE[action]
    appeal = setup(personas)
    data = dict(raw)
    if "agency" in data:
        data["agency"] = _agency(data["agency"])
    if "executor" in data:
        data["executor"] = getattr(personas, data["executor"]).pk
    if "into" in data:
        data["into"] = routed(personas).pk
    before = Appeal.objects.values().get(pk=appeal.pk)
    events = appeal.events.count()
    refused_response = personas.client(refused).post(f"{URL}{appeal.pk}/{action}/", data,
                                                     content_type="application/json")
    allowed_response = personas.client(allowed).post(f"{URL}{appeal.pk}/{action}/", data,
                                                     content_type="application/json")
    assert (refused_response.status_code, allowed_response.status_code) == (403, 409), allowed_response.content
    assert Appeal.objects.values().get(pk=appeal.pk) == before and appeal.events.count() == events


# --- views ----------------------------------------------------------------------------------------

DETAIL_VIEW = {  # persona -> "full" / "public" / 404, for a citizen's routed roads appeal
    "anonymous": "public", "citizen": "full", "other_citizen": "public", "operator": "full", "executor_a": "full",
    "executor_b": "public", "agency_head": "full", "moderator": "full", "leader": "full", "admin": "full",
}


def test_detail_of_someone_elses_appeal(personas):
    visible = make_appeal(personas.citizen, "roads-potholes", text="Яма на проезжей части у дома 9.",
                          text_is_private=True)
    hidden = actions.moderate_appeal(routed(personas), actor=personas.moderator, is_public=False,
                                     reason="личные данные")
    got_visible: dict[str, Any] = {}
    got_hidden: dict[str, Any] = {}
    for who in PERSONAS:
        client = personas.client(who)
        response = client.get(f"{URL}{visible.pk}/")
        assert response.status_code == 200, who
        props = response.json()["properties"]
        if set(props) == PUBLIC_FIELDS:
            got_visible[who] = "public"
            assert props["text"] is None  # the private text stays private
        else:
            assert set(props) == PUBLIC_FIELDS | FULL_ONLY, who
            assert props["text"] == "Яма на проезжей части у дома 9."
            assert props["author"]["name"] == "Иванова Мария Петровна"
            got_visible[who] = "full"
        hidden_response = client.get(f"{URL}{hidden.pk}/")
        got_hidden[who] = "full" if hidden_response.status_code == 200 else hidden_response.status_code
        if hidden_response.status_code == 200:
            assert set(hidden_response.json()["properties"]) == PUBLIC_FIELDS | FULL_ONLY
    assert got_visible == DETAIL_VIEW
    assert got_hidden == {who: (404 if view == "public" else "full") for who, view in DETAIL_VIEW.items()}


def test_events_timeline_per_persona(personas):
    appeal = routed(personas)
    actions.redirect_appeal(appeal, actor=personas.operator, agency=Agency.objects.get(short_name="Адм. Центральный"),
                            reason="Внутридворовой проезд")
    actions.post_message(appeal, actor=personas.operator, text="Служебно: проверить подрядчика", visibility="internal")
    got = {}
    for who in PERSONAS:
        response = personas.client(who).get(f"{URL}{appeal.pk}/events/")
        assert response.status_code == 200
        events = response.json()
        fields = set().union(*(e.keys() for e in events))
        kinds = [e["kind"] for e in events]
        got[who] = ("staff" if "message" in kinds else "author" if "reason" in fields else "public")
        if got[who] == "public":
            assert fields == {"created_at", "kind", "from_status", "to_status"}  # never who or why
    # the responsible agency changed: executor_a and the head no longer see it in full
    expected = {"anonymous": "public", "citizen": "author", "other_citizen": "public", "operator": "staff",
                "executor_a": "public", "executor_b": "public", "agency_head": "public", "moderator": "staff",
                "leader": "staff", "admin": "staff"}
    assert got == expected


def test_scope_mine(personas):
    own = make_appeal(personas.citizen, "roads-potholes", text="Яма у дома 11 на дороге.")
    theirs = make_appeal(personas.other_citizen, "roads-potholes", text="Яма у дома 12 на дороге.")
    expected = {"anonymous": 403, "citizen": {own.pk}, "other_citizen": {theirs.pk}}
    for who in PERSONAS:
        response = personas.client(who).get(URL, {"scope": "mine"})
        got = response.status_code if response.status_code != 200 else {f["id"] for f in response.json()["features"]}
        assert got == expected.get(who, set()), who
        if response.status_code == 200 and got:
            assert FULL_ONLY <= set(response.json()["features"][0]["properties"])


def test_scope_work(personas):
    roads = make_appeal(personas.citizen, "roads-potholes", text="Яма у дома 21 на дороге.")
    light = make_appeal(personas.other_citizen, "light-street", text="Не горит фонарь у дома 22.")
    submitted = paper(personas)
    everything = {roads.pk, light.pk, submitted.pk}
    expected = {"anonymous": 403, "citizen": 403, "other_citizen": 403, "operator": everything,
                "executor_a": {roads.pk}, "executor_b": {light.pk}, "agency_head": {roads.pk},
                "moderator": everything, "leader": everything, "admin": everything}
    got = {}
    for who in PERSONAS:
        response = personas.client(who).get(URL, {"scope": "work"})
        got[who] = response.status_code if response.status_code != 200 else {
            f["id"] for f in response.json()["features"]}
        if response.status_code == 200:
            assert all(set(f["properties"]) == PUBLIC_FIELDS | FULL_ONLY for f in response.json()["features"])
    assert got == expected


# --- dialogue -----------------------------------------------------------------------------------

def test_messages_visibility_per_persona(personas):
    appeal = routed(personas)
    actions.post_message(appeal, actor=personas.citizen, text="Публичный вопрос автора", visibility="public")
    actions.post_message(appeal, actor=personas.executor_a, text="Личный ответ исполнителя", visibility="private")
    actions.post_message(appeal, actor=personas.executor_a, text="Служебная заметка", visibility="internal")
    expected = {"anonymous": {"public"}, "citizen": {"public", "private"}, "other_citizen": {"public"},
                "operator": {"public", "private", "internal"}, "executor_a": {"public", "private", "internal"},
                "executor_b": {"public"}, "agency_head": {"public", "private", "internal"},
                "moderator": {"public", "private", "internal"}, "leader": {"public", "private", "internal"},
                "admin": {"public", "private", "internal"}}
    got = {}
    for who in PERSONAS:
        response = personas.client(who).get(f"{URL}{appeal.pk}/messages/")
        assert response.status_code == 200
        messages = response.json()
        assert all(set(m) == {"id", "created_at", "visibility", "text", "author_role"} for m in messages)
        got[who] = {m["visibility"] for m in messages}
    assert got == expected


POST_MESSAGE = {  # persona -> (public, private, internal)
    "anonymous": (401, 401, 401), "citizen": (201, 201, 403), "other_citizen": (403, 403, 403),
    "operator": (201, 201, 201), "executor_a": (201, 201, 201), "executor_b": (403, 403, 403),
    "agency_head": (201, 201, 201), "moderator": (201, 201, 201), "leader": (403, 403, 403),
    "admin": (201, 201, 201),
}


def test_who_may_write_messages(personas):
    appeal = routed(personas)
    got = {}
    for who in PERSONAS:
        cells = []
        for visibility in ("public", "private", "internal"):
            before = Message.objects.count()
            response = personas.client(who).post(f"{URL}{appeal.pk}/messages/",
                                                 {"text": f"Сообщение от {who}", "visibility": visibility})
            cells.append(response.status_code)
            assert Message.objects.count() == before + (response.status_code == 201)
        got[who] = tuple(cells)
    assert got == POST_MESSAGE


def test_notifications_are_private_to_their_user(personas):
    for user in (personas.citizen, personas.other_citizen, personas.executor_a):
        Notification.objects.create(user=user, kind="status", title=f"Для {user.username}")
    for who in PERSONAS:
        response = personas.client(who).get("/api/v1/notifications/")
        if who == "anonymous":
            assert response.status_code in (401, 403)
            continue
        assert response.status_code == 200
        titles = {n["title"] for n in response.json()["results"]}
        user = getattr(personas, who)
        assert titles == ({f"Для {user.username}"} if who in ("citizen", "other_citizen", "executor_a") else set())
    other = Notification.objects.get(user=personas.other_citizen)
    assert personas.client("citizen").post(f"/api/v1/notifications/{other.pk}/read/").status_code == 404


def test_nobody_writes_through_get_or_unknown_methods(personas):
    appeal = routed(personas)
    for who in ("citizen", "operator", "admin"):
        client = personas.client(who)
        assert client.get(f"{URL}{appeal.pk}/accept/").status_code == 405
        assert client.delete(f"{URL}{appeal.pk}/").status_code == 405
        assert client.put(f"{URL}{appeal.pk}/", {}, content_type="application/json").status_code == 405
    assert Appeal.objects.filter(pk=appeal.pk, status=Status.ROUTED).exists()
