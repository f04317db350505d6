"""Appeal search: matches come from the GIN index, at most SEARCH_CANDIDATES of them are ranked,
and the best-ranked comes first."""
from __future__ import annotations

import random
import string

import pytest

from infocenter import search
from tests.issues.helpers import make_appeal

pytestmark = pytest.mark.django_db


def test_search_ranks_a_bounded_candidate_set(personas, monkeypatch, django_assert_max_num_queries):
    once = make_appeal(personas.citizen, "roads-potholes", text="На дороге у школы глубокая яма, объехать нельзя.")
    thrice = make_appeal(personas.citizen, "roads-potholes",
                         text="Яма у подъезда, яма на выезде со двора и ещё одна яма у мусорных баков.")
    make_appeal(personas.citizen, "light-street", text="Не горит фонарь у дома номер 5, темно вечером.")
    # the scan's settings, the ranked candidates (inside a transaction: savepoint and release
    # here), then the match on their redacted text
    with django_assert_max_num_queries(5):
        hits = search._appeals("яма", 10)
    assert [h.url for h in hits] == [f"/appeals/{thrice.pk}/", f"/appeals/{once.pk}/"]  # by rank
    monkeypatch.setattr(search, "SEARCH_CANDIDATES", 1)
    bounded = search._appeals("яма", 10)
    assert len(bounded) == 1 and bounded[0].url in {f"/appeals/{thrice.pk}/", f"/appeals/{once.pk}/"}


def test_a_common_word_is_sampled_by_the_index_and_a_phrase_is_not(personas, monkeypatch):
    """One lexeme: the GIN scan returns a sample of about ONE_WORD_SAMPLE matches (still hits);
    several: the full intersection, so a rare pair of common words is found."""
    from django.db import connection

    # A word of this run only: the index's sample is drawn against its count of entries for the
    # word, and in a reused test database other tests' rolled-back appeals («яма …») still count
    # there until a vacuum; with them a sample of 10 could hold no live row at all.
    word = "".join(random.choice(string.ascii_lowercase) for _ in range(12))
    for n in range(30):
        make_appeal(personas.citizen, "roads-potholes", text=f"Яма {word} номер {n} на дороге.")
        make_appeal(personas.citizen, "light-street", text=f"Не горит фонарь у дома {n}.")
    pair = make_appeal(personas.citizen, "light-street", text=f"Яма {word} и не горит фонарь у дома 7.")
    with connection.cursor() as cursor:  # the GIN path even on a small table (the test's session only)
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SELECT gin_clean_pending_list('appeal_text_search')")  # new rows into the posting lists
    monkeypatch.setattr(search, "ONE_WORD_SAMPLE", 10)  # about a third of the word's 31 matches
    assert search._appeals(word, 10)  # a sample (P(empty) = (2/3)^31 ≈ 4e-6)
    assert [h.url for h in search._appeals(f"{word} фонарь", 10)] == [f"/appeals/{pair.pk}/"]
    with connection.cursor() as cursor:
        cursor.execute("RESET enable_seqscan")
