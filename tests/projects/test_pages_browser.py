"""The residents' journeys in real headless Chromium at phone size (390×844, touch): a citizen
proposes a project (pins it on the map, fills the form, is told what is missing, submits and
sees the project page), and citizens vote — knapsack with the live budget bar (an over-budget
ballot refused by the server in words, a second ballot from a stale tab refused) and approval
with its counter. Screenshots go to var/test-artifacts/."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from projects.models import Ballot, BallotRule, Heading, Project, ProjectStatus
from tests.browser import login
from tests.browser import screenshot as save_screenshot
from tests.projects.conftest import inside

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def screenshot(page: Any, name: str) -> None:
    """A full-page picture from the top (sticky bars then sit where a reader sees them)."""
    page.evaluate("window.scrollTo(0, 0)")
    save_screenshot(page, name)


def tap_on_map(page: Any, map_selector: str, lat: float, lon: float) -> None:
    """Tap the map where (lat, lon) is now drawn (the map is already fitted to the district)."""
    page.wait_for_function("() => window.geoportal && window.geoportal.proposalMap")
    point = page.evaluate("([lat, lon]) => { var p = window.geoportal.proposalMap.latLngToContainerPoint([lat, lon]);"
                          " return {x: p.x, y: p.y}; }", [lat, lon])
    page.locator(map_selector).scroll_into_view_if_needed()
    page.locator(map_selector).tap(position=point)


def test_citizen_proposes_a_project_on_a_phone(live_server, personas, make_cycle, phone_page):
    cycle = make_cycle({"submission"}, min_group_size=10)
    heading = cycle.headings.get()
    page = phone_page
    login(page, live_server.url, "citizen")
    page.goto(f"{live_server.url}/projects/")
    page.get_by_role("link", name="Предложить проект").tap()
    page.wait_for_url(re.compile(r".*/projects/new/$"))
    page.select_option("#id_heading", str(heading.pk))
    page.wait_for_timeout(400)  # the map flies to the district
    spot = inside(heading)
    tap_on_map(page, "#proposal-map", spot.y, spot.x)
    page.wait_for_function("() => document.getElementById('geometry').value.length > 0")
    assert "Point" in page.input_value("#geometry")
    page.fill("#id_title", "Скамейки вдоль набережной")
    page.select_option("#id_category", "greenery")
    page.fill("#id_description", "Пять скамеек и урны вдоль прогулочной дорожки у реки")
    page.fill("#id_problem", "Пожилым жителям негде отдохнуть")
    page.fill("#cost-name-1", "Скамейка")
    page.fill("#cost-quantity-1", "5")
    page.fill("#cost-price-1", "12000")
    page.fill("#cost-name-2", "Монтаж")
    page.fill("#cost-price-2", "20000")
    page.get_by_role("button", name="+ Добавить статью").tap()
    page.fill("#cost-name-3", "Урны")
    page.fill("#cost-quantity-3", "5")
    page.fill("#cost-price-3", "3000")
    assert page.inner_text("#cost-total").replace("\u00a0", " ") == "95 000 ₽"
    page.fill("#id_cofinancing_residents", "9500")
    assert "85 500" in page.inner_text("#cofin-summary").replace("\u00a0", " ")
    # only three members: the server says what is missing, next to the group
    for n in range(1, 4):
        page.fill(f"#member-name-{n}", f"Участник Группы {n}")
        page.fill(f"#member-birth-{n}", "1975-03-0" + str(n))
    page.tap("#submit-proposal")
    page.wait_for_selector("#error-summary")
    assert "не менее 10 жителей старше 16 лет, указано 3" in page.inner_text("#group")
    assert page.input_value("#id_title") == "Скамейки вдоль набережной"  # nothing typed is lost
    assert not Project.objects.exists()
    screenshot(page, "projects-propose-errors-phone")
    for n in range(4, 11):
        page.fill(f"#member-name-{n}", f"Участник Группы {n}")
        page.fill(f"#member-birth-{n}", "1980-01-1" + str(n % 10))
    screenshot(page, "projects-propose-form-phone")
    page.tap("#submit-proposal")
    page.wait_for_url(re.compile(r".*/projects/\d+/$"), timeout=20000)
    project = Project.objects.get()
    assert project.status == ProjectStatus.SUBMITTED and project.author_id == personas.citizen.pk
    assert project.cost_estimate == Decimal(95_000) and project.group_members.count() == 10
    assert project.geometry.distance(spot) < 0.001  # where the citizen tapped
    assert page.inner_text("h1") == "Скамейки вдоль набережной"
    body = page.inner_text("main")
    assert "Подан, на проверке" in body and "95 000" in body and "10 жителей" in body
    assert "Участник Группы" not in page.content()
    page.wait_for_selector("#project-map .leaflet-marker-icon, #project-map path.leaflet-interactive")
    screenshot(page, "projects-proposed-page-phone")


def test_citizen_votes_with_a_knapsack_ballot_on_a_phone(live_server, personas, make_cycle, make_project,
                                                         phone_page, browser):
    cycle = make_cycle({"voting"}, money=Decimal(300_000), ballot_rule=BallotRule.KNAPSACK)
    heading = cycle.headings.get()
    costs = {"Детская площадка": 120_000, "Сквер": 150_000, "Освещение": 90_000, "Пандус": 60_000}
    projects = {title: make_project(heading, cost=Decimal(cost), title=title) for title, cost in costs.items()}
    page = phone_page
    login(page, live_server.url, "citizen")
    # the same resident has the ballot open on a second device too, loaded before voting
    second = browser.new_context(locale="ru-RU", viewport={"width": 390, "height": 844}, is_mobile=True,
                                 has_touch=True)
    second.route("**/*", lambda route: route.continue_() if "localhost" in route.request.url
                 or "127.0.0.1" in route.request.url else route.abort())
    stale = second.new_page()
    login(stale, live_server.url, "citizen")
    stale.goto(f"{live_server.url}/projects/headings/{heading.pk}/ballot/")
    page.goto(f"{live_server.url}/projects/")
    page.locator("details.headings summary").tap()  # the districts list opens
    page.get_by_role("link", name="Голосовать").first.tap()
    page.wait_for_url(re.compile(rf".*/projects/headings/{heading.pk}/ballot/$"))

    def budget() -> str:
        return page.inner_text("#budget-text").replace("\u00a0", " ")

    assert budget() == "0 ₽ из 300 000 ₽ · осталось 300 000 ₽"
    page.tap(f"#pick-{projects['Детская площадка'].pk}")
    page.tap(f"#pick-{projects['Сквер'].pk}")
    assert budget() == "270 000 ₽ из 300 000 ₽ · осталось 30 000 ₽"
    page.tap(f"#pick-{projects['Освещение'].pk}")
    assert budget() == "360 000 ₽ из 300 000 ₽ · больше средств района на 60 000 ₽"
    assert "over" in (page.get_attribute("#budget-bar", "class") or "")
    screenshot(page, "projects-ballot-over-budget-phone")
    page.tap("#cast")
    assert "стоимость больше средств района" in page.inner_text("#ballot-message")
    assert not Ballot.objects.exists()  # the page did not send an over-budget ballot
    page.tap(f"#pick-{projects['Освещение'].pk}")
    # meanwhile the district's money was cut: the page still shows 300 000, the server refuses
    Heading.objects.filter(pk=heading.pk).update(money=Decimal(250_000))
    page.tap("#cast")
    page.wait_for_selector("#ballot-message.bad")
    refused = page.inner_text("#ballot-message").replace("\u00a0", " ")
    assert "Бюллетень не принят" in refused and "Выбрано проектов на 270 000, а у района 250 000" in refused
    screenshot(page, "projects-ballot-400-phone")
    Heading.objects.filter(pk=heading.pk).update(money=Decimal(300_000))
    page.tap("#cast")
    page.wait_for_selector("#ballot-message.ok >> text=Бюллетень принят")
    ballot = Ballot.objects.get()
    assert ballot.voter_id == personas.citizen.pk
    assert sorted(ballot.choices.values_list("project__title", flat=True)) == ["Детская площадка", "Сквер"]
    screenshot(page, "projects-ballot-accepted-phone")
    # the stale tab: a second ballot is refused by the server, in words
    stale.tap(f"#pick-{projects['Пандус'].pk}")
    stale.tap("#cast")
    stale.wait_for_selector("#ballot-message.bad")
    assert "второй бюллетень не принимается" in stale.inner_text("#ballot-message")
    assert "уже подан" in stale.inner_text("#ballot-message")
    assert Ballot.objects.count() == 1
    screenshot(stale, "projects-ballot-409-phone")
    second.close()
    page.reload()
    assert "Ваш бюллетень принят" in page.inner_text("#ballot-done")


def test_citizen_votes_with_an_approval_ballot_on_a_phone(live_server, personas, make_cycle, make_project,
                                                          phone_page):
    cycle = make_cycle({"voting"}, ballot_rule=BallotRule.APPROVAL, max_approvals=2)
    heading = cycle.headings.get()
    projects = [make_project(heading, title=title) for title in ("Каток", "Велодорожка", "Клумбы")]
    page = phone_page
    login(page, live_server.url, "citizen2")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/projects/headings/{heading.pk}/ballot/")
    assert page.inner_text("#budget-text") == "Выбрано: 0 из 2"
    page.tap(f"#pick-{projects[0].pk}")
    page.tap(f"#pick-{projects[1].pk}")
    assert page.inner_text("#budget-text") == "Выбрано: 2 из 2"
    page.tap(f"#pick-{projects[2].pk}")  # a third tick is taken back with a word why
    assert not page.is_checked(f"#pick-{projects[2].pk}")
    assert "Больше выбрать нельзя" in page.inner_text("#ballot-message")
    screenshot(page, "projects-ballot-approval-phone")
    page.tap("#cast")
    page.wait_for_selector("#ballot-message.ok >> text=Бюллетень принят")
    assert Ballot.objects.get().choices.count() == 2
    assert not errors


def test_list_project_in_progress_and_results_on_a_phone(live_server, personas, phone_page, desk_page):
    """The demo generator's two cycles (through the real actions): the list with its map and
    filters, a project being built with its progress and stages, and a district's results."""
    from fixtures.projects_demo import CYCLE_CURRENT, CYCLE_PAST, generate_projects
    from projects.models import BudgetCycle, SelectionDecision

    assert generate_projects(30, seed=11, progress=False) == 30
    past = BudgetCycle.objects.get(name=CYCLE_PAST)
    page = phone_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    login(page, live_server.url, "citizen2")
    page.goto(f"{live_server.url}/projects/")
    page.wait_for_selector("#projects-map path.leaflet-interactive", state="attached")
    assert page.locator("#projects-map path.leaflet-interactive").count() == Project.objects.public().filter(
        cycle__name=CYCLE_CURRENT).count()
    screenshot(page, "projects-list-phone")
    page.goto(f"{live_server.url}/projects/?cycle={past.pk}")
    page.select_option("#f-status", "in_progress")
    page.get_by_role("button", name="Показать").tap()
    page.wait_for_url(re.compile(r".*status=in_progress.*"))
    building = Project.objects.filter(cycle=past, status=ProjectStatus.IN_PROGRESS)
    assert page.locator(".project-card").count() == building.count() > 0
    page.locator(".project-card a").first.tap()
    page.wait_for_url(re.compile(r".*/projects/\d+/$"))
    project = Project.objects.get(pk=int(page.url.rstrip("/").split("/")[-1]))
    assert project.status == ProjectStatus.IN_PROGRESS
    assert page.inner_text("#progress-value") == f"{project.progress_percent.quantize(Decimal('1'))}%"
    assert page.locator(".milestones li").count() == project.milestones.count() == 4
    # a resident reports on the works from the phone
    page.select_option("#control-kind", "delay")
    page.fill("#control-text", "Вторую неделю никого нет, площадка огорожена")
    page.get_by_role("button", name="Отправить отчёт").tap()
    page.wait_for_url(re.compile(r".*#control$"))
    assert "Отчёт передан ответственным" in page.inner_text(".messages")
    assert project.control_reports.filter(author=personas.other_citizen, kind="delay").count() == 1
    screenshot(page, "projects-in-progress-phone")
    loser = SelectionDecision.objects.filter(run__heading__cycle=past, selected=False,
                                             reason__startswith="не хватило").select_related("run").first()
    assert loser is not None, "the demo's crowded districts leave a project without money"
    page.goto(f"{live_server.url}/projects/headings/{loser.run.heading_id}/results/")
    assert loser.reason[1:] in page.inner_text("#losers").replace("\u00a0", " ")
    screenshot(page, "projects-results-phone")
    assert not errors
    desk_page.goto(f"{live_server.url}/projects/?cycle={past.pk}")
    desk_page.wait_for_selector("#projects-map path.leaflet-interactive", state="attached")
    screenshot(desk_page, "projects-list-desk")
    desk_page.goto(f"{live_server.url}/projects/{project.pk}/")
    screenshot(desk_page, "projects-in-progress-desk")


