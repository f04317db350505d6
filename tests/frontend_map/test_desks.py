"""The operator's and moderator's desks, the heads' workload and the doors each role is shown:
who may open each new page (the role × page matrix), what the desk lists and counts, registering
a phone appeal, duplicate candidates, last week's corrections, the moderation queue."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from geoportal.models import Agency
from infocenter import discussion
from issues import actions
from issues.models import Appeal, AppealAttachment, AppealEvent, Category, CategoryRoute, Status
from tests.issues.helpers import make_appeal, point_in

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "citizen", "operator", "executor_a", "executor_b", "agency_head", "moderator", "leader",
            "admin"]

# page -> the personas that get 200; every other signed-in persona gets 403, anonymous a sign-in
PAGE_MATRIX = {
    "/desk/": {"operator", "admin"},
    "/desk/items/": {"operator", "admin"},
    "/desk/new/": {"operator", "admin"},
    "/moderation/": {"moderator", "admin"},
    "/queue/": {"executor_a", "executor_b", "agency_head", "admin"},
    "/leadership/": {"leader", "admin"},
}


@pytest.mark.parametrize("url", list(PAGE_MATRIX))
def test_role_page_matrix_of_the_desks(personas, url):
    got = {}
    for who in PERSONAS:
        response = personas.client(who).get(url)
        got[who] = response.status_code
        if who == "anonymous":
            assert response["Location"].startswith("/accounts/login/")
    expected = {who: 200 if who in PAGE_MATRIX[url] else 403 for who in PERSONAS}
    expected["anonymous"] = 302
    if url == "/queue/":  # the operator's queue is the desk
        expected["operator"] = 302
        assert personas.client("operator").get(url)["Location"] == "/desk/"
    assert got == expected


def test_menu_shows_each_role_only_its_own_desks(personas, monkeypatch):
    links = {"/desk/": "operator", "/moderation/": "moderator", "/queue/": "executor_a", "/leadership/": "leader"}
    for who in PERSONAS:
        html = personas.client(who).get("/").content.decode()
        nav = html[html.index('id="main-nav"'):html.index("</nav>")]
        for url, owner in links.items():
            shown = f'href="{url}"' in nav
            assert shown == (who in (owner, "admin") or (url == "/queue/" and who in ("executor_b", "agency_head"))), \
                (who, url)
    # the doors are the owning apps' checks, not copies: narrow a rule where it lives and the menu
    # follows (moderation: infocenter.discussion, leadership: analytics.access, office: projects.access)
    from analytics import access as analytics_access
    from frontend_map.doors import may
    from geoportal.models import Role
    from projects import access as projects_access

    monkeypatch.setattr(discussion, "MODERATORS", (Role.MODERATOR,))
    monkeypatch.setattr(analytics_access, "LEADERSHIP", (Role.LEADER,))
    monkeypatch.setattr(projects_access, "OFFICE_ACTS", ("run_selection",))
    html = personas.client("admin").get("/").content.decode()
    nav = html[html.index('id="main-nav"'):html.index("</nav>")]
    assert 'href="/moderation/"' not in nav and 'href="/leadership/"' not in nav and 'href="/desk/"' in nav
    assert [may(personas.operator, "project_office"), may(personas.leader, "project_office")] == [False, True]


def queued(personas, text: str = "Стёрлась разметка на пешеходном переходе у школы.", **kwargs) -> Appeal:
    """Registered and waiting for an operator: the category has no rule and no model is trained."""
    CategoryRoute.objects.filter(category__code="roads-signs").delete()
    appeal = make_appeal(personas.citizen, "roads-signs", text=text, **kwargs)
    assert appeal.status == Status.REGISTERED
    return appeal


def paper(personas, received_at=None) -> Appeal:
    return actions.submit_appeal(author=None, actor=personas.operator, channel="paper",
                                 category=Category.objects.get(code="roads-potholes"),
                                 text="Прошу отремонтировать дорогу у дома 7.", address="ул. Ильинская, 7",
                                 author_name="Заявитель Бумажный", author_contact="ул. Ильинская, 7, кв. 1",
                                 received_at=received_at)


def test_desk_lists_waiting_appeals_oldest_deadline_first_with_counters(personas):
    now = timezone.now()
    late_paper = paper(personas, received_at=now - dt.timedelta(days=4))  # registration overdue
    fresh_paper = paper(personas, received_at=now - dt.timedelta(hours=1))
    waiting = queued(personas)
    Appeal.objects.filter(pk=waiting.pk).update(registered_at=now - dt.timedelta(days=10))  # routing overdue
    routed = make_appeal(personas.citizen, "roads-potholes", text="Яма у дома 3, уже направлена.")
    data = personas.client("operator").get("/desk/items/").json()
    numbers = [i["number"] for i in data["items"]]
    assert numbers == [waiting.number, late_paper.number, fresh_paper.number]
    assert routed.number not in numbers
    first = data["items"][0]
    assert first["overdue"] and first["due_kind"] == "routing" and first["text"].startswith("Стёрлась")
    assert data["items"][1]["due_kind"] == "registration" and data["items"][1]["overdue"]
    assert data["counters"] == {"waiting": 3, "due_today": 0, "overdue_registration": 1, "overdue_routing": 1}
    # the explanation is kept as phrase codes and said in the reader's language; an appeal routed
    # before that (only the Russian text stored) shows its text as it was
    assert first["explanation"] == "нет правила для категории" and waiting.routing_facts == [{"say": "no_rule"}]
    Appeal.objects.filter(pk=fresh_paper.pk).update(routing_explanation="объяснение прежней версии")
    english = personas.client("operator").get("/desk/items/", HTTP_ACCEPT_LANGUAGE="en").json()["items"]
    assert [i["explanation"] for i in english] == ["no rule for the category", "", "объяснение прежней версии"]
    html = personas.client("operator").get("/desk/").content.decode()
    assert 'data-counter="overdue_registration">1<' in html and 'data-counter="waiting">3<' in html


def test_registering_a_phone_appeal_gives_its_number_and_deadline_at_once(personas, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    category = Category.objects.get(code="light-street")
    point = point_in("centralny")
    received = timezone.localtime() - dt.timedelta(hours=2)
    response = personas.client("operator").post("/desk/new/", {
        "channel": "phone", "received_at": received.strftime("%Y-%m-%dT%H:%M"),
        "author_name": "Петрова Анна Ивановна", "author_contact": "+7 912 000-11-22", "category": category.pk,
        "text": "Звонок: не горит фонарь у дома 9 по улице Минина.", "address": "ул. Минина, 9",
        "lat": point.y, "lon": point.x,
        "attachments": [SimpleUploadedFile("call.txt", b"call record", content_type="text/plain")]})
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert response["Location"] == f"/desk/registered/{appeal.pk}/"
    assert appeal.channel == "phone" and appeal.author is None and appeal.author_contact == "+7 912 000-11-22"
    assert appeal.registered_at and appeal.deadline_at and appeal.status in (Status.REGISTERED, Status.ROUTED)
    assert abs((appeal.received_at - received).total_seconds()) < 60
    assert AppealAttachment.objects.filter(appeal=appeal).count() == 1
    assert appeal.events.filter(kind="register", actor=personas.operator).exists()
    page = personas.client("operator").get(response["Location"]).content.decode()
    assert appeal.number in page and timezone.localtime(appeal.deadline_at).strftime("%d.%m.%Y") in page
    # the contact stays private: the public appeal page does not carry it
    public = personas.client("anonymous").get(f"/appeals/{appeal.pk}/").content.decode()
    assert "000-11-22" not in public and "Петрова" not in public


def test_a_bad_registration_is_refused_field_by_field_and_writes_nothing(personas):
    response = personas.client("operator").post("/desk/new/", {
        "channel": "phone", "received_at": (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        "category": Category.objects.get(code="light-street").pk, "text": "коротко", "address": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Дата поступления не может быть в будущем." in html
    assert Appeal.objects.count() == 0
    response = personas.client("operator").post("/desk/new/", {
        "channel": "phone", "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "category": Category.objects.get(code="light-street").pk, "text": "Не горит фонарь где-то в городе.",
        "address": ""})
    assert response.status_code == 400 and "Укажите адрес или место на карте." in response.content.decode()
    assert Appeal.objects.count() == 0
    assert personas.client("citizen").post("/desk/new/", {}).status_code == 403


def test_duplicate_candidates_are_open_appeals_nearby_same_category_first(personas):
    here = point_in("centralny")
    original = make_appeal(personas.citizen, "roads-signs", text="Нет разметки на переходе у школы № 5.",
                           location=here)
    other_category = make_appeal(personas.citizen, "light-street", text="Не горит фонарь у той же школы.",
                                 location=here)
    far = make_appeal(personas.citizen, "roads-signs", text="Нет разметки на другом конце города.",
                      district="sormovsky")
    duplicate = queued(personas, text="Опять стёрлась зебра у школы № 5, дети идут.", location=here)
    data = personas.client("operator").get(f"/desk/{duplicate.pk}/duplicates/").json()["candidates"]
    assert [c["number"] for c in data] == [original.number, other_category.number]
    assert far.number not in [c["number"] for c in data] and data[0]["same_category"] and data[0]["distance_m"] == 0
    assert personas.client("executor_a").get(f"/desk/{duplicate.pk}/duplicates/").status_code == 403


def test_share_of_auto_routed_appeals_corrected_last_week(personas):
    roads = [make_appeal(personas.citizen, "roads-potholes", text=f"Яма номер {n} на дороге у дома.")
             for n in range(4)]
    actions.redirect_appeal(roads[0], actor=personas.operator, agency=Agency.objects.get(short_name="Адм. Центральный"),
                            reason="внутридворовой проезд")
    old = make_appeal(personas.citizen, "roads-potholes", text="Старая яма, направлена давно.")
    AppealEvent.objects.filter(appeal=old).update(created_at=timezone.now() - dt.timedelta(days=10))
    html = personas.client("operator").get("/desk/").content.decode()
    row = re.search(r"<tr><td>Комдорхоз</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)%</td></tr>", html)
    assert row and row.groups() == ("4", "1", "25")


def test_moderation_queue_lists_reported_comments_and_appeals_with_personal_data(personas):
    from geoportal.models import CitizenProfile

    CitizenProfile.objects.filter(user=personas.citizen).update(phone="+7 912 345-67-89")
    leaky = make_appeal(personas.citizen, "roads-potholes", text="Яма у дома 5, звоните мне +7 912 345-67-89.")
    clean = make_appeal(personas.other_citizen, "roads-potholes", text="Яма у дома 8, глубокая и опасная.")
    comment = discussion.post_comment(actor=personas.other_citizen, kind="appeal", target_id=clean.pk,
                                      text="Какая-то грубость в комментарии.")
    discussion.report_comment(actor=personas.citizen, comment=comment, reason="Оскорбления")
    quiet = discussion.post_comment(actor=personas.citizen, kind="appeal", target_id=clean.pk, text="Поддерживаю!")
    html = personas.client("moderator").get("/moderation/").content.decode()
    assert f'data-comment="{comment.pk}"' in html and f'data-comment="{quiet.pk}"' not in html
    assert f'data-appeal="{leaky.pk}"' in html and f'data-appeal="{clean.pk}"' not in html
    assert "звоните мне [скрыто]" in html  # the redaction preview


def test_agency_head_sees_workload_by_executor(personas):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма у дома 1 по улице Мира.")
    make_appeal(personas.citizen, "roads-potholes", text="Яма у дома 2 по улице Мира.")
    actions.claim_appeal(appeal, actor=personas.executor_a)
    html = personas.client("agency_head").get("/queue/").content.decode()
    table = html[html.index('id="workload"'):html.index("</table>", html.index('id="workload"'))]
    name = personas.executor_a.profile.full_name
    assert re.search(rf"<td>{re.escape(name)}</td><td>1</td><td>0</td>", table)
    assert re.search(r"<em>не назначен</em></td><td>1</td>", table)
    assert 'id="workload"' not in personas.client("executor_a").get("/queue/").content.decode()


def test_desks_speak_english_on_english_pages(personas):
    from pathlib import Path

    from tests.i18n_checks import assert_translated, gettext_msgids, untranslated_cyrillic

    root = Path(__file__).resolve().parents[2] / "frontend_map"
    modules = [root / name for name in ("doors.py", "views_moderation.py")]
    modules += [root.parent / "issues" / name for name in ("desk.py", "pages_desk.py", "workload.py", "pages.py",
                                                          "page_context.py")]
    assert [(m.name, untranslated_cyrillic(m)) for m in modules if untranslated_cyrillic(m)] == []
    assert_translated(gettext_msgids(modules))
    for who, url, english, russian in [
        ("operator", "/desk/", ["Operator's desk", "Waiting for registration and routing", "Register an appeal",
                                "not registered within 3 days"], "Ждут регистрации"),
        ("operator", "/desk/new/", ["Received by", "Attachments (scanned letter, photos, documents)", "Never published: seen by staff only."],
         "Как поступило"),
        ("moderator", "/moderation/", ["Moderator's desk", "No reported or hidden comments."], "Стол модератора"),
    ]:
        client = personas.client(who)
        client.cookies["django_language"] = "en"
        import html as markup

        html = markup.unescape(client.get(url).content.decode())
        assert [text for text in english if text not in html] == [], url
        assert russian not in html
    client = personas.client("leader")
    client.cookies["django_language"] = "en"
    refused = client.get("/desk/")
    assert refused.status_code == 403 and "The operator's desk is open to operators." in markup.unescape(
        refused.content.decode())


def test_desk_list_costs_the_same_queries_for_few_and_many_appeals(personas):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = personas.client("operator")
    client.get("/desk/items/")  # the session and the user are loaded once, like on any page

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            items = client.get("/desk/items/").json()["items"]
        return len(items), len(captured)

    queued(personas)
    few = queries()
    for n in range(4):
        queued(personas, text=f"Нет разметки у перехода номер {n}, дети переходят дорогу.")
    many = queries()
    assert (few[0], many[0]) == (1, 5) and few[1] == many[1]
