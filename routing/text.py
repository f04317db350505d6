"""Text: cleaning appeals' texts (HTML, entities, case, «ё») and cutting them into words, one text
at a time or a whole batch in a few regex passes; and :class:`TextScorer`, the linear model over
words, char n-grams and codes whose out-of-fold scores the router's trees read."""
from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from .rows import RoutingRow

_TAG = re.compile(r"<[^>]*>")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def clean_text(text: str | None) -> str:
    """HTML stripped, entities decoded, lower case, «ё» → «е», punctuation removed (numbers stay:
    «школа № 17» names an institution)."""
    if not text:
        return ""
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    text = text.lower().replace("ё", "е")
    return _NON_WORD.sub(" ", text).replace("_", " ").strip()


_SEP = "\x1f"  # joins a batch of texts; a control character no appeal contains
_TAG_BATCH = re.compile(r"<[^>\x1f]*>")
_NON_WORD_BATCH = re.compile(r"[^\w\x1f]+", re.UNICODE)


def clean_texts(texts: Sequence[str | None]) -> list[str]:
    """:func:`clean_text` of every text, done in a few passes over one joined string (the same
    result; a tag cannot run past the end of its own text). Falls back to one by one when a
    text contains the separator."""
    parts = [t or "" for t in texts]
    joined = _SEP.join(parts)
    if joined.count(_SEP) != len(parts) - 1:
        return [clean_text(t) for t in texts]
    if "<" in joined:
        joined = _TAG_BATCH.sub(" ", joined)
    if "&" in joined:
        joined = html.unescape(joined)
        if joined.count(_SEP) != len(parts) - 1:
            return [clean_text(t) for t in texts]
    joined = _NON_WORD_BATCH.sub(" ", joined.lower().replace("ё", "е")).replace("_", " ")
    return [part.strip() for part in joined.split(_SEP)]


_WORD_OR_SEP = re.compile(r"[^\W_]+|\x1f", re.UNICODE)
_WORD_RUNS = re.compile(r"[\w\x1f]+", re.UNICODE)  # the same tokens when no «_» and spaces around separators


def text_tokens(texts: Sequence[str | None]) -> list[str]:
    """The words of ``clean_text(t).split()`` of every text in one list, the texts separated by
    ``"\x1f"`` (never part of a word). Read with one regex pass over the joined texts (the
    words are the runs of word characters other than «_») instead of a substitution, a split
    of the batch and a split per text; one by one when a text contains the separator."""
    parts = [t or "" for t in texts]
    joined = f" {_SEP} ".join(parts)
    whole = joined.count(_SEP) == len(parts) - 1
    if whole and "<" in joined:
        joined = _TAG_BATCH.sub(" ", joined)
    if whole and "&" in joined:
        joined = html.unescape(joined)
        whole = joined.count(_SEP) == len(parts) - 1
    if whole:
        joined = joined.lower().replace("ё", "е")
        return (_WORD_OR_SEP if "_" in joined else _WORD_RUNS).findall(joined)
    tokens: list[str] = []
    for i, text in enumerate(texts):
        if i:
            tokens.append(_SEP)
        tokens += clean_text(text).split()
    return tokens


def _cp1251_word_bytes() -> bytes:
    return bytes(b for b in range(256) if b != 0x98 and bytes([b]).decode("cp1251").isalnum())


# the word characters of Windows-1251 (Russian, Latin, digits): a bytes pattern scans ~2x faster
_BYTE_WORDS = re.compile(b"[" + b"".join(re.escape(bytes([b])) for b in _cp1251_word_bytes()) + b"\x1f]+")


def byte_tokens(texts: Sequence[str | None]) -> list[bytes] | None:
    """:func:`text_tokens` as Windows-1251 bytes, or None when a text has a character that
    encoding lacks (emoji, most accented Latin letters): the words are the runs of bytes whose
    character is alphanumeric, which is what ``[^\\W_]`` means for those characters."""
    parts = [t or "" for t in texts]
    joined = f" {_SEP} ".join(parts)
    if joined.count(_SEP) != len(parts) - 1:
        return None
    if "<" in joined:
        joined = _TAG_BATCH.sub(" ", joined)
    if "&" in joined:
        joined = html.unescape(joined)
        if joined.count(_SEP) != len(parts) - 1:
            return None
    try:
        encoded = joined.lower().replace("ё", "е").encode("cp1251")
    except UnicodeEncodeError:
        return None
    return _BYTE_WORDS.findall(encoded)


