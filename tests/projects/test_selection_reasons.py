"""Selection reasons are stored in Russian (as announced) and shown in the reader's language:
every template round-trips with its parameters, in both languages; a text that matches no
template (e.g. cut at the field's length) is shown as stored; the rules only produce reasons
from the templates."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from projects.selection import REASONS, Candidate, equal_shares, greedy, localize_reason, reason

PARAMS = {"votes": "12", "threshold": "15", "project": "42", "left": "40 000", "cost": "52 000",
          "supporters": "7"}


@pytest.mark.parametrize("key", sorted(REASONS))
def test_every_reason_reads_back_in_both_languages(key):
    text = reason(key, **PARAMS)
    with translation.override("ru"):
        assert localize_reason(text) == text
    with translation.override("en"):
        english = localize_reason(text)
    assert english != text and not any("а" <= ch <= "я" for ch in english.lower())
    # the parameters survive the trip
    for name, value in PARAMS.items():
        if "{" + name + "}" in REASONS[key]:
            assert value in english


def test_a_text_matching_no_template_is_shown_as_stored():
    cut = reason("no_money", left="40 000", cost="52 000")[:20]
    with translation.override("en"):
        assert localize_reason(cut) == cut
        assert localize_reason("") == ""


def test_the_rules_only_give_reasons_from_the_templates():
    candidates = [Candidate("1", Decimal(60), Decimal(3)), Candidate("2", Decimal(52), Decimal(2)),
                  Candidate("3", Decimal(40), Decimal(1)), Candidate("4", Decimal(10), Decimal(0), "site"),
                  Candidate("5", Decimal(10), Decimal(0), "site")]
    decisions = (greedy(candidates, Decimal(100)) + greedy(candidates, Decimal(100), skip=False)
                 + greedy(candidates, Decimal(100), threshold=Decimal(2)) +
                 greedy(candidates, Decimal(100), exclusive=True))
    decisions += equal_shares({"1": Decimal(60), "2": Decimal(52), "3": Decimal(40), "4": Decimal(10)},
                              [["1", "2"], ["1"], ["3"], ["1", "3"]], Decimal(100))
    with translation.override("en"):
        for decision in decisions:
            assert localize_reason(decision.reason) != decision.reason, decision.reason
