"""Initiative budgeting (131-FZ art. 26.1, CONSUL/Decidim practice): budget cycles with dated
phases and district headings, projects with geometry, cost lines, co-financing and an
initiative group, supports, ballots, commission scoring by a configurable rubric, selection
results with reasons, implementation milestones, expenses and residents' control reports.

A project's status changes only through :meth:`Project.transition`, which writes a
:class:`ProjectEvent` (who, when, from, to, why); that table is the project's timeline.
Writes go through ``projects/actions/`` (one module a domain)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from geoportal.exceptions import Conflict
from geoportal.models import District
from geoportal.transitions import Transition, allow


class BallotRule(models.TextChoices):
    APPROVAL = "approval", _("одобрение (не более k проектов)")
    KNAPSACK = "knapsack", _("корзина (в пределах средств района)")
    CUMULATIVE = "cumulative", _("распределение баллов")
    RANKED = "ranked", _("ранжирование")
    CHOOSE_ONE = "choose_one", _("выбор одного проекта")


class SelectionRule(models.TextChoices):
    GREEDY = "greedy", _("по голосам, пропуская не поместившиеся")
    GREEDY_NO_SKIP = "greedy_no_skip", _("по голосам до первого не поместившегося")
    GREEDY_THRESHOLD = "greedy_threshold", _("по голосам с минимальным порогом")
    GREEDY_EXCLUSIVE = "greedy_exclusive", _("по голосам, взаимоисключающие проекты")
    EQUAL_SHARES = "equal_shares", _("метод равных долей (с дополнением add1)")


class PhaseKind(models.TextChoices):
    SUBMISSION = "submission", _("приём проектов")
    REVIEW = "review", _("проверка допустимости и реализуемости")
    SUPPORT = "support", _("сбор поддержки")
    SCORING = "scoring", _("оценка конкурсной комиссией")
    VOTING = "voting", _("голосование")
    SELECTION = "selection", _("подведение итогов")
    IMPLEMENTATION = "implementation", _("реализация")
    FINISHED = "finished", _("завершён")


class Rubric(models.Model):
    """A regional scoring method: criteria with weights and tier tables."""

    name = models.CharField(_("название"), max_length=300)

    class Meta:
        verbose_name = _("методика оценки")
        verbose_name_plural = _("методики оценки")

    def __str__(self) -> str:
        return self.name


class CriterionKind(models.TextChoices):
    MANUAL = "manual", _("оценка членами комиссии")
    RESIDENTS_SHARE = "residents_share", _("доля софинансирования жителей, %")
    BUSINESS_SHARE = "business_share", _("доля софинансирования бизнеса, %")
    LOCAL_BUDGET_SHARE = "local_budget_share", _("доля местного бюджета, %")
    INKIND_SHARE = "inkind_share", _("доля неденежного (трудового) участия, %")
    BENEFICIARIES = "beneficiaries", _("число благополучателей")
    BENEFICIARIES_SHARE = "beneficiaries_share", _("доля населения района, получающая пользу, %")
    SUPPORTS = "supports", _("число поддержавших жителей")
    NEED_SCORE = "need_score", _("обращения жителей рядом за 12 месяцев")


class Criterion(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="criteria")
    code = models.SlugField(max_length=60)
    name = models.CharField(_("критерий"), max_length=300)
    kind = models.CharField(max_length=30, choices=CriterionKind.choices, default=CriterionKind.MANUAL)
    weight = models.DecimalField(_("вес"), max_digits=6, decimal_places=3, default=Decimal(1))
    max_points = models.DecimalField(_("максимум баллов"), max_digits=8, decimal_places=2, default=Decimal(10))
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["rubric", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rubric", "code"], name="unique_criterion_code"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="criterion_weight_not_negative"),
            models.CheckConstraint(condition=Q(max_points__gte=0), name="criterion_max_points_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class CriterionTier(models.Model):
    """``lower ≤ value ≤ upper`` (each end inclusive or not; no upper = unbounded) → points.
    E.g. residents' co-financing 5–10 % → 5 points, over 10 % → 15 points."""

    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="tiers")
    lower = models.DecimalField(max_digits=16, decimal_places=4)
    include_lower = models.BooleanField(default=True)
    upper = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    include_upper = models.BooleanField(default=True)
    points = models.DecimalField(max_digits=8, decimal_places=2)

    class Meta:
        ordering = ["criterion", "lower"]
        constraints = [
            models.CheckConstraint(condition=Q(upper__isnull=True) | Q(upper__gte=F("lower")),
                                   name="tier_upper_not_below_lower"),
            models.CheckConstraint(condition=Q(points__gte=0), name="tier_points_not_negative"),
        ]

    def matches(self, value: Decimal) -> bool:
        above = value >= self.lower if self.include_lower else value > self.lower
        if self.upper is None:
            return above
        below = value <= self.upper if self.include_upper else value < self.upper
        return above and below