def stem_tokens(text: str, prefix: int = 6) -> list[str]:
    """Words and their first ``prefix`` letters: a cheap stemmer for Russian inflection
    (фонарь / фонари / фонаря → фонар…), readable in explanations unlike char n-grams."""
    tokens: list[str] = []
    for word in text.split():
        if len(word) < 2:
            continue
        tokens.append(word)
        if len(word) > prefix:
            tokens.append(word[:prefix] + "…")
    return tokens



# --------------------------------------------------------------------------- the linear text model

STOP_WORDS = frozenset(
    "не нет ни и в во на с со по у к ко о об от за из до для а но что это как уже так же бы ли или то при "
    "над под про без все всё очень уже ещё еще мы вы я он она они их его ее её нам вам нас вас просим прошу "
    "д ул дом the a an is are at of to in on and or no not very please".split())


def telling(term: str) -> bool:
    """A text feature worth showing a person: not only stop words, numbers or a single letter."""
    words = [w.rstrip("…") for w in term.split()]
    return any(len(w) > 2 and w not in STOP_WORDS and not w.isdigit() for w in words)


def code_tokens(row: RoutingRow) -> list[str]:
    """The structured facts the linear model sees beside the words: the category path, the
    district, the competent agencies, and the category crossed with district and agencies (the
    linear model cannot cross them itself; the rule table is exactly those crossings)."""
    path = row.category_path or ((row.category_code,) if row.category_code else ())
    tokens = [f"c:{code}" for code in path] or ["c:-"]
    leaf = path[0] if path else "-"
    if row.district_code:
        tokens += [f"d:{row.district_code}", f"cd:{leaf}|{row.district_code}"]
    tokens += [f"j:{a}" for a in row.jurisdiction_agency_ids]
    tokens += [f"cj:{leaf}|{a}" for a in row.jurisdiction_agency_ids]
    if row.channel:
        tokens.append(f"ch:{row.channel}")
    return tokens


# "words": word 1–2-grams as written; "lemmas": the same over pymorphy3 lemmas; "words+lemmas" /
# "words+stems": the words, and beside them lemma / 6-letter-prefix unigrams; "auto": lemmas up to
# ``char_rows`` training rows, words above. Lemmas gained about a point on small text-only
# archives and lost 0.2 on 24k St Petersburg rows (bench/README.md).
MORPHOLOGY = ("auto", "words", "lemmas", "words+lemmas", "words+stems")


def _as_is(tokens: list[str]) -> list[str]:
    return tokens  # a module-level function: the fitted vectorizer must pickle


