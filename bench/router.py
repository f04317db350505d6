"""Router benchmark: the router beside the models a city would otherwise use — LinearSVC (word
and char TF-IDF + one-hot codes), one decision tree (place, category, district, jurisdiction and
text stems) and the rule table — on the same time split and the same k folds, with fit time and
the median time to route one appeal.

    .venv/bin/python bench/router.py --csv ../shared/data/appeals/spb_dev.csv   # St Petersburg, see below
    .venv/bin/python bench/router.py --csv archive.csv --label agency --text text --category rubric \
        --lat lat --lon lon --time-column date --split time
    .venv/bin/python bench/router.py --csv ../shared/data/appeals/spb_dev.csv --rows 60000 --split none
    .venv/bin/python bench/router.py --csv ../shared/data/appeals/spb_dev.csv --small-text 1800 --seed 0
    .venv/bin/python bench/router.py                         # synthetic city, 20k rows
    .venv/bin/python bench/router.py --archive --agencies 120  # synthetic archive: many agencies, HTML
    set -a; source var/services.env; set +a
    .venv/bin/python bench/router.py --demo-db --limit 100000  # the seeded demo region, read-only

With ``--csv`` and no column options the St Petersburg archive's columns are assumed (label
executor, text, category city_object,category,reason, lat/lon, district, time created_at).
``--rows N`` times training on N rows drawn with replacement from the data. ``--small-text N``
measures on a stand-in for the small text-only archives built from the CSV (N appeals of
``--agencies`` executors, HTML texts, nothing else: ``bench/router_standin.py``). Run it with
``OMP_NUM_THREADS=1`` on a shared machine.

The synthetic city has location-dependent ground truth (the same category goes to different
agencies by district, by river bank, by jurisdiction polygons crossing district borders), wrong
categories picked by citizens, ambiguous texts, HTML, English, and appeals without a point.
The synthetic and CSV modes do not touch the database and run without Django; ``--demo-db``
reads the seeded demo region from the database named by DATABASE_URL in a read-only session
(the appeals app's own training rows, oldest ``--limit`` first, time-based split) and also
times ``issues.routing_service.decide`` — the call inside the registration transaction — on
real appeals of the held-out window."""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from router_synthetic import synthetic_archive, synthetic_city  # noqa: E402  (bench/ is the script's folder)

from routing.evaluation import linear_baseline, majority_predict, score, time_split  # noqa: E402
from routing.features import RoutingRow, enrich_batch  # noqa: E402
from routing.model import Router  # noqa: E402
from routing.tables import RuleTable  # noqa: E402

# --------------------------------------------------------------------------- measuring

def _median_ms(predict_one: Any, rows: list[RoutingRow], k: int = 200) -> float:
    """Median wall-clock ms of one call; the CPU-time median (less disturbed by other jobs on a
    shared machine) is kept in ``_median_ms.cpu``."""
    samples, cpu = [], []
    for row in rows[:k]:
        t0, c0 = time.perf_counter(), time.process_time()
        predict_one(row)
        samples.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    _median_ms.cpu = float(np.median(cpu)) * 1000  # type: ignore[attr-defined]
    return float(np.median(samples)) * 1000


def _tree_model(train_rows: list[RoutingRow], y_train: list[Any]) -> Any:
    """One DecisionTreeClassifier on the place, category, district, jurisdiction and text-stem columns."""
    from sklearn.tree import DecisionTreeClassifier

    from routing.features import FeatureBuilder

    classes = sorted(set(map(str, y_train)))
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[str(v)] for v in y_train])
    builder = FeatureBuilder(min_df=2 if len(train_rows) >= 200 else 1).fit(train_rows, y)
    tree = DecisionTreeClassifier(random_state=0).fit(builder.transform(train_rows), y)
    return lambda rows: [classes[i] for i in tree.predict(builder.transform(rows))]


def _linear_model(train_rows: list[RoutingRow], y_train: list[Any]) -> Any:
    return lambda rows: linear_baseline(train_rows, y_train, rows)


