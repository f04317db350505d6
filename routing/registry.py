"""Training, registering, activating and using router versions.

- :func:`train_and_register` trains on the older ~80% of the history (time-based split), scores
  on the newest ~20% beside both baselines, stores a new ``RouterModel`` version and, with
  ``activate="if_not_worse"``, activates it only when it is at least as accurate as the active
  version on the same held-out rows;
- :func:`activate` / :func:`rollback` switch the active version (one active row, enforced by a
  partial unique constraint);
- :func:`route` answers for one appeal with the active version (``None`` when none is trained);
  the loaded model is cached in the process and reloaded when the active version changes."""
from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import joblib
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .evaluation import linear_baseline, majority_predict, score, time_split
from .features import RoutingRow, enrich_batch, enrich_row
from .model import Decision, Names, Router
from .models import RouterModel

log = logging.getLogger(__name__)
ActivateMode = Literal["if_not_worse"] | bool


class NoTrainingData(ValueError):
    pass


def dump_router(router: Router) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(router, buffer, compress=3)
    return buffer.getvalue()


def load_router(artifact: bytes | memoryview) -> Router:
    router: Router = joblib.load(io.BytesIO(bytes(artifact)))
    return router


def _evaluate(router: Router, rows: Sequence[RoutingRow], y_true: Sequence[Any], train_rows: Sequence[RoutingRow],
              y_train: Sequence[Any]) -> dict[str, Any]:
    """The new version on the held-out newest rows, beside the rule table, the most frequent
    agency and LinearSVC trained on the same rows (the model a city should compare with)."""
    labels, confidence = router.predict_labels(rows)
    return score(y_true, labels, confidence, router.rules_.predict(rows), majority_predict(y_train, len(rows)),
                 linear_pred=linear_baseline(train_rows, y_train, rows) if rows else None)


@transaction.atomic
def train_and_register(rows: Sequence[RoutingRow], labels: Sequence[Any], times: Sequence[Any],
                       user: Any = None, activate: ActivateMode = "if_not_worse",
                       params: dict[str, Any] | None = None, test_share: float = 0.2,
                       progress: Callable[[str], None] | None = None) -> RouterModel:
    """Train a new version on ``rows`` (ordered or not; ``times`` decides the split) and store it.

    ``activate``: True always activates, False never, "if_not_worse" activates when no version
    is active or the new one is at least as accurate as the active one on the same newest rows
    (those newer than the active version's own data, when there are enough of them)."""
    step = progress or (lambda _msg: None)
    if len(rows) != len(labels) or len(rows) != len(times):
        raise ValueError("rows, labels and times must have the same length")
    if len(rows) < 5:
        raise NoTrainingData(f"слишком мало данных для обучения: {len(rows)} строк")
    step("spatial join")
    rows = enrich_batch(rows)
    train, test = time_split(len(rows), times, test_share)
    train_rows, test_rows = [rows[i] for i in train], [rows[i] for i in test]
    y_train, y_test = [labels[i] for i in train], [labels[i] for i in test]
    test_times = [times[i] for i in test]
    router = Router(**_router_params(params))
    router.fit(train_rows, y_train, progress=step)
    step("evaluation")
    metrics = _evaluate(router, test_rows, y_test, train_rows, y_train)
    metrics["fit_seconds"] = round(router.fit_seconds_, 2)

    current = RouterModel.objects.select_for_update().filter(is_active=True).first()
    should_activate = bool(activate is True)
    if current is not None:
        comparison = _compare(current, router, test_rows, y_test, test_times)
        metrics["compared_with"] = comparison
        if activate == "if_not_worse":
            should_activate = comparison["new_accuracy"] >= comparison["active_accuracy"]
    elif activate == "if_not_worse":
        should_activate = True

    latest = RouterModel.objects.select_for_update().order_by("-version").first()
    known_times = [t for t in times if t is not None]
    record = RouterModel.objects.create(
        version=(latest.version + 1) if latest else 1,
        created_by=user if getattr(user, "pk", None) else None,
        params=router.params,
        metrics=_jsonable(metrics),
        data_window_start=min(known_times) if known_times else None,
        data_window_end=max(known_times) if known_times else None,
        test_window_start=min((t for t in test_times if t is not None), default=None),
        n_train=len(train_rows),
        n_test=len(test_rows),
        artifact=dump_router(router),
    )
    if should_activate:
        _activate(record)
    else:
        record.note = "не активирована: хуже активной версии на контрольном окне" if current else ""
        record.save(update_fields=["note"])
    return record


def _router_params(params: dict[str, Any] | None) -> dict[str, Any]:
    merged: dict[str, Any] = {"threshold": float(getattr(settings, "ROUTER_CONFIDENCE_THRESHOLD", 0.6)),
                              "category_thresholds": dict(getattr(settings, "ROUTER_CATEGORY_THRESHOLDS", {}))}
    merged.update(params or {})
    return merged


