"""The forms of the officials' project pages: the review, a commission member's sheet and the
eight monitoring forms (start, stages, expenses, photos, answers to residents' reports). They
parse and check the input and name what the page refers to (an agency, a stage or a report of
this project); the rules stay in ``projects.actions``."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.apps import apps
from django.utils.translation import gettext_lazy as _

from geoportal.models import Agency

from .forms import IsoDateField, NumberField
from .models import CriterionKind, Expense, Milestone, Project


class ReviewForm(forms.Form):
    feasible = forms.ChoiceField(choices=[("yes", "yes"), ("no", "no")], error_messages={
        "required": _("Выберите решение"), "invalid_choice": _("Выберите решение")})
    explanation = forms.CharField(required=False, strip=False)
    reviewed_price = NumberField.of(Project, "reviewed_price", required=False)


class ScoreForm(forms.Form):
    """One field ``c_<code>`` per manual criterion of the cycle's rubric, all required."""

    comment = forms.CharField(required=False, strip=False)

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rubric = project.cycle.rubric
        self.codes = [c.code for c in rubric.criteria.filter(kind=CriterionKind.MANUAL)] if rubric else []
        for code in self.codes:
            self.fields[f"c_{code}"] = NumberField()

    def scores(self) -> dict[str, Decimal]:
        return {code: self.cleaned_data[f"c_{code}"] for code in self.codes}

    def sheet_errors(self) -> dict[str, list[str]]:
        """Errors by criterion code, as the sheet names its rows."""
        return {name.removeprefix("c_"): [str(m) for m in messages] for name, messages in self.errors.items()}


class _ProjectForm(forms.Form):
    """A monitoring form about one project: its stages and reports are the only choices."""

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = {"parent": project.milestones.all(), "milestone": project.milestones.all(),
                   "report": project.control_reports.all()}
        for name, queryset in choices.items():
            if name in self.fields:
                self.fields[name].queryset = queryset  # type: ignore[attr-defined]


def _milestone_field(required: bool, message: Any) -> forms.ModelChoiceField[Any]:
    return forms.ModelChoiceField(queryset=None, required=required,
                                  error_messages={"required": message, "invalid_choice": message})


class StartForm(_ProjectForm):
    agency = forms.ModelChoiceField(queryset=Agency.objects.filter(is_active=True), required=False,
                                    error_messages={"invalid_choice": _("Выберите ведомство из списка")})
    contractor = forms.CharField(required=False)
    contract_number = forms.CharField(required=False)
    contract_amount = NumberField.of(Project, "contract_amount")



class MilestoneAddForm(_ProjectForm):
    title = forms.CharField(error_messages={"required": _("Назовите этап")})
    parent = _milestone_field(False, _("Этап другого проекта"))
    weight = NumberField.of(Milestone, "weight", required=False)
    starts_on = IsoDateField(required=False)
    due_on = IsoDateField(required=False)


    def clean_weight(self) -> Decimal:
        return self.cleaned_data["weight"] or Decimal(1)


class MilestoneUpdateForm(_ProjectForm):
    milestone = _milestone_field(True, _("Выберите этап этого проекта"))
    status = forms.CharField(required=False)
    progress = NumberField.of(Milestone, "progress", required=False)



class ExpenseForm(_ProjectForm):
    amount = NumberField.of(Expense, "amount")
    paid_on = IsoDateField()
    description = forms.CharField(required=False, strip=False)
    document = forms.CharField(required=False)



class PhotoForm(_ProjectForm):
    photo = forms.FileField(error_messages={"required": _("Выберите фотографию")})
    caption = forms.CharField(required=False, strip=False)
    lat = NumberField(required=False)
    lon = NumberField(required=False)
    milestone = _milestone_field(False, _("Выберите этап этого проекта"))


class ReportForm(_ProjectForm):
    """A resident's control report of this project, to answer or to file as an appeal."""

    report: forms.ModelChoiceField[Any] = forms.ModelChoiceField(queryset=None, error_messages={
        "required": _("Нет такого отчёта по этому проекту"), "invalid_choice": _("Нет такого отчёта по этому проекту")})



class AnswerForm(ReportForm):
    answer = forms.CharField(required=False, strip=False)


class FileReportForm(ReportForm):
    category: forms.ModelChoiceField[Any] = forms.ModelChoiceField(queryset=None, error_messages={
        "required": _("Выберите категорию обращения"), "invalid_choice": _("Выберите категорию обращения")})
    note = forms.CharField(required=False, strip=False)

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, project=project, **kwargs)
        if not apps.is_installed("issues"):
            raise forms.ValidationError({"category": [_("Обращения не подключены")]})
        category = apps.get_model("issues", "Category")
        self.fields["category"].queryset = (  # type: ignore[attr-defined]
            category.objects.filter(is_active=True, children__isnull=True))


class CompleteForm(_ProjectForm):
    """The button carries nothing: the project is the page's."""
