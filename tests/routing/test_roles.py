"""Agency roles: the same job in different districts is found from the history alone, and the
role model's scores of a training row never come from its own label."""
from __future__ import annotations

import numpy as np

from routing.explanation import fact_for, render
from routing.model import Names, Router
from routing.roles import RoleScorer, discover_roles
from routing.rows import RoutingRow
from routing.text import TextScorer

DISTRICTS = ("north", "south", "east", "west")
JOBS = {  # job: (categories, texts)
    "housing": (("lift", "stairs"), ("лифт сломан", "грязно в подъезде", "не работает лифт")),
    "admin": (("graffiti", "adverts"), ("надписи на стене", "реклама на фасаде", "граффити на доме")),
}


def _history(n_per_agency: int = 30) -> tuple[list[RoutingRow], np.ndarray, list[str]]:
    """Four districts, each with a housing agency and an administration, and one city-wide road
    agency; agency index = position in ``agencies``."""
    rng = np.random.default_rng(0)
    agencies = [f"{job}:{d}" for d in DISTRICTS for job in JOBS] + ["roads"]
    rows, labels = [], []
    for a, name in enumerate(agencies):
        job, _sep, district = name.partition(":")
        categories, texts = JOBS[job] if job in JOBS else (("pothole",), ("яма на дороге",))
        for _ in range(n_per_agency):
            rows.append(RoutingRow(appeal_id=len(rows), text=str(rng.choice(texts)),
                                   category_code=str(rng.choice(categories)),
                                   district_code=district or str(rng.choice(DISTRICTS))))
            labels.append(a)
    order = rng.permutation(len(rows))
    return [rows[i] for i in order], np.array(labels)[order], agencies


def test_agencies_doing_the_same_job_in_different_districts_share_a_role() -> None:
    rows, y, agencies = _history()
    districts = np.array([DISTRICTS.index(r.district_code or "") for r in rows])
    categories = np.array([sorted({c for cats, _t in JOBS.values() for c in cats} | {"pothole"})
                           .index(r.category_code or "") for r in rows])
    role = discover_roles(districts, categories, y, len(agencies))
    assert role is not None
    housing = {int(role[a]) for a, name in enumerate(agencies) if name.startswith("housing")}
    admin = {int(role[a]) for a, name in enumerate(agencies) if name.startswith("admin")}
    assert len(housing) == 1 and len(admin) == 1 and housing != admin
    assert int(role[agencies.index("roads")]) not in housing | admin  # city-wide: a role of its own
    # no districts at all: nothing to pool
    assert discover_roles(np.full(len(rows), -1), categories, y, len(agencies)) is None


def test_role_scores_of_training_rows_never_come_from_their_own_labels() -> None:
    rows, y, agencies = _history()
    fold_of = np.random.default_rng(1).permutation(np.arange(len(rows)) % 4)

    def role_scores(labels: np.ndarray) -> np.ndarray:
        text = TextScorer(folds=4)
        _scores, X = text.fit_oof_matrix(rows, labels, len(agencies), fold_of)
        return RoleScorer().fit_oof(rows, X, labels, len(agencies), fold_of, text.fit_one)

    before = role_scores(y)
    assert np.isfinite(before).all()  # roles were found in every fold
    changed = y.copy()
    mine = np.flatnonzero(fold_of == 2)[:5]
    changed[mine] = (y[mine] + 1) % len(agencies)
    after = role_scores(changed)
    np.testing.assert_array_equal(before[fold_of == 2], after[fold_of == 2])
    assert not np.array_equal(before[fold_of != 2], after[fold_of != 2])  # the check can fail


def test_a_router_saved_before_roles_existed_still_routes() -> None:
    rows, y, agencies = _history()
    router = Router(max_iter=20).fit(rows, [agencies[a] for a in y])
    assert router.roles_.role_ is not None
    del router.roles_  # as unpickled from a version trained before this change
    labels, confidence = router.predict_labels(rows[:10])
    assert len(labels) == 10 and np.isfinite(confidence).all()
    assert router.route(rows[0]).explanation


def test_the_explanation_names_the_role_only_when_other_districts_share_it() -> None:
    rows, y, agencies = _history()
    router = Router(max_iter=20).fit(rows, [agencies[a] for a in y])
    shared = router.roles_.shared(len(router.classes_))
    assert shared[router.class_index_["housing:north"]] and not shared[router.class_index_["roads"]]
    values = {"role_score": 0.8, "role_gap": 0.0, "role_shared": 1.0}
    names = Names()

    def say_fact(group: str, values: dict[str, float], row: RoutingRow, agency: str, names: Names) -> str | None:
        fact = fact_for(group, values, row, agency, names)  # the fact, in Russian words
        return render([fact]) if fact else None

    assert "того же рода, что «ЖА»" in (say_fact("role", values, rows[0], "ЖА", names) or "")
    assert "другого рода" in (say_fact("role", {**values, "role_gap": 0.5}, rows[0], "ЖА", names) or "")
    assert say_fact("role", {**values, "role_shared": 0.0}, rows[0], "Дороги", names) is None