def _compare(current: RouterModel, router: Router, test_rows: list[RoutingRow], y_test: list[Any],
             test_times: list[Any]) -> dict[str, Any]:
    """Both models on the same rows: those newer than what the active model was trained on
    (when at least 30), so the active one is not flattered by rows it has already seen."""
    active = load_router(current.artifact)
    cutoff = current.data_window_end
    rows, y = test_rows, y_test
    if cutoff is not None:
        fresh = [i for i, t in enumerate(test_times) if t is not None and t > cutoff]
        if len(fresh) >= 30:
            rows, y = [test_rows[i] for i in fresh], [y_test[i] for i in fresh]
    new_metrics = score(y, router.predict_labels(rows)[0], per_agency=False)
    if hasattr(active, "ranker_"):
        old_metrics = score(y, active.predict_labels(rows)[0], per_agency=False)
    else:  # a forest version this code cannot run: it cannot serve, so any new version is better
        old_metrics = {"accuracy": 0.0, "macro_f1": 0.0}
    return {"version": current.version, "rows": len(rows), "new_accuracy": new_metrics["accuracy"],
            "active_accuracy": old_metrics["accuracy"], "new_macro_f1": new_metrics["macro_f1"],
            "active_macro_f1": old_metrics["macro_f1"]}


def _jsonable(value: Any) -> Any:
    import math

    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _activate(record: RouterModel) -> None:
    # deactivate first: the partial unique constraint allows one active row at any moment
    RouterModel.objects.filter(is_active=True).exclude(pk=record.pk).update(is_active=False)
    record.is_active = True
    record.activated_at = timezone.now()
    record.save(update_fields=["is_active", "activated_at"])


@transaction.atomic
def activate(version: int) -> RouterModel:
    record = RouterModel.objects.select_for_update().get(version=version)
    _activate(record)
    return record


@transaction.atomic
def rollback() -> RouterModel:
    """Activate the version before the active one (the newest older version)."""
    current = RouterModel.objects.select_for_update().filter(is_active=True).first()
    if current is None:
        raise RouterModel.DoesNotExist("нет активной модели — откатывать нечего")
    previous = RouterModel.objects.filter(version__lt=current.version).order_by("-version").first()
    if previous is None:
        raise RouterModel.DoesNotExist(f"у версии v{current.version} нет предыдущей")
    _activate(previous)
    return previous


# --------------------------------------------------------------------------- serving

@dataclass
class _Loaded:
    pk: int
    version: int
    router: Router
    names: Names


_cache: _Loaded | None = None
_lock = threading.Lock()


def active_router() -> Router | None:
    loaded = _active()
    return loaded.router if loaded else None


def _active() -> _Loaded | None:
    """The active version, loaded once per process and reloaded when another version becomes
    active (one indexed query per call tells)."""
    global _cache
    head = RouterModel.objects.filter(is_active=True).values_list("pk", "version").first()
    if head is None:
        return None
    cached = _cache
    if cached is not None and cached.pk == head[0]:
        return cached
    with _lock:
        if _cache is not None and _cache.pk == head[0]:
            return _cache
        artifact = RouterModel.objects.filter(pk=head[0]).values_list("artifact", flat=True).first()
        if artifact is None:
            return None
        router = load_router(artifact)
        if not hasattr(router, "ranker_"):  # a version of the forest router this code no longer serves
            log.warning("router v%s predates the stacked router; train a new version (train_router)", head[1])
            return None
        _cache = _Loaded(head[0], head[1], router, display_names())
        return _cache


def display_names() -> Names:
    """Russian names for explanations: districts and agencies from the core models, categories
    from the callable named by ``ROUTER_CATEGORY_NAMES`` (the router never imports the appeals app)."""
    from django.utils.module_loading import import_string

    from geoportal.models import Agency, District

    categories: dict[str, str] = {}
    path = getattr(settings, "ROUTER_CATEGORY_NAMES", None)
    if path:
        try:
            categories = dict(import_string(path)())
        except ImportError:
            log.warning("ROUTER_CATEGORY_NAMES=%s cannot be imported; categories shown by code", path)
    return Names(categories=categories, districts=dict(District.objects.values_list("code", "name")),
                 agencies=dict(Agency.objects.values_list("id", "short_name")))


def route(row: RoutingRow) -> Decision | None:
    """The active model's decision for one appeal, or None when no model is active.

    Thresholds come from settings at call time (``ROUTER_CONFIDENCE_THRESHOLD``,
    ``ROUTER_CATEGORY_THRESHOLDS``), so changing them needs no retraining."""
    loaded = _active()
    if loaded is None:
        return None
    if row.has_point and not row.jurisdiction_agency_ids:
        row = enrich_row(row)
    return loaded.router.route(
        row, loaded.names,
        threshold=float(getattr(settings, "ROUTER_CONFIDENCE_THRESHOLD", loaded.router.threshold)),
        category_thresholds=dict(getattr(settings, "ROUTER_CATEGORY_THRESHOLDS", {})),
    )


def warm_up() -> None:
    """Load the active version and route one empty appeal with it, so the process's first real
    appeal finds the model, its names and the code paths of routing ready (``settings.WARM_UP``)."""
    loaded = _active()
    if loaded is not None:
        loaded.router.route(RoutingRow(None, "обращение"), loaded.names)  # a word: loads the lemmatizer if used


def reset_cache() -> None:
    global _cache
    _cache = None


__all__ = ["NoTrainingData", "activate", "active_router", "display_names", "rollback", "route",
           "train_and_register", "warm_up"]
