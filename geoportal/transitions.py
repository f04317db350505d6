"""The one shape of a status transition table, shared by the apps whose objects have a
lifecycle (appeals, initiative projects): a transition's name maps to the statuses it may start
from and the status it leads to. The name is what the event row records."""
from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class Transition(NamedTuple):
    sources: frozenset[str]
    target: str


def allow(sources: Iterable[str], target: str) -> Transition:
    return Transition(frozenset(sources), target)
