"""Implementation monitoring: the contract, stages and their progress, expenses, photos, completion."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from geoportal.models import Agency

from .. import notifications
from ..access import may_monitor
from ..models import Expense, Milestone, MilestoneStatus, PhaseKind, Project, ProjectEvent, ProjectPhoto, ProjectStatus
from ..selection import money
from .base import Conflict, clean_copy, locked, photo_position, require_monitor, require_phase, require_role, transition


@transaction.atomic
def do_start_implementation(project: Project | int, *, actor: Any, contractor: str = "", contract_number: str = "",
                            contract_amount: Decimal | None = None, agency: Agency | None = None,
                            now: dt.datetime | None = None) -> Project:
    """The contract is signed: works begin under ``agency``, the body responsible for them
    (from now on only its staff, its parent's staff and the administration's operators write
    the project's monitoring data). Operators may leave it empty; an executor or agency head
    names their own agency."""
    require_role(actor, "implement")
    project = locked(project)
    require_phase(project.cycle, PhaseKind.IMPLEMENTATION, now=now)
    if contract_amount is not None and contract_amount < 0:
        raise ValidationError({"contract_amount": [_("Сумма контракта не может быть отрицательной")]})
    if agency is not None and not agency.is_active:
        raise ValidationError({"agency": [_("Ведомство упразднено")]})
    if agency is None and not may_monitor(actor, None):
        raise ValidationError({"agency": [_("Укажите ведомство, отвечающее за работы")]})
    project.implementing_agency = agency
    require_monitor(actor, project)
    project.contractor, project.contract_number, project.contract_amount = contractor, contract_number, contract_amount
    project.save(update_fields=["contractor", "contract_number", "contract_amount", "implementing_agency"])
    transition(project, "start", actor=actor,
                data={"contractor": contractor, "contract_amount": str(contract_amount or ""),
                      "agency": agency.pk if agency is not None else None})
    return project


def _require_implementing(project: Project) -> None:
    if project.status not in (ProjectStatus.IN_PROGRESS, ProjectStatus.SELECTED):
        raise Conflict(_("Проект не реализуется"))


@transaction.atomic
def do_add_milestone(project: Project | int, *, actor: Any, title: str, weight: Decimal = Decimal(1),
                     parent: Milestone | None = None, starts_on: dt.date | None = None,
                     due_on: dt.date | None = None) -> Milestone:
    require_role(actor, "implement")
    project = locked(project)
    require_monitor(actor, project)
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
    do_roll_up_progress(project)
    return milestone


@transaction.atomic
def do_update_milestone(milestone: Milestone, *, actor: Any, status: str, progress: Decimal | None = None,
                        now: dt.datetime | None = None) -> Project:
    """Status drives progress (done → 100, planned → 0, in progress or delayed → the given
    percent); the project's percent is rolled up by weight."""
    require_role(actor, "implement")
    project = locked(milestone.project_id)
    require_monitor(actor, project)
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
    percent = do_roll_up_progress(project)
    notifications.event_recorded(ProjectEvent.objects.create(
        project=project, actor=actor, kind="milestone", note=milestone.title,
        data={"milestone": milestone.pk, "status": status, "progress": str(milestone.progress),
              "project_progress": str(percent), "before": str(before)}))
    return project


def _leaf_progress(milestone: Milestone) -> Decimal:
    return {MilestoneStatus.DONE: Decimal(100), MilestoneStatus.PLANNED: Decimal(0)}.get(
        milestone.status, milestone.progress)  # type: ignore[call-overload]


def do_roll_up_progress(project: Project) -> Decimal:
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
def do_complete_project(project: Project | int, *, actor: Any) -> Project:
    require_role(actor, "implement")
    project = locked(project)
    require_monitor(actor, project)
    if project.milestones.exclude(status__in=[MilestoneStatus.DONE, MilestoneStatus.CANCELLED]).exists():
        raise Conflict(_("Не все этапы выполнены"))
    transition(project, "complete", actor=actor)
    return project


@transaction.atomic
def do_record_expense(project: Project | int, *, actor: Any, amount: Decimal, paid_on: dt.date, description: str,
                      document: str = "") -> Expense:
    """Money spent; the total may not exceed the contract amount."""
    require_role(actor, "implement")
    project = locked(project)
    require_monitor(actor, project)
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
def do_add_project_photo(project: Project | int, *, actor: Any, upload: Any, caption: str = "",
                         location: Point | None = None, taken_at: dt.datetime | None = None,
                         milestone: Milestone | None = None) -> ProjectPhoto:
    """A dated, geotagged photo of the works (the map shows it). The position is the one given
    or the photo's own EXIF GPS; a photo with neither is refused. The stored image is a
    re-encoded copy without metadata (camera serials, owner names)."""
    require_role(actor, "implement")
    project = locked(project)
    require_monitor(actor, project)
    if project.status not in (ProjectStatus.SELECTED, ProjectStatus.IN_PROGRESS, ProjectStatus.COMPLETED):
        raise Conflict(_("Фотографии работ добавляют к отобранному или реализуемому проекту"))
    location = photo_position(upload, location)
    if location is None:
        raise ValidationError({"location": [_("В фотографии нет геометки: укажите место съёмки")]})
    if not (-180 <= location.x <= 180 and -90 <= location.y <= 90):
        raise ValidationError({"location": [_("Координаты вне допустимого диапазона")]})
    if milestone is not None and milestone.project_id != project.pk:
        raise ValidationError({"milestone": [_("Этап другого проекта")]})
    clean = clean_copy(upload)
    photo = ProjectPhoto(project=project, milestone=milestone, caption=caption.strip()[:300],
                         taken_at=taken_at or timezone.now(), location=location, uploaded_by=actor)
    photo.image.save(f"project-{project.pk}.jpg", ContentFile(clean), save=False)
    photo.save()
    ProjectEvent.objects.create(project=project, actor=actor, kind="photo", note=photo.caption,
                                data={"photo": photo.pk})
    return photo
