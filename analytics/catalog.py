"""The published catalogue of the statistics: dimensions and metrics with their names and exact
definitions, Russian with English translations in the app's catalogue (served by
``/api/v1/stats/catalog`` and shown on the pages, in the request's language)."""
from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from issues.models import AppealType, Channel, Kind, Result, Status

from . import sql

DIMENSIONS: dict[str, str | Promise] = {
    "district": _("Район"),
    "agency": _("Ведомство (ответственное)"),
    "agency_l1": _("Ведомство верхнего уровня"),
    "agency_l2": _("Ведомство 2-го уровня"),
    "category": _("Категория"),
    "category_l1": _("Раздел категорий"),
    "classifier_section": _("Раздел тематического классификатора"),
    "channel": _("Канал поступления"),
    "status": _("Статус"),
    "result": _("Результат рассмотрения"),
    "kind": _("Вид обращения"),
    "type": _("Тип обращения"),
    "day": _("День поступления"),
    "week": _("Неделя поступления"),
    "month": _("Месяц поступления"),
    "quarter": _("Квартал поступления"),
    "year": _("Год поступления"),
}

METRICS: dict[str, tuple[str | Promise, str | Promise]] = {
    "count": (_("Обращений"), _("число обращений")),
    "share": (_("Доля"), _("доля от общего итога выборки (итог = 1)")),
    "answered": (_("Дан ответ"), _("обращений с ответом по существу (answered_at задан)")),
    "open": (_("На рассмотрении"), _("обращений в открытых статусах")),
    "resolved_share": (_("Доля решённых"),
                       _("из обращений с ответом — доля с результатом «поддержано» или «меры приняты»")),
    "on_time_share": (_("В срок"),
                      _("ответ не позже срока (срок включает продление; при переадресации срок остаётся "
                        "исходным, от регистрации) / обращения с ответом + открытые с истёкшим сроком")),
    "overdue": (_("Просрочено"), _("открытые с истёкшим сроком + отвеченные позже срока")),
    "median_days": (_("Медиана, дней"), _("медиана календарных дней от регистрации до ответа")),
    "p90_days": (_("90-й процентиль, дней"), _("90-й процентиль дней от регистрации до ответа (percentile_cont)")),
    "redirects": (_("Переадресаций"), _("сумма переадресаций")),
    "redirected": (_("Переадресованных"), _("обращений, переадресованных хотя бы раз")),
    "redirect_share": (_("Доля переадресованных"), _("переадресованных / всех (ошибки маршрутизации)")),
    "repeated": (_("Повторных"), _("вид «повторное» или «коллективное повторное»")),
    "repeated_share": (_("Доля повторных"), _("повторных / всех")),
    "reopened": (_("Возобновлённых"), _("обращений, возобновлённых после низкой оценки хотя бы раз")),
    "reopened_share": (_("Доля возобновлённых"), _("возобновлённых / всех")),
    "rated": (_("Оценок"), _("обращений с оценкой заявителя")),
    "satisfaction_avg": (_("Средняя оценка"), _("средняя оценка ответа 1–5")),
    "satisfaction": (_("Распределение оценок"), _("число оценок 1, 2, 3, 4, 5 (столбцы satisfaction_1…5)")),
    "solved_share": (_("Решено по мнению заявителя"), _("доля оценок «проблема решена»")),
    "politeness_avg": (_("Вежливость"), _("средняя оценка вежливости 1–5")),
    "timeliness_avg": (_("Своевременность"), _("средняя оценка своевременности 1–5")),
    "per_1000": (_("На 1000 жителей"),
                 _("обращений с известным районом на 1000 жителей. В строке района — население этого района; "
                   "в итогах и без измерения «район» — население всей территории выборки (все районы или район "
                   "из фильтра district). Обращения без района дают пусто.")),
}

# Output column -> metric: most metrics give one column; the distribution gives five.
METRIC_COLUMNS: dict[str, list[str]] = {
    name: ([c for c, _s in spec.columns] if spec.columns else [name]) for name, spec in sql.METRICS.items()
}

CHOICE_LABELS: dict[str, dict[str, Any]] = {
    "channel": dict(Channel.choices),
    "status": dict(Status.choices),
    "result": dict(Result.choices),
    "kind": dict(Kind.choices),
    "type": dict(AppealType.choices),
    "classifier_section": {
        "0001": _("Государство, общество, политика"),
        "0002": _("Социальная сфера"),
        "0003": _("Экономика"),
        "0004": _("Оборона, безопасность, законность"),
        "0005": _("Жилищно-коммунальная сфера"),
    },
}

assert set(DIMENSIONS) == set(sql.DIMENSIONS), "catalogue and SQL dimensions differ"
assert set(METRICS) == set(sql.METRICS), "catalogue and SQL metrics differ"