def test_cumulative_and_ranked_ballots_on_a_phone(live_server, personas, make_cycle, make_project, phone_page):
    points_cycle = make_cycle({"voting"}, name="Баллы", ballot_rule=BallotRule.CUMULATIVE, points_total=10)
    ranked_cycle = make_cycle({"voting"}, name="Места", ballot_rule=BallotRule.RANKED, max_ranks=2,
                              districts=("sovetsky",))
    points_heading, ranked_heading = points_cycle.headings.get(), ranked_cycle.headings.get()
    a, b = (make_project(points_heading, title=t) for t in ("Каток", "Горка"))
    x, y, z = (make_project(ranked_heading, title=t) for t in ("Фонтан", "Клумба", "Лавочки"))
    page = phone_page
    login(page, live_server.url, "citizen")
    page.goto(f"{live_server.url}/projects/headings/{points_heading.pk}/ballot/")
    assert page.inner_text("#budget-text") == "Осталось баллов: 10"
    page.fill(f"#pick-{a.pk}-points", "7")
    page.fill(f"#pick-{b.pk}-points", "5")
    assert page.inner_text("#budget-text") == "Лишних баллов: 2"
    page.tap("#cast")
    assert "больше баллов" in page.inner_text("#ballot-message")
    page.fill(f"#pick-{b.pk}-points", "3")
    page.tap("#cast")
    page.wait_for_selector("#ballot-message.ok >> text=Бюллетень принят")
    ballot = Ballot.objects.get(heading=points_heading)
    assert dict(ballot.choices.values_list("project__title", "points")) == {"Каток": 7, "Горка": 3}

    page.goto(f"{live_server.url}/projects/headings/{ranked_heading.pk}/ballot/")
    page.select_option(f"#pick-{z.pk}-rank", "1")
    page.select_option(f"#pick-{x.pk}-rank", "1")
    page.tap("#cast")
    assert "Места должны быть разными" in page.inner_text("#ballot-message")
    page.select_option(f"#pick-{x.pk}-rank", "2")
    screenshot(page, "projects-ballot-ranked-phone")
    page.tap("#cast")
    page.wait_for_selector("#ballot-message.ok >> text=Бюллетень принят")
    ranked = Ballot.objects.get(heading=ranked_heading)
    assert list(ranked.choices.order_by("position").values_list("project__title", flat=True)) == ["Лавочки", "Фонтан"]
    assert y.pk not in ranked.choices.values_list("project_id", flat=True)
