"""Judge the router on an archive the way a city would (no database writes): k-fold
cross-validation of one CSV, or train on one file and test on another (``--test-csv``), or split
one file by time (``--time-column``: the newest 20% are the test); always beside the rule table,
the most frequent agency and LinearSVC trained on the same rows."""
from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from routing.csvdata import CsvColumns, CsvData, CsvError, read_csv
from routing.evaluation import cross_validate, evaluate_split, time_split

SUMMARY = ("rows", "classes", "accuracy", "macro_f1", "baseline_rule_accuracy", "baseline_majority_accuracy",
           "baseline_linear_accuracy", "coverage_at_95", "calibration_error", "baseline_rule_macro_f1",
           "baseline_majority_macro_f1", "baseline_linear_macro_f1", "folds", "split", "train_rows",
           "skipped_without_label", "rows_without_point")


class Command(BaseCommand):
    help = ("Оценить маршрутизатор на архиве обращений (CSV): k-кратная перекрёстная проверка, обучение на одном "
            "файле и проверка на другом (--test-csv) или разбиение по времени (--time-column); рядом — таблица "
            "правил, самое частое ведомство и LinearSVC, обученные на тех же строках.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--csv", required=True, help="путь к CSV (с --test-csv: обучающий)")
        parser.add_argument("--test-csv", help="CSV более позднего периода для проверки (те же колонки)")
        parser.add_argument("--time-column", help="колонка даты: обучение на старых 80%%, проверка на новых 20%%")
        parser.add_argument("--label", required=True, help="колонка с ведомством, ответившим по существу")
        parser.add_argument("--text", help="колонка с текстом обращения (HTML допускается)")
        parser.add_argument("--category", help="колонка с рубрикой (вложенность через «>» или «/») или несколько "
                                               "колонок через запятую от общей к частной: city_object,category,reason")
        parser.add_argument("--lat", help="колонка широты")
        parser.add_argument("--lon", help="колонка долготы")
        parser.add_argument("--district", help="колонка района")
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument("--encoding", default="utf-8")
        parser.add_argument("--delimiter", default=",")
        parser.add_argument("--report", choices=("summary", "per-class"), default="summary",
                            help="per-class: точность и полнота по каждому ведомству")
        parser.add_argument("--json", action="store_true", help="последней строкой вывести JSON с метриками")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["folds"] < 2:
            raise CommandError("--folds должно быть не меньше 2.")
        if options["test_csv"] and options["time_column"]:
            raise CommandError("Укажите либо --test-csv, либо --time-column, но не оба.")
        if options["delimiter"] in ("\\t", "tab"):
            options["delimiter"] = "\t"
        columns = CsvColumns(options["label"], options["text"], options["category"], options["lat"],
                             options["lon"], options["district"], options["time_column"])
        data = self._read(options["csv"], columns, options)
        if options["test_csv"]:
            test = self._read(options["test_csv"], columns, options, training=False)
            metrics = self._split(data, test.rows, test.labels, "test-csv", options)
            metrics["skipped_without_label"] = data.skipped_without_label + test.skipped_without_label
            metrics["rows_without_point"] = sum(1 for r in test.rows if not r.has_point)
        elif options["time_column"]:
            assert data.times is not None
            if len(data.rows) < 10:
                raise CommandError(f"Строк ({len(data.rows)}) слишком мало для разбиения по времени.")
            older, newer = time_split(len(data.rows), data.times)
            train = CsvData([data.rows[i] for i in older], [data.labels[i] for i in older], 0)
            metrics = self._split(train, [data.rows[i] for i in newer], [data.labels[i] for i in newer],
                                  f"time: newest {len(newer)} rows", options)
            metrics["skipped_without_label"] = data.skipped_without_label
            metrics["rows_without_point"] = sum(1 for i in newer if not data.rows[i].has_point)
        else:
            if len(data.rows) < options["folds"]:
                raise CommandError(f"Строк ({len(data.rows)}) меньше, чем блоков проверки ({options['folds']}).")
            bar = tqdm(total=options["folds"], desc="перекрёстная проверка", unit="блок",
                       disable=options["json"] or options["verbosity"] == 0)
            metrics = cross_validate(data.rows, data.labels, folds=options["folds"], progress=lambda k: bar.update(1))
            bar.close()
            metrics["split"] = f"{metrics['folds']}-fold"
            metrics["skipped_without_label"] = data.skipped_without_label
            metrics["rows_without_point"] = sum(1 for r in data.rows if not r.has_point)
        self._print(metrics, options)

    def _read(self, path: str, columns: CsvColumns, options: dict[str, Any], training: bool = True) -> CsvData:
        try:
            data = read_csv(path, columns, options["encoding"], options["delimiter"])
        except CsvError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        if training and len(set(data.labels)) < 2:
            raise CommandError(f"{path}: в колонке ведомств {columns.label!r} меньше двух разных значений: "
                               "маршрутизировать не из чего.")
        return data

    @staticmethod
    def _split(train: CsvData, test_rows: list[Any], test_labels: list[str], split: str,
               options: dict[str, Any]) -> dict[str, Any]:
        _router, metrics = evaluate_split(train.rows, train.labels, test_rows, test_labels)
        metrics["split"] = split
        metrics["train_rows"] = len(train.rows)
        return metrics

    def _print(self, metrics: dict[str, Any], options: dict[str, Any]) -> None:
        out = self.stdout
        out.write(f"Проверка: {metrics['split']}; строк: {metrics['rows']} (без ведомства пропущено: "
                  f"{metrics['skipped_without_label']}; без координат: {metrics['rows_without_point']}), "
                  f"ведомств: {metrics['classes']}")
        for title, prefix in (("Маршрутизатор:", ""), ("LinearSVC:", "baseline_linear_"),
                              ("Таблица правил:", "baseline_rule_"), ("Самое частое ведомство:", "baseline_majority_")):
            accuracy, macro_f1 = metrics[prefix + "accuracy"], metrics[prefix + "macro_f1"]
            out.write(f"{title:24}точность {accuracy:.3f}   macro-F1 {macro_f1:.3f}")
        out.write(f"Автоматически при точности ≥ 95%: {metrics['coverage_at_95']:.1%} обращений; "
                  f"ошибка калибровки {metrics['calibration_error']:.3f}")
        out.write("Порог уверенности → доля автоматически / точность:")
        for point in metrics["coverage_curve"]:
            accuracy = point["accuracy"]
            out.write(f"  ≥ {point['threshold']:.1f}: {point['coverage']:.1%} / "
                      + ("—" if accuracy != accuracy else f"{accuracy:.3f}"))
        if options["report"] == "per-class":
            out.write("Ведомство: точность (precision) / полнота (recall) / примеров в проверке")
            for label, item in sorted(metrics["per_agency"].items(), key=lambda kv: (-kv[1]["support"], kv[0])):
                out.write(f"  {label[:60]:60} {item['precision']:.3f} / {item['recall']:.3f} / {item['support']}")
        if options["json"]:
            out.write(json.dumps({key: metrics[key] for key in SUMMARY if key in metrics}, ensure_ascii=False))
