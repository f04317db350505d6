"""Ballots: a resident's web ballot and an operator's paper ballot, checked against the cycle's rule."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..models import Ballot as BallotModel
from ..models import BallotChannel, BallotRule, Heading, PhaseKind, Project
from ..models import BallotChoice as ChoiceModel
from ..selection import money
from .base import Conflict, require_phase, require_role


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
def do_cast_ballot(heading: Heading, *, voter: Any, choices: Sequence[Mapping[str, Any]],
                   now: dt.datetime | None = None) -> BallotModel:
    """One ballot per resident per heading in the voting phase; a second one is a conflict."""
    require_role(voter, "vote")
    require_phase(heading.cycle, PhaseKind.VOTING, now=now)
    rows = validate_ballot(heading, choices)
    return _store_ballot(heading, f"user:{voter.pk}", rows, voter=voter, channel=BallotChannel.WEB)


@transaction.atomic
def do_enter_paper_ballot(heading: Heading, *, actor: Any, voter_key: str, choices: Sequence[Mapping[str, Any]],
                          now: dt.datetime | None = None) -> BallotModel:
    """An operator types in a paper ballot (voter identified by the paper register number)."""
    require_role(actor, "paper_ballot")
    require_phase(heading.cycle, PhaseKind.VOTING, PhaseKind.SELECTION, now=now)
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
