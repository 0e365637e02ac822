"""Vocabulary: word counts, ``min_count``, frequency-sorted ids, save/load."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ..errors import Palabra2vecError, UnknownWordError


_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_UNESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}


def escape_word(word: str) -> str:
    """Backslash, tab, newline and carriage return written as two-character escapes
    (backslash + ``\\ t n r``), so that a word always fits one line of ``vocab.tsv``."""
    if not any(ch in word for ch in "\\\t\n\r"):
        return word
    return "".join(_ESCAPES.get(ch, ch) for ch in word)


def unescape_word(text: str, where: str = "vocabulary") -> str:
    """The inverse of :func:`escape_word`."""
    if "\\" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            nxt = text[i + 1 : i + 2]
            if nxt not in _UNESCAPES:
                raise Palabra2vecError(f"{where}: malformed vocabulary line (bad escape \\{nxt})")
            out.append(_UNESCAPES[nxt])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class Vocab:
    """Words sorted by descending count (ties: first seen first), as gensim orders them."""

    def __init__(self, words: Sequence[str], counts: Sequence[int] | np.ndarray) -> None:
        if len(words) != len(counts):
            raise ValueError("words and counts differ in length")
        self.index_to_key: list[str] = list(words)
        self.counts = np.asarray(counts, dtype=np.int64)
        self.key_to_index: dict[str, int] = {w: i for i, w in enumerate(self.index_to_key)}
        if len(self.key_to_index) != len(self.index_to_key):
            raise Palabra2vecError("vocabulary has duplicate words")

    @classmethod
    def select(cls, words: Sequence[str], counts: Sequence[int] | np.ndarray, min_count: int) -> tuple["Vocab", np.ndarray]:
        """The one vocabulary rule: keep words with count >= min_count, most frequent first, ties
        in the order given (first seen first). Returns the vocabulary and, per kept word, its
        index in ``words`` (empty vocabulary when nothing is kept)."""
        counts = np.asarray(counts, dtype=np.int64)
        order = np.argsort(-counts, kind="stable")
        order = order[counts[order] >= min_count]
        return cls([words[i] for i in order.tolist()], counts[order]), order

    @classmethod
    def from_counts(cls, counts: dict[str, int] | Counter, min_count: int = 1) -> "Vocab":
        """Keep words with count >= min_count, most frequent first (insertion order on ties)."""
        return cls.select(list(counts), list(counts.values()), min_count)[0]

    @classmethod
    def build(cls, sentences: Iterable[Sequence[str]], min_count: int = 1) -> "Vocab":
        """Count every token of ``sentences`` and keep those seen >= min_count times."""
        counter: Counter[str] = Counter()
        for s in sentences:
            counter.update(s)
        return cls.from_counts(counter, min_count)

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, word: object) -> bool:
        return word in self.key_to_index

    def __getitem__(self, word: str) -> int:
        try:
            return self.key_to_index[word]
        except KeyError:
            raise UnknownWordError(word, self.suggest(word)) from None

    @property
    def total(self) -> int:
        """Number of in-vocabulary tokens in the corpus."""
        return int(self.counts.sum())

    def count(self, word: str) -> int:
        return int(self.counts[self[word]])

    def frequencies(self) -> np.ndarray:
        """Relative frequency f(w) = count(w) / total, as float64."""
        return self.counts / max(1, self.total)

    def suggest(self, word: str, n: int = 3) -> list[str]:
        """Close vocabulary entries for a misspelt or unknown word (difflib)."""
        import difflib

        lower = word.lower()
        if lower != word and lower in self.key_to_index:
            return [lower]
        candidates = self.index_to_key[:50_000]
        return difflib.get_close_matches(word, candidates, n=n, cutoff=0.75)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Ids of the in-vocabulary tokens (unknown ones are skipped)."""
        k2i = self.key_to_index
        return [k2i[t] for t in tokens if t in k2i]

    def most_common(self, n: int = 10) -> list[tuple[str, int]]:
        return [(self.index_to_key[i], int(self.counts[i])) for i in range(min(n, len(self)))]

    # -- persistence: one "word<TAB>count" line per word, most frequent first -------------
    def to_tsv(self) -> str:
        """``word<TAB>count`` lines, words escaped (:func:`escape_word`) so any word round-trips."""
        return "".join(f"{escape_word(w)}\t{c}\n" for w, c in zip(self.index_to_key, self.counts.tolist()))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_tsv` to ``path`` (read it back with ``load(path, escaped=True)``)."""
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(self.to_tsv())

    @classmethod
    def load(cls, path: str | os.PathLike[str], escaped: bool = True) -> "Vocab":
        """Read ``word<TAB>count`` lines; ``escaped=False`` for files of palabra2vec versions
        that wrote words raw. A UTF-8 byte-order mark is skipped."""
        words, counts = [], []
        try:
            with open(path, encoding="utf-8-sig", newline="\n") as f:
                for n, line in enumerate(f, 1):
                    parts = line[:-1].split("\t") if line.endswith("\n") else line.split("\t")
                    if len(parts) != 2 or not parts[1].isascii() or not parts[1].isdigit():
                        raise Palabra2vecError(f"{path}:{n}: malformed vocabulary line")
                    if len(parts[1]) > 18:  # more than int64 holds, or more words than exist
                        raise Palabra2vecError(f"{path}:{n}: count {parts[1][:30]} is too large")
                    words.append(unescape_word(parts[0], f"{path}:{n}") if escaped else parts[0])
                    counts.append(int(parts[1]))
        except (OSError, UnicodeDecodeError) as e:
            raise Palabra2vecError(f"cannot read vocabulary {Path(path)}: {e}") from e
        return cls(words, counts)

    def __repr__(self) -> str:
        return f"Vocab({len(self)} words, {self.total} tokens)"
