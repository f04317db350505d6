"""Train a new router version on the appeals history (the provider named in settings)."""
from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from routing.registry import NoTrainingData, train_and_register
from routing.tasks import training_rows

STEPS = ("spatial join", "features", "estimator", "calibration", "evaluation")


class Command(BaseCommand):
    help = ("Обучить новую версию маршрутизатора на истории обращений (разбиение по времени) и сохранить её; "
            "активировать, если она не хуже активной.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="без индикатора и таблиц")
        parser.add_argument("--activate", choices=("if_not_worse", "yes", "no"), default="if_not_worse")

    def handle(self, *args: Any, **options: Any) -> None:
        quiet = options["quiet"]
        rows, labels, times = training_rows()
        if len(rows) < 5:
            self.stdout.write(f"Данных для обучения пока нет (no training data yet): {len(rows)} обращений "
                              "с известным ведомством. Модель не обучалась.")
            return
        activate: Any = {"yes": True, "no": False}.get(options["activate"], "if_not_worse")
        bar = tqdm(total=len(STEPS), desc="обучение", unit="шаг", disable=quiet)

        def step(name: str) -> None:
            bar.set_postfix_str(name)
            bar.update(1)

        try:
            record = train_and_register(rows, labels, times, activate=activate, progress=step)
        except NoTrainingData as exc:
            raise CommandError(str(exc))
        finally:
            bar.close()
        m = record.metrics
        state = "активна" if record.is_active else f"не активирована ({record.note or 'по параметру'})"
        self.stdout.write(f"Версия v{record.version}: {state}; обучение {record.n_train}, контроль {record.n_test} "
                          f"(с {record.test_window_start:%Y-%m-%d})" if record.test_window_start else
                          f"Версия v{record.version}: {state}")
        self.stdout.write(f"Точность {m['accuracy']:.3f}, macro-F1 {m['macro_f1']:.3f}; таблица правил "
                          f"{m['baseline_rule_accuracy']:.3f}; LinearSVC "
                          f"{m.get('baseline_linear_accuracy', 0.0):.3f}; самое частое ведомство "
                          f"{m['baseline_majority_accuracy']:.3f}; автоматически при ≥95%: {m['coverage_at_95']:.1%}")
        if "compared_with" in m:
            c = m["compared_with"]
            self.stdout.write(f"Сравнение с активной v{c['version']} на {c['rows']} новейших обращениях: "
                              f"{c['new_accuracy']:.3f} против {c['active_accuracy']:.3f}")
        if quiet:
            return
        names = _agency_names()
        self.stdout.write("Ведомство: точность (precision) / полнота (recall) / примеров")
        for label, item in sorted(m.get("per_agency", {}).items(), key=lambda kv: -kv[1]["support"]):
            self.stdout.write(f"  {names.get(label, label):40} {item['precision']:.3f} / {item['recall']:.3f} / "
                              f"{item['support']}")
        self.stdout.write("Порог уверенности → доля автоматически / точность:")
        for point in m.get("coverage_curve", []):
            accuracy = point["accuracy"]
            self.stdout.write(f"  ≥ {point['threshold']:.1f}: {point['coverage']:.1%} / "
                              + ("—" if accuracy is None else f"{accuracy:.3f}"))


def _agency_names() -> dict[str, str]:
    from geoportal.models import Agency

    return {str(pk): name for pk, name in Agency.objects.values_list("id", "short_name")}