def run_models(train_rows: list[RoutingRow], y_train: list[Any], test_rows: list[RoutingRow],
               latency: bool = True) -> dict[str, dict[str, Any]]:
    """Each model fitted on the train rows: its test predictions, fit seconds, median ms per appeal."""
    out: dict[str, dict[str, Any]] = {}
    t0 = time.perf_counter()
    router = Router().fit(train_rows, y_train)
    fit = time.perf_counter() - t0
    labels, confidence = router.predict_labels(test_rows)
    out["router"] = {"pred": labels, "confidence": confidence, "fit": fit,
                     "ms": _median_ms(router.route, test_rows) if latency else math.nan, "model": router,
                     "cpu_ms": getattr(_median_ms, "cpu", math.nan) if latency else math.nan}
    for name, make in (("LinearSVC", _linear_model), ("one decision tree", _tree_model)):
        t0 = time.perf_counter()
        if name == "LinearSVC":  # fitted inside each call: time one fit + predict of the test rows
            pred = make(train_rows, y_train)(test_rows)
            out[name] = {"pred": pred, "fit": time.perf_counter() - t0, "ms": math.nan}
            continue
        model = make(train_rows, y_train)
        fit = time.perf_counter() - t0
        out[name] = {"pred": model(test_rows), "fit": fit,
                     "ms": _median_ms(lambda row, m=model: m([row]), test_rows) if latency else math.nan}
    t0 = time.perf_counter()
    rules = RuleTable().fit(train_rows, list(y_train))
    fit = time.perf_counter() - t0
    out["rule table"] = {"pred": rules.predict(test_rows), "fit": fit,
                         "ms": _median_ms(lambda row: rules.predict([row]), test_rows) if latency else math.nan}
    return out


def print_table(title: str, y_true: list[Any], results: dict[str, dict[str, Any]]) -> None:
    print(title)
    header = f"  {'model':20} {'accuracy':>9} {'macro-F1':>9} {'cov@95':>7} {'ECE':>6} {'fit s':>8} {'ms/appeal':>10}"
    print(header)
    for name, result in results.items():
        m = score(y_true, result["pred"], result.get("confidence"), per_agency=False)
        cov = f"{m['coverage_at_95']:7.3f}" if "coverage_at_95" in m else " " * 7
        ece = f"{m['calibration_error']:6.3f}" if "calibration_error" in m else " " * 6
        ms = "" if result["ms"] != result["ms"] else f"{result['ms']:.2f}"
        print(f"  {name:20} {m['accuracy']:9.3f} {m['macro_f1']:9.3f} {cov} {ece} {result['fit']:8.1f} {ms:>10}")


def time_split_bench(rows: list[RoutingRow], labels: list[Any], times: list[Any] | None, names: Any) -> None:
    if times is not None:
        train, test = time_split(len(rows), times)
        kind = "time split: train on the older 80%, test on the newest 20%"
    else:
        order = np.random.default_rng(0).permutation(len(rows))
        train, test = order[: int(len(rows) * 0.8)], order[int(len(rows) * 0.8):]
        kind = "random 80/20 split (no time column)"
    tr_rows, te_rows = [rows[i] for i in train], [rows[i] for i in test]
    y_tr, y_te = [labels[i] for i in train], [labels[i] for i in test]
    results = run_models(tr_rows, y_tr, te_rows)
    print_table(f"{kind} ({len(tr_rows):,} / {len(te_rows):,} rows; load average {os.getloadavg()[0]:.1f} on "
                f"{os.cpu_count()} cores)", y_te, results)
    router = results["router"]["model"]
    print(f"  router, one appeal (route: text, tables, neighbours, trees, explanation): median "
          f"{results['router']['ms']:.2f} ms wall, {results['router']['cpu_ms']:.2f} ms CPU")
    majority = majority_predict(y_tr, len(te_rows))
    m = score(y_te, majority, per_agency=False)
    print(f"  {'most frequent agency':20} {m['accuracy']:9.3f} {m['macro_f1']:9.3f}")
    example = router.route(te_rows[0], names)
    print(f"  example: {example.agency_id} (confidence {example.confidence:.2f}, auto={example.auto}): "
          f"{example.explanation}")