class BudgetCycle(models.Model):
    """One contest of initiative projects for a territory."""

    name = models.CharField(_("название"), max_length=300)
    territory = models.CharField(_("территория"), max_length=200, blank=True)
    total_money = models.DecimalField(_("общий объём средств"), max_digits=16, decimal_places=2, default=Decimal(0))
    currency = models.CharField(_("валюта"), max_length=3, default="RUB")
    ballot_rule = models.CharField(_("правило бюллетеня"), max_length=20, choices=BallotRule.choices,
                                   default=BallotRule.APPROVAL)
    max_approvals = models.PositiveIntegerField(_("не более проектов в бюллетене (k)"), null=True, blank=True)
    min_approvals = models.PositiveIntegerField(_("не менее проектов в бюллетене"), null=True, blank=True)
    points_total = models.PositiveIntegerField(_("баллов у избирателя (распределение)"), null=True, blank=True)
    max_ranks = models.PositiveIntegerField(_("мест в ранжировании"), null=True, blank=True)
    selection_rule = models.CharField(_("правило отбора"), max_length=30, choices=SelectionRule.choices,
                                      default=SelectionRule.GREEDY)
    min_threshold = models.DecimalField(_("минимум голосов для отбора"), max_digits=14, decimal_places=2,
                                        null=True, blank=True)
    min_group_size = models.PositiveSmallIntegerField(_("минимальная инициативная группа"), default=10)
    rubric = models.ForeignKey(Rubric, verbose_name=_("методика оценки"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="cycles")
    meta = models.JSONField(default=dict, blank=True)  # the Pabulib META of an imported election
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("конкурс инициативных проектов")
        verbose_name_plural = _("конкурсы инициативных проектов")
        constraints = [
            models.CheckConstraint(condition=Q(total_money__gte=0), name="cycle_money_not_negative"),
            models.CheckConstraint(condition=Q(min_group_size__gte=1), name="cycle_group_size_positive"),
            models.CheckConstraint(condition=Q(max_approvals__isnull=True) | Q(max_approvals__gte=1),
                                   name="cycle_max_approvals_positive"),
            models.CheckConstraint(condition=~Q(selection_rule="greedy_threshold") | Q(min_threshold__isnull=False),
                                   name="cycle_threshold_rule_has_threshold"),
        ]

    def __str__(self) -> str:
        return self.name

    def open_phase(self, kind: str, now: dt.datetime | None = None) -> Phase | None:
        """The phase of ``kind`` that is open at ``now`` (start inclusive, end exclusive)."""
        now = now or timezone.now()
        return self.phases.filter(kind=kind, starts_at__lte=now, ends_at__gt=now).first()

    def current_phases(self, now: dt.datetime | None = None) -> list[str]:
        now = now or timezone.now()
        return list(self.phases.filter(starts_at__lte=now, ends_at__gt=now).values_list("kind", flat=True))


class Phase(models.Model):
    cycle = models.ForeignKey(BudgetCycle, on_delete=models.CASCADE, related_name="phases")
    kind = models.CharField(max_length=20, choices=PhaseKind.choices)
    starts_at = models.DateTimeField(_("начало"))
    ends_at = models.DateTimeField(_("окончание"))

    class Meta:
        ordering = ["cycle", "starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "kind"], name="one_phase_of_a_kind"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="phase_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.starts_at:%d.%m.%Y} – {self.ends_at:%d.%m.%Y}"


class Heading(models.Model):
    """The money of one territory (district) inside a cycle."""

    cycle = models.ForeignKey(BudgetCycle, on_delete=models.CASCADE, related_name="headings")
    name = models.CharField(_("название"), max_length=200)
    district = models.ForeignKey(District, null=True, blank=True, on_delete=models.SET_NULL)
    money = models.DecimalField(_("средства"), max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["cycle", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(money__gte=0), name="heading_money_not_negative"),
            models.UniqueConstraint(fields=["cycle", "name"], name="unique_heading_name"),
        ]

    def __str__(self) -> str:
        return self.name


class ProjectStatus(models.TextChoices):
    DRAFT = "draft", _("черновик")
    SUBMITTED = "submitted", _("подан, на проверке")
    FEASIBLE = "feasible", _("допущен к конкурсу")
    UNFEASIBLE = "unfeasible", _("не допущен")
    SELECTED = "selected", _("отобран")
    NOT_SELECTED = "not_selected", _("не отобран")
    IN_PROGRESS = "in_progress", _("реализуется")
    COMPLETED = "completed", _("реализован")
    WITHDRAWN = "withdrawn", _("отозван")


# name -> (allowed source statuses, target status), the shape issues.models uses too. The name is
# the event's kind unless the caller gives one (admit/refuse are both a "review", select/not_select
# both a "selection").
TRANSITIONS: dict[str, Transition] = {
    "submit": allow((ProjectStatus.DRAFT,), ProjectStatus.SUBMITTED),
    "admit": allow((ProjectStatus.SUBMITTED,), ProjectStatus.FEASIBLE),
    "refuse": allow((ProjectStatus.SUBMITTED,), ProjectStatus.UNFEASIBLE),
    # the selection may be run again until implementation starts
    "select": allow((ProjectStatus.FEASIBLE, ProjectStatus.NOT_SELECTED), ProjectStatus.SELECTED),
    "not_select": allow((ProjectStatus.FEASIBLE, ProjectStatus.SELECTED), ProjectStatus.NOT_SELECTED),
    "start": allow((ProjectStatus.SELECTED,), ProjectStatus.IN_PROGRESS),
    "complete": allow((ProjectStatus.IN_PROGRESS,), ProjectStatus.COMPLETED),
    "withdraw": allow((ProjectStatus.DRAFT, ProjectStatus.SUBMITTED, ProjectStatus.FEASIBLE), ProjectStatus.WITHDRAWN),
}
BALLOT_STATUSES = frozenset({ProjectStatus.FEASIBLE, ProjectStatus.SELECTED, ProjectStatus.NOT_SELECTED})
PUBLIC_STATUSES = frozenset(set(ProjectStatus.values) - {ProjectStatus.DRAFT})


class IllegalTransition(Conflict):
    def __init__(self, from_status: str, to_status: str) -> None:
        # the API and the pages answer with this text (409): in the request's language
        super().__init__(gettext("Нельзя перевести проект из «{source}» в «{target}»").format(
            source=ProjectStatus(from_status).label, target=ProjectStatus(to_status).label))
        self.from_status = from_status
        self.to_status = to_status


class ProjectQuerySet(models.QuerySet["Project"]):
    def public(self) -> ProjectQuerySet:
        """What anyone may see: every project past its draft."""
        return self.filter(status__in=PUBLIC_STATUSES)

    def on_ballot(self) -> ProjectQuerySet:
        return self.filter(status__in=BALLOT_STATUSES)


class Project(models.Model):
    cycle = models.ForeignKey(BudgetCycle, on_delete=models.CASCADE, related_name="projects")
    heading = models.ForeignKey(Heading, on_delete=models.CASCADE, related_name="projects")
    external_id = models.CharField(_("внешний номер (Pabulib)"), max_length=50, blank=True)
    title = models.CharField(_("название"), max_length=500)
    description = models.TextField(_("описание"), blank=True)
    problem = models.TextField(_("решаемая проблема"), blank=True)
    expected_results = models.TextField(_("ожидаемые результаты"), blank=True)
    geometry = models.GeometryField(_("место"), srid=4326, null=True, blank=True, spatial_index=True)
    district = models.ForeignKey(District, null=True, blank=True, on_delete=models.SET_NULL)
    category = models.CharField(_("категория"), max_length=60, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="initiative_projects")
    cost_estimate = models.DecimalField(_("сметная стоимость"), max_digits=16, decimal_places=2)
    reviewed_price = models.DecimalField(_("стоимость после экспертизы"),
                                         max_digits=16, decimal_places=2, null=True, blank=True)
    cofinancing_residents = models.DecimalField(_("инициативные платежи жителей"),
                                                max_digits=16, decimal_places=2, default=Decimal(0))
    cofinancing_business = models.DecimalField(_("инициативные платежи бизнеса"),
                                               max_digits=16, decimal_places=2, default=Decimal(0))
    cofinancing_local_budget = models.DecimalField(_("средства местного бюджета"),
                                                   max_digits=16, decimal_places=2, default=Decimal(0))
    inkind_labour = models.DecimalField(_("неденежное и трудовое участие (оценка)"),
                                        max_digits=16, decimal_places=2, default=Decimal(0))
    beneficiaries = models.PositiveIntegerField(_("благополучатели"), default=0)
    durability_years = models.PositiveSmallIntegerField(_("срок службы, лет"), null=True, blank=True)
    meeting_minutes = models.FileField(_("протокол собрания жителей"), upload_to="projects/minutes/%Y/%m/",
                                       blank=True)
    status = models.CharField(_("статус"), max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.DRAFT)
    feasible = models.BooleanField(_("реализуем"), null=True, blank=True)
    feasibility_explanation = models.TextField(_("заключение экспертизы"), blank=True)
    exclusion_group = models.CharField(_("группа взаимоисключающих проектов"), max_length=50, blank=True)
    supports_count = models.PositiveIntegerField(default=0)
    tally = models.DecimalField(_("голоса"), max_digits=16, decimal_places=2, default=Decimal(0))
    commission_score = models.DecimalField(_("баллы комиссии"), max_digits=10, decimal_places=2, null=True,
                                           blank=True)
    need_score = models.PositiveIntegerField(_("обращения рядом за 12 месяцев"), null=True, blank=True)
    selection_reason = models.CharField(max_length=300, blank=True)
    progress_percent = models.DecimalField(_("выполнение, %"), max_digits=5, decimal_places=2, default=Decimal(0))
    contractor = models.CharField(_("подрядчик"), max_length=300, blank=True)
    contract_number = models.CharField(_("номер контракта"), max_length=100, blank=True)
    contract_amount = models.DecimalField(_("сумма контракта"), max_digits=16, decimal_places=2, null=True, blank=True)
    implementing_agency = models.ForeignKey(
        "geoportal.Agency", verbose_name=_("ведомство-исполнитель"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="implemented_projects",
        help_text=_("Ведомство, отвечающее за работы: только его сотрудники (и вышестоящего ведомства) "
                    "ведут мониторинг; без ведомства — только операторы администрации."),
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    # the proposal form's one-time token: a repeated submission (double tap, retry, a second tab)
    # returns the project the first one created, even when the cache has forgotten the token
    submission_key = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-tally", "id"]
        verbose_name = _("инициативный проект")
        verbose_name_plural = _("инициативные проекты")
        constraints = [
            models.CheckConstraint(condition=Q(cost_estimate__gte=0), name="project_cost_not_negative"),
            models.CheckConstraint(condition=Q(reviewed_price__isnull=True) | Q(reviewed_price__gte=0),
                                   name="project_reviewed_price_not_negative"),
            models.CheckConstraint(
                condition=Q(cofinancing_residents__gte=0, cofinancing_business__gte=0,
                            cofinancing_local_budget__gte=0, inkind_labour__gte=0),
                name="project_cofinancing_not_negative"),
            models.CheckConstraint(condition=Q(progress_percent__gte=0, progress_percent__lte=100),
                                   name="project_progress_is_percent"),
            models.CheckConstraint(condition=~Q(status="unfeasible") | ~Q(feasibility_explanation=""),
                                   name="unfeasible_project_is_explained"),
            models.CheckConstraint(condition=Q(geometry__isnull=True) | Q(geometry__isvalid=True),
                                   name="project_geometry_valid"),
            models.UniqueConstraint(fields=["cycle", "external_id"], condition=~Q(external_id=""),
                                    name="unique_project_external_id"),
            models.UniqueConstraint(fields=["author", "submission_key"], condition=~Q(submission_key=""),
                                    name="unique_project_submission_key"),
        ]
        indexes = [models.Index(fields=["heading", "status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def cost(self) -> Decimal:
        """What the selection counts: the reviewed price when experts set one."""
        return self.reviewed_price if self.reviewed_price is not None else self.cost_estimate

    @property
    def key(self) -> str:
        """The id selections and exports use: the Pabulib id when imported, else the pk."""
        return self.external_id or str(self.pk)

    def can(self, transition: str) -> bool:
        return self.status in TRANSITIONS[transition].sources

    def transition(self, name: str, *, actor: Any = None, kind: str = "", note: str = "",
                   data: dict[str, Any] | None = None) -> ProjectEvent:
        """The only way a status changes: the transition ``name`` of :data:`TRANSITIONS`; leaves
        a :class:`ProjectEvent` of kind ``kind`` (by default the transition's name)."""
        sources, to_status = TRANSITIONS[name]
        if self.status not in sources:
            raise IllegalTransition(self.status, to_status)
        from_status = self.status
        self.status = to_status
        self.save(update_fields=["status"])
        return ProjectEvent.objects.create(project=self, actor=actor if getattr(actor, "pk", None) else None,
                                           kind=kind or name, from_status=from_status, to_status=to_status,
                                           note=note, data=data or {})


# Events whose note is an official's words to one resident (the answer to a control report, the
# reason it became an appeal): the fact is public, the note is not — on the page and in the API.
PRIVATE_NOTE_EVENTS = frozenset({"control_answer", "control_appeal"})


class ProjectEvent(models.Model):
    """The project's audit log and public timeline."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]


class CostItem(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="cost_items")
    name = models.CharField(_("статья"), max_length=300)
    quantity = models.DecimalField(_("количество"), max_digits=12, decimal_places=3, default=Decimal(1))
    unit = models.CharField(_("единица"), max_length=30, blank=True)
    unit_price = models.DecimalField(_("цена"), max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["project", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cost_item_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="cost_item_price_not_negative"),
        ]

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


class InitiativeGroupMember(models.Model):
    """A member of the initiative group (131-FZ: residents aged 16+). Personal data: never public."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="group_members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    full_name = models.CharField(_("ФИО"), max_length=255)
    birth_date = models.DateField(_("дата рождения"))
    address = models.CharField(_("адрес"), max_length=500, blank=True)
    is_leader = models.BooleanField(_("руководитель группы"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], condition=Q(user__isnull=False),
                                    name="unique_group_member_user"),
        ]


class ProjectPhoto(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="photos")
    milestone = models.ForeignKey("Milestone", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="photos")
    image = models.ImageField(upload_to="projects/photos/%Y/%m/")
    caption = models.CharField(max_length=300, blank=True)
    taken_at = models.DateTimeField(null=True, blank=True)
    location = models.PointField(srid=4326, null=True, blank=True, spatial_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)


class Support(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_supports")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="one_support_per_user")]


class BallotChannel(models.TextChoices):
    WEB = "web", _("на портале")
    PAPER = "paper", _("бумажный, введён оператором")
    IMPORT = "import", _("импорт")


class Ballot(models.Model):
    """One ballot per voter per heading; paper and imported voters have a key but no account."""

    heading = models.ForeignKey(Heading, on_delete=models.CASCADE, related_name="ballots")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="ballots")
    voter_key = models.CharField(max_length=100)
    channel = models.CharField(max_length=10, choices=BallotChannel.choices, default=BallotChannel.IMPORT)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="entered_ballots")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["heading", "voter_key"], name="one_ballot_per_voter"),
            models.UniqueConstraint(fields=["heading", "voter"], condition=Q(voter__isnull=False),
                                    name="one_ballot_per_user"),
        ]


class BallotChoice(models.Model):
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="choices")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField(default=0)  # order on the ballot (rank for ranked ballots)
    points = models.IntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ballot", "project"], name="one_choice_per_project"),
            models.CheckConstraint(condition=Q(points__gte=0), name="choice_points_not_negative"),
        ]


