"""The acts of a budget cycle through projects.actions: every phase gate (dates enforced),
who may act, the initiative group, review, supports, ballots by rule, scoring by rubric tiers,
progress roll-up by weight, expenses."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from projects import actions
from projects.models import (
    BallotRule,
    Criterion,
    CriterionKind,
    CriterionTier,
    MilestoneStatus,
    PhaseKind,
    ProjectEvent,
    ProjectStatus,
    Rubric,
)

from .conftest import close_all, group, inside, open_all
from .official_helpers import agency_of

pytestmark = pytest.mark.django_db


def submit(personas, heading, **kwargs):
    defaults = {"author": personas.citizen, "heading": heading, "title": "Площадка", "description": "Для детей",
                "geometry": inside(heading), "category": "yards",
                "cost_items": [{"name": "Покрытие", "quantity": 2, "unit_price": 50_000}], "group": group()}
    return actions.do_submit_project(**(defaults | kwargs))


# --- every phase gate ----------------------------------------------------------------------------

def _act(kind, personas, heading, project):
    if kind == "submission":
        return submit(personas, heading)
    if kind == "review":
        return actions.do_review_project(project, actor=personas.operator, feasible=True)
    if kind == "support":
        return actions.do_support_project(project, actor=personas.other_citizen)
    if kind == "scoring":
        return actions.do_score_project(project, member=personas.leader, scores={"significance": 5})
    if kind == "voting":
        return actions.do_cast_ballot(heading, voter=personas.other_citizen, choices=[{"project": project.pk}])
    if kind == "paper":
        return actions.do_enter_paper_ballot(heading, actor=personas.operator, voter_key="17",
                                             choices=[{"project": project.pk}])
    if kind == "selection":
        return actions.do_run_selection(heading, actor=personas.leader)
    if kind == "implementation":
        return actions.do_start_implementation(project, actor=personas.executor_a, agency=agency_of(personas.executor_a))
    raise AssertionError(kind)


GATES = {"submission": "submission", "review": "review", "support": "support", "scoring": "scoring",
         "voting": "voting", "paper": "voting", "selection": "selection", "implementation": "implementation"}


@pytest.mark.parametrize("act", sorted(GATES))
def test_every_act_is_gated_by_its_phase_dates(make_cycle, make_project, personas, act):
    rubric = Rubric.objects.create(name="R")
    Criterion.objects.create(rubric=rubric, code="significance", name="Значимость", kind=CriterionKind.MANUAL)
    cycle = make_cycle(rubric=rubric)
    heading = cycle.headings.get()
    project = make_project(heading, feasible=None if act == "review" else True)
    if act == "implementation":
        open_all(cycle, "selection")
        actions.do_run_selection(heading, actor=personas.leader)
        close_all(cycle, "selection")
        project.refresh_from_db()
        assert project.status == ProjectStatus.SELECTED
    events = ProjectEvent.objects.count()
    with pytest.raises(actions.PhaseClosed) as closed:
        _act(act, personas, heading, project)
    assert closed.value.http_status == 409 and "сейчас не идёт" in str(closed.value)
    assert ProjectEvent.objects.count() == events  # nothing happened
    open_all(cycle, GATES[act])
    _act(act, personas, heading, project)
    # a phase that ended a minute ago is closed again (end exclusive)
    phase = cycle.phases.get(kind=GATES[act])
    phase.ends_at = phase.starts_at + dt.timedelta(seconds=1)
    phase.save()
    assert cycle.open_phase(GATES[act]) is None


def test_staff_cannot_propose_and_citizens_cannot_review(make_cycle, personas, make_project):
    cycle = make_cycle({"submission", "review"})
    heading = cycle.headings.get()
    with pytest.raises(PermissionDenied):
        submit(personas, heading, author=personas.operator)
    project = submit(personas, heading)
    with pytest.raises(PermissionDenied):
        actions.do_review_project(project, actor=personas.citizen, feasible=True)
    with pytest.raises(PermissionDenied):
        actions.do_review_project(project, actor=personas.executor_a, feasible=True)


# --- proposal and review --------------------------------------------------------------------------

def test_submission_records_estimate_group_and_timeline(make_cycle, personas):
    heading = make_cycle({"submission"}).headings.get()
    project = submit(personas, heading, cost_items=[{"name": "Покрытие", "quantity": "2.5", "unit_price": 40_000},
                                                    {"name": "Скамейки", "quantity": 4, "unit_price": "12500.50"}])
    assert project.cost_estimate == Decimal("150002.00") and project.status == ProjectStatus.SUBMITTED
    assert project.group_members.count() == 10 and project.district == heading.district
    assert list(project.events.values_list("kind", "to_status")) == [("create", "draft"), ("submit", "submitted")]


def test_group_needs_ten_residents_aged_16(make_cycle, personas):
    heading = make_cycle({"submission"}).headings.get()
    today = timezone.localdate()
    young = group(9) + [{"full_name": "Подросток", "birth_date": today.replace(year=today.year - 15)}]
    with pytest.raises(ValidationError) as error:
        submit(personas, heading, group=young)
    assert "не менее 10" in str(error.value.message_dict["group"])
    sixteen_today = group(9) + [{"full_name": "Ровно 16", "birth_date": today.replace(year=today.year - 16)}]
    assert submit(personas, heading, group=sixteen_today).group_members.count() == 10


def test_project_outside_its_district_and_bad_estimate_are_refused_together(make_cycle, personas):
    from geoportal.models import District

    heading = make_cycle({"submission"}).headings.get()
    elsewhere = District.objects.exclude(pk=heading.district_id).first().boundary.point_on_surface
    elsewhere.srid = 4326
    with pytest.raises(ValidationError) as error:
        submit(personas, heading, geometry=elsewhere, cost_items=[{"name": "", "unit_price": -1}], title=" ")
    assert set(error.value.message_dict) == {"geometry", "cost_items", "title"}
    assert heading.projects.count() == 0


def test_unfeasible_needs_an_explanation_and_leaves_the_contest(make_cycle, make_project, personas):
    cycle = make_cycle({"review"})
    heading = cycle.headings.get()
    project = make_project(heading, feasible=None)
    with pytest.raises(ValidationError):
        actions.do_review_project(project, actor=personas.operator, feasible=False, explanation="  ")
    actions.do_review_project(project, actor=personas.operator, feasible=False, explanation="Участок частный")
    project.refresh_from_db()
    assert project.status == ProjectStatus.UNFEASIBLE and project.feasibility_explanation == "Участок частный"
    with pytest.raises(actions.Conflict):
        actions.do_review_project(project, actor=personas.operator, feasible=True)
    open_all(cycle, "voting")
    with pytest.raises(ValidationError, match="не участвуют"):
        actions.do_cast_ballot(heading, voter=personas.citizen, choices=[{"project": project.pk}])


def test_reviewed_price_replaces_the_estimate(make_cycle, make_project, personas):
    heading = make_cycle({"review"}).headings.get()
    project = make_project(heading, feasible=None, cost=Decimal(100_000))
    actions.do_review_project(project, actor=personas.operator, feasible=True, reviewed_price=Decimal(120_000))
    project.refresh_from_db()
    assert project.cost == Decimal(120_000) and project.cost_estimate == Decimal(100_000)


def test_support_once(make_cycle, make_project, personas):
    heading = make_cycle({"support"}).headings.get()
    project = make_project(heading)
    assert actions.do_support_project(project, actor=personas.other_citizen).supports_count == 1
    with pytest.raises(actions.Conflict):
        actions.do_support_project(project, actor=personas.other_citizen)
    with pytest.raises(PermissionDenied):
        actions.do_support_project(project, actor=personas.leader)


# --- ballots by rule ----------------------------------------------------------------------------

def test_approval_at_most_k_and_one_ballot(make_cycle, make_project, personas):
    cycle = make_cycle({"voting"}, ballot_rule=BallotRule.APPROVAL, max_approvals=2)
    heading = cycle.headings.get()
    projects = [make_project(heading, title=f"П{i}") for i in range(3)]
    with pytest.raises(ValidationError, match="не более 2"):
        actions.do_cast_ballot(heading, voter=personas.citizen, choices=[{"project": p.pk} for p in projects])
    with pytest.raises(ValidationError, match="дважды"):
        actions.do_cast_ballot(heading, voter=personas.citizen, choices=[{"project": projects[0].pk}] * 2)
    ballot = actions.do_cast_ballot(heading, voter=personas.citizen, choices=[{"project": p.pk} for p in projects[:2]])
    assert ballot.choices.count() == 2 and ballot.voter_key == f"user:{personas.citizen.pk}"
    with pytest.raises(actions.Conflict, match="уже подан"):
        actions.do_cast_ballot(heading, voter=personas.citizen, choices=[{"project": projects[2].pk}])
    assert heading.ballots.count() == 1


def test_knapsack_total_within_the_headings_money(make_cycle, make_project, personas):
    cycle = make_cycle({"voting"}, ballot_rule=BallotRule.KNAPSACK, money=Decimal(250_000))
    heading = cycle.headings.get()
    a, b, c = (make_project(heading, cost=Decimal(cost)) for cost in (100_000, 150_000, 1))
    with pytest.raises(ValidationError, match="250 000"):
        actions.do_cast_ballot(heading, voter=personas.citizen, choices=[{"project": p.pk} for p in (a, b, c)])
    actions.do_cast_ballot(heading, voter=personas.citizen, choices=[{"project": p.pk} for p in (a, b)])  # exactly


def test_cumulative_points_and_ranked_places(make_cycle, make_project, personas):
    cycle = make_cycle({"voting"}, ballot_rule=BallotRule.CUMULATIVE, points_total=10)
    heading = cycle.headings.get()
    a, b = make_project(heading), make_project(heading)
    with pytest.raises(ValidationError, match="11 баллов из 10"):
        actions.do_cast_ballot(heading, voter=personas.citizen, choices=[{"project": a.pk, "points": 6},
                                                                      {"project": b.pk, "points": 5}])
    actions.do_cast_ballot(heading, voter=personas.citizen, choices=[{"project": a.pk, "points": 7},
                                                                  {"project": b.pk, "points": 3}])
    actions.do_cast_ballot(heading, voter=personas.other_citizen, choices=[{"project": b.pk, "points": 10}])
    assert actions.tally(heading) == {a.pk: 7, b.pk: 13}
    cycle.ballot_rule, cycle.max_ranks = BallotRule.RANKED, 3
    cycle.save()
    heading.ballots.all().delete()
    actions.do_cast_ballot(heading, voter=personas.citizen, choices=[{"project": b.pk}, {"project": a.pk}])
    actions.do_cast_ballot(heading, voter=personas.other_citizen, choices=[{"project": a.pk}])
    assert actions.tally(heading) == {b.pk: 3, a.pk: 2 + 3}


def test_choose_one_and_staff_do_not_vote(make_cycle, make_project, personas):
    heading = make_cycle({"voting"}, ballot_rule=BallotRule.CHOOSE_ONE).headings.get()
    a, b = make_project(heading), make_project(heading)
    with pytest.raises(ValidationError, match="ровно один"):
        actions.do_cast_ballot(heading, voter=personas.citizen, choices=[{"project": a.pk}, {"project": b.pk}])
    with pytest.raises(PermissionDenied):
        actions.do_cast_ballot(heading, voter=personas.operator, choices=[{"project": a.pk}])


def test_paper_ballots_by_operator_once_per_register_number(make_cycle, make_project, personas):
    heading = make_cycle({"voting"}).headings.get()
    project = make_project(heading)
    ballot = actions.do_enter_paper_ballot(heading, actor=personas.operator, voter_key="0042",
                                           choices=[{"project": project.pk}])
    assert ballot.voter is None and ballot.entered_by == personas.operator and ballot.channel == "paper"
    with pytest.raises(actions.Conflict):
        actions.do_enter_paper_ballot(heading, actor=personas.operator, voter_key="0042",
                                      choices=[{"project": project.pk}])
    with pytest.raises(PermissionDenied):
        actions.do_enter_paper_ballot(heading, actor=personas.citizen, voter_key="1", choices=[{"project": project.pk}])


# --- selection over stored ballots --------------------------------------------------------------

def test_run_selection_stores_decisions_with_reasons_and_can_be_rerun(make_cycle, make_project, personas):
    cycle = make_cycle({"voting", "selection"}, money=Decimal(100_000))
    heading = cycle.headings.get()
    big, small, middle = (make_project(heading, cost=Decimal(c), title=t)
                          for c, t in ((60_000, "Большой"), (30_000, "Малый"), (52_000, "Средний")))
    for key, picks in enumerate([[big, middle], [big, middle], [middle, small], [middle], [big]]):
        actions.do_enter_paper_ballot(heading, actor=personas.operator, voter_key=str(key),
                                      choices=[{"project": p.pk} for p in picks])
    run = actions.do_run_selection(heading, actor=personas.leader)
    decisions = {d.project_id: d for d in run.decisions.all()}
    assert decisions[middle.pk].selected and decisions[small.pk].selected and not decisions[big.pk].selected
    assert decisions[big.pk].reason == "не хватило средств: осталось 48 000, стоимость 60 000"
    assert run.spent == Decimal(82_000)
    big.refresh_from_db()
    assert big.status == ProjectStatus.NOT_SELECTED and big.tally == 3
    assert big.events.filter(kind="selection").exists()
    with pytest.raises(PermissionDenied):
        actions.do_run_selection(heading, actor=personas.operator)
    actions.do_run_selection(heading, actor=personas.leader)  # a second run is allowed before implementation


# --- commission scoring -------------------------------------------------------------------------

def residents_rubric() -> Rubric:
    rubric = Rubric.objects.create(name="Областная методика")
    residents = Criterion.objects.create(rubric=rubric, code="residents", name="Софинансирование жителей",
                                         kind=CriterionKind.RESIDENTS_SHARE, max_points=Decimal(15))
    CriterionTier.objects.create(criterion=residents, lower=Decimal(5), upper=Decimal(10), points=Decimal(5))
    CriterionTier.objects.create(criterion=residents, lower=Decimal(10), include_lower=False, points=Decimal(15))
    labour = Criterion.objects.create(rubric=rubric, code="labour", name="Трудовое участие", weight=Decimal(2),
                                      kind=CriterionKind.INKIND_SHARE, max_points=Decimal(10))
    CriterionTier.objects.create(criterion=labour, lower=Decimal(1), points=Decimal(3))
    Criterion.objects.create(rubric=rubric, code="significance", name="Значимость", kind=CriterionKind.MANUAL,
                             weight=Decimal("0.5"), max_points=Decimal(10))
    return rubric


@pytest.mark.parametrize(("residents", "points"), [(4_999, 0), (5_000, 5), (10_000, 5), (10_001, 15), (30_000, 15)])
def test_residents_cofinancing_tiers(make_cycle, make_project, personas, residents, points):
    cycle = make_cycle({"scoring"}, rubric=residents_rubric())
    project = make_project(cycle.headings.get(), cost=Decimal(100_000), cofinancing_residents=Decimal(residents))
    breakdown = {row["criterion"]: row for row in actions.score_breakdown(project)}
    assert breakdown["residents"]["points"] == points


def test_commission_total_is_tiers_times_weights_plus_members_mean(make_cycle, make_project, personas):
    cycle = make_cycle({"scoring"}, rubric=residents_rubric())
    project = make_project(cycle.headings.get(), cost=Decimal(100_000), cofinancing_residents=Decimal(12_000),
                           inkind_labour=Decimal(2_000))
    assert actions.do_score_project(project, member=personas.leader, scores={"significance": 8}) == Decimal("25.00")
    # 15 (residents 12 %) + 2 × 3 (labour 2 %) + 0.5 × mean(8, 4) = 24
    assert actions.do_score_project(project, member=personas.agency_head, scores={"significance": 4}) == Decimal("24.00")
    project.refresh_from_db()
    assert project.commission_score == Decimal("24.00") and project.commission_scores.count() == 2
    with pytest.raises(ValidationError) as error:
        actions.do_score_project(project, member=personas.leader, scores={"significance": 11, "residents": 3})
    assert set(error.value.message_dict) == {"significance", "residents"}
    with pytest.raises(PermissionDenied):
        actions.do_score_project(project, member=personas.citizen, scores={"significance": 1})


# --- implementation: progress roll-up and money ---------------------------------------------------

@pytest.fixture
def building(make_cycle, make_project, personas):
    cycle = make_cycle({"selection", "implementation"})
    heading = cycle.headings.get()
    project = make_project(heading)
    actions.do_enter_paper_ballot  # noqa: B018 - selection with no ballots still funds what fits
    actions.do_run_selection(heading, actor=personas.leader)
    return actions.do_start_implementation(project, actor=personas.executor_a, contractor="ООО Ромашка",
                                           agency=agency_of(personas.executor_a), contract_amount=Decimal(90_000))


def test_progress_rolls_up_by_weight(building, personas):
    actor = personas.executor_a
    design = actions.do_add_milestone(building, actor=actor, title="Проект", weight=Decimal(1))
    works = actions.do_add_milestone(building, actor=actor, title="Работы", weight=Decimal(3))
    paving = actions.do_add_milestone(building, actor=actor, title="Покрытие", weight=Decimal(1), parent=works)
    fence = actions.do_add_milestone(building, actor=actor, title="Ограждение", weight=Decimal(3), parent=works)
    cancelled = actions.do_add_milestone(building, actor=actor, title="Фонтан", weight=Decimal(10))
    actions.do_update_milestone(cancelled, actor=actor, status=MilestoneStatus.CANCELLED)
    assert actions.do_update_milestone(design, actor=actor, status=MilestoneStatus.DONE).progress_percent == 25
    project = actions.do_update_milestone(paving, actor=actor, status=MilestoneStatus.IN_PROGRESS,
                                          progress=Decimal(40))
    # works = (1×40 + 3×0)/4 = 10; project = (1×100 + 3×10)/4 = 32.5
    assert project.progress_percent == Decimal("32.50")
    project = actions.do_update_milestone(fence, actor=actor, status=MilestoneStatus.DONE)
    assert project.progress_percent == Decimal("88.75")  # works (40 + 300)/4 = 85 → (100 + 3×85)/4
    with pytest.raises(ValidationError):
        actions.do_update_milestone(works, actor=actor, status=MilestoneStatus.DONE)  # composite: from children
    with pytest.raises(actions.Conflict):
        actions.do_complete_project(building, actor=actor)
    actions.do_update_milestone(paving, actor=actor, status=MilestoneStatus.DONE)
    done = actions.do_complete_project(building, actor=actor)
    assert done.status == ProjectStatus.COMPLETED and done.progress_percent == 100


def test_expenses_stay_within_the_contract(building, personas):
    actor = personas.executor_a
    actions.do_record_expense(building, actor=actor, amount=Decimal(60_000), paid_on=dt.date(2026, 5, 1),
                              description="Аванс")
    with pytest.raises(ValidationError, match="превысят"):
        actions.do_record_expense(building, actor=actor, amount=Decimal(30_001), paid_on=dt.date(2026, 6, 1),
                                  description="Остаток")
    actions.do_record_expense(building, actor=actor, amount=Decimal(30_000), paid_on=dt.date(2026, 6, 1),
                              description="Остаток")
    assert actions.spent(building) == Decimal(90_000)
    with pytest.raises(PermissionDenied):
        actions.do_record_expense(building, actor=personas.citizen, amount=Decimal(1), paid_on=dt.date(2026, 6, 1),
                                  description="x")


def test_control_report_is_answered(building, personas):
    report = actions.do_submit_control_report(building, author=personas.other_citizen, text="Работы стоят", kind="delay")
    with pytest.raises(PermissionDenied):
        actions.do_answer_control_report(report, actor=personas.citizen, answer="?")
    answered = actions.do_answer_control_report(report, actor=personas.executor_a, answer="Возобновим в понедельник")
    assert answered.status == "answered" and answered.answered_by == personas.executor_a
    with pytest.raises(actions.Conflict):
        actions.do_answer_control_report(report, actor=personas.executor_a, answer="Ещё раз")


def test_need_score_asks_the_registered_counter_with_the_related_codes(make_cycle, make_project, personas):
    from projects import need

    project = make_project(make_cycle().headings.get())
    wired = need._counter
    calls = []
    need.register_appeal_counter(lambda geometry, radius, codes, since: calls.append((radius, codes)) or 7)
    try:
        assert actions.do_refresh_need_score(project) == 7
    finally:
        need.register_appeal_counter(wired)  # the real counter (ProjectsConfig.ready) stays for other tests
    assert calls == [(500.0, need.RELATED_CATEGORIES["yards"])] and project.need_score == 7


def test_phase_kinds_cover_the_cycle():
    assert PhaseKind.values == ["submission", "review", "support", "scoring", "voting", "selection",
                                "implementation", "finished"]