def kfold_bench(rows: list[RoutingRow], labels: list[Any], folds: int) -> None:
    from sklearn.model_selection import KFold

    n = len(rows)
    predictions: dict[str, list[Any]] = {}
    confidence = np.zeros(n)
    fits: dict[str, float] = {}
    for train, test in KFold(folds, shuffle=True, random_state=0).split(np.zeros(n)):
        results = run_models([rows[i] for i in train], [labels[i] for i in train], [rows[i] for i in test],
                             latency=False)
        for name, result in results.items():
            predictions.setdefault(name, [None] * n)
            for j, i in enumerate(test):
                predictions[name][i] = result["pred"][j]
            fits[name] = fits.get(name, 0.0) + result["fit"] / folds
        confidence[test] = results["router"]["confidence"]
    combined = {name: {"pred": pred, "fit": fits[name], "ms": math.nan,
                       **({"confidence": confidence} if name == "router" else {})}
                for name, pred in predictions.items()}
    print_table(f"{folds}-fold cross-validation ({n:,} rows; fit s = mean per fold; load average "
                f"{os.getloadavg()[0]:.1f})", labels, combined)


def training_time(rows: list[RoutingRow], labels: list[Any], n: int) -> None:
    draw = np.random.default_rng(1).integers(0, len(rows), n)
    big_rows = [replace(rows[i], appeal_id=k) for k, i in enumerate(draw)]
    big_labels = [labels[i] for i in draw]
    marks: list[tuple[str, float]] = []
    t0, cpu0 = time.perf_counter(), time.process_time()
    router = Router().fit(big_rows, big_labels, progress=lambda step: marks.append((step, time.perf_counter())))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    marks.append(("end", time.perf_counter()))
    steps = ", ".join(f"{name} {end - start:.0f} s" for (name, start), (_next, end) in zip(marks, marks[1:], strict=False))
    print(f"training on {n:,} rows (drawn with replacement from {len(rows):,}): {wall:.1f} s wall, {cpu:.1f} s CPU "
          f"({steps}; {len(router.classes_)} agencies; OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '-')}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


def demo_database(limit: int) -> tuple[list[RoutingRow], list[Any], list[Any], Any]:
    """The seeded demo region: the rows ``train_router`` would train on, in a read-only session."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoportal.settings")
    os.environ.setdefault("DEBUG", "1")  # this process reads the demo settings (no SECRET_KEY needed)
    import django

    django.setup()
    from django.db import connection

    from issues.routing_data import training_rows
    from routing.registry import display_names

    with connection.cursor() as cursor:  # nothing in this bench may write to the demo database
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    t0 = time.perf_counter()
    rows, labels, times = training_rows(limit=limit)
    loaded = time.perf_counter() - t0
    t0 = time.perf_counter()
    rows = enrich_batch(rows)
    print(f"read {len(rows):,} appeals in {loaded:.1f} s, spatial join {time.perf_counter() - t0:.1f} s")
    return rows, labels, times, display_names()


def registration_latency(router: Router, appeal_ids: list[int]) -> tuple[float, float]:
    """Median and 90th percentile seconds of ``issues.routing_service.decide(appeal)`` — what
    ``route_appeal`` adds inside the registration transaction — with ``router`` served as the
    active version (the registry still runs its per-call query for the active version)."""
    from issues.models import Appeal
    from issues.routing_service import decide
    from routing import registry
    from routing.models import RouterModel

    loaded = registry._Loaded(-1, 0, router, registry.display_names())
    real_active = registry._active

    def active() -> Any:
        RouterModel.objects.filter(is_active=True).values_list("pk", "version").first()
        return loaded

    registry._active = active  # type: ignore[assignment]
    samples = []
    try:
        for appeal in Appeal.objects.select_related("category", "district").filter(pk__in=appeal_ids):
            t0 = time.perf_counter()
            decision = decide(appeal)
            samples.append(time.perf_counter() - t0)
            assert decision.source == "model"
    finally:
        registry._active = real_active  # type: ignore[assignment]
    return float(np.median(samples)), float(np.percentile(samples, 90))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv")
    parser.add_argument("--label")
    parser.add_argument("--text")
    parser.add_argument("--category")
    parser.add_argument("--lat")
    parser.add_argument("--lon")
    parser.add_argument("--district")
    parser.add_argument("--time-column")
    parser.add_argument("--encoding", default="utf-8")
    parser.add_argument("--delimiter", default=",")
    parser.add_argument("--split", choices=("both", "time", "kfold", "none"), default="both")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--archive", action="store_true", help="synthetic archive instead of the synthetic city")
    parser.add_argument("--demo-db", action="store_true",
                        help="the seeded demo region from DATABASE_URL (read-only), time-based split")
    parser.add_argument("--limit", type=int, default=100_000, help="--demo-db: the oldest LIMIT appeals")
    parser.add_argument("--agencies", type=int, default=0, help="agencies of --archive (120) or --small-text (70)")
    parser.add_argument("--n", type=int, default=20_000, help="rows of synthetic data")
    parser.add_argument("--rows", type=int, default=0, help="also time training on this many rows")
    parser.add_argument("--small-text", type=int, default=0,
                        help="--csv: a text-only stand-in of this many appeals of --agencies executors")
    parser.add_argument("--seed", type=int, default=0, help="--small-text: which stand-in")
    parser.add_argument("--place-column", help="--small-text: write this column into each text as its address")
    args = parser.parse_args()

    times: list[Any] | None = None
    names: Any = None
    labels: list[Any]
    if args.csv:
        from routing.csvdata import CsvColumns, read_csv

        spb = not args.label  # no columns named: the St Petersburg archive's
        columns = CsvColumns(args.label or "executor", args.text or ("text" if spb else None),
                             args.category or ("city_object,category,reason" if spb else None),
                             args.lat or ("lat" if spb else None), args.lon or ("lon" if spb else None),
                             args.district or ("district" if spb else None),
                             args.time_column or ("created_at" if spb else None))
        data = read_csv(args.csv, columns, args.encoding, args.delimiter)
        rows, labels, times = data.rows, list(data.labels), data.times
        source = f"CSV {args.csv}"
        if args.small_text:
            from router_standin import small_text_archive

            places = None
            if args.place_column:  # the CSV's line of each row: RoutingRow.appeal_id (csvdata.read_csv)
                import pandas as pd

                column = pd.read_csv(args.csv, dtype=str, keep_default_na=False, usecols=[args.place_column],
                                     encoding=args.encoding, sep=args.delimiter)[args.place_column].tolist()
                places = [column[int(row.appeal_id) - 2] for row in rows]
            rows, labels, times = small_text_archive(rows, labels, args.small_text, args.agencies or 70, args.seed,
                                                     places)
            source += f", text-only stand-in (seed {args.seed}{', place in the text' if places else ''})"
    elif args.demo_db:
        rows, labels, times, names = demo_database(args.limit)
        source = f"demo database, oldest {args.limit:,} routed appeals"
    elif args.archive:
        from routing.csvdata import category_path

        frame = synthetic_archive(args.n, args.agencies or 120)
        rows = []
        for i, rec in enumerate(frame.itertuples()):
            path = category_path(rec.category)
            rows.append(RoutingRow(i, rec.text, path[0] if path else None, path,
                                   float(rec.lat) if rec.lat else None, float(rec.lon) if rec.lon else None,
                                   rec.district or None))
        labels = list(frame["agency"])
        source = f"synthetic archive, {args.agencies or 120} agencies"
    else:
        rows, labels, times, names = synthetic_city(args.n)
        source = "synthetic city (location-dependent truth)"
    print(f"== router bench: {source}, {len(rows):,} rows, {len(set(labels))} agencies")
    if args.split in ("both", "time"):
        time_split_bench(rows, labels, times, names)
    if args.split in ("both", "kfold"):
        kfold_bench(rows, labels, args.folds)
    if args.rows:
        training_time(rows, labels, args.rows)


if __name__ == "__main__":
    main()
