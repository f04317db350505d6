"""Every state-changing write on initiative projects goes through a function here.

Each action is atomic, checks who may act (``access.can``) and whether the cycle's phase is
open (dates enforced), changes state through ``Project.transition`` (which leaves a
``ProjectEvent``) and refuses bad input with a ``ValidationError`` (→ 400) or a conflict with
the current state (→ 409) in the request's language (Russian by default; texts that are stored —
notices, an appeal's text — are Russian whoever acts). Views, the API, management commands and
demo generators all call these."""
from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Max, Sum, Value
from django.db.models.functions import Greatest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from geoportal.models import Agency, District, Role

from . import need, notifications, pabulib
from .access import can, may_monitor, monitoring_agency_ids
from .models import (
    TRANSITIONS,
    BallotChannel,
    BallotRule,
    BudgetCycle,
    CommissionScore,
    ControlReport,
    ControlReportKind,
    ControlReportStatus,
    CostItem,
    Criterion,
    CriterionKind,
    Expense,
    Heading,
    IllegalTransition,
    InitiativeGroupMember,
    Milestone,
    MilestoneStatus,
    PhaseKind,
    Project,
    ProjectEvent,
    ProjectPhoto,
    ProjectStatus,
    SelectionDecision,
    SelectionRule,
    SelectionRun,
    Support,
)
from .models import Ballot as BallotModel
from .models import BallotChoice as ChoiceModel
from .selection import Candidate, Decision, equal_shares, greedy, money

MIN_MEMBER_AGE = 16  # 131-FZ art. 26.1


class Conflict(Exception):
    """The request clashes with the current state (HTTP 409)."""

    http_status = 409


class PhaseClosed(Conflict):
    def __init__(self, cycle: BudgetCycle, kind: str) -> None:
        super().__init__(_("Этап «{phase}» конкурса «{cycle}» сейчас не идёт").format(
            phase=PhaseKind(kind).label, cycle=cycle.name))
        self.kind = kind


def _require(user: Any, act: str) -> None:
    if not can(user, act):
        raise PermissionDenied(_("Недостаточно прав для этого действия"))


def _require_monitor(user: Any, project: Project) -> None:
    """Monitoring writes, after the act's role check (``_require``): executors and agency heads
    need a staff membership in the project's implementing agency (or its parent)."""
    allowed = monitoring_agency_ids(user)
    if allowed is not None and project.implementing_agency_id not in allowed:
        raise PermissionDenied(_("Проект реализует другое ведомство: вносить данные мониторинга могут только его "
                                 "сотрудники и операторы администрации"))


def _require_phase(cycle: BudgetCycle, *kinds: str, now: dt.datetime | None = None) -> None:
    if not any(cycle.open_phase(kind, now) for kind in kinds):
        raise PhaseClosed(cycle, kinds[0])


def _transition(project: Project, to_status: str, **kwargs: Any) -> ProjectEvent:
    try:
        event = project.transition(to_status, **kwargs)
    except IllegalTransition as exc:
        raise Conflict(str(exc)) from exc
    notifications.event_recorded(event)
    return event


def _locked(project: Project | int) -> Project:
    pk = project.pk if isinstance(project, Project) else project
    return Project.objects.select_for_update().select_related("cycle", "heading").get(pk=pk)


