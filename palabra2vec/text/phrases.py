"""Phrases: join collocations ("sancho panza", "sin embargo") into single tokens.

The rule is gensim's ``Phrases`` (itself word2vec.c's ``word2phrase``, Mikolov et al. 2013,
"Distributed Representations of Words and Phrases and their Compositionality", section 4):

* a candidate is a word ``a``, any run of *connector words* (articles, prepositions: "de",
  "la", ...) and the next word ``b``; connectors may sit inside a phrase but never start or
  end one, and are not counted as words;
* every candidate occurrence and every (non-connector) word is counted; the candidate is a
  phrase when ``score > threshold``, with gensim's ``original_scorer`` or ``npmi_scorer``
  (see :func:`original_scorer`, :func:`npmi_scorer`);
* sentences are rewritten greedily from the left; each further pass learns on the output
  of the previous one, so "don_quijote" + "de la" + "mancha" -> "don_quijote_de_la_mancha".

What differs from gensim: pairs of word *ids* are counted in a compiled hash table (see
:mod:`palabra2vec.text.phrase_tables`), not joined strings in a dict, so learning and joining
are several times faster and take less memory. ``max_vocab_size`` prunes as gensim does
(after a sentence, when words + pairs exceed it, drop the entries seen fewer than
``min_reduce`` times, then raise ``min_reduce`` by one), and a warning says when it happened.
On one pass the phrases are exactly gensim's (tested on corpus-es); on later passes gensim's
``FrozenPhrases`` scores a candidate whose first or last token is itself a phrase by the
counts of its first and last *words* ("don" and "mancha"), and counts "a_b"+"c" and
"a"+"b_c" as one pair; palabra2vec scores each pass's tokens as ``Phrases`` does.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UsageError
from . import phrase_tables as pt
from .phrase_corpus import IdCorpus
from .phrases_io import Phrase, load_phrases, save_phrases

log = logging.getLogger(__name__)

SCORINGS = ("default", "npmi")

#: Spanish connectors: articles, "de/del/a/al/en" and "y/e/o/u". "por", "para", "con" and
#: "sin" are left out on purpose so that "sin_embargo", "por_fin" or "con_todo" can form.
SPANISH_CONNECTOR_WORDS = frozenset("el la lo los las un una unos unas de del a al en y e o u".split())
#: English connectors, the same words as gensim's ``ENGLISH_CONNECTOR_WORDS``.
ENGLISH_CONNECTOR_WORDS = frozenset("a an the for of with without at from to in on by and or".split())
CONNECTOR_SETS = {"es": SPANISH_CONNECTOR_WORDS, "en": ENGLISH_CONNECTOR_WORDS, "none": frozenset()}


def original_scorer(worda_count: int, wordb_count: int, bigram_count: int, len_vocab: int,
                    min_count: float, corpus_word_count: int) -> float:
    """Mikolov et al. (2013), eq. 6, as gensim computes it:
    ``(bigram_count - min_count) / (worda_count * wordb_count) * len_vocab`` (-inf if a count is 0)."""
    denom = worda_count * wordb_count
    if denom == 0:
        return -math.inf
    return (bigram_count - min_count) / float(denom) * len_vocab


def npmi_scorer(worda_count: int, wordb_count: int, bigram_count: int, len_vocab: int,
                min_count: float, corpus_word_count: int) -> float:
    """Normalized PMI (Bouma 2009): ``ln(p(ab) / (p(a) p(b))) / -ln(p(ab))`` with
    ``p(x) = count(x) / corpus_word_count``; -inf when ``bigram_count < min_count``."""
    if bigram_count < min_count or worda_count <= 0 or wordb_count <= 0:
        return -math.inf
    n = float(corpus_word_count)
    pa, pb, pab = worda_count / n, wordb_count / n, bigram_count / n
    return math.log(pab / (pa * pb)) / -math.log(pab)


def connector_set(connector_words: str | Iterable[str]) -> frozenset[str]:
    """``es``, ``en``, ``none`` or a collection of words."""
    if isinstance(connector_words, str):
        if connector_words not in CONNECTOR_SETS:
            raise UsageError(f"unknown connector words {connector_words!r} (es, en, none, or a set of words)")
        return CONNECTOR_SETS[connector_words]
    return frozenset(connector_words)


class Phrases:
    """Learns phrases from a corpus and joins them in sentences (gensim's ``Phrases``, fast).

    >>> ph = Phrases(min_count=1, threshold=0.5).learn([["sancho", "panza"]] * 3 + [["dijo", "sancho"]], passes=1)
    >>> ph[["sancho", "panza", "dijo"]]
    ['sancho_panza', 'dijo']
    """

    def __init__(self, min_count: float = 5, threshold: float = 10.0, scoring: str = "default",
                 delimiter: str = "_", connector_words: str | Iterable[str] = "es",
                 max_vocab_size: int = 40_000_000) -> None:
        if not min_count > 0:
            raise UsageError("min_count must be at least 1")
        if scoring not in SCORINGS:
            raise UsageError(f"scoring must be one of {', '.join(SCORINGS)}")
        if scoring == "default" and not threshold > 0:
            raise UsageError("threshold must be positive for the default scoring")
        if scoring == "npmi" and not -1 <= threshold <= 1:
            raise UsageError("threshold must be between -1 and 1 for npmi scoring")
        if not delimiter or any(c.isspace() for c in delimiter):
            raise UsageError("delimiter must be a non-empty string without white space")
        if max_vocab_size < 1:
            raise UsageError("max_vocab_size must be at least 1")
        self.min_count = min_count
        self.threshold = float(threshold)
        self.scoring = scoring
        self.delimiter = delimiter
        self.connector_words = connector_set(connector_words)
        self.max_vocab_size = int(max_vocab_size)
        self.levels: list[list[Phrase]] = []  #: phrases found on each pass, best score first
        self.stats: list[dict[str, Any]] = []  #: what each pass counted
        self._lookups: list[dict[tuple[str, ...], str]] | None = None

    # -- learning ----------------------------------------------------------------------------
    def learn(self, corpus: Iterable[Sequence[str]], passes: int = 2,
              workdir: str | os.PathLike[str] | None = None) -> "Phrases":
        """Learn ``passes`` levels of phrases from ``corpus``: sentences as token lists, or
        files and directories (read with the spanish tokenizer; pass a :class:`Corpus` to choose)."""
        with self.learn_transform(corpus, passes, workdir):
            pass
        return self

    def learn_transform(self, corpus: Iterable[Sequence[str]], passes: int = 2,
                        workdir: str | os.PathLike[str] | None = None) -> IdCorpus:
        """Learn as :meth:`learn` and return the joined corpus (an :class:`IdCorpus`; close it,
        or use it in a ``with`` block, to delete its temporary file)."""
        if passes < 1:
            raise UsageError("passes must be at least 1")
        ic = IdCorpus.encode(_sentences(corpus), workdir)
        try:
            for _ in range(passes):
                found, stats = self._learn_level(ic, len(self.levels) + 1)
                self.levels.append(found)
                self._lookups = None
                before = ic.n_ids
                self._join(ic, found)
                stats["tokens_out"] = ic.n_ids - ic.n_sentences
                stats["tokens_joined"] = before - ic.n_ids
                self.stats.append(stats)
                log.info("phrases pass %d: %d phrases, %d tokens -> %d", stats["level"], len(found),
                         stats["tokens_in"], stats["tokens_out"])
            return ic
        except BaseException:
            ic.close()
            raise

    def _connector_mask(self, words: list[str]) -> np.ndarray:
        conn = self.connector_words
        return np.fromiter((w in conn for w in words), dtype=np.bool_, count=len(words))

    def _learn_level(self, ic: IdCorpus, level: int) -> tuple[list[Phrase], dict[str, Any]]:
        """Count one pass over ``ic`` and score its pairs."""
        is_conn = self._connector_mask(ic.words)
        unigrams = np.zeros(len(ic.words), dtype=np.int64)
        # sized from the previous pass's pair count when there is one: no growth on the way
        pkeys, pcounts = pt.new_table(int(1.1 * self.stats[-1]["pairs"] / pt.MAX_LOAD) if self.stats else 1 << 16)
        tkeys, tvals = pt.new_table(1 << 8)
        state = np.zeros(6, dtype=np.int64)
        state[pt.S_START] = -1
        min_reduce, prunes = 1, 0
        for chunk in ic.chunks():
            pos = 0
            while True:
                pos, reason = pt.count_chunk(chunk, pos, state, is_conn, unigrams, pkeys, pcounts,
                                             tkeys, tvals, self.max_vocab_size)
                if reason == pt.DONE:
                    break
                if reason == pt.GROW_PAIRS:
                    pkeys, pcounts, _ = pt.rehash(pkeys, pcounts, 2 * pkeys.shape[0], 1)
                elif reason == pt.GROW_TRIE:
                    tkeys, tvals, _ = pt.rehash(tkeys, tvals, 2 * tkeys.shape[0], 1)
                else:  # PRUNE, as gensim's utils.prune_vocab: drop entries seen < min_reduce times
                    pkeys, pcounts, kept = pt.rehash(pkeys, pcounts, pkeys.shape[0], min_reduce)
                    unigrams[unigrams < min_reduce] = 0
                    state[pt.S_PAIRS] = kept
                    state[pt.S_UNIGRAMS] = np.count_nonzero(unigrams)
                    min_reduce += 1
                    prunes += 1
        if prunes:
            log.warning("phrases pass %d: more than max_vocab_size=%d words + pairs; pruned %d times, "
                        "dropping entries seen fewer than %d times (counts are then approximate)",
                        level, self.max_vocab_size, prunes, min_reduce - 1)
        len_vocab = int(state[pt.S_UNIGRAMS] + state[pt.S_PAIRS])
        corpus_words = int(state[pt.S_WORDS])
        slots, scores = pt.score_pairs(pkeys, pcounts, unigrams, SCORINGS.index(self.scoring),
                                       float(self.min_count), len_vocab, corpus_words, self.threshold)
        n_nodes = int(state[pt.S_NODES])
        parent = np.zeros(n_nodes + 1, dtype=np.int64)
        conn = np.zeros(n_nodes + 1, dtype=np.int64)
        used = tkeys[:, 0] != pt.EMPTY
        parent[tvals[used]] = tkeys[used, 0]
        conn[tvals[used]] = tkeys[used, 1]
        words = ic.words
        found = []
        for s, score in zip(slots.tolist(), scores.tolist()):
            a, node, b = pkeys[s].tolist()
            mids: list[str] = []
            while node:
                mids.append(words[conn[node]])
                node = int(parent[node])
            found.append(Phrase((words[a], *reversed(mids), words[b]), score, int(pcounts[s]), level))
        found.sort(key=lambda p: (-p.score, p.tokens))
        stats = dict(level=level, tokens_in=corpus_words, distinct_words=int(np.count_nonzero(unigrams)),
                     pairs=int(state[pt.S_PAIRS]), len_vocab=len_vocab, prunes=prunes,
                     min_reduce=min_reduce, phrases=len(found))
        return found, stats

    # -- joining -----------------------------------------------------------------------------
    def _join(self, ic: IdCorpus, found: Sequence[Phrase]) -> None:
        """Rewrite ``ic`` with the phrases of one level joined (compiled, chunk by chunk)."""
        index = ic.index
        a, b, mids, offsets, token_ids = [], [], [], [0], []
        for p in found:
            ids = [index.get(t, -1) for t in p.tokens]
            if min(ids) < 0:
                continue  # a word this corpus does not have: the phrase cannot occur
            a.append(ids[0])
            b.append(ids[-1])
            mids.extend(ids[1:-1])
            offsets.append(len(mids))
            token_ids.append(ic.add_word(p.text(self.delimiter)))
        pkeys, pvals = pt.new_table(max(16, 2 * len(a)))
        tkeys, tvals = pt.new_table(max(16, 2 * len(mids)))
        pt.build_phrase_table(np.array(a, np.int32), np.array(b, np.int32), np.array(offsets, np.int64),
                              np.array(mids, np.int32), np.array(token_ids, np.int64), pkeys, pvals, tkeys, tvals)
        is_conn = self._connector_mask(ic.words)
        out = np.empty(0, dtype=np.int32)

        def join(chunk: np.ndarray) -> np.ndarray:
            nonlocal out
            if out.size < chunk.size:
                out = np.empty(chunk.size, dtype=np.int32)
            return out[: pt.apply_chunk(chunk, is_conn, pkeys, pvals, tkeys, tvals, out)]

        ic.rewrite(join)

    def transform(self, corpus: Iterable[Sequence[str]], workdir: str | os.PathLike[str] | None = None) -> IdCorpus:
        """Join the learned phrases in another corpus; returns an :class:`IdCorpus` (close it)."""
        ic = IdCorpus.encode(_sentences(corpus), workdir)
        try:
            for found in self.levels:
                self._join(ic, found)
            return ic
        except BaseException:
            ic.close()
            raise

    def __getitem__(self, sentence: Sequence[str] | Iterable[Sequence[str]]) -> Any:
        """One sentence (a list of tokens) with its phrases joined; for a corpus (a list of
        sentences), an iterator of joined sentences."""
        if isinstance(sentence, str):
            raise UsageError("phrases[...] takes a list of tokens, not a string")
        if isinstance(sentence, Sequence) and (not sentence or isinstance(sentence[0], str)):
            return self._join_sentence(list(sentence))
        return (self._join_sentence(list(s)) for s in sentence)

    def _join_sentence(self, sentence: list[str]) -> list[str]:
        if self._lookups is None:
            self._lookups = [{p.tokens: p.text(self.delimiter) for p in found} for found in self.levels]
        conn = self.connector_words
        for table in self._lookups:
            out: list[str] = []
            start: str | None = None
            between: list[str] = []
            for w in sentence:
                if w in conn:
                    if start is None:
                        out.append(w)
                    else:
                        between.append(w)
                    continue
                if start is not None:
                    joined = table.get((start, *between, w))
                    if joined is not None:
                        out.append(joined)
                        start, between = None, []
                        continue
                    out.append(start)
                    out.extend(between)
                start, between = w, []
            if start is not None:
                out.append(start)
                out.extend(between)
            sentence = out
        return sentence

    # -- inspection --------------------------------------------------------------------------
    def __len__(self) -> int:
        return sum(len(found) for found in self.levels)

    def top(self, n: int | None = 50, level: int | None = None) -> list[Phrase]:
        """The ``n`` best-scoring phrases (of one level, or of all), best first."""
        pool = [p for found in self.levels for p in found if level is None or p.level == level]
        pool.sort(key=lambda p: (-p.score, p.level, p.tokens))
        return pool if n is None else pool[:n]

    def export_phrases(self) -> dict[str, float]:
        """``{joined phrase: score}`` of every level (gensim's ``export_phrases``)."""
        return {p.text(self.delimiter): p.score for found in self.levels for p in found}

    def settings(self) -> dict[str, Any]:
        return dict(min_count=self.min_count, threshold=self.threshold, scoring=self.scoring,
                    delimiter=self.delimiter, connector_words=sorted(self.connector_words),
                    max_vocab_size=self.max_vocab_size)

    def __repr__(self) -> str:
        sizes = "+".join(str(len(f)) for f in self.levels) or "0"
        return f"Phrases({sizes} phrases, scoring={self.scoring}, threshold={self.threshold:g}, min_count={self.min_count})"

    # -- persistence -------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``.json`` (one document) or ``.tsv`` (a ``#`` settings line, then
        ``level<TAB>tokens<TAB>score<TAB>count`` rows, tokens separated by spaces). No pickle."""
        return save_phrases(self, Path(path))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "Phrases":
        """Read what :meth:`save` wrote."""
        return load_phrases(cls, Path(path))


def _sentences(corpus: Any) -> Iterable[Sequence[str]]:
    """Token lists as given; a path or a list of paths is read with the default tokenizer."""
    if isinstance(corpus, (str, os.PathLike)):
        corpus = [corpus]
    if isinstance(corpus, (list, tuple)) and corpus and all(isinstance(p, (str, os.PathLike)) for p in corpus):
        from .corpus import Corpus

        return Corpus(corpus)
    return corpus
