"""Russian lemmas for the text model: every word of a cleaned text replaced by its normal form
(pymorphy3 with the OpenCorpora dictionary: «фонари», «фонаря», «фонарей» → «фонарь»), and,
for comparison, the cheap 6-letter prefix of :func:`routing.text.stem_tokens`.

The analyzer is loaded once per process (about half a second and some tens of MB) and each
word's lemma is kept in a per-process cache, so routing one appeal looks up a handful of
words it has nearly always seen before. Words without Cyrillic letters stay as they are."""
from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any

_CYRILLIC = re.compile(r"[а-я]")
_CACHE_LIMIT = 500_000  # words; past it new words are analysed every time (a bounded process)
_cache: dict[str, str] = {}
_analyzer: Any = None
_lock = threading.Lock()


def analyzer() -> Any:
    """The process's pymorphy3 analyzer (loaded on first use)."""
    global _analyzer
    if _analyzer is None:
        with _lock:
            if _analyzer is None:
                import pymorphy3

                _analyzer = pymorphy3.MorphAnalyzer(lang="ru")
    return _analyzer


def lemma(word: str) -> str:
    found = _cache.get(word)
    if found is not None:
        return found
    if _CYRILLIC.search(word) is None:
        found = word
    else:
        found = str(analyzer().parse(word)[0].normal_form).replace("ё", "е")
    if len(_cache) < _CACHE_LIMIT:
        _cache[word] = found
    return found


def lemmatize(texts: Sequence[str]) -> list[str]:
    """Each cleaned text (:func:`routing.text.clean_texts`) with its words as lemmas."""
    return [" ".join(map(lemma, text.split())) for text in texts]


def surface_form(term: str, text: str) -> str:
    """A lemma term («гореть фонарь») said with the words of the cleaned ``text`` it came from
    («горит фонарь»), so an explanation quotes the appeal; the term itself if a word is missing."""
    words = text.split()
    found = []
    for wanted in term.split():
        match = next((word for word in words if lemma(word) == wanted), None)
        if match is None:
            return term
        found.append(match)
    return " ".join(found)


def prefix_stems(texts: Sequence[str], prefix: int = 6) -> list[str]:
    """Each cleaned text with its words cut to their first ``prefix`` letters."""
    return [" ".join(word[:prefix] for word in text.split()) for text in texts]