class CommissionScore(models.Model):
    """One commission member's points for one manual criterion of one project (a score sheet row)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="commission_scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="scores")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="commission_scores")
    points = models.DecimalField(max_digits=8, decimal_places=2)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "criterion", "member"], name="one_score_per_member"),
            models.CheckConstraint(condition=Q(points__gte=0), name="score_points_not_negative"),
        ]


class SelectionRun(models.Model):
    """One reproducible run of a selection rule over a heading."""

    heading = models.ForeignKey(Heading, on_delete=models.CASCADE, related_name="selection_runs")
    rule = models.CharField(max_length=30, choices=SelectionRule.choices)
    money = models.DecimalField(max_digits=16, decimal_places=2)
    spent = models.DecimalField(max_digits=16, decimal_places=2)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]


class SelectionDecision(models.Model):
    run = models.ForeignKey(SelectionRun, on_delete=models.CASCADE, related_name="decisions")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="selection_decisions")
    position = models.PositiveIntegerField()
    selected = models.BooleanField()
    tally = models.DecimalField(max_digits=16, decimal_places=2)
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["run", "position"]
        constraints = [models.UniqueConstraint(fields=["run", "project"], name="one_decision_per_project")]


class MilestoneStatus(models.TextChoices):
    PLANNED = "planned", _("запланирован")
    IN_PROGRESS = "in_progress", _("выполняется")
    DELAYED = "delayed", _("задерживается")
    DONE = "done", _("выполнен")
    CANCELLED = "cancelled", _("отменён")


class Milestone(models.Model):
    """A stage of implementation; children roll up into their parent by weight."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    title = models.CharField(_("этап"), max_length=300)
    weight = models.DecimalField(_("вес"), max_digits=8, decimal_places=3, default=Decimal(1))
    status = models.CharField(max_length=20, choices=MilestoneStatus.choices, default=MilestoneStatus.PLANNED)
    progress = models.DecimalField(_("выполнение, %"), max_digits=5, decimal_places=2, default=Decimal(0))
    starts_on = models.DateField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["project", "order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=0), name="milestone_weight_not_negative"),
            models.CheckConstraint(condition=Q(progress__gte=0, progress__lte=100), name="milestone_progress_percent"),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="milestone_not_own_parent"),
        ]


