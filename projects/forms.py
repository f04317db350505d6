"""The forms of the residents' project pages: the proposal (with its cost lines and initiative
group as formsets over the page's repeated inputs), a control report and a withdrawal. They
parse and check the input; the rules of the contest stay in ``projects.actions``.

``NumberField`` is the one parser of numbers typed on the projects pages (the officials' forms
use it too): "1 234,50" as people type money, never NaN or Infinity."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import CostItem, Heading
from .selection import money

CATEGORY_LABELS: dict[str, Any] = {
    "yards": _("Дворы и детские площадки"),
    "greenery": _("Скверы и озеленение"),
    "lighting": _("Освещение"),
    "sport": _("Спорт"),
    "roads": _("Дороги и тротуары"),
    "accessibility": _("Доступная среда"),
    "waste": _("Чистота и отходы"),
    "culture": _("Культура и досуг"),
}
REQUIRED = _("Обязательное поле")


class NumberField(forms.DecimalField):
    """A decimal as people type it: spaces and no-break spaces between groups, a comma or a
    point; ``forms.DecimalField`` itself refuses NaN and Infinity."""

    default_error_messages = {"invalid": _("Введите число"), "required": REQUIRED}

    @classmethod
    def of(cls, model: type[models.Model], name: str, **kwargs: Any) -> NumberField:
        """A field for the numeric column ``model.name``: no more digits than the column holds, so
        a typo of many zeros is a field error and not the database's overflow (a 500)."""
        column: Any = model._meta.get_field(name)
        return cls(max_digits=column.max_digits, decimal_places=column.decimal_places, **kwargs)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        return super().to_python(value)


class IsoDateField(forms.DateField):
    """A date from ``<input type="date">`` (YYYY-MM-DD)."""

    default_error_messages = {"invalid": _("Дата в формате ГГГГ-ММ-ДД"), "required": REQUIRED}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(input_formats=["%Y-%m-%d"], **kwargs)


def form_errors(form: forms.BaseForm) -> dict[str, list[str]]:
    """A bound form's errors as the pages show them (name -> messages)."""
    return {name: [str(message) for message in messages] for name, messages in form.errors.items()}


class ProposalForm(forms.Form):
    """The single-value fields of a proposal; cost lines and group members are the formsets below."""

    heading = forms.TypedChoiceField(label=_("Район (направление конкурса)"), coerce=int, required=False,
                                     empty_value=None)
    title = forms.CharField(label=_("Название проекта"), max_length=500)
    category = forms.ChoiceField(label=_("Категория"))
    description = forms.CharField(label=_("Описание: что сделать"), widget=forms.Textarea(attrs={"rows": 4}),
                                  max_length=10000)
    problem = forms.CharField(label=_("Какую проблему решает"), widget=forms.Textarea(attrs={"rows": 3}),
                              required=False, max_length=5000)
    expected_results = forms.CharField(label=_("Ожидаемый результат"), widget=forms.Textarea(attrs={"rows": 3}),
                                       required=False, max_length=5000)
    geometry = forms.CharField(widget=forms.HiddenInput, required=False)
    cofinancing_residents = forms.DecimalField(label=_("Инициативные платежи жителей, ₽"), min_value=0,
                                               max_digits=16, decimal_places=2, required=False)
    cofinancing_business = forms.DecimalField(label=_("Инициативные платежи бизнеса, ₽"), min_value=0,
                                              max_digits=16, decimal_places=2, required=False)
    cofinancing_local_budget = forms.DecimalField(label=_("Средства местного бюджета, ₽"), min_value=0,
                                                  max_digits=16, decimal_places=2, required=False)
    inkind_labour = forms.DecimalField(label=_("Трудовое и неденежное участие (оценка), ₽"), min_value=0,
                                       max_digits=16, decimal_places=2, required=False)
    beneficiaries = forms.IntegerField(label=_("Сколько жителей получат пользу"), min_value=0, required=False,
                                       max_value=2**31 - 1)  # the column's (a PositiveIntegerField) largest
    durability_years = forms.IntegerField(label=_("Срок службы, лет"), min_value=1, max_value=100, required=False)
    form_token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, headings: list[Heading], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["heading"].choices = [("", _("определить по месту на карте"))] + [  # type: ignore[attr-defined]
            (h.pk, f"{h.name} — {money(h.money)} ₽") for h in headings]
        self.fields["category"].choices = [("", _("— выберите —"))] + [  # type: ignore[attr-defined]
            (code, label) for code, label in CATEGORY_LABELS.items()]


