"""Initiative budgeting: budget cycles with district headings, projects with geometry, ballots.

This is the part the selection rules and the Pabulib exchange stand on; review, scoring,
co-financing and implementation monitoring are still to be built (issue 6)."""
from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geoportal.models import District


class BallotRule(models.TextChoices):
    APPROVAL = "approval", _("одобрение (не более k проектов)")
    CUMULATIVE = "cumulative", _("распределение баллов")
    ORDINAL = "ordinal", _("ранжирование")
    CHOOSE_ONE = "choose-1", _("выбор одного")


class SelectionRule(models.TextChoices):
    GREEDY = "greedy", _("по голосам, пропуская не поместившиеся")
    GREEDY_NO_SKIP = "greedy-no-skip", _("по голосам до первого не поместившегося")
    GREEDY_THRESHOLD = "greedy-threshold", _("по голосам с минимальным порогом")
    GREEDY_EXCLUSIVE = "greedy-exclusive", _("по голосам, взаимоисключающие проекты")
    EQUAL_SHARES = "equalshares/add1", _("метод равных долей (с дополнением add1)")


class BudgetCycle(models.Model):
    name = models.CharField(_("название"), max_length=300)
    territory = models.CharField(_("территория"), max_length=200, blank=True)
    currency = models.CharField(max_length=3, default="RUB")
    ballot_rule = models.CharField(max_length=20, choices=BallotRule.choices, default=BallotRule.APPROVAL)
    max_choices = models.PositiveIntegerField(null=True, blank=True)
    selection_rule = models.CharField(max_length=30, choices=SelectionRule.choices, default=SelectionRule.GREEDY)
    min_project_score_threshold = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    min_group_size = models.PositiveSmallIntegerField(default=10)  # 131-FZ art. 26.1
    meta = models.JSONField(default=dict, blank=True)  # the Pabulib META of an imported election
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("конкурс инициативных проектов")
        verbose_name_plural = _("конкурсы инициативных проектов")

    def __str__(self) -> str:
        return self.name


class Heading(models.Model):
    """The money of one territory (district) inside a cycle."""

    cycle = models.ForeignKey(BudgetCycle, on_delete=models.CASCADE, related_name="headings")
    name = models.CharField(max_length=200)
    district = models.ForeignKey(District, null=True, blank=True, on_delete=models.SET_NULL)
    money = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(money__gte=0), name="heading_money_not_negative")]


class ProjectStatus(models.TextChoices):
    PROPOSED = "proposed", _("предложен")
    SELECTED = "selected", _("отобран")
    NOT_SELECTED = "not_selected", _("не отобран")


class Project(models.Model):
    cycle = models.ForeignKey(BudgetCycle, on_delete=models.CASCADE, related_name="projects")
    heading = models.ForeignKey(Heading, on_delete=models.CASCADE, related_name="projects")
    external_id = models.CharField(max_length=50, blank=True)
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    cost = models.DecimalField(max_digits=16, decimal_places=2)
    geometry = models.GeometryField(srid=4326, null=True, blank=True, spatial_index=True)
    district = models.ForeignKey(District, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.PROPOSED)
    tally = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    selection_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-tally", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(cost__gte=0), name="project_cost_not_negative"),
            models.UniqueConstraint(fields=["cycle", "external_id"], condition=~Q(external_id=""),
                                    name="unique_project_external_id"),
        ]

    def __str__(self) -> str:
        return self.title


class Ballot(models.Model):
    """One ballot per voter per heading; paper and imported voters have a key but no account."""

    heading = models.ForeignKey(Heading, on_delete=models.CASCADE, related_name="ballots")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    voter_key = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["heading", "voter_key"], name="one_ballot_per_voter")]


class BallotChoice(models.Model):
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="choices")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField(default=0)  # order on the ballot (rank for ordinal)
    points = models.IntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ballot", "project"], name="one_choice_per_project")]
