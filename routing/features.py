"""The router's place/category/text columns as one sparse matrix, for single trees.

:class:`FeatureBuilder` turns rows into one sparse CSR matrix (float32) and remembers, for
every column, which human fact it stands for (``FeatureMeta``). The stacked router
(:mod:`routing.model`) does not use it; ``bench/router.py`` fits its "one decision tree"
reference on it. ``RoutingRow`` and the place and text helpers are re-exported from here for the
appeals app and older imports."""
from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any

import numpy as np
import scipy.sparse as sp

from .place import SpatialReference, coordinate_block, enrich_batch, enrich_row, jurisdiction_for_point
from .rows import RoutingRow
from .text import _SEP, byte_tokens, clean_text, clean_texts, stem_tokens, text_tokens

__all__ = ["COORD_FEATURES", "SEASONS", "FeatureBuilder", "FeatureMeta", "RoutingRow", "SpatialReference",
           "byte_tokens", "clean_text", "clean_texts", "coordinate_block", "enrich_batch", "enrich_row",
           "jurisdiction_for_point", "stem_tokens", "text_tokens"]

# --------------------------------------------------------------------------- features

SEASONS = {12: "зима", 1: "зима", 2: "зима", 3: "весна", 4: "весна", 5: "весна", 6: "лето", 7: "лето", 8: "лето",
           9: "осень", 10: "осень", 11: "осень"}
COORD_FEATURES = ("lat", "lon", "x3857", "y3857", "rot30", "rot45", "rot60", "rot120", "rot135", "rot150")


@dataclass(frozen=True)
class FeatureMeta:
    """What a column means: ``group`` is one of category, district, jurisdiction, text, channel,
    month, season, coords, flag; ``key`` is the code, id, term or coordinate name."""

    group: str
    key: Any