class CostLineForm(forms.Form):
    name = forms.CharField(required=False)
    quantity = NumberField.of(CostItem, "quantity", required=False)
    unit = forms.CharField(required=False)
    unit_price = NumberField.of(CostItem, "unit_price")

    def clean_quantity(self) -> Decimal:
        return self.cleaned_data["quantity"] if self.cleaned_data["quantity"] is not None else Decimal(1)


class MemberForm(forms.Form):
    full_name = forms.CharField()
    birth_date = IsoDateField()
    address = forms.CharField(required=False)

    def clean_birth_date(self) -> dt.date:
        birth: dt.date = self.cleaned_data["birth_date"]
        if birth >= timezone.localdate() or birth.year < 1900:
            raise ValidationError("out of range", code="range")
        return birth


CostLineFormSet = forms.formset_factory(CostLineForm, extra=0)
MemberFormSet = forms.formset_factory(MemberForm, extra=0)
# formset field -> the name the page's repeated input carries (the scripts add rows by cloning)
COST_INPUTS = {"name": "cost_name", "quantity": "cost_quantity", "unit": "cost_unit", "unit_price": "cost_price"}
MEMBER_INPUTS = {"full_name": "member_name", "birth_date": "member_birth", "address": "member_address"}


def repeated_rows(post: QueryDict, inputs: dict[str, str]) -> list[dict[str, str]]:
    """The rows of a table of repeated inputs (``name=a&name=b``), as typed."""
    columns = [post.getlist(name) for name in inputs.values()]
    return [dict(zip(inputs, values, strict=True)) for values in zip(*columns, strict=False)]


def _formset(formset_class: Any, prefix: str, rows: list[dict[str, str]]) -> Any:
    """A formset over ``rows``; every form is an extra one, so an untouched (blank) row is
    skipped as Django skips an unchanged extra form."""
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0"}
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{name}": value for name, value in row.items()})
    return formset_class(data, prefix=prefix)


def parse_rows(post: QueryDict) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, list[str]],
                                         list[dict[str, str]], list[dict[str, str]]]:
    """Cost lines and group members from the repeated inputs; (cost_items, group, errors, raw
    cost rows, raw member rows) — the raw rows refill the form after an error."""
    errors: dict[str, list[str]] = {}
    raw_costs, raw_members = repeated_rows(post, COST_INPUTS), repeated_rows(post, MEMBER_INPUTS)
    cost_items, group = [], []
    for index, form in enumerate(_formset(CostLineFormSet, "cost", raw_costs).forms, start=1):
        if not form.has_changed():
            continue
        if form.is_valid():
            cost_items.append(form.cleaned_data)
        else:
            errors.setdefault("cost_items", []).append(
                gettext("Статья %(n)s: количество и цена — числа") % {"n": index})
    for index, form in enumerate(_formset(MemberFormSet, "member", raw_members).forms, start=1):
        if not form.has_changed():
            continue
        if form.is_valid():
            group.append(form.cleaned_data)
            continue
        if "full_name" in form.errors:
            message = gettext("Участник %(n)s: укажите ФИО")
        elif form.has_error("birth_date", "range"):
            message = gettext("Участник %(n)s: неверная дата рождения")
        else:
            message = gettext("Участник %(n)s: укажите дату рождения")
        errors.setdefault("group", []).append(message % {"n": index})
    return cost_items, group, errors, raw_costs, raw_members


class ControlReportForm(forms.Form):
    """A resident's report on the works; ``actions.do_submit_control_report`` checks the text and kind."""

    text = forms.CharField(required=False, strip=False)
    kind = forms.CharField(required=False)
    photo = forms.FileField(required=False)


class WithdrawForm(forms.Form):
    """The author's public reason; ``actions.do_withdraw_project`` checks it."""

    reason = forms.CharField(required=False, strip=False)
