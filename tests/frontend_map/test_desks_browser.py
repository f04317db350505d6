"""The desks in real headless Chromium (phone 390×844 and desk 1366×900): the operator routes a
low-confidence appeal of the trained router with the key «2», merges a duplicate picked among
the candidates shown on the map, routes with one tap at phone size and registers a phone appeal
on a phone (number and deadline at once); the moderator hides a reported comment; an agency head sees the
workload by executor on the queue and reassigns an appeal by select. axe-core finds nothing
serious on the desk, the registration form and the moderation queue. (The
citizen's category search runs in Chromium in test_map_pages' report journeys, online and
offline, and over 99 phrasings in node.) Screenshots in var/test-artifacts/desk-*.png."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from fixtures.appeals_demo import generate_appeals
from infocenter import discussion
from infocenter.models import Comment
from issues.deadlines import MOSCOW
from issues.models import Appeal, Category, Status
from issues.routing_data import training_rows
from routing import registry
from tests.frontend_map.test_map_pages import login, screenshot, wait_for
from tests.issues.helpers import make_appeal, point_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def blocking_violations(page: Any) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now (as in
    test_accessibility, which audits the older pages)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context={"include": [["html"]]})
    return [f"{v['id']} ({v['impact']}) on {[n['target'] for n in v['nodes']][:5]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.fixture
def unsure_router(region: Any, settings: Any) -> Any:
    """A real router trained on a generated history, with a threshold nothing reaches: every
    new appeal waits on the desk with the router's top 3 and its explanation."""
    generate_appeals(500, seed=11, progress=False, until=dt.datetime(2026, 11, 1, tzinfo=MOSCOW))
    rows, labels, times = training_rows()
    registry.train_and_register(rows, labels, times, activate=True,
                                params={"max_iter": 50, "char_features": 0})  # a lean fit, as in tests/issues
    registry.reset_cache()
    # the history trained the router; the desk shows this test's appeals only (merged ones first:
    # a merged appeal may not lose its target)
    Appeal.objects.filter(duplicate_of__isnull=False).delete()
    Appeal.objects.all().delete()
    settings.ROUTER_CONFIDENCE_THRESHOLD = 1.01
    yield
    registry.reset_cache()


def test_operator_routes_with_a_shortcut_merges_a_duplicate_and_routes_with_one_tap(
        live_server, personas, unsure_router, desk_page, artifacts_dir):
    here = point_in("centralny")
    lamp = make_appeal(personas.citizen, "light-street", text="Не горит фонарь у дома 5, вечером темно.",
                       district="sormovsky")
    original = make_appeal(personas.citizen, "roads-signs", text="Стёрлась разметка на переходе у школы № 5.",
                           location=here)
    duplicate = make_appeal(personas.other_citizen, "roads-signs", text="Зебры у школы № 5 совсем не видно.",
                            location=here)
    for appeal in (lamp, original, duplicate):
        assert appeal.status == Status.REGISTERED and len(appeal.routing_suggestions) == 3
    second = lamp.routing_suggestions[1]

    page = desk_page
    login(page, live_server.url, "operator")
    page.goto(f"{live_server.url}/desk/")
    item = page.locator(f'.desk-item[data-id="{lamp.pk}"]')
    item.wait_for(timeout=15000)
    assert page.locator(".desk-item").count() == 3
    assert f"{second['agency']}" in item.locator(".suggestion").nth(1).inner_text()
    assert "%" in item.locator(".suggestion").first.inner_text() and item.locator(".explanation").inner_text()
    assert page.locator('[data-counter="waiting"]').inner_text() == "3"
    item.locator(".desk-text").click()
    page.wait_for_function(f"() => document.querySelector('.desk-item[data-id=\"{lamp.pk}\"]').classList.contains('is-current')")
    screenshot(page, "desk-operator-desk")
    assert blocking_violations(page) == []
    page.keyboard.press("2")
    wait_for(page, lambda: Appeal.objects.get(pk=lamp.pk).status == Status.ROUTED, what="the routing")
    routed = Appeal.objects.get(pk=lamp.pk)
    assert routed.responsible_agency_id == second["agency_id"]
    event = routed.events.get(kind="route")
    assert event.actor_id == personas.operator.pk and event.data["source"] == "operator"
    page.wait_for_function(f"() => !document.querySelector('.desk-item[data-id=\"{lamp.pk}\"]')")
    assert second["agency"] in page.locator("#desk-announce").inner_text()

    card = page.locator(f'.desk-item[data-id="{duplicate.pk}"]')
    card.locator("button.duplicate").click()
    merge = card.locator(".candidates button.merge")
    merge.first.wait_for(timeout=10000)
    assert original.number in card.locator(".candidates").inner_text()
    page.locator(".candidate-label", has_text=original.number).wait_for()  # the candidate on the map
    card.scroll_into_view_if_needed()
    screenshot(page, "desk-operator-duplicates")
    card.screenshot(path=str(artifacts_dir / "desk-operator-duplicates-card.png"))
    card.locator(".candidates li", has_text=original.number).locator("button.merge").click()
    wait_for(page, lambda: Appeal.objects.get(pk=duplicate.pk).status == Status.MERGED, what="the merge")
    assert Appeal.objects.get(pk=duplicate.pk).duplicate_of_id == original.pk
    assert Appeal.objects.get(pk=original.pk).supports.filter(user=personas.other_citizen).exists()

    phone = page  # the same session at phone size
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(f"{live_server.url}/desk/")
    remaining = phone.locator(f'.desk-item[data-id="{original.pk}"]')
    remaining.wait_for(timeout=15000)
    assert phone.locator(".desk-item").count() == 1
    screenshot(phone, "desk-operator-phone")
    first = original.routing_suggestions[0]
    remaining.locator(".suggestion").first.click()
    wait_for(phone, lambda: Appeal.objects.get(pk=original.pk).status == Status.ROUTED, what="the tap")
    assert Appeal.objects.get(pk=original.pk).responsible_agency_id == first["agency_id"]
    phone.wait_for_selector(".desk-list li.muted")
    assert phone.locator('[data-counter="waiting"]').inner_text() == "0"