class FeatureBuilder:
    """Rows → sparse matrix. ``text_mode``: "stems" (words, word bigrams and 6-letter stems,
    chi2-selected), "char" (char_wb 2–5-grams, chi2-selected) or "hashing" (stems hashed,
    no selection, constant memory)."""

    def __init__(self, text_mode: str = "stems", max_text_features: int = 4000, min_df: int = 2,
                 use_location: bool = True, text_sample: int = 200_000) -> None:
        self.text_mode = text_mode
        self.max_text_features = max_text_features
        self.min_df = min_df
        self.use_location = use_location
        self.text_sample = text_sample

    # -- fitting
    def fit(self, rows: Sequence[RoutingRow], y: Sequence[Any] | np.ndarray) -> FeatureBuilder:
        self.categories_ = self._vocab(code for r in rows for code in (r.category_path or _single(r.category_code)))
        self.districts_ = self._vocab(r.district_code for r in rows if r.district_code)
        self.agencies_ = self._vocab(a for r in rows for a in r.jurisdiction_agency_ids)
        self.channels_ = self._vocab(r.channel for r in rows if r.channel)
        self._fit_text(rows, y)
        meta: list[FeatureMeta] = []
        if self.use_location:
            meta += [FeatureMeta("coords", name) for name in COORD_FEATURES]
        meta += [FeatureMeta("flag", "no_point"), FeatureMeta("flag", "no_text"), FeatureMeta("flag", "no_category")]
        meta += [FeatureMeta("category", c) for c in self.categories_]
        meta += [FeatureMeta("district", d) for d in self.districts_]
        meta += [FeatureMeta("jurisdiction", a) for a in self.agencies_]
        meta += [FeatureMeta("channel", c) for c in self.channels_]
        meta += [FeatureMeta("month", m) for m in range(1, 13)]
        meta += [FeatureMeta("season", s) for s in ("зима", "весна", "лето", "осень")]
        self.structured_width_ = len(meta)
        meta += [FeatureMeta("text", term) for term in self.text_terms_]
        self.meta_ = meta
        return self

    @staticmethod
    def _vocab(values: Iterable[Any]) -> dict[Any, int]:
        return {v: i for i, v in enumerate(sorted(set(values), key=str))}

    def _fit_text(self, rows: Sequence[RoutingRow], y: Sequence[Any] | np.ndarray) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer, TfidfVectorizer
        from sklearn.feature_selection import SelectKBest, chi2

        texts = clean_texts([r.text for r in rows])
        self.selected_: np.ndarray | None = None
        if self.text_mode == "hashing":
            self.vectorizer_: Any = HashingVectorizer(analyzer=self._stem_analyzer, n_features=2 ** 18,
                                                      alternate_sign=False, norm="l2")
            self.text_terms_: list[str] = []
            self.hashing_width_ = 2 ** 18
            return
        if self.text_mode == "char":
            vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=self.min_df,
                                         max_features=200_000, sublinear_tf=True, dtype=np.float32)
        else:
            vectorizer = TfidfVectorizer(analyzer=self._stem_analyzer, min_df=self.min_df, max_features=200_000,
                                         sublinear_tf=True, dtype=np.float32)
        non_empty = [i for i, t in enumerate(texts) if t]
        if len(non_empty) > self.text_sample:
            # vocabulary, idf and the chi2 selection from a random sample: on 1M appeals the terms
            # that matter are all frequent enough to be seen, at a fraction of the cost
            pick = np.random.default_rng(0).choice(len(non_empty), self.text_sample, replace=False)
            non_empty = [non_empty[i] for i in np.sort(pick)]
        if not non_empty:
            self.vectorizer_ = None
            self.text_terms_ = []
            return
        try:
            matrix = vectorizer.fit_transform([texts[i] for i in non_empty])
        except ValueError:  # min_df removed every term (tiny data)
            vectorizer.set_params(min_df=1)
            matrix = vectorizer.fit_transform([texts[i] for i in non_empty])
        terms = vectorizer.get_feature_names_out()
        idf = np.asarray(vectorizer.idf_, dtype=np.float64)
        if len(terms) > self.max_text_features and len(set(y)) > 1:
            labels = np.asarray(y, dtype=object)[non_empty].astype(str)
            selector = SelectKBest(chi2, k=self.max_text_features).fit(matrix, labels)
            keep = np.sort(selector.get_support(indices=True))
            terms, idf = terms[keep], idf[keep]
            # sklearn's own transform cannot serve a cut vocabulary (its idf stage checks the
            # original width): the kept terms are counted and weighted here, see _text_matrix
            vectorizer.vocabulary_ = {term: j for j, term in enumerate(terms)}
        vectorizer.stop_words_ = None  # the dropped terms: large and never needed again
        self.vectorizer_ = vectorizer
        self.text_terms_ = [str(t) for t in terms]
        self.idf_ = idf
        if self.text_mode == "stems":
            self.bigram_heads_ = {t.split(" ")[0] for t in self.text_terms_ if " " in t}
        else:
            from sklearn.feature_extraction.text import CountVectorizer

            self.counter_ = CountVectorizer(analyzer="char_wb", ngram_range=(2, 5), vocabulary=vectorizer.vocabulary_)

    @staticmethod
    def _stem_analyzer(text: str) -> list[str]:
        tokens = stem_tokens(text)
        words = text.split()
        tokens += [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
        return tokens

    # -- transforming
    @property
    def n_features(self) -> int:
        return len(self.meta_) + (self.hashing_width_ if self.text_mode == "hashing" else 0)

    def transform(self, rows: Sequence[RoutingRow]) -> sp.csr_matrix:
        n = len(rows)
        offset = len(COORD_FEATURES) if self.use_location else 0
        width = self.structured_width_ - offset  # coordinates come as a dense block in front
        # the structured columns of a row depend on a handful of codes: computed once per
        # combination (a bounded cache of combination → number), then gathered with numpy
        with _CACHE_LOCK:
            cache: dict[tuple[Any, ...], int] = self.__dict__.setdefault("_structured_cache", {})
            if len(cache) > 200_000:
                cache = self.__dict__["_structured_cache"] = {}
            combos: list[tuple[int, ...]] = self.__dict__.setdefault("_structured_combos", [])
            if not cache:
                combos = self.__dict__["_structured_combos"] = []
        raw = [row.text for row in rows]
        texts: list[str] = []
        if self.text_mode == "stems" and self.vectorizer_ is not None:
            # the words of all texts at once, as ids; a text without words is an empty text
            index = self._word_lookup()
            encoded = byte_tokens(raw)
            ids = index.lookup(text_tokens(raw)) if encoded is None else index.lookup_bytes(encoded)
            separator = ids == index.separator
            text_of = np.cumsum(separator)
            empty = (np.bincount(text_of[~separator], minlength=n) == 0).tolist()
        else:
            texts = clean_texts(raw)
            empty = [not text for text in texts]
        lats: list[float] = []
        lons: list[float] = []
        combo_of: list[int] = []
        isfinite, nan = math.isfinite, math.nan
        for row, no_text in zip(rows, empty, strict=True):
            lat, lon = row.lat, row.lon
            point = lat is not None and lon is not None and isfinite(lat) and isfinite(lon)  # row.has_point
            lats.append(lat if point else nan)  # type: ignore[arg-type]
            lons.append(lon if point else nan)  # type: ignore[arg-type]
            when = row.received_at
            key = (point, no_text, row.category_path, row.category_code, row.district_code,
                   row.jurisdiction_agency_ids, row.channel, when.month if when is not None else 0)
            combo = cache.get(key)
            if combo is None:
                with _CACHE_LOCK:  # route_batch may run in several threads at once
                    combo = cache.get(key)
                    if combo is None:
                        combos.append(self._structured_columns(*key))
                        combo = cache[key] = len(combos) - 1
            combo_of.append(combo)
        structured = self._structured_matrix(combos, np.asarray(combo_of, dtype=np.int64), width)
        lat_, lon_ = np.asarray(lats, dtype=float), np.asarray(lons, dtype=float)
        blocks = [structured]
        if self.use_location:
            blocks.insert(0, sp.csr_matrix(coordinate_block(lat_, lon_).astype(np.float32)))
        if self.text_mode == "stems" and self.vectorizer_ is not None:
            blocks.append(self._stem_matrix(ids, text_of, n))
        elif self.vectorizer_ is not None:
            blocks.append(self._text_matrix(texts))
        elif self.text_mode != "hashing" and self.text_terms_:
            blocks.append(sp.csr_matrix((n, len(self.text_terms_)), dtype=np.float32))
        matrix = sp.hstack(blocks, format="csr", dtype=np.float32) if len(blocks) > 1 else blocks[0]
        matrix.sort_indices()
        return matrix

    def _structured_matrix(self, combos: list[tuple[int, ...]], combo_of: np.ndarray, width: int) -> sp.csr_matrix:
        """Rows whose structured columns are those of combination ``combos[combo_of[i]]``."""
        with _CACHE_LOCK:
            table = self.__dict__.get("_structured_table")
            if table is None or table[0] is not combos or len(table[1]) < len(combos):  # combinations added
                combos_now = list(combos)
                lengths = np.fromiter(map(len, combos_now), dtype=np.int64, count=len(combos_now))
                starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
                flat = np.fromiter(chain.from_iterable(combos_now), dtype=np.int32, count=int(lengths.sum()))
                table = self.__dict__["_structured_table"] = (combos, lengths, starts, flat)
        _combos, lengths, starts, flat = table
        counts = lengths[combo_of]
        indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        # position of each stored column: its combination's start + its place within the row
        where = np.repeat(starts[combo_of] - indptr[:-1], counts) + np.arange(indptr[-1])
        return sp.csr_matrix((np.ones(len(where), dtype=np.float32), flat[where], indptr), shape=(len(combo_of), width))

    def _structured_columns(self, point: bool, no_text: bool, category_path: tuple[str, ...],
                            category_code: str | None, district_code: str | None,
                            jurisdiction: tuple[int, ...], channel: str | None, month: int) -> tuple[int, ...]:
        """Sorted columns (after the coordinates) set to 1 for one combination of codes."""
        no_point_col, no_text_col, no_category_col, cat_base = 0, 1, 2, 3
        dist_base = cat_base + len(self.categories_)
        agency_base = dist_base + len(self.districts_)
        channel_base = agency_base + len(self.agencies_)
        month_base = channel_base + len(self.channels_)
        season_base = month_base + 12
        cols: list[int] = []
        if not point:
            cols.append(no_point_col)
        if no_text:
            cols.append(no_text_col)
        path = category_path or _single(category_code)
        if not path:
            cols.append(no_category_col)
        cols += [cat_base + self.categories_[c] for c in path if c in self.categories_]
        if district_code in self.districts_:
            cols.append(dist_base + self.districts_[district_code])
        cols += [agency_base + self.agencies_[a] for a in jurisdiction if a in self.agencies_]
        if channel in self.channels_:
            cols.append(channel_base + self.channels_[channel])
        if month:
            cols += [month_base + month - 1, season_base + _SEASON_INDEX[SEASONS[month]]]
        return tuple(sorted(set(cols)))

    def _text_matrix(self, texts: list[str]) -> sp.csr_matrix:
        """TF-IDF of the kept terms of cleaned texts (the hashing and char modes; the stems
        mode goes through :meth:`_stem_matrix`)."""
        if self.text_mode == "hashing":
            return sp.csr_matrix(self.vectorizer_.transform(texts), dtype=np.float32)
        if self.text_mode != "stems":
            return self._tfidf(sp.csr_matrix(self.counter_.transform(texts), dtype=np.float64))
        index = self._word_lookup()
        ids = index.lookup(text_tokens(texts))
        return self._stem_matrix(ids, np.cumsum(ids == index.separator), len(texts))

    def _word_lookup(self) -> _WordIndex:
        index = self.__dict__.get("_word_index")
        if index is None or len(index.ids) > 500_000:
            index = self.__dict__["_word_index"] = _WordIndex(self.vectorizer_.vocabulary_, self.bigram_heads_)
        return index  # type: ignore[no-any-return]

    def _stem_matrix(self, ids: np.ndarray, text_of: np.ndarray, n: int) -> sp.csr_matrix:
        """TF-IDF of the kept terms for the stems analyzer: a vectorised re-implementation of
        ``TfidfVectorizer.transform`` (sublinear tf, idf, l2; the same matrix, see the tests).
        ``ids``: the words of the batch (:func:`text_tokens`) as ids of the word index, each
        with the one or two columns it counts for (itself, its 6-letter stem) and whether it
        starts a kept bigram; ``text_of``: the text of each word. A batch is array lookups."""
        index = self._word_lookup()
        width = len(self.vectorizer_.vocabulary_)
        first, second = index.first[ids], index.second[ids]
        has_first, has_second = first >= 0, second >= 0
        row_parts = [text_of[has_first], text_of[has_second]]
        col_parts = [first[has_first], second[has_second]]
        if len(ids) > 1 and len(index.bigram_keys):
            # two neighbouring words are in the same text: a separator lies between texts
            left, right = ids[:-1], ids[1:]
            candidate = index.head[left]
            keys = (left[candidate] << 32) | right[candidate]
            position = np.minimum(np.searchsorted(index.bigram_keys, keys), len(index.bigram_keys) - 1)
            hit = index.bigram_keys[position] == keys
            row_parts.append(text_of[:-1][candidate][hit])
            col_parts.append(index.bigram_columns[position[hit]])
        rows_ = np.concatenate(row_parts)
        cols_ = np.concatenate(col_parts)
        return self._tfidf(sp.csr_matrix((np.ones(len(rows_)), (rows_, cols_)), shape=(n, width)))

    def _tfidf(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Term counts → sublinear tf × idf, rows scaled to unit length (TfidfVectorizer's
        ``sublinear_tf=True, norm="l2"``), float32."""
        n, width = counts.shape
        counts.sum_duplicates()
        data = (1.0 + np.log(counts.data)) * self.idf_[counts.indices]
        row_of = np.repeat(np.arange(n), np.diff(counts.indptr))
        norms = np.sqrt(np.bincount(row_of, weights=data * data, minlength=n))
        norms[norms == 0] = 1.0
        data /= norms[row_of]
        return sp.csr_matrix((data.astype(np.float32), counts.indices, counts.indptr), shape=(n, width))

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for cache in ("_word_columns", "_word_index", "_structured_cache", "_structured_combos",
                      "_structured_table"):  # lookup caches, rebuilt on use
            state.pop(cache, None)
        return state

    def describe(self, column: int) -> FeatureMeta:
        if column < len(self.meta_):
            return self.meta_[column]
        return FeatureMeta("text", f"#{column - len(self.meta_)}")  # hashed term: no readable name


_SEASON_INDEX = {"зима": 0, "весна": 1, "лето": 2, "осень": 3}
_CACHE_LOCK = threading.Lock()


class _WordIndex:
    """Word → id, and per id the stems-analyzer columns it counts for; bigrams as sorted keys
    ``first_id << 32 | second_id``. Grows as new words are met (arrays doubled when full)."""

    def __init__(self, vocabulary: dict[str, int], heads: set[str], prefix: int = 6) -> None:
        self.vocabulary = vocabulary
        self.heads = heads
        self.prefix = prefix
        self.ids: dict[str, int] = {}
        self.byte_ids: dict[bytes, int] = {}  # the same words, Windows-1251 encoded
        self.first = np.full(1024, -1, dtype=np.int64)
        self.second = np.full(1024, -1, dtype=np.int64)
        self.head = np.zeros(1024, dtype=bool)
        self.separator = self._add(_SEP)  # between texts (text_tokens); no column, no bigram
        keys, columns = [], []
        for term, column in vocabulary.items():
            if " " in term:
                a, b = term.split(" ", 1)
                keys.append((self._add(a) << 32) | self._add(b))
                columns.append(column)
        order = np.argsort(np.asarray(keys, dtype=np.int64), kind="stable")
        self.bigram_keys = np.asarray(keys, dtype=np.int64)[order]
        self.bigram_columns = np.asarray(columns, dtype=np.int64)[order]

    def _add(self, word: str) -> int:
        found = self.ids.get(word)
        if found is not None:
            return found
        i = self.ids[word] = len(self.ids)
        if i >= len(self.first):
            grow = len(self.first)
            self.first = np.concatenate([self.first, np.full(grow, -1, dtype=np.int64)])
            self.second = np.concatenate([self.second, np.full(grow, -1, dtype=np.int64)])
            self.head = np.concatenate([self.head, np.zeros(grow, dtype=bool)])
        if len(word) >= 2:  # the analyzer's unigram rule (see stem_tokens)
            self.first[i] = self.vocabulary.get(word, -1)
            if len(word) > self.prefix:
                self.second[i] = self.vocabulary.get(word[: self.prefix] + "…", -1)
        self.head[i] = word in self.heads
        return i

    def lookup_bytes(self, words: list[bytes]) -> np.ndarray:
        """:meth:`lookup` of Windows-1251 encoded words (:func:`byte_tokens`)."""
        ids = np.fromiter(map(self.byte_ids.get, words, repeat(-1)), dtype=np.int64, count=len(words))
        if (ids < 0).any():
            with _CACHE_LOCK:  # new words get ids: one thread at a time
                for k in np.flatnonzero(ids < 0).tolist():
                    word = words[k]
                    found = self.byte_ids.get(word)
                    if found is None:
                        found = self.byte_ids[word] = self._add(word.decode("cp1251"))
                    ids[k] = found
        return ids

    def lookup(self, words: list[str]) -> np.ndarray:
        ids = np.fromiter(map(self.ids.get, words, repeat(-1)), dtype=np.int64, count=len(words))
        if (ids < 0).any():
            with _CACHE_LOCK:  # new words get ids: one thread at a time
                ids = np.asarray([self._add(w) if i < 0 else i for i, w in zip(ids.tolist(), words, strict=True)],
                                 dtype=np.int64)
        return ids


def _single(code: str | None) -> tuple[str, ...]:
    return (code,) if code else ()
