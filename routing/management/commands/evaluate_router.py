"""k-fold cross-validation of the router's own pipeline on any CSV export (no database writes)."""
from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from routing.csvdata import CsvColumns, CsvError, read_csv
from routing.model import cross_validate


class Command(BaseCommand):
    help = ("Оценить маршрутизатор на архиве обращений (CSV) k-кратной перекрёстной проверкой: точность, "
            "macro-F1, базовые линии и доля, маршрутизируемая автоматически при точности ≥ 95%.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--csv", required=True, help="путь к CSV")
        parser.add_argument("--label", required=True, help="колонка с ведомством, ответившим по существу")
        parser.add_argument("--text", help="колонка с текстом обращения (HTML допускается)")
        parser.add_argument("--category", help="колонка с рубрикой (вложенность через «>» или «/»)")
        parser.add_argument("--lat", help="колонка широты")
        parser.add_argument("--lon", help="колонка долготы")
        parser.add_argument("--district", help="колонка района")
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument("--encoding", default="utf-8")
        parser.add_argument("--delimiter", default=",")
        parser.add_argument("--json", action="store_true", help="последней строкой вывести JSON с метриками")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["folds"] < 2:
            raise CommandError("--folds должно быть не меньше 2.")
        if options["delimiter"] in ("\\t", "tab"):
            options["delimiter"] = "\t"
        columns = CsvColumns(options["label"], options["text"], options["category"], options["lat"],
                             options["lon"], options["district"])
        try:
            data = read_csv(options["csv"], columns, options["encoding"], options["delimiter"])
        except CsvError as exc:
            raise CommandError(str(exc))
        if len(set(data.labels)) < 2:
            raise CommandError("В колонке ведомств меньше двух разных значений: маршрутизировать не из чего.")
        if len(data.rows) < options["folds"]:
            raise CommandError(f"Строк ({len(data.rows)}) меньше, чем блоков проверки ({options['folds']}).")
        bar = tqdm(total=options["folds"], desc="перекрёстная проверка", unit="блок",
                   disable=options["json"] or options["verbosity"] == 0)
        metrics = cross_validate(data.rows, data.labels, folds=options["folds"],
                                 progress=lambda k: bar.update(1))
        bar.close()
        metrics["skipped_without_label"] = data.skipped_without_label
        metrics["rows_without_point"] = sum(1 for r in data.rows if not r.has_point)
        out = self.stdout
        out.write(f"Строк: {metrics['rows']} (без ведомства пропущено: {data.skipped_without_label}; "
                  f"без координат: {metrics['rows_without_point']}), ведомств: {metrics['classes']}, "
                  f"блоков: {metrics['folds']}")
        out.write(f"Маршрутизатор:          точность {metrics['accuracy']:.3f}   macro-F1 {metrics['macro_f1']:.3f}")
        out.write(f"Таблица правил:         точность {metrics['baseline_rule_accuracy']:.3f}   "
                  f"macro-F1 {metrics['baseline_rule_macro_f1']:.3f}")
        out.write(f"Самое частое ведомство: точность {metrics['baseline_majority_accuracy']:.3f}   "
                  f"macro-F1 {metrics['baseline_majority_macro_f1']:.3f}")
        out.write(f"Автоматически при точности ≥ 95%: {metrics['coverage_at_95']:.1%} обращений")
        out.write("Порог уверенности → доля автоматически / точность:")
        for point in metrics["coverage_curve"]:
            accuracy = point["accuracy"]
            out.write(f"  ≥ {point['threshold']:.1f}: {point['coverage']:.1%} / "
                      + ("—" if accuracy != accuracy else f"{accuracy:.3f}"))
        if options["json"]:
            summary = {key: metrics[key] for key in (
                "rows", "classes", "accuracy", "macro_f1", "baseline_rule_accuracy", "baseline_majority_accuracy",
                "coverage_at_95", "baseline_rule_macro_f1", "baseline_majority_macro_f1", "folds",
                "calibration_error", "skipped_without_label", "rows_without_point")}
            out.write(json.dumps(summary, ensure_ascii=False))