def _age(birth_date: dt.date, on: dt.date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


# --- proposal -----------------------------------------------------------------------------------

@transaction.atomic
def submit_project(*, author: Any, heading: Heading, title: str, description: str, geometry: GEOSGeometry,
                   category: str, cost_items: Sequence[Mapping[str, Any]],
                   group: Sequence[Mapping[str, Any]], problem: str = "", expected_results: str = "",
                   cofinancing_residents: Decimal = Decimal(0), cofinancing_business: Decimal = Decimal(0),
                   cofinancing_local_budget: Decimal = Decimal(0), inkind_labour: Decimal = Decimal(0),
                   beneficiaries: int = 0, durability_years: int | None = None,
                   meeting_minutes: Any = None, photos: Sequence[Any] = (), submission_key: str = "",
                   now: dt.datetime | None = None) -> Project:
    """A resident submits a project for a district heading during the submission phase.

    ``submission_key``: the form's one-time token; a second call with the same author and key
    returns the project the first one created (stored on the project, unique per author, so it
    holds across cache loss and concurrent requests) and writes nothing.

    ``cost_items``: name, quantity, unit_price (the estimate is their sum); ``group``: the
    initiative group (full_name, birth_date, address, user), at least the cycle's minimum of
    residents aged 16+. ``meeting_minutes``: the residents' meeting minutes (PDF, JPEG or PNG,
    told by the file's first bytes, up to 20 MB; stored under an unguessable name and given only
    to reviewers, see ``views_official.meeting_minutes``); ``photos``: up to 5 JPEG/PNG photos
    of the place (10 MB each), stored as re-encoded copies without EXIF/GPS, turned upright."""
    _require(author, "submit")
    submission_key = submission_key[:64]
    if submission_key:
        # concurrent twins wait here for the first one's outcome instead of failing on the constraint
        _lock_submission(author, submission_key)
        done = Project.objects.filter(author=author, submission_key=submission_key).first()
        if done is not None:
            return done
    cycle = heading.cycle
    now = now or timezone.now()
    _require_phase(cycle, PhaseKind.SUBMISSION, now=now)
    errors: dict[str, list[str]] = defaultdict(list)
    if not title.strip():
        errors["title"].append(_("Укажите название проекта"))
    if not description.strip():
        errors["description"].append(_("Опишите проект"))
    if geometry is None or geometry.srid != 4326 or not geometry.valid or geometry.empty:
        errors["geometry"].append(_("Укажите место проекта на карте (точка, линия или полигон)"))
    elif heading.district is not None and not heading.district.boundary.intersects(geometry):
        errors["geometry"].append(_("Место проекта вне района «{district}»").format(district=heading.district.name))
    if not cost_items:
        errors["cost_items"].append(_("Смета должна содержать хотя бы одну статью"))
    items = []
    for index, row in enumerate(cost_items):
        try:
            quantity, price = Decimal(str(row.get("quantity", 1))), Decimal(str(row["unit_price"]))
        except (KeyError, ArithmeticError, ValueError):
            errors["cost_items"].append(_("Статья {n}: укажите количество и цену числами").format(n=index + 1))
            continue
        if not str(row.get("name", "")).strip() or quantity <= 0 or price < 0:
            errors["cost_items"].append(_("Статья {n}: нужны название, количество > 0 и цена ≥ 0").format(n=index + 1))
            continue
        items.append(CostItem(name=str(row["name"]).strip()[:300], quantity=quantity,
                              unit=str(row.get("unit", ""))[:30], unit_price=price))
    estimate = sum((item.amount for item in items), Decimal(0))
    today = timezone.localdate(now)
    adults = [m for m in group if m.get("birth_date") and _age(m["birth_date"], today) >= MIN_MEMBER_AGE]
    if len(adults) < cycle.min_group_size:
        errors["group"].append(_("В инициативной группе должно быть не менее {min} жителей старше 16 лет, "
                                 "указано {count}").format(min=cycle.min_group_size, count=len(adults)))
    shares = {"cofinancing_residents": cofinancing_residents, "cofinancing_business": cofinancing_business,
              "cofinancing_local_budget": cofinancing_local_budget, "inkind_labour": inkind_labour}
    for field, value in shares.items():
        if value < 0:
            errors[field].append(_("Не может быть отрицательным"))
    if estimate and sum(shares.values(), Decimal(0)) > estimate:
        errors["cofinancing_residents"].append(_("Софинансирование больше стоимости проекта"))
    minutes_ext = _check_minutes(meeting_minutes, errors) if meeting_minutes is not None else None
    clean_photos = _clean_proposal_photos(photos, errors)
    if errors:
        raise ValidationError(dict(errors))
    district = heading.district or District.containing(geometry.point_on_surface)
    stored: list[Any] = []  # files written so far: removed again if anything below fails
    try:
        project = _create_proposal(
            author=author, heading=heading, title=title, description=description, problem=problem,
            expected_results=expected_results, geometry=geometry, district=district, category=category,
            estimate=estimate, beneficiaries=beneficiaries, durability_years=durability_years, now=now,
            shares=shares, items=items, adults=adults, submission_key=submission_key)
        if meeting_minutes is not None and minutes_ext is not None:
            meeting_minutes.seek(0)
            project.meeting_minutes.save(f"minutes-{uuid.uuid4().hex}.{minutes_ext}",
                                         File(meeting_minutes), save=False)
            stored.append(project.meeting_minutes)
            project.save(update_fields=["meeting_minutes"])
        for data in clean_photos:
            photo = ProjectPhoto(project=project, uploaded_by=author, taken_at=None)
            photo.image.save(f"project-{project.pk}.jpg", ContentFile(data), save=False)
            stored.append(photo.image)
            photo.save()
    except BaseException:
        for field_file in stored:
            field_file.storage.delete(field_file.name)
        raise
    return project


MINUTES_MAX_BYTES = 20 * 1024 * 1024
PROPOSAL_MAX_PHOTOS = 5
PROPOSAL_PHOTO_FORMATS = ("JPEG", "MPO", "PNG")  # MPO: a phone's JPEG with a second frame
MINUTES_SIGNATURES = ((b"%PDF-", "pdf"), (b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"))


def _check_minutes(upload: Any, errors: dict[str, list[str]]) -> str | None:
    """The minutes' extension told by the file's first bytes (never its name or the browser's
    content type), or None with an error."""
    if upload.size is not None and upload.size > MINUTES_MAX_BYTES:
        errors["meeting_minutes"].append(_("Протокол больше 20 МБ"))
        return None
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, ext in MINUTES_SIGNATURES:
        if head.startswith(signature):
            return ext
    errors["meeting_minutes"].append(_("Протокол принимается в PDF, JPEG или PNG"))
    return None


def _clean_proposal_photos(photos: Sequence[Any], errors: dict[str, list[str]]) -> list[bytes]:
    """Each photo checked by decoding (``issues.photos``), JPEG or PNG only, and re-encoded
    without metadata; errors go to ``errors["photos"]``."""
    from PIL import Image

    from issues.photos import public_copies, validate_photo

    if len(photos) > PROPOSAL_MAX_PHOTOS:
        errors["photos"].append(_("Не больше {max} фотографий, выбрано {count}").format(
            max=PROPOSAL_MAX_PHOTOS, count=len(photos)))
        return []
    cleaned = []
    for upload in photos:
        name = upload.name or _("фото")
        try:
            validate_photo(upload)
        except ValidationError as exc:
            errors["photos"].extend(exc.messages)
            continue
        with Image.open(upload) as image:
            kind = image.format
        upload.seek(0)
        if kind not in PROPOSAL_PHOTO_FORMATS:
            errors["photos"].append(_("{name}: фотографии принимаются в JPEG или PNG").format(name=name))
            continue
        cleaned.append(public_copies(upload.read())[0])
    return cleaned


def _lock_submission(author: Any, key: str) -> None:
    """A transaction-level advisory lock on (author, key): the second of two simultaneous
    submissions of one form waits until the first commits, then finds its project."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                       [f"projects:submission:{author.pk}:{key}"])


def _create_proposal(*, author: Any, heading: Heading, title: str, description: str, problem: str,
                     expected_results: str, geometry: GEOSGeometry, district: District | None, category: str,
                     estimate: Decimal, beneficiaries: int, durability_years: int | None, now: dt.datetime,
                     shares: dict[str, Decimal], items: list[CostItem],
                     adults: list[Mapping[str, Any]], submission_key: str = "") -> Project:
    project = Project.objects.create(submission_key=submission_key,
        cycle=heading.cycle, heading=heading, title=title.strip()[:500], description=description.strip(),
        problem=problem.strip(), expected_results=expected_results.strip(), geometry=geometry, district=district,
        category=category, author=author, cost_estimate=estimate, beneficiaries=beneficiaries,
        durability_years=durability_years, submitted_at=now, **shares)
    for item in items:
        item.project = project
    CostItem.objects.bulk_create(items)
    InitiativeGroupMember.objects.bulk_create([
        InitiativeGroupMember(project=project, user=m.get("user"), full_name=str(m["full_name"])[:255],
                              birth_date=m["birth_date"], address=str(m.get("address", ""))[:500],
                              is_leader=index == 0) for index, m in enumerate(adults)])
    ProjectEvent.objects.create(project=project, actor=author, kind="create", to_status=ProjectStatus.DRAFT)
    _transition(project, ProjectStatus.SUBMITTED, actor=author, kind="submit")
    notifications.follow(author, project.pk)
    refresh_need_score(project)
    return project


@transaction.atomic
def review_project(project: Project | int, *, actor: Any, feasible: bool, explanation: str = "",
                   reviewed_price: Decimal | None = None, now: dt.datetime | None = None) -> Project:
    """Admissibility and feasibility review. A project that is not feasible leaves the contest
    and must be explained; a reviewed price replaces the estimate in the selection."""
    _require(actor, "review")
    project = _locked(project)
    _require_phase(project.cycle, PhaseKind.REVIEW, now=now)
    errors: dict[str, list[str]] = {}
    if not feasible and not explanation.strip():
        errors["explanation"] = [_("Объясните, почему проект нельзя реализовать")]
    if reviewed_price is not None and reviewed_price < 0:
        errors["reviewed_price"] = [_("Стоимость не может быть отрицательной")]
    if errors:
        raise ValidationError(errors)
    target = ProjectStatus.FEASIBLE if feasible else ProjectStatus.UNFEASIBLE
    if target not in TRANSITIONS[project.status]:
        raise Conflict(str(IllegalTransition(project.status, target)))
    project.feasible = feasible
    project.feasibility_explanation = explanation.strip()
    project.reviewed_price = reviewed_price
    project.save(update_fields=["feasible", "feasibility_explanation", "reviewed_price"])
    refresh_need_score(project, now=now)  # the commission sees the count as of the review
    _transition(project, target, actor=actor, kind="review", note=explanation.strip(),
                data={"reviewed_price": str(reviewed_price) if reviewed_price is not None else None})
    return project


@transaction.atomic
def support_project(project: Project | int, *, actor: Any, now: dt.datetime | None = None) -> Project:
    """A resident supports a proposal in the support phase (once)."""
    _require(actor, "support")
    project = _locked(project)
    _require_phase(project.cycle, PhaseKind.SUPPORT, now=now)
    if project.status not in (ProjectStatus.SUBMITTED, ProjectStatus.FEASIBLE):
        raise Conflict(_("Этот проект нельзя поддержать"))
    _support, created = Support.objects.get_or_create(project=project, user=actor)
    if not created:
        raise Conflict(_("Вы уже поддержали этот проект"))
    Project.objects.filter(pk=project.pk).update(supports_count=F("supports_count") + 1)
    project.refresh_from_db(fields=["supports_count"])
    notifications.follow(actor, project.pk)
    return project


# a draft exists only inside submit_project's transaction; withdrawing one would publish it
WITHDRAWABLE = (ProjectStatus.SUBMITTED, ProjectStatus.FEASIBLE)
WITHDRAW_REASON_MAX = 1000


def may_withdraw(project: Project, actor: Any) -> bool:
    """The author, or an administrator at the author's request."""
    if not getattr(actor, "is_authenticated", False):
        return False
    return bool(project.author_id == actor.pk or actor.is_superuser or actor.role == Role.ADMIN)


def withdraw_refusal(project: Project, now: dt.datetime | None = None) -> str | None:
    """Why ``project`` cannot be withdrawn now, or ``None``: only before it is on a ballot
    someone has filled in, before the district's voting opens for it and before selection."""
    if project.status not in WITHDRAWABLE:
        return _("Проект уже прошёл отбор или закрыт: отозвать его нельзя")
    if ChoiceModel.objects.filter(project=project).exists():
        return _("За проект уже голосовали: отозвать его нельзя, обратитесь в администрацию")
    if project.status == ProjectStatus.FEASIBLE and project.cycle.open_phase(PhaseKind.VOTING, now) is not None:
        return _("Голосование по району уже идёт: отозвать проект нельзя, обратитесь в администрацию")
    return None


@transaction.atomic
def withdraw_project(project: Project | int, *, actor: Any, reason: str = "",
                     now: dt.datetime | None = None) -> Project:
    """The author takes the project back (submitted or admitted, before voting). The reason is
    required and public (it is the project's last timeline entry); followers are told."""
    project = _locked(project)
    if not may_withdraw(project, actor):
        raise PermissionDenied(_("Отозвать проект может только его автор"))
    refusal = withdraw_refusal(project, now)
    if refusal is not None:
        raise Conflict(refusal)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Напишите, почему вы отзываете проект: причина будет видна всем")]})
    if len(reason) > WITHDRAW_REASON_MAX:
        raise ValidationError({"reason": [_("Не больше {max} символов").format(max=WITHDRAW_REASON_MAX)]})
    _transition(project, ProjectStatus.WITHDRAWN, actor=actor, kind="withdraw", note=reason)
    return project


# --- voting -------------------------------------------------------------------------------------

def validate_ballot(heading: Heading, choices: Sequence[Mapping[str, Any]]) -> list[tuple[Project, int, int]]:
    """(project, position, points) for a ballot that obeys the cycle's rule, else ValidationError.

    ``choices``: [{"project": id, "points": n}] in the voter's order (the order is the ranking
    for ranked ballots)."""
    cycle = heading.cycle
    rule = cycle.ballot_rule
    ids = [c.get("project") for c in choices]
    if not ids:
        raise ValidationError({"choices": [_("Бюллетень пуст: выберите хотя бы один проект")]})
    if len(set(ids)) != len(ids):
        raise ValidationError({"choices": [_("Проект указан в бюллетене дважды")]})
    projects = Project.objects.on_ballot().filter(heading=heading).in_bulk([i for i in ids if isinstance(i, int)])
    unknown = [i for i in ids if i not in projects]
    if unknown:
        raise ValidationError({"choices": [_("Проекты {projects} не участвуют в голосовании по «{heading}»").format(
            projects=", ".join(map(str, unknown)), heading=heading.name)]})
    rows = []
    for position, choice in enumerate(choices):
        points = choice.get("points", 1)
        if not isinstance(points, int) or points < (1 if rule == BallotRule.CUMULATIVE else 0):
            raise ValidationError({"choices": [_("Баллы — целые положительные числа")]})
        rows.append((projects[choice["project"]], position, points if rule == BallotRule.CUMULATIVE else 1))
    count = len(rows)
    if rule == BallotRule.CHOOSE_ONE and count != 1:
        raise ValidationError({"choices": [_("Выберите ровно один проект")]})
    if rule in (BallotRule.APPROVAL, BallotRule.KNAPSACK) and cycle.max_approvals and count > cycle.max_approvals:
        raise ValidationError({"choices": [_("Можно выбрать не более {max} проектов, выбрано {count}").format(
            max=cycle.max_approvals, count=count)]})
    if rule == BallotRule.APPROVAL and cycle.min_approvals and count < cycle.min_approvals:
        raise ValidationError({"choices": [_("Нужно выбрать не менее {min} проектов").format(min=cycle.min_approvals)]})
    if rule == BallotRule.KNAPSACK:
        total = sum((p.cost for p, _pos, _pts in rows), Decimal(0))
        if total > heading.money:
            raise ValidationError({"choices": [_("Выбрано проектов на {total}, а у района {money}").format(
                total=money(total), money=money(heading.money))]})
    if rule == BallotRule.CUMULATIVE and cycle.points_total:
        spent = sum(points for _p, _pos, points in rows)
        if spent > cycle.points_total:
            raise ValidationError({"choices": [_("Распределено {spent} баллов из {total}").format(
                spent=spent, total=cycle.points_total)]})
    if rule == BallotRule.RANKED and cycle.max_ranks and count > cycle.max_ranks:
        raise ValidationError({"choices": [_("Можно ранжировать не более {max} проектов").format(max=cycle.max_ranks)]})
    return rows


@transaction.atomic
def cast_ballot(heading: Heading, *, voter: Any, choices: Sequence[Mapping[str, Any]],
                now: dt.datetime | None = None) -> BallotModel:
    """One ballot per resident per heading in the voting phase; a second one is a conflict."""
    _require(voter, "vote")
    _require_phase(heading.cycle, PhaseKind.VOTING, now=now)
    rows = validate_ballot(heading, choices)
    return _store_ballot(heading, f"user:{voter.pk}", rows, voter=voter, channel=BallotChannel.WEB)


@transaction.atomic
def enter_paper_ballot(heading: Heading, *, actor: Any, voter_key: str, choices: Sequence[Mapping[str, Any]],
                       now: dt.datetime | None = None) -> BallotModel:
    """An operator types in a paper ballot (voter identified by the paper register number)."""
    _require(actor, "paper_ballot")
    _require_phase(heading.cycle, PhaseKind.VOTING, PhaseKind.SELECTION, now=now)
    if not voter_key.strip():
        raise ValidationError({"voter_key": [_("Укажите номер избирателя по бумажному реестру")]})
    rows = validate_ballot(heading, choices)
    return _store_ballot(heading, f"paper:{voter_key.strip()}", rows, voter=None, channel=BallotChannel.PAPER,
                         entered_by=actor)


def _store_ballot(heading: Heading, voter_key: str, rows: Iterable[tuple[Project, int, int]], *, voter: Any,
                  channel: str, entered_by: Any = None) -> BallotModel:
    try:
        with transaction.atomic():  # a savepoint: the unique constraint decides races
            ballot = BallotModel.objects.create(heading=heading, voter=voter, voter_key=voter_key, channel=channel,
                                                entered_by=entered_by)
    except IntegrityError as exc:
        raise Conflict(_("Бюллетень по этому району уже подан")) from exc
    ChoiceModel.objects.bulk_create([ChoiceModel(ballot=ballot, project=p, position=pos, points=pts)
                                     for p, pos, pts in rows])
    return ballot


def tally(heading: Heading) -> dict[int, Decimal]:
    """Votes per project from the stored ballots: approvals, points (cumulative) or Borda
    points for ranked ballots (k for the first of k places, then k-1, ...)."""
    rule = heading.cycle.ballot_rule
    # summed in the database: an imported election has a million choices and more
    choices = ChoiceModel.objects.filter(ballot__heading=heading).values("project_id")
    if rule == BallotRule.CUMULATIVE:
        score: Any = Sum("points")
    elif rule == BallotRule.RANKED:
        places = heading.cycle.max_ranks or (choices.aggregate(longest=Max("position"))["longest"] or 0) + 1
        score = Sum(Greatest(Value(places) - F("position"), Value(0)))
    else:
        score = Count("id")
    return {project_id: Decimal(total) for project_id, total in
            choices.annotate(total=score).values_list("project_id", "total")}


# --- selection ----------------------------------------------------------------------------------

def compute_selection(heading: Heading, rule: str | None = None) -> tuple[list[Decision], dict[int, Decimal],
                                                                          dict[str, Project]]:
    """The rule's decisions over the stored ballots (nothing written)."""
    cycle = heading.cycle
    rule = rule or cycle.selection_rule
    projects = {p.key: p for p in heading.projects.on_ballot()}
    tallies = tally(heading)
    if rule == SelectionRule.EQUAL_SHARES:
        if cycle.ballot_rule not in (BallotRule.APPROVAL, BallotRule.KNAPSACK, BallotRule.CHOOSE_ONE):
            raise ValidationError({"rule": [_("Метод равных долей считается по бюллетеням-одобрениям")]})
        key_of = {p.pk: key for key, p in projects.items()}
        # one row per ballot (grouped in the database): 90,000 ballots come back in a fraction of
        # a second, where a row per choice took seconds
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT array_agg(c.project_id) FROM {ChoiceModel._meta.db_table} c "
                f"JOIN {BallotModel._meta.db_table} b ON b.id = c.ballot_id "
                "WHERE b.heading_id = %s AND c.project_id = ANY(%s) GROUP BY c.ballot_id",
                (heading.pk, list(key_of)))
            ballots = [[key_of[p] for p in row[0]] for row in cursor.fetchall()]
        voters = ballots + [[] for _empty in range(heading.ballots.count() - len(ballots))]
        increment = Decimal(str(cycle.meta.get("mes_increment", 1)))
        decisions = equal_shares({k: p.cost for k, p in projects.items()}, voters, heading.money, increment=increment)
    else:
        # equal tallies: the project listed first. Projects are stored in the order they come
        # (an imported election's in the order of its PROJECTS section, which lists the
        # organisers' published ranking, ties as they decided them), so that is the smaller id.
        candidates = [Candidate(k, p.cost, tallies.get(p.pk, Decimal(0)), p.exclusion_group, order=p.pk)
                      for k, p in projects.items()]
        # a minimum score makes a project eligible whatever the greedy variant (Pabulib's
        # min_project_score_threshold: "even if a project fits within the available budget, it
        # will not be selected unless it meets this threshold"); files declare it with `greedy`,
        # `greedy-no-skip` or `greedy-threshold` alike
        threshold = cycle.min_threshold
        decisions = greedy(candidates, heading.money, skip=rule != SelectionRule.GREEDY_NO_SKIP, threshold=threshold,
                           exclusive=rule == SelectionRule.GREEDY_EXCLUSIVE)
    return decisions, tallies, projects


@transaction.atomic
def run_selection(heading: Heading, *, actor: Any = None, rule: str | None = None, now: dt.datetime | None = None,
                  check: bool = True) -> SelectionRun:
    """Run the cycle's selection rule over a heading and store every decision with its reason.
    ``check=False`` is for imports and the command line (no person, no phase)."""
    if check:
        _require(actor, "run_selection")
        _require_phase(heading.cycle, PhaseKind.SELECTION, now=now)
    heading = Heading.objects.select_for_update().select_related("cycle").get(pk=heading.pk)
    rule = rule or heading.cycle.selection_rule
    decisions, tallies, projects = compute_selection(heading, rule)
    spent = sum((projects[d.project_id].cost for d in decisions if d.selected), Decimal(0))
    run = SelectionRun.objects.create(heading=heading, rule=rule, money=heading.money, spent=spent,
                                      actor=actor if getattr(actor, "pk", None) else None)
    rows = []
    for position, decision in enumerate(decisions):
        project = projects[decision.project_id]
        rows.append(SelectionDecision(run=run, project=project, position=position, selected=decision.selected,
                                      tally=tallies.get(project.pk, Decimal(0)), reason=decision.reason[:300]))
        project.tally = tallies.get(project.pk, Decimal(0))
        project.selection_reason = decision.reason[:300]
        project.save(update_fields=["tally", "selection_reason"])
        target = ProjectStatus.SELECTED if decision.selected else ProjectStatus.NOT_SELECTED
        if project.status != target:
            _transition(project, target, actor=actor, kind="selection", note=decision.reason,
                        data={"run": run.pk, "rule": rule})
    SelectionDecision.objects.bulk_create(rows)
    return run


# --- commission scoring -------------------------------------------------------------------------

def _share(part: Decimal, whole: Decimal) -> Decimal:
    return (part / whole * 100) if whole else Decimal(0)


def criterion_value(criterion: Criterion, project: Project) -> Decimal | None:
    """The measured value an automatic criterion's tiers are applied to."""
    cost = project.cost
    kind = criterion.kind
    if kind == CriterionKind.RESIDENTS_SHARE:
        return _share(project.cofinancing_residents, cost)
    if kind == CriterionKind.BUSINESS_SHARE:
        return _share(project.cofinancing_business, cost)
    if kind == CriterionKind.LOCAL_BUDGET_SHARE:
        return _share(project.cofinancing_local_budget, cost)
    if kind == CriterionKind.INKIND_SHARE:
        return _share(project.inkind_labour, cost)
    if kind == CriterionKind.BENEFICIARIES:
        return Decimal(project.beneficiaries)
    if kind == CriterionKind.BENEFICIARIES_SHARE:
        population = project.district.population if project.district else 0
        return _share(Decimal(project.beneficiaries), Decimal(population))
    if kind == CriterionKind.SUPPORTS:
        return Decimal(project.supports_count)
    if kind == CriterionKind.NEED_SCORE:
        return Decimal(project.need_score) if project.need_score is not None else None
    return None


def score_breakdown(project: Project, *, criteria: Sequence[Criterion] | None = None,
                    manual_points: Mapping[int, Sequence[Decimal]] | None = None) -> list[dict[str, Any]]:
    """Per criterion: value, points (tier points, or the members' mean for manual criteria),
    weight and weighted points.

    A page that shows many projects passes the rubric's ``criteria`` (tiers prefetched) and
    ``manual_points`` (criterion id → the members' points for this project) loaded once."""
    rubric = project.cycle.rubric
    if rubric is None:
        return []
    if criteria is None:
        criteria = list(rubric.criteria.prefetch_related("tiers"))
    rows = []
    for criterion in criteria:
        if criterion.kind == CriterionKind.MANUAL:
            if manual_points is None:
                sheets = list(CommissionScore.objects.filter(project=project, criterion=criterion)
                              .values_list("points", flat=True))
            else:
                sheets = list(manual_points.get(criterion.pk, ()))
            value = None
            points = (sum(sheets, Decimal(0)) / len(sheets)) if sheets else Decimal(0)
        else:
            value = criterion_value(criterion, project)
            tier = next((t for t in criterion.tiers.all() if value is not None and t.matches(value)), None)
            points = tier.points if tier else Decimal(0)
        points = min(points, criterion.max_points)
        rows.append({"criterion": criterion.code, "name": criterion.name, "value": value, "points": points,
                     "weight": criterion.weight, "weighted": (points * criterion.weight).quantize(Decimal("0.01"))})
    return rows


@transaction.atomic
def score_project(project: Project | int, *, member: Any, scores: Mapping[str, Decimal | int],
                  comment: str = "", now: dt.datetime | None = None) -> Decimal:
    """A commission member's sheet for the manual criteria; returns the project's new total
    (automatic criteria from the project's data by tier tables + mean of members' points)."""
    _require(member, "score")
    project = _locked(project)
    _require_phase(project.cycle, PhaseKind.SCORING, now=now)
    if project.status not in (ProjectStatus.FEASIBLE, ProjectStatus.SUBMITTED):
        raise Conflict(_("Оценивать можно только допущенные к конкурсу проекты"))
    rubric = project.cycle.rubric
    if rubric is None:
        raise Conflict(_("У конкурса нет методики оценки"))
    manual = {c.code: c for c in rubric.criteria.filter(kind=CriterionKind.MANUAL)}
    errors: dict[str, list[str]] = defaultdict(list)
    for code, raw in scores.items():
        criterion = manual.get(code)
        try:
            points = Decimal(str(raw))
        except ArithmeticError:
            errors[code].append(_("Баллы — число"))
            continue
        if criterion is None:
            errors[code].append(_("Такого критерия, оцениваемого комиссией, нет"))
        elif not 0 <= points <= criterion.max_points:
            errors[code].append(_("От 0 до {max} баллов").format(max=f"{criterion.max_points.normalize():f}"))
    if errors:
        raise ValidationError(dict(errors))
    for code, raw in scores.items():
        CommissionScore.objects.update_or_create(project=project, criterion=manual[code], member=member,
                                                 defaults={"points": Decimal(str(raw)), "comment": comment})
    return recompute_score(project, actor=member)


def recompute_score(project: Project, *, actor: Any = None) -> Decimal:
    total = sum((row["weighted"] for row in score_breakdown(project)), Decimal(0))
    project.commission_score = total
    project.save(update_fields=["commission_score"])
    ProjectEvent.objects.create(project=project, actor=actor if getattr(actor, "pk", None) else None, kind="score",
                                data={"total": str(total)})
    return total


def refresh_need_score(project: Project, *, now: dt.datetime | None = None) -> int | None:
    """Store the need score (None while the appeals counter is not wired: see projects/need.py)."""
    score = need.need_score(project.geometry, project.category, now=now)
    if score != project.need_score:
        project.need_score = score
        project.save(update_fields=["need_score"])
    return score


IN_CONTEST = (ProjectStatus.SUBMITTED, ProjectStatus.FEASIBLE)


def _recount_needs(cycle: BudgetCycle, *, actor: Any, now: dt.datetime | None) -> int:
    changed = 0
    for project in (cycle.projects.select_for_update(of=("self",)).select_related("cycle__rubric", "district")
                    .filter(status__in=IN_CONTEST).order_by("id")):
        before = project.need_score
        if refresh_need_score(project, now=now) != before:
            changed += 1
            if project.commission_score is not None:
                recompute_score(project, actor=actor)
    return changed


@transaction.atomic
def refresh_cycle_need_scores(cycle: BudgetCycle, *, actor: Any, now: dt.datetime | None = None) -> int:
    """The commission recounts the appeals near every project still in the contest (new appeals
    keep arriving after the review); totals are recomputed where the count changed. Returns how
    many projects changed."""
    _require(actor, "score")
    return _recount_needs(cycle, actor=actor, now=now)


def refresh_open_need_scores(now: dt.datetime | None = None) -> int:
    """The nightly recount (Celery beat, ``projects.tasks.refresh_need_scores``): the same as the
    commission's button for every cycle with projects still in the contest, one transaction per
    cycle, recorded without an actor. Selected, finished and refused projects keep the score
    they were judged with."""
    changed = 0
    cycles = BudgetCycle.objects.filter(projects__status__in=IN_CONTEST).distinct().order_by("id")
    for cycle in cycles:
        with transaction.atomic():
            changed += _recount_needs(cycle, actor=None, now=now)
    return changed


# --- implementation monitoring ------------------------------------------------------------------

@transaction.atomic
def start_implementation(project: Project | int, *, actor: Any, contractor: str = "", contract_number: str = "",
                         contract_amount: Decimal | None = None, agency: Agency | None = None,
                         now: dt.datetime | None = None) -> Project:
    """The contract is signed: works begin under ``agency``, the body responsible for them
    (from now on only its staff, its parent's staff and the administration's operators write
    the project's monitoring data). Operators may leave it empty; an executor or agency head
    names their own agency."""
    _require(actor, "implement")
    project = _locked(project)
    _require_phase(project.cycle, PhaseKind.IMPLEMENTATION, now=now)
    if contract_amount is not None and contract_amount < 0:
        raise ValidationError({"contract_amount": [_("Сумма контракта не может быть отрицательной")]})
    if agency is not None and not agency.is_active:
        raise ValidationError({"agency": [_("Ведомство упразднено")]})
    if agency is None and not may_monitor(actor, None):
        raise ValidationError({"agency": [_("Укажите ведомство, отвечающее за работы")]})
    project.implementing_agency = agency
    _require_monitor(actor, project)
    project.contractor, project.contract_number, project.contract_amount = contractor, contract_number, contract_amount
    project.save(update_fields=["contractor", "contract_number", "contract_amount", "implementing_agency"])
    _transition(project, ProjectStatus.IN_PROGRESS, actor=actor, kind="start",
                data={"contractor": contractor, "contract_amount": str(contract_amount or ""),
                      "agency": agency.pk if agency is not None else None})
    return project


def _require_implementing(project: Project) -> None:
    if project.status not in (ProjectStatus.IN_PROGRESS, ProjectStatus.SELECTED):
        raise Conflict(_("Проект не реализуется"))


@transaction.atomic
def add_milestone(project: Project | int, *, actor: Any, title: str, weight: Decimal = Decimal(1),
                  parent: Milestone | None = None, starts_on: dt.date | None = None,
                  due_on: dt.date | None = None) -> Milestone:
    _require(actor, "implement")
    project = _locked(project)
    _require_monitor(actor, project)
    _require_implementing(project)
    if weight < 0:
        raise ValidationError({"weight": [_("Вес не может быть отрицательным")]})
    if parent is not None and parent.project_id != project.pk:
        raise ValidationError({"parent": [_("Этап другого проекта")]})
    if starts_on and due_on and due_on < starts_on:
        raise ValidationError({"due_on": [_("Срок раньше начала")]})
    milestone = Milestone.objects.create(project=project, parent=parent, title=title.strip(), weight=weight,
                                         starts_on=starts_on, due_on=due_on,
                                         order=project.milestones.filter(parent=parent).count())
    roll_up_progress(project)
    return milestone


@transaction.atomic
def update_milestone(milestone: Milestone, *, actor: Any, status: str, progress: Decimal | None = None,
                     now: dt.datetime | None = None) -> Project:
    """Status drives progress (done → 100, planned → 0, in progress or delayed → the given
    percent); the project's percent is rolled up by weight."""
    _require(actor, "implement")
    project = _locked(milestone.project_id)
    _require_monitor(actor, project)
    _require_implementing(project)
    if status not in MilestoneStatus.values:
        raise ValidationError({"status": [_("Неизвестный статус этапа")]})
    if progress is not None and not 0 <= progress <= 100:
        raise ValidationError({"progress": [_("От 0 до 100 %")]})
    if milestone.children.exists():
        raise ValidationError({"status": [_("Ход составного этапа считается по его подэтапам")]})
    milestone.status = status
    if status == MilestoneStatus.DONE:
        milestone.progress = Decimal(100)
        milestone.completed_on = timezone.localdate(now)
    elif status == MilestoneStatus.PLANNED:
        milestone.progress = Decimal(0)
    elif progress is not None:
        milestone.progress = progress
    milestone.save(update_fields=["status", "progress", "completed_on"])
    before = project.progress_percent
    percent = roll_up_progress(project)
    notifications.event_recorded(ProjectEvent.objects.create(
        project=project, actor=actor, kind="milestone", note=milestone.title,
        data={"milestone": milestone.pk, "status": status, "progress": str(milestone.progress),
              "project_progress": str(percent), "before": str(before)}))
    return project


def _leaf_progress(milestone: Milestone) -> Decimal:
    return {MilestoneStatus.DONE: Decimal(100), MilestoneStatus.PLANNED: Decimal(0)}.get(
        milestone.status, milestone.progress)  # type: ignore[call-overload]


def roll_up_progress(project: Project) -> Decimal:
    """Weighted mean of the top-level stages, each the weighted mean of its children
    (cancelled stages count for nothing); stored on the project."""
    milestones = list(project.milestones.all())
    children: dict[int | None, list[Milestone]] = defaultdict(list)
    for milestone in milestones:
        children[milestone.parent_id].append(milestone)

    def progress(milestone: Milestone) -> Decimal:
        kids = [m for m in children.get(milestone.pk, []) if m.status != MilestoneStatus.CANCELLED]
        if not kids:
            return _leaf_progress(milestone)
        value = _weighted(kids, progress).quantize(Decimal("0.01"))
        # a composite stage's own status and percent follow its children
        status = (MilestoneStatus.DONE if all(k.status == MilestoneStatus.DONE for k in kids)
                  else MilestoneStatus.DELAYED if any(k.status == MilestoneStatus.DELAYED for k in kids)
                  else MilestoneStatus.IN_PROGRESS if value > 0 else MilestoneStatus.PLANNED)
        if (milestone.status, milestone.progress) != (status, value):
            milestone.status, milestone.progress = status, value
            milestone.save(update_fields=["status", "progress"])
        return value

    def _weighted(items: list[Milestone], value: Any) -> Decimal:
        weight = sum((m.weight for m in items), Decimal(0))
        if not weight:
            return Decimal(0)
        return sum((m.weight * value(m) for m in items), Decimal(0)) / weight

    top = [m for m in children.get(None, []) if m.status != MilestoneStatus.CANCELLED]
    percent = _weighted(top, progress).quantize(Decimal("0.01")) if top else Decimal(0)
    if percent != project.progress_percent:
        project.progress_percent = percent
        project.save(update_fields=["progress_percent"])
    return percent


@transaction.atomic
def complete_project(project: Project | int, *, actor: Any) -> Project:
    _require(actor, "implement")
    project = _locked(project)
    _require_monitor(actor, project)
    if project.milestones.exclude(status__in=[MilestoneStatus.DONE, MilestoneStatus.CANCELLED]).exists():
        raise Conflict(_("Не все этапы выполнены"))
    _transition(project, ProjectStatus.COMPLETED, actor=actor, kind="complete")
    return project


@transaction.atomic
def record_expense(project: Project | int, *, actor: Any, amount: Decimal, paid_on: dt.date, description: str,
                   document: str = "") -> Expense:
    """Money spent; the total may not exceed the contract amount."""
    _require(actor, "implement")
    project = _locked(project)
    _require_monitor(actor, project)
    _require_implementing(project)
    if amount <= 0:
        raise ValidationError({"amount": [_("Сумма должна быть положительной")]})
    if not description.strip():
        raise ValidationError({"description": [_("Укажите назначение платежа")]})
    spent = project.expenses.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    if project.contract_amount is not None and spent + amount > project.contract_amount:
        over = _("Расходы превысят сумму контракта: уже {spent}, контракт {contract}")
        raise ValidationError({"amount": [over.format(spent=money(spent), contract=money(project.contract_amount))]})
    expense = Expense.objects.create(project=project, amount=amount, paid_on=paid_on, description=description.strip(),
                                     document=document, recorded_by=actor)
    ProjectEvent.objects.create(project=project, actor=actor, kind="expense",
                                data={"amount": str(amount), "spent": str(spent + amount)})
    return expense


@transaction.atomic
def add_project_photo(project: Project | int, *, actor: Any, upload: Any, caption: str = "",
                      location: Point | None = None, taken_at: dt.datetime | None = None,
                      milestone: Milestone | None = None) -> ProjectPhoto:
    """A dated, geotagged photo of the works (the map shows it). The position is the one given
    or the photo's own EXIF GPS; a photo with neither is refused. The stored image is a
    re-encoded copy without metadata (camera serials, owner names)."""
    _require(actor, "implement")
    project = _locked(project)
    _require_monitor(actor, project)
    if project.status not in (ProjectStatus.SELECTED, ProjectStatus.IN_PROGRESS, ProjectStatus.COMPLETED):
        raise Conflict(_("Фотографии работ добавляют к отобранному или реализуемому проекту"))
    from django.core.files.base import ContentFile

    from issues.photos import public_copies, validate_photo

    try:
        gps = validate_photo(upload)
    except ValidationError as exc:
        raise ValidationError({"photo": exc.messages}) from exc
    if location is None and gps is not None:
        location = Point(gps[1], gps[0], srid=4326)
    if location is None:
        raise ValidationError({"location": [_("В фотографии нет геометки: укажите место съёмки")]})
    if not (-180 <= location.x <= 180 and -90 <= location.y <= 90):
        raise ValidationError({"location": [_("Координаты вне допустимого диапазона")]})
    if milestone is not None and milestone.project_id != project.pk:
        raise ValidationError({"milestone": [_("Этап другого проекта")]})
    upload.seek(0)
    clean, _thumb = public_copies(upload.read())
    photo = ProjectPhoto(project=project, milestone=milestone, caption=caption.strip()[:300],
                         taken_at=taken_at or timezone.now(), location=location, uploaded_by=actor)
    photo.image.save(f"project-{project.pk}.jpg", ContentFile(clean), save=False)
    photo.save()
    ProjectEvent.objects.create(project=project, actor=actor, kind="photo", note=photo.caption,
                                data={"photo": photo.pk})
    return photo


def spent(project: Project) -> Decimal:
    return project.expenses.aggregate(total=Sum("amount"))["total"] or Decimal(0)


# --- residents' control -------------------------------------------------------------------------

@transaction.atomic
def submit_control_report(project: Project | int, *, author: Any, text: str, kind: str = "quality",
                          location: Point | None = None, photo: Any = None) -> ControlReport:
    """A resident's report on the works (public oversight), with an optional photo: stored as
    a copy without metadata; its EXIF position is used when no point is given."""
    _require(author, "control_report")
    project = _locked(project)
    if project.status not in (ProjectStatus.IN_PROGRESS, ProjectStatus.COMPLETED):
        raise Conflict(_("Отчёт о контроле можно оставить по реализуемому или реализованному проекту"))
    if not text.strip():
        raise ValidationError({"text": [_("Опишите, что не так")]})
    if kind not in ControlReportKind.values:
        raise ValidationError({"kind": [_("Неизвестный вид отчёта")]})
    clean = None
    if photo is not None:
        from issues.photos import public_copies, validate_photo

        try:
            gps = validate_photo(photo)
        except ValidationError as exc:
            raise ValidationError({"photo": exc.messages}) from exc
        if location is None and gps is not None:
            location = Point(gps[1], gps[0], srid=4326)
        photo.seek(0)
        clean, _thumb = public_copies(photo.read())
    report = ControlReport(project=project, author=author, text=text.strip(), kind=kind, location=location)
    if clean is not None:
        import secrets

        from django.core.files.base import ContentFile
        from django.core.files.storage import default_storage

        # a private folder and a random name: served only by projects.views_official.control_photo
        report.photo.name = default_storage.save(
            f"private/projects/control/{timezone.now():%Y/%m}/{secrets.token_urlsafe(16)}.jpg", ContentFile(clean))
    report.save()
    ProjectEvent.objects.create(project=project, actor=author, kind="control_report", data={"report": report.pk})
    return report


@transaction.atomic
def answer_control_report(report: ControlReport, *, actor: Any, answer: str) -> ControlReport:
    """An official or the contractor answers a resident's control report; the resident and
    the project's followers are told."""
    _require(actor, "answer_report")
    report = ControlReport.objects.select_for_update().select_related("project").get(pk=report.pk)
    _require_monitor(actor, report.project)
    if report.status != ControlReportStatus.NEW:
        raise Conflict(_("На этот отчёт уже ответили"))
    if not answer.strip():
        raise ValidationError({"answer": [_("Ответ не может быть пустым")]})
    report.answer, report.answered_by, report.answered_at = answer.strip(), actor, timezone.now()
    report.status = ControlReportStatus.ANSWERED
    report.save(update_fields=["answer", "answered_by", "answered_at", "status"])
    notifications.event_recorded(ProjectEvent.objects.create(
        project=report.project, actor=actor, kind="control_answer", note=report.answer, data={"report": report.pk}))
    notifications.tell(report.author_id, CONTROL_ANSWERED.format(title=report.project.title[:150]), report.answer)
    return report


APPEAL_TEXT_LIMIT = 5000  # the appeals app's limit on an appeal's text
# Stored texts (a resident's notices, the appeal a control report becomes): Russian, the register's
# language, whatever page the official acted on
CONTROL_ANSWERED = "Ответ на ваш отчёт о контроле по проекту «{title}»"
CONTROL_APPEAL_TEXT = "Контроль реализации инициативного проекта «{title}» (/projects/{pk}/), {kind}: "
CONTROL_FILED = "Ваш отчёт о контроле по проекту «{title}» передан как обращение {number}"
CONTROL_FILED_BODY = "Обращение направлено: {agency}. {note}"
CONTROL_FILED_NO_AGENCY = "оператору для направления"


@transaction.atomic
def file_control_report(report: ControlReport, *, actor: Any, category: Any, note: str = "") -> ControlReport:
    """Turn a resident's control report into an appeal of the resident, through the appeals
    app's own ``submit_appeal`` (web channel: it registers itself, gets its 59-FZ deadline and
    is routed to the responsible agency by the category's rule table or the router), in the
    same transaction; the report keeps the appeal's id and the resident is told its number.

    ``category``: an ``issues.Category`` chosen by the official; ``note``: the official's words
    for the resident and the followers. The report's photo goes with the appeal (with the
    report's point as its position)."""
    _require(actor, "answer_report")
    report = ControlReport.objects.select_for_update().select_related("project", "author").get(pk=report.pk)
    _require_monitor(actor, report.project)
    if report.status == ControlReportStatus.ESCALATED:
        raise Conflict(_("Отчёт уже передан как обращение"))
    if category is None:
        raise ValidationError({"category": [_("Выберите категорию обращения")]})
    from django.core.files.uploadedfile import SimpleUploadedFile

    from issues.actions import submit_appeal  # lazy: projects/ calls the appeals app, never the reverse

    project = report.project
    location = report.location
    if location is None and project.geometry is not None:
        location = Point(project.geometry.point_on_surface.x, project.geometry.point_on_surface.y, srid=4326)
    photos = []
    if report.photo:
        with report.photo.open("rb") as handle:
            content = handle.read()
        gps = (report.location.y, report.location.x) if report.location is not None else None
        photos.append((SimpleUploadedFile(report.photo.name.rsplit("/", 1)[-1], content, "image/jpeg"), gps))
    with translation.override(settings.LANGUAGE_CODE):  # the appeal's text is Russian, whoever files it
        head = CONTROL_APPEAL_TEXT.format(title=project.title, pk=project.pk, kind=report.get_kind_display())
    appeal = submit_appeal(author=report.author, channel="web", category=category, location=location,
                           text=(head + report.text)[:APPEAL_TEXT_LIMIT], photos=photos, actor=actor)
    report.appeal_id = appeal.pk
    report.status = ControlReportStatus.ESCALATED
    if note.strip() and not report.answer:
        report.answer, report.answered_by, report.answered_at = note.strip(), actor, timezone.now()
    report.save(update_fields=["appeal_id", "status", "answer", "answered_by", "answered_at"])
    notifications.event_recorded(ProjectEvent.objects.create(
        project=project, actor=actor, kind="control_appeal", note=note.strip(),
        data={"report": report.pk, "appeal": appeal.pk, "number": appeal.number}))
    agency = appeal.responsible_agency.name if appeal.responsible_agency else CONTROL_FILED_NO_AGENCY
    notifications.tell(report.author_id, CONTROL_FILED.format(title=project.title[:120], number=appeal.number),
                       CONTROL_FILED_BODY.format(agency=agency, note=note.strip()).strip(), kind="status",
                       appeal_id=appeal.pk)
    return report


# --- Pabulib ------------------------------------------------------------------------------------

@transaction.atomic
def import_election(election: pabulib.Election, name: str) -> tuple[BudgetCycle, list[str]]:
    """Store a Pabulib election as a cycle with one heading, its projects (on the ballot) and
    ballots; return the cycle and the disagreements between the tallies recomputed from VOTES
    and the file's own votes/score columns. The file's ``selected`` column is not read."""
    meta = election.meta
    threshold = meta.get("min_project_score_threshold")
    ballot_rule = pabulib.ballot_rule(election.vote_type)
    selection_rule = pabulib.selection_rule(election.rule)
    max_length = meta.get("max_length", "")
    cycle = BudgetCycle.objects.create(
        name=name[:300], territory=(meta.get("district") or meta.get("unit", ""))[:200],
        total_money=election.budget, currency=meta.get("currency", "RUB")[:3], ballot_rule=ballot_rule,
        selection_rule=selection_rule,
        max_approvals=int(max_length) if max_length.isdigit() and ballot_rule == BallotRule.APPROVAL else None,
        min_approvals=int(meta["min_length"]) if meta.get("min_length", "").isdigit() else None,
        max_ranks=int(max_length) if max_length.isdigit() and ballot_rule == BallotRule.RANKED else None,
        points_total=int(meta["max_sum_points"]) if meta.get("max_sum_points", "").isdigit() else None,
        min_threshold=Decimal(threshold) if threshold else None, meta=meta)
    heading = Heading.objects.create(cycle=cycle, name=(meta.get("subunit") or meta.get("district") or name)[:200],
                                     money=election.budget)
    projects = {}
    problems = []
    for project_id, row in election.projects.items():
        point = None
        try:
            if row.get("latitude") and row.get("longitude"):
                point = Point(float(row["longitude"]), float(row["latitude"]), srid=4326)
        except ValueError:
            problems.append(f"project {project_id}: coordinates {row['latitude']}, {row['longitude']} "
                            "are not numbers: imported without a place")
        projects[project_id] = Project(
            cycle=cycle, heading=heading, external_id=project_id, title=row.get("name", "")[:500] or project_id,
            description=row.get("description", ""), category=row.get("category", "")[:60],
            cost_estimate=Decimal(row["cost"]), geometry=point, status=ProjectStatus.FEASIBLE)
    Project.objects.bulk_create(projects.values())
    ProjectEvent.objects.bulk_create([ProjectEvent(project=p, kind="import", to_status=ProjectStatus.FEASIBLE,
                                                   data={"source": name}) for p in projects.values()])
    _copy_ballots(heading, election.ballots(), {key: p.pk for key, p in projects.items()})
    column = "score" if "score" in election.project_columns else "votes"
    tallies = tally(heading) if column in election.project_columns else {}
    for project_id, row in election.projects.items():
        stated = row.get(column, "")
        computed = tallies.get(projects[project_id].pk, Decimal(0))
        try:
            differs = bool(stated) and Decimal(stated) != computed
        except InvalidOperation:
            differs = True
        if differs:
            problems.append(f"project {project_id}: the file says {column}={stated}, the ballots give {computed}")
    return cycle, problems


def _copy_ballots(heading: Heading, ballots: Sequence[tuple[str, Sequence[str], Sequence[int]]],
                  project_ids: Mapping[str, int]) -> None:
    """Store imported ballots with two COPYs (ballots, then their choices): row-by-row inserts
    took ~20 s for 90,000 voters, COPY takes a few. Ballot ids come back by voter key (unique
    per heading)."""
    ballot_table, choice_table = BallotModel._meta.db_table, ChoiceModel._meta.db_table
    now = timezone.now()
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own cursor: Django's wrapper has no COPY
        with cursor.copy(f"COPY {ballot_table} (heading_id, voter_key, channel, created_at) FROM STDIN") as copy:
            for voter, _chosen, _points in ballots:
                copy.write_row((heading.pk, voter, BallotChannel.IMPORT.value, now))
        cursor.execute(f"SELECT voter_key, id FROM {ballot_table} WHERE heading_id = %s", (heading.pk,))
        ballot_ids = dict(cursor.fetchall())
        # numbers only, so COPY's text format needs no escaping; built as text in chunks, which is
        # about twice as fast as a row at a time
        with cursor.copy(f"COPY {choice_table} (ballot_id, project_id, position, points) FROM STDIN") as copy:
            chunk: list[str] = []
            for voter, chosen, points in ballots:
                ballot_id = ballot_ids[voter]
                chunk.extend(f"{ballot_id}\t{project_ids[key]}\t{position}\t{value}\n"
                             for position, (key, value) in enumerate(zip(chosen, points, strict=True)))
                if len(chunk) > 50_000:
                    copy.write("".join(chunk))
                    chunk.clear()
            copy.write("".join(chunk))