def test_operator_registers_a_phone_appeal_and_gets_number_and_deadline(live_server, personas, phone_page, settings,
                                                                        tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    page = phone_page
    login(page, live_server.url, "operator")
    page.goto(f"{live_server.url}/")
    page.locator(".menu-toggle").tap()
    page.locator("#main-nav a[href='/desk/']").tap()
    page.locator("#desk-new").tap()
    page.wait_for_url(re.compile(r".*/desk/new/$"))
    page.select_option("#id_channel", "phone")
    page.fill("#id_author_name", "Петрова Анна Ивановна")
    page.fill("#id_author_contact", "+7 912 000-11-22")
    lamp = Category.objects.get(code="light-street")
    page.select_option("#id_category", str(lamp.pk))
    page.fill("#id_text", "Позвонила жительница: не горит фонарь у дома 9 по улице Минина.")
    page.fill("#id_address", "ул. Минина, 9")
    page.set_input_files("#id_attachments", files=[{"name": "call.txt", "mimeType": "text/plain",
                                                    "buffer": "запись звонка".encode()}])
    page.locator("#register-map").scroll_into_view_if_needed()
    box = page.locator("#register-map").bounding_box()
    page.locator("#register-map").tap(position={"x": box["width"] / 2, "y": box["height"] / 2})
    page.wait_for_function("() => document.getElementById('id_lat').value !== ''")
    screenshot(page, "desk-register-phone")
    assert blocking_violations(page) == []
    page.locator("#register-submit").tap()
    page.wait_for_url(re.compile(r".*/desk/registered/\d+/$"), timeout=20000)
    appeal = Appeal.objects.get()
    assert appeal.channel == "phone" and appeal.author_contact == "+7 912 000-11-22" and appeal.location
    assert appeal.registered_at and appeal.deadline_at and appeal.attachments.count() == 1
    assert page.locator("#registered-number").inner_text() == appeal.number
    from django.utils import timezone

    assert page.locator("#registered-deadline").inner_text() == timezone.localtime(appeal.deadline_at).strftime(
        "%d.%m.%Y")
    screenshot(page, "desk-registered-phone")
    page.set_viewport_size({"width": 1366, "height": 900})  # the same form on a desk
    page.goto(f"{live_server.url}/desk/new/")
    page.wait_for_selector("#register-map .leaflet-control-zoom")
    screenshot(page, "desk-register-desk")


def test_moderator_hides_a_reported_comment_and_a_head_reassigns_by_select(live_server, personas, desk_page):
    appeal = make_appeal(personas.citizen, "roads-potholes", text="Яма у дома 8, глубокая и опасная.")
    rude = discussion.post_comment(actor=personas.other_citizen, kind="appeal", target_id=appeal.pk,
                                   text="Грубость и оскорбления в адрес соседей.")
    discussion.report_comment(actor=personas.citizen, comment=rude, reason="Оскорбления")
    page = desk_page
    login(page, live_server.url, "moderator")
    page.goto(f"{live_server.url}/")
    page.locator("#main-nav a[href='/moderation/']").click()
    item = page.locator(f'[data-comment="{rude.pk}"]')
    item.wait_for()
    item.locator(".note").fill("оскорбления")
    screenshot(page, "desk-moderation-desk")
    assert blocking_violations(page) == []
    item.locator(".comment-hide").click()
    wait_for(page, lambda: Comment.objects.get(pk=rude.pk).is_hidden, what="the hiding")
    assert Comment.objects.get(pk=rude.pk).moderation_note == "оскорбления"
    item.locator(".comment-restore").wait_for()
    assert not item.locator(".comment-hide").is_visible() and item.locator(".state").inner_text() == "скрыт"
    public = personas.client("anonymous").get(f"/appeals/{appeal.pk}/").content.decode()
    assert "Грубость" not in public
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.locator(f'[data-comment="{rude.pk}"] .comment-restore').wait_for()
    screenshot(page, "desk-moderation-phone")

    # the roads agency's head: the workload by executor beside the queue map, reassigning by select
    pothole = make_appeal(personas.citizen, "roads-potholes", text="Яма у дома 12 по улице Минина.")
    page.context.clear_cookies()
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, live_server.url, "head_roads")
    page.goto(f"{live_server.url}/queue/")
    select = page.locator(f"#assign-{pothole.pk}")
    select.wait_for(timeout=15000)
    assert page.locator("#workload tbody tr").count() >= 2
    select.select_option(str(personas.executor_a.pk))
    wait_for(page, lambda: Appeal.objects.get(pk=pothole.pk).executor_id == personas.executor_a.pk, what="the assignment")
    assert Appeal.objects.get(pk=pothole.pk).events.filter(kind="assign", actor=personas.agency_head).exists()
    name = personas.executor_a.profile.full_name
    page.wait_for_function("([name]) => [...document.querySelectorAll('#workload tbody tr')].some("
                           "r => r.cells[0].textContent === name && r.cells[1].textContent === '1')", arg=[name])
    screenshot(page, "desk-queue-workload-head")
