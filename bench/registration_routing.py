"""What routing adds inside registration, on the seeded demo database: the median milliseconds of
``issues.actions.register_appeal`` (lock, deadline, transition, notifications, ``route_appeal``)
and of the routing call alone (``issues.routing_service.decide``), with the active trained
router and without one (then ``decide`` falls back to the category rule table), side by side.

    set -a; source var/services.env; set +a
    DEBUG=1 .venv/bin/python manage.py seed_demo && DEBUG=1 .venv/bin/python manage.py train_router
    DEBUG=1 OMP_NUM_THREADS=1 .venv/bin/python bench/registration_routing.py --appeals 200

Each registration is of a new paper appeal copying the category, text and point of one of the
newest answered appeals (the demo region has almost none waiting for registration).
Every registration runs inside a transaction that is rolled back, so the database is left as it
was and no on-commit side effect (outbox, tasks) fires; the same appeals are registered in both
modes, alternating (router, rules, router, ...) so load on a shared machine hits both alike.
"Without the router" makes the registry report no active model (``routing.registry._active``
returns None) for the duration of the call, which is exactly the code path of a city that has
not trained one. Needs an active router version (``train_router``)."""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geoportal.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()


class _NoRouter:
    """Within the block the registry has no active model (the rule-table path of ``decide``)."""

    def __enter__(self) -> None:
        from routing import registry

        self.saved = registry._active
        registry._active = lambda: None  # type: ignore[assignment]

    def __exit__(self, *exc: object) -> None:
        from routing import registry

        registry._active = self.saved  # type: ignore[assignment]


def _timed_rollback(pk: int, register: Callable[[int], Any]) -> float:
    """Seconds of ``register(new)``, where ``new`` is a fresh paper appeal with the category, text
    and point of answered appeal ``pk`` (submitted untimed), inside a transaction then rolled back."""
    from django.db import transaction

    from issues.actions import submit_appeal
    from issues.models import Appeal, Channel

    source = Appeal.objects.select_related("category").get(pk=pk)
    with transaction.atomic():
        new = submit_appeal(author=None, channel=Channel.PAPER, category=source.category, text=source.text,
                            location=source.location, author_name="Бенчмарк", author_contact="bench@example.org")
        t0 = time.perf_counter()
        register(new.pk)
        elapsed = time.perf_counter() - t0
        transaction.set_rollback(True)
    return elapsed


def measure(appeal_ids: list[int]) -> dict[str, list[float]]:
    from issues.actions import register_appeal
    from issues.models import Appeal
    from issues.routing_data import build_row
    from issues.routing_service import decide
    from routing import registry

    samples: dict[str, list[float]] = {key: [] for key in (
        "register, router", "register, rules", "decide, router", "decide, rules", "build_row (PostGIS)",
        "registry.route", "Router.route (library)")}
    loaded = registry._active()
    assert loaded is not None
    sources: set[str] = set()
    for pk in appeal_ids:
        samples["register, router"].append(_timed_rollback(pk, lambda new: register_appeal(new, actor=None)))
        with _NoRouter():
            samples["register, rules"].append(_timed_rollback(pk, lambda new: register_appeal(new, actor=None)))
        appeal = Appeal.objects.select_related("category", "district").get(pk=pk)
        t0 = time.perf_counter()
        sources.add(decide(appeal).source)
        samples["decide, router"].append(time.perf_counter() - t0)
        with _NoRouter():
            t0 = time.perf_counter()
            decide(appeal)
            samples["decide, rules"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        row = build_row(appeal)
        samples["build_row (PostGIS)"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        registry.route(row)
        samples["registry.route"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        loaded.router.route(row, loaded.names)
        samples["Router.route (library)"].append(time.perf_counter() - t0)
    if sources != {"model"}:
        raise SystemExit(f"the router did not decide every appeal (sources: {sorted(sources)}); run train_router")
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appeals", type=int, default=200, help="how many received appeals to register")
    parser.add_argument("--warmup", type=int, default=5, help="registrations not counted (caches, model load)")
    args = parser.parse_args()
    _setup()
    from issues.models import Appeal, Status
    from routing import registry

    loaded = registry._active()
    if loaded is None:
        raise SystemExit("no active router version: run `manage.py train_router` first")
    ids = list(Appeal.objects.filter(status__in=(Status.ANSWERED, Status.CLOSED), location__isnull=False)
               .order_by("-received_at").values_list("pk", flat=True)[: args.appeals + args.warmup])
    if len(ids) <= args.warmup:
        raise SystemExit("too few answered appeals: run `manage.py seed_demo`")
    measure(ids[: args.warmup])
    samples = measure(ids[args.warmup:])
    print(f"== routing inside registration: demo database, router v{loaded.version}, {len(ids) - args.warmup} "
          f"appeals (each registered with and without the router, rolled back; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"  {'call':28} {'median ms':>10} {'p90 ms':>8}")
    for name, values in samples.items():
        ms = np.asarray(values) * 1000
        print(f"  {name:28} {np.median(ms):10.2f} {np.percentile(ms, 90):8.2f}")
    added = np.median(np.asarray(samples["register, router"]) - np.asarray(samples["register, rules"])) * 1000
    print(f"  the router adds to one registration (median of paired differences): {added:.2f} ms")


if __name__ == "__main__":
    main()
