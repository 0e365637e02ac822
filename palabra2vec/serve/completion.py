"""Completion as you type: vocabulary words by prefix, accents and case ignored, most frequent first."""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Sequence

import numpy as np


def fold(text: str) -> str:
    """``text`` without case or diacritics: NFD, combining marks dropped, casefolded.

    ``fold("Canción") == "cancion"``, ``fold("AÑO") == "ano"``: a user typing on a keyboard
    without accents still finds the word.
    """
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


class PrefixIndex:
    """Vocabulary words sorted by their folded form, for prefix look-ups in O(log V + matches).

    Rows are ranks: row 0 is the most frequent word (model directories and word2vec files
    are written most frequent first), so "most frequent first" is "smallest row first".
    """

    def __init__(self, words: Sequence[str]) -> None:
        folded = [fold(w) for w in words]
        order = sorted(range(len(folded)), key=folded.__getitem__)
        self._keys: list[str] = [folded[i] for i in order]  # sorted folded forms
        self._rows = np.asarray(order, dtype=np.int64)  # self._rows[j]: the row whose folded form is _keys[j]
        self._words = words

    def _range(self, folded_prefix: str) -> tuple[int, int]:
        lo = bisect.bisect_left(self._keys, folded_prefix)
        hi = bisect.bisect_left(self._keys, folded_prefix + "\U0010ffff", lo)
        return lo, hi

    def complete(self, prefix: str, limit: int = 10) -> list[str]:
        """Up to ``limit`` words whose folded form starts with ``fold(prefix)``, most frequent first."""
        key = fold(prefix)
        if not key or limit < 1:
            return []
        lo, hi = self._range(key)
        rows = self._rows[lo:hi]
        if len(rows) > limit:  # the `limit` smallest rows without sorting all matches
            rows = np.partition(rows, limit - 1)[:limit]
        return [self._words[int(r)] for r in np.sort(rows)]

    def same_folded(self, word: str, limit: int = 5) -> list[str]:
        """Vocabulary words that equal ``word`` once accents and case are ignored
        (``cancion`` -> ``canción``), most frequent first."""
        key = fold(word)
        lo = bisect.bisect_left(self._keys, key)
        hi = bisect.bisect_right(self._keys, key, lo)
        rows = np.sort(self._rows[lo:hi])[:limit]
        return [self._words[int(r)] for r in rows]