class TextScorer:
    """A linear model (LinearSVC, one-vs-rest) over word 1–2-grams, char 2–5-grams and the
    codes of :func:`code_tokens`: one score per agency.

    It is fitted ``folds`` times on the other folds (cross-fitting), so every training row's
    scores come from a model that never saw the row (:meth:`fit_oof` returns them; the trees
    above learn how far to trust the scores from those honest numbers). New rows are scored by
    the average of the fold models (a linear model's average is one linear model), which saves
    a final fit on all rows; with ``refit`` (the text decides alone, no trees above) by one more
    model fitted on all rows, which is the stronger model on small archives, with the ``C`` of
    ``refit_cs`` whose out-of-fold scores were best."""

    def __init__(self, folds: int = 4, C: float = 0.1, word_features: int = 50_000,  # noqa: N803
                 char_features: int = 50_000, char_rows: int = 15_000, prune: float = 1e-3,
                 morphology: str = "auto", refit: bool = False,
                 refit_cs: tuple[float, ...] = (0.1, 0.2, 0.4)) -> None:
        self.folds = folds
        self.char_rows = char_rows
        self.C = C
        self.word_features = word_features
        self.char_features = char_features
        self.prune = prune
        if morphology not in MORPHOLOGY:
            raise ValueError(f"morphology must be one of {', '.join(MORPHOLOGY)}")
        self.morphology = morphology
        self.refit = refit
        self.refit_cs = refit_cs

    def _vectorizers(self, n_rows: int) -> None:
        from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

        min_df = 2 if n_rows >= 200 else 1
        self.words_ = TfidfVectorizer(ngram_range=(1, 2), min_df=min_df, sublinear_tf=True,
                                      max_features=self.word_features, dtype=np.float32, lowercase=False)
        # char n-grams help small archives (misspellings, inflection, HTML leftovers) but cost ~8x
        # the words' non-zeros per row; on 24k St Petersburg rows they added 0.0003 accuracy for 10x
        # the fit time (bench/README.md), so above ``char_rows`` rows the words and codes carry alone
        self.chars_: Any = None
        if n_rows <= self.char_rows and self.char_features:
            self.chars_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=min_df, sublinear_tf=True,
                                          max_features=self.char_features, dtype=np.float32, lowercase=False)
        self.morphology_ = self.morphology if self.morphology != "auto" else \
            "lemmas" if n_rows <= self.char_rows else "words"
        self.forms_: Any = None
        if self.morphology_ in ("words+lemmas", "words+stems"):
            self.forms_ = TfidfVectorizer(min_df=min_df, sublinear_tf=True, max_features=self.word_features,
                                          dtype=np.float32, lowercase=False)
        self.codes_ = CountVectorizer(analyzer=_as_is, binary=True, dtype=np.float32)

    def _texts(self, rows: Sequence[RoutingRow]) -> list[tuple[Any, list[str]]]:
        """(vectorizer, its input texts) of each text block, in column order."""
        from .lemmas import lemmatize, prefix_stems

        texts = clean_texts([r.text for r in rows])
        morphology = getattr(self, "morphology_", "words")  # versions saved before it existed: words
        blocks = [(self.words_, lemmatize(texts) if morphology == "lemmas" else texts)]
        if self.chars_ is not None:
            blocks.append((self.chars_, texts))
        if getattr(self, "forms_", None) is not None:
            blocks.append((self.forms_, lemmatize(texts) if morphology == "words+lemmas" else prefix_stems(texts)))
        return blocks

    def transform(self, rows: Sequence[RoutingRow]) -> sp.csr_matrix:
        blocks = [vectorizer.transform(texts) for vectorizer, texts in self._texts(rows)]
        blocks.append(self.codes_.transform([code_tokens(r) for r in rows]))
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def fit_oof(self, rows: Sequence[RoutingRow], y: np.ndarray, n_classes: int,
                fold_of: np.ndarray) -> np.ndarray:
        """Fit; return the out-of-fold scores of the training rows (n × n_classes).

        ``fold_of``: the fold of each row (the same folds as the routing tables and the
        neighbours, so no feature of a row was computed with its own label)."""
        return self.fit_oof_matrix(rows, y, n_classes, fold_of)[0]

    def fit_oof_matrix(self, rows: Sequence[RoutingRow], y: np.ndarray, n_classes: int,
                       fold_of: np.ndarray) -> tuple[np.ndarray, sp.csr_matrix]:
        """:meth:`fit_oof`, and the training rows' input matrix (for models fitted beside)."""
        self._vectorizers(len(rows))
        blocks = [self._fit_block(vectorizer, texts) for vectorizer, texts in self._texts(rows)]
        blocks.append(self.codes_.fit_transform([code_tokens(r) for r in rows]))
        X = sp.hstack(blocks, format="csr", dtype=np.float32)
        self.n_words_ = blocks[0].shape[1]
        oof, weights, intercept = self._cross_fit(X, y, n_classes, fold_of)
        if fold_of.max() > 0 and self.refit:  # the model decides alone (no trees above)
            oof = self._choose_c(X, y, n_classes, fold_of, oof)
            weights, intercept = self.fit_one(X, y, n_classes)  # one more fit, on all rows
        weights[np.abs(weights) < self.prune] = 0.0  # near-zero weights of rare n-grams: a smaller artefact
        self.weights_ = sp.csr_matrix(weights.astype(np.float32))
        self.intercept_ = intercept.astype(np.float32)
        self.word_terms_ = np.asarray(self.words_.get_feature_names_out(), dtype=object)
        for vectorizer in (self.words_, self.chars_, self.forms_):
            if vectorizer is not None:
                vectorizer.stop_words_ = None  # the dropped terms: large and never needed again
        return oof, X

    def _cross_fit(self, X: sp.csr_matrix, y: np.ndarray, n_classes: int,
                   fold_of: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(out-of-fold scores, averaged weights, averaged intercepts) of the fold models."""
        folds = int(fold_of.max()) + 1
        oof = np.zeros((X.shape[0], n_classes), dtype=np.float32)
        weights = np.zeros((X.shape[1], n_classes))
        intercept = np.zeros(n_classes)
        for k in range(folds):
            inside = fold_of != k
            w, b = self.fit_one(X[inside], y[inside], n_classes)
            if folds > 1:
                oof[~inside] = X[~inside] @ w + b
            weights += w / folds
            intercept += b / folds
        if folds == 1:  # too few rows to hold any out: in-sample scores (tiny data only)
            oof[:] = X @ weights + intercept
        return oof, weights, intercept

    def _choose_c(self, X: sp.csr_matrix, y: np.ndarray, n_classes: int, fold_of: np.ndarray,
                  oof: np.ndarray) -> np.ndarray:
        """Where the text decides alone: the regularisation (``C``) among ``refit_cs`` whose
        out-of-fold scores route the training rows best (kept in ``self.C``); its scores."""
        best = float(np.mean(oof.argmax(axis=1) == y))
        chosen = self.C
        for c in self.refit_cs:
            if c == chosen:
                continue
            self.C = c
            scores = self._cross_fit(X, y, n_classes, fold_of)[0]
            right = float(np.mean(scores.argmax(axis=1) == y))
            if right > best:
                best, chosen, oof = right, c, scores
        self.C = chosen
        return oof

    @staticmethod
    def _fit_block(vectorizer: Any, texts: list[str]) -> sp.csr_matrix:
        try:
            return vectorizer.fit_transform(texts)
        except ValueError:  # no term in any text (all empty, or too rare): an empty vocabulary
            vectorizer.set_params(min_df=1, analyzer="char_wb", ngram_range=(1, 1))
            return vectorizer.fit_transform([t or " " for t in texts])

    def fit_one(self, X: sp.csr_matrix, y: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
        """(weights features × classes, intercepts) of one LinearSVC; an agency absent from these
        rows gets no weights and a low intercept (the fold has never seen it)."""
        from sklearn.svm import LinearSVC

        w = np.zeros((X.shape[1], n_classes))
        b = np.full(n_classes, -1.5)
        present = np.unique(y)
        if len(present) < 2:
            b[present] = 1.0
            return w, b
        model = LinearSVC(C=self.C, tol=1e-3, random_state=0).fit(X, y)  # liblinear shuffles: fixed seed
        classes = model.classes_.astype(int)
        if len(classes) == 2:  # binary: one weight vector for the second class
            w[:, classes[1]], w[:, classes[0]] = model.coef_[0], -model.coef_[0]
            b[classes[1]], b[classes[0]] = model.intercept_[0], -model.intercept_[0]
        else:
            w[:, classes] = model.coef_.T
            b[classes] = model.intercept_
        return w, b

    def scores(self, X: sp.csr_matrix) -> np.ndarray:
        return np.asarray((X @ self.weights_).toarray(), dtype=np.float32) + self.intercept_

    def cues(self, X: sp.csr_matrix, classes: Sequence[int], k: int = 3,
             texts: Sequence[str | None] | None = None) -> list[list[str]]:
        """Per row, the words (1–2-grams) that pushed the score of ``classes[i]`` up most, at most
        ``k``; a model over lemmas says them with the words of ``texts`` (the rows' own texts)."""
        out = self._cue_terms(X, classes, k)
        if texts is None or getattr(self, "morphology_", "words") != "lemmas":
            return out
        from .lemmas import surface_form

        cleaned = clean_texts(texts)
        return [[surface_form(term, text) for term in terms] for terms, text in zip(out, cleaned, strict=True)]

    def _cue_terms(self, X: sp.csr_matrix, classes: Sequence[int], k: int) -> list[list[str]]:
        out: list[list[str]] = []
        words = X[:, : self.n_words_].tocsr()
        for i, cls in enumerate(classes):
            start, end = words.indptr[i], words.indptr[i + 1]
            cols, values = words.indices[start:end], words.data[start:end]
            if not len(cols):
                out.append([])
                continue
            push = values * self.weights_[cols, cls].toarray().ravel()
            order = np.argsort(-push, kind="stable")
            terms = [str(self.word_terms_[cols[j]]) for j in order if push[j] > 0]
            out.append([t for t in terms if telling(t)][:k])
        return out
