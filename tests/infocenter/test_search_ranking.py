"""Appeal search: matches come from the GIN index, at most SEARCH_CANDIDATES of them are ranked,
and the best-ranked comes first."""
from __future__ import annotations

import pytest

from infocenter import search
from tests.issues.helpers import make_appeal

pytestmark = pytest.mark.django_db


def test_search_ranks_a_bounded_candidate_set(personas, monkeypatch, django_assert_max_num_queries):
    once = make_appeal(personas.citizen, "roads-potholes", text="На дороге у школы глубокая яма, объехать нельзя.")
    thrice = make_appeal(personas.citizen, "roads-potholes",
                         text="Яма у подъезда, яма на выезде со двора и ещё одна яма у мусорных баков.")
    make_appeal(personas.citizen, "light-street", text="Не горит фонарь у дома номер 5, темно вечером.")
    with django_assert_max_num_queries(2):  # the ranked candidates, then the match on their redacted text
        hits = search._appeals("яма", 10)
    assert [h.url for h in hits] == [f"/appeals/{thrice.pk}/", f"/appeals/{once.pk}/"]  # by rank
    monkeypatch.setattr(search, "SEARCH_CANDIDATES", 1)
    bounded = search._appeals("яма", 10)
    assert len(bounded) == 1 and bounded[0].url in {f"/appeals/{thrice.pk}/", f"/appeals/{once.pk}/"}