class Expense(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="expenses")
    amount = models.DecimalField(_("сумма"), max_digits=16, decimal_places=2)
    paid_on = models.DateField(_("дата оплаты"))
    description = models.CharField(_("назначение"), max_length=300)
    document = models.CharField(_("платёжный документ"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["project", "paid_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="expense_amount_positive")]


class ControlReportKind(models.TextChoices):
    QUALITY = "quality", _("качество работ")
    DELAY = "delay", _("срыв сроков")
    OTHER = "other", _("другое")


class ControlReportStatus(models.TextChoices):
    NEW = "new", _("новый")
    ANSWERED = "answered", _("дан ответ")
    ESCALATED = "escalated", _("передан как обращение")


class ControlReport(models.Model):
    """A resident's report on implementation (public oversight); answered by an official or
    turned into an appeal routed to the responsible agency."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="control_reports")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="control_reports")
    kind = models.CharField(max_length=20, choices=ControlReportKind.choices, default=ControlReportKind.QUALITY)
    text = models.TextField()
    photo = models.ImageField(upload_to="projects/control/%Y/%m/", blank=True)
    location = models.PointField(srid=4326, null=True, blank=True)
    status = models.CharField(max_length=20, choices=ControlReportStatus.choices, default=ControlReportStatus.NEW)
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="answered_control_reports")
    answered_at = models.DateTimeField(null=True, blank=True)
    # the appeal it became (issues.Appeal id; a plain id so projects/ does not depend on issues' migrations)
    appeal_id = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(status="answered") | ~Q(answer=""), name="answered_report_has_answer"),
            models.CheckConstraint(condition=~Q(status="escalated") | Q(appeal_id__isnull=False),
                                   name="escalated_report_has_appeal"),
        ]
