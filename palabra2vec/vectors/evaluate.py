"""Benchmarks: word-similarity correlation (Spearman, Pearson) and analogy accuracy.

The rules follow gensim's ``KeyedVectors.evaluate_word_pairs`` / ``evaluate_word_analogies``
(themselves word2vec.c's ``compute-accuracy``), so the numbers agree with gensim's on the same
vectors and questions:

* words are compared case-insensitively (both sides upper-cased); when a vocabulary holds
  several case variants, the most frequent one (first in vocabulary order) is used;
* only the first ``restrict_vocab`` words of the vocabulary (the most frequent) count as known;
  a pair or question with any other word is out of vocabulary (OOV): skipped and counted;
* an analogy ``a b c d`` is answered by the best word among the top 5 of
  ``most_similar([b, c], [a], restrict_vocab)`` that is none of a, b, c (3CosAdd), or by
  3CosMul (Levy & Goldberg 2014); accuracy = correct / questions answered.

What we add: files without ``: section`` lines (one section named after the file), tab- or
space-separated pair files (tabs win: SemEval-2017 has multiword entries with spaces),
Latin-1 files, a UTF-8 byte-order mark, and coverage in every result. gensim reads
the BOM as part of the first word, and fails on Latin-1 and section-less analogy files.
A pair of a word with itself (SemEval-2017 has "mojito mojito") scores exactly 1; gensim's
float32 cosine gives 1 plus or minus a few ulps there, which only reorders such ties.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import Palabra2vecError, UsageError
from .word_vectors import WordVectors

log = logging.getLogger(__name__)


# -- reading -------------------------------------------------------------------------------------
def read_text(path: str | os.PathLike[str], encoding: str | None = None) -> list[str]:
    """Lines of an evaluation file: UTF-8 (a BOM is dropped), else Latin-1, unless ``encoding``."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise Palabra2vecError(f"cannot read {p}: {e.strerror or e}") from e
    if encoding:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as e:
            raise Palabra2vecError(f"cannot decode {p} as {encoding}: {e}") from e
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
            log.info("%s is not UTF-8; read as Latin-1", p)
    return text.splitlines()


def _ok_vocab(wv: WordVectors, restrict_vocab: int, case_insensitive: bool) -> dict[str, int]:
    """Known words -> row; upper-cased keys map to their most frequent variant (gensim's rule)."""
    keys = wv.index_to_key[:restrict_vocab]
    if case_insensitive:
        return {k.upper(): i for i, k in reversed(list(enumerate(keys)))}
    return {k: i for i, k in enumerate(keys)}


# -- statistics (numpy only: scipy is not a run-time dependency) ---------------------------------
def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson's r = cov(x, y) / (sd(x) sd(y))."""
    x = np.asarray(x, dtype=np.float64) - np.mean(x)
    y = np.asarray(y, dtype=np.float64) - np.mean(y)
    d = np.sqrt((x @ x) * (y @ y))
    return float(x @ y / d) if d > 0 else float("nan")


