"""The explorer's queries: what each ``/api/...`` endpoint answers, bounded and JSON-ready, no HTTP.

Every word goes through :meth:`Explorer.resolve`: a vocabulary word is queried by name (so it is
excluded from its own neighbours); any other word is asked of ``wv.get_vector``, which raises
``KeyError`` for word-level vectors and, for a subword model, composes a vector that is then
queried as a raw vector and reported with ``"oov": true``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from ..errors import UnknownWordError, UsageError
from ..vectors.word_vectors import WordVectors
from .completion import PrefixIndex

log = logging.getLogger(__name__)

#: Largest ``topn`` a request may ask for.
MAX_TOPN = 100
#: Longest word (in characters) a request may send.
MAX_WORD_CHARS = 100
#: Most words a "which doesn't belong" request may send.
MAX_WORDS = 20
#: Most completions a request may ask for.
MAX_SUGGESTIONS = 20

Item = str | np.ndarray


def check_word(word: str, what: str = "word") -> str:
    """``word`` without surrounding spaces; :class:`UsageError` when empty or too long."""
    word = word.strip()
    if not word:
        raise UsageError(f"{what} is empty")
    if len(word) > MAX_WORD_CHARS:
        raise UsageError(f"{what} is longer than {MAX_WORD_CHARS} characters")
    return word


def check_topn(topn: int) -> int:
    if not 1 <= topn <= MAX_TOPN:
        raise UsageError(f"topn must be between 1 and {MAX_TOPN}")
    return topn


def _scored(pairs: Sequence[tuple[str, float]]) -> list[dict]:
    return [{"word": w, "similarity": round(float(s), 6)} for w, s in pairs]


class Explorer:
    """Queries on one set of word vectors, as the explorer page asks them."""

    def __init__(self, wv: WordVectors, name: str = "model", restrict_vocab: int | None = None) -> None:
        """``restrict_vocab``: answers come from the N most frequent words only (gensim's
        ``restrict_vocab``); a query reads N rows instead of the whole table."""
        if restrict_vocab is not None and restrict_vocab < 1:
            raise UsageError("restrict_vocab must be at least 1")
        self.wv = wv
        self.name = name
        self.restrict_vocab = restrict_vocab
        wv.norms  # computed once here, not by the first concurrent requests
        self.index = PrefixIndex(wv.index_to_key)

    def info(self) -> dict:
        return {"model": self.name, "words": len(self.wv), "dim": self.wv.vector_size,
                "restrict_vocab": self.restrict_vocab,
                "limits": {"topn": MAX_TOPN, "word_chars": MAX_WORD_CHARS, "words": MAX_WORDS,
                           "suggestions": MAX_SUGGESTIONS}}

    # -- words -----------------------------------------------------------------------------
    def did_you_mean(self, word: str, suggestions: Sequence[str] = ()) -> list[str]:
        """Vocabulary words equal to ``word`` but for accents and case, then close spellings."""
        out = self.index.same_folded(word)
        return list(dict.fromkeys(out + list(suggestions)))[:5]

    def resolve(self, word: str, what: str = "word") -> tuple[Item, bool]:
        """(the word itself, False) for a vocabulary word; (its vector, True) for an unknown word
        a subword model can compose; :class:`UnknownWordError` with suggestions otherwise."""
        word = check_word(word, what)
        if word in self.wv:
            return word, False
        try:
            vector = self.wv.get_vector(word)  # word-level vectors raise; subword models compose one
        except KeyError as e:
            raise UnknownWordError(word, self.did_you_mean(word, getattr(e, "suggestions", ()))) from None
        return np.asarray(vector, dtype=np.float32), True

    def _unit(self, item: Item) -> np.ndarray:
        v = self.wv.get_vector(item, norm=True) if isinstance(item, str) else item
        n = np.linalg.norm(v)
        return (v / n if n > 0 else v).astype(np.float64)

    def suggest(self, prefix: str, limit: int = 10) -> dict:
        prefix = prefix.strip()
        if len(prefix) > MAX_WORD_CHARS:
            raise UsageError(f"q is longer than {MAX_WORD_CHARS} characters")
        if not 1 <= limit <= MAX_SUGGESTIONS:
            raise UsageError(f"limit must be between 1 and {MAX_SUGGESTIONS}")
        return {"q": prefix, "suggestions": self.index.complete(prefix, limit)}

    # -- queries ---------------------------------------------------------------------------
    def neighbours(self, word: str, topn: int = 10) -> dict:
        """The ``topn`` nearest words by cosine (``WordVectors.most_similar``)."""
        item, oov = self.resolve(word)
        near = self.wv.most_similar(positive=[item], topn=check_topn(topn), restrict_vocab=self.restrict_vocab)
        return {"word": word.strip(), "oov": oov, "neighbours": _scored(near)}

    def analogy(self, a: str, b: str, c: str, topn: int = 5) -> dict:
        """``a`` is to ``b`` as ``c`` is to ?: the words nearest b - a + c (3CosAdd, as
        ``WordVectors.analogy``; 3CosMul is left out: it needs a unit copy of the whole table)."""
        items, oov = [], []
        for w, what in ((a, "a"), (b, "b"), (c, "c")):
            item, unknown = self.resolve(w, what)
            items.append(item)
            if unknown:
                oov.append(w.strip())
        answers = self.wv.most_similar(positive=[items[1], items[2]], negative=[items[0]],
                                       topn=check_topn(topn), restrict_vocab=self.restrict_vocab)
        return {"a": a.strip(), "b": b.strip(), "c": c.strip(), "oov": oov, "answers": _scored(answers)}

    def similarity(self, w1: str, w2: str) -> dict:
        """Cosine similarity of two words (as ``WordVectors.similarity``, in float64)."""
        i1, o1 = self.resolve(w1, "w1")
        i2, o2 = self.resolve(w2, "w2")
        cos = float(self._unit(i1) @ self._unit(i2))
        return {"w1": w1.strip(), "w2": w2.strip(), "similarity": round(cos, 6),
                "oov": [w.strip() for w, o in ((w1, o1), (w2, o2)) if o]}

    def doesnt_match(self, words: Sequence[str]) -> dict:
        """The word farthest by cosine from the normalised mean of the words' unit vectors
        (``WordVectors.doesnt_match``), with every word's cosine to that mean."""
        words = [w.strip() for w in words if w.strip()]
        if not 3 <= len(words) <= MAX_WORDS:
            raise UsageError(f"give between 3 and {MAX_WORDS} words")
        resolved = [self.resolve(w) for w in words]
        units = np.stack([self._unit(item) for item, _ in resolved])  # (N, D)
        mean = units.mean(axis=0)
        n = np.linalg.norm(mean)
        sims = units @ (mean / n if n > 0 else mean)  # (N,)
        return {"words": words, "odd": words[int(np.argmin(sims))],
                "similarities": _scored(list(zip(words, sims.tolist()))),
                "oov": [w for w, (_, o) in zip(words, resolved) if o]}

    def map(self, word: str, topn: int = 15) -> dict:
        """2-D coordinates of ``word`` and its ``topn`` neighbours: their unit vectors projected
        on the two first principal components, as ``palabra2vec plot words``."""
        from ..plots import project

        item, oov = self.resolve(word)
        near = self.wv.most_similar(positive=[item], topn=check_topn(topn), restrict_vocab=self.restrict_vocab)
        if len(near) < 2:
            raise UsageError("a map needs at least 3 words; this vocabulary is too small")
        units = np.stack([self._unit(item)] + [self._unit(w) for w, _ in near])  # (1 + topn, D)
        xy, note = project(units, "pca")
        words = [word.strip()] + [w for w, _ in near]
        sims = [1.0] + [s for _, s in near]
        points = [{"word": w, "x": round(float(x), 6), "y": round(float(y), 6), "similarity": round(float(s), 6),
                   "query": k == 0} for k, (w, (x, y), s) in enumerate(zip(words, xy, sims))]
        return {"word": word.strip(), "oov": oov, "note": note, "points": points}