def rankdata(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties get the mean of their ranks (scipy's ``rankdata(method="average")``)."""
    x = np.asarray(x)
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    starts = np.r_[0, np.flatnonzero(xs[1:] != xs[:-1]) + 1]  # first index of each tie group
    ends = np.r_[starts[1:], len(xs)]
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return ranks


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho: Pearson's r of the (tie-averaged) ranks."""
    return pearson(rankdata(x), rankdata(y))


# -- word pairs ----------------------------------------------------------------------------------
@dataclass
class PairsResult:
    """Correlation of model cosines with human scores on one word-pair file."""

    path: str
    spearman: float
    pearson: float
    pairs_used: int
    pairs_oov: int  #: pairs skipped because a word is unknown
    lines_skipped: int = 0  #: malformed lines (not "word word number")
    #: pairs scored with a word outside the vocabulary, its vector from n-grams (``oov=True``)
    pairs_from_ngrams: int = 0

    @property
    def in_vocab_coverage(self) -> float:
        """Share of the file's pairs whose two words are in the vocabulary."""
        return (self.pairs_used - self.pairs_from_ngrams) / self.pairs_total if self.pairs_total else 0.0

    @property
    def pairs_total(self) -> int:
        return self.pairs_used + self.pairs_oov

    @property
    def coverage(self) -> float:
        """Share of the file's pairs that were scored (gensim reports 100 - this, as oov_ratio)."""
        return self.pairs_used / self.pairs_total if self.pairs_total else 0.0

    def to_dict(self) -> dict:
        return {"kind": "similarity", "path": self.path, "spearman": self.spearman, "pearson": self.pearson,
                "pairs_used": self.pairs_used, "pairs_oov": self.pairs_oov, "pairs_total": self.pairs_total,
                "coverage": self.coverage, "lines_skipped": self.lines_skipped,
                "pairs_from_ngrams": self.pairs_from_ngrams, "in_vocab_coverage": self.in_vocab_coverage}


def _split_pair(line: str) -> list[str]:
    return [p.strip() for p in line.split("\t")] if "\t" in line else line.split()


def evaluate_word_pairs(
    wv: WordVectors,
    path: str | os.PathLike[str],
    restrict_vocab: int = 300_000,
    case_insensitive: bool = True,
    encoding: str | None = None,
    oov: bool = False,
) -> PairsResult:
    """Spearman and Pearson correlation between human scores and cosine similarities.

    ``oov=True`` (subword models): a pair with a word outside the vocabulary is scored with
    that word's vector from its character n-grams (lowercased, as the vocabulary), as
    fastText's own evaluation would; such pairs are counted in ``pairs_from_ngrams``.

    Lines are ``word1 word2 score``, tab- or space-separated; blank lines and lines starting
    with ``#`` are skipped. Pairs with a word outside the first ``restrict_vocab`` words are
    counted in ``pairs_oov`` and left out.
    """
    ok = _ok_vocab(wv, restrict_vocab, case_insensitive)
    gold: list[float] = []
    model: list[float] = []
    n_oov = skipped = from_ngrams = 0
    for n, line in enumerate(read_text(path, encoding), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = _split_pair(line)
        try:
            a, b, score = parts
            sim = float(score)
        except ValueError:
            log.info("%s:%d: skipping a line that is not 'word word score'", path, n)
            skipped += 1
            continue
        raw_a, raw_b = a, b
        if case_insensitive:
            a, b = a.upper(), b.upper()
        if a not in ok or b not in ok:
            wa = wv.index_to_key[ok[a]] if a in ok else raw_a.lower()
            wb = wv.index_to_key[ok[b]] if b in ok else raw_b.lower()
            if oov and wv.has_vector(wa) and wv.has_vector(wb):
                gold.append(sim)
                model.append(wv.similarity(wa, wb))
                from_ngrams += 1
            else:
                n_oov += 1
            continue
        gold.append(sim)
        if ok[a] == ok[b]:  # a word with itself: exactly 1 (gensim's float32 gives 1 +- a few ulps)
            model.append(1.0 if wv.norms[ok[a]] > 0 else 0.0)
        else:
            model.append(wv.similarity(wv.index_to_key[ok[a]], wv.index_to_key[ok[b]]))
    if not gold:
        raise Palabra2vecError(f"{path}: no word pair could be scored ({n_oov} out of vocabulary, "
                               f"{skipped} malformed lines)")
    g, m = np.array(gold), np.array(model)
    return PairsResult(str(path), spearman(g, m), pearson(g, m), len(gold), n_oov, skipped, from_ngrams)


# -- analogies -----------------------------------------------------------------------------------
@dataclass
class SectionResult:
    """Questions of one ``: section`` of an analogy file."""

    name: str
    correct: int = 0
    incorrect: int = 0
    oov: int = 0  #: questions skipped because a word is unknown

    @property
    def answered(self) -> int:
        return self.correct + self.incorrect

    @property
    def total(self) -> int:
        return self.answered + self.oov

    @property
    def accuracy(self) -> float:
        """correct / answered; 0.0 when nothing was answered (gensim's convention)."""
        return self.correct / self.answered if self.answered else 0.0

    @property
    def coverage(self) -> float:
        return self.answered / self.total if self.total else 0.0

    def to_dict(self) -> dict:
        return {"section": self.name, "correct": self.correct, "answered": self.answered, "oov": self.oov,
                "total": self.total, "accuracy": self.accuracy, "coverage": self.coverage}


@dataclass
class AnalogyResult:
    """Per-section and overall accuracy on one analogy file."""

    path: str
    method: str
    restrict_vocab: int
    sections: list[SectionResult] = field(default_factory=list)
    lines_skipped: int = 0

    @property
    def overall(self) -> SectionResult:
        s = SectionResult("overall")
        for sec in self.sections:
            s.correct += sec.correct
            s.incorrect += sec.incorrect
            s.oov += sec.oov
        return s

    @property
    def accuracy(self) -> float:
        return self.overall.accuracy

    @property
    def coverage(self) -> float:
        return self.overall.coverage

    def to_dict(self) -> dict:
        return {"kind": "analogy", "path": self.path, "method": self.method, "restrict_vocab": self.restrict_vocab,
                **{k: v for k, v in self.overall.to_dict().items() if k != "section"},
                "lines_skipped": self.lines_skipped, "sections": [s.to_dict() for s in self.sections]}


class _Solver:
    """Answers ``a b c ?`` over the first ``restrict_vocab`` rows, as gensim does."""

    def __init__(self, wv: WordVectors, restrict_vocab: int, method: str) -> None:
        self.end = min(restrict_vocab, len(wv))
        self.wv, self.method = wv, method
        norms = wv.norms[: self.end]
        self.norms = np.where(norms > 0, norms, 1.0)
        self.vectors = wv.vectors[: self.end]  # (R, D)
        self.units = wv.unit_vectors[: self.end]  # (R, D)

    def top(self, a: int, b: int, c: int, topn: int) -> list[int]:
        """Rows of the ``topn`` best answers, inputs excluded."""
        if self.method == "add":
            mean = (self.units[b] + self.units[c] - self.units[a]) / 3.0  # gensim's weighted mean
            mean = (mean / np.linalg.norm(mean)).astype(np.float32)
            scores = (self.vectors @ mean) / self.norms  # (R,) cosines
        else:  # 3CosMul, Levy & Goldberg (2014) eq. 4, cosines shifted to [0, 1]
            cos = lambda i: (1.0 + self.units @ self.units[i]) / 2.0  # noqa: E731
            scores = cos(b) * cos(c) / (cos(a) + 1e-6)
        k = min(topn + 3, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [int(i) for i in best if i not in (a, b, c)][:topn]


def evaluate_word_analogies(
    wv: WordVectors,
    path: str | os.PathLike[str],
    restrict_vocab: int = 30_000,
    method: str = "add",
    case_insensitive: bool = True,
    encoding: str | None = None,
) -> AnalogyResult:
    """Accuracy on ``a b c d`` questions ("a is to b as c is to d"), per section and overall.

    ``: name`` lines start sections (Google ``questions-words.txt``); a file without them is one
    section named after the file. ``method``: ``"add"`` (3CosAdd) or ``"mul"`` (3CosMul).
    Questions with a word outside the first ``restrict_vocab`` words are skipped and counted.
    """
    if method not in ("add", "mul"):
        raise UsageError(f"analogy method must be 'add' or 'mul', not {method!r}")
    if restrict_vocab < 1:
        raise UsageError("restrict_vocab must be at least 1")
    ok = _ok_vocab(wv, restrict_vocab, case_insensitive)
    norm = (lambda w: w.upper()) if case_insensitive else (lambda w: w)
    solver = _Solver(wv, restrict_vocab, method)
    result = AnalogyResult(str(path), method, restrict_vocab)
    section: SectionResult | None = None
    for n, line in enumerate(read_text(path, encoding), 1):
        if line.startswith(": "):
            section = SectionResult(line[2:].strip())
            result.sections.append(section)
            continue
        words = [norm(w) for w in line.split()]
        if len(words) != 4:
            if line.strip():
                result.lines_skipped += 1
                log.info("%s:%d: skipping a line that is not four words", path, n)
            continue
        if section is None:
            section = SectionResult(Path(path).stem)
            result.sections.append(section)
        a, b, c, expected = words
        if not all(w in ok for w in words):
            section.oov += 1
            continue
        ignore = {a, b, c}
        predicted = None
        for row in solver.top(ok[a], ok[b], ok[c], topn=5):
            predicted = norm(wv.index_to_key[row])
            if predicted in ok and predicted not in ignore:  # another case variant of an input: next
                break
        if predicted == expected:
            section.correct += 1
        else:
            section.incorrect += 1
    if not result.sections or result.overall.total == 0:
        raise Palabra2vecError(f"{path}: no analogy questions found (expected lines of four words 'a b c d')")
    return result
