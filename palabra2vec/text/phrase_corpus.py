"""A corpus as word ids on disk, for phrase detection: every token kept, phrases added as words.

Unlike :mod:`palabra2vec.text.encoded` (which drops words under ``min_count``), phrase
detection needs every token: gensim's scores count all of them. The ids (int32, ``-1``
between sentences) go to a temporary file; each pass reads it in bounded chunks that end at
sentence ends and writes the joined stream to a new file. The string table (word -> id) grows
with the distinct words and the phrases found, like any vocabulary.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import tempfile
import weakref
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
from ..training.jit import njit

from ..errors import Palabra2vecError
from .encoded import sentence_chunks

log = logging.getLogger(__name__)

_FLUSH = 1 << 18  # ids buffered in Python before they go to disk
#: Ids per chunk a pass reads (a chunk is extended to the end of its last sentence).
CHUNK_IDS = 1 << 21


@njit(cache=True)
def _render(ids, blob, offsets, out):
    """UTF-8 text of ``ids``: words separated by spaces, a newline at each ``-1``."""
    k = 0
    first = True
    for i in range(ids.shape[0]):
        w = ids[i]
        if w < 0:
            out[k] = 10  # "\n"
            k += 1
            first = True
            continue
        if not first:
            out[k] = 32  # " "
            k += 1
        first = False
        for j in range(offsets[w], offsets[w + 1]):
            out[k] = blob[j]
            k += 1
    return k


class IdCorpus:
    """Token ids of a corpus in a temporary file, plus the word list they index."""

    def __init__(self, workdir: str | os.PathLike[str] | None = None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="palabra2vec-phrases-", dir=workdir))
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self.dir), True)  # also if never closed
        self.words: list[str] = []
        #: word -> id; a new key gets the next id (so ``index[w]`` adds ``w``: use ``get`` to look up)
        self.index: defaultdict[str, int] = defaultdict(itertools.count().__next__)
        self.path = self.dir / "ids-0.i32"
        self.n_ids = 0
        self.n_sentences = 0
        self._generation = 0

    @classmethod
    def encode(cls, sentences: Iterable[Sequence[str]], workdir: str | os.PathLike[str] | None = None) -> "IdCorpus":
        """Read ``sentences`` once and write their ids (first-seen order) to disk."""
        self = cls(workdir)
        try:
            get_id = self.index.__getitem__
            buf: list[int] = []
            with open(self.path, "wb") as out:
                for sentence in sentences:
                    if isinstance(sentence, str):
                        raise Palabra2vecError("a corpus is a sequence of sentences (lists of tokens), not of strings")
                    buf.extend(map(get_id, sentence))
                    buf.append(-1)
                    self.n_sentences += 1
                    if len(buf) >= _FLUSH:
                        np.array(buf, dtype=np.int32).tofile(out)
                        self.n_ids += len(buf)
                        buf = []
                np.array(buf, dtype=np.int32).tofile(out)
                self.n_ids += len(buf)
            self.words = list(self.index)
            if not self.words:
                raise Palabra2vecError("the corpus is empty: no words found")
            log.info("phrases: read %d tokens in %d sentences, %d distinct",
                     self.n_ids - self.n_sentences, self.n_sentences, len(self.words))
            return self
        except BaseException:
            self.close()
            raise

    def add_word(self, word: str) -> int:
        """The id of ``word``, added to the table if new (a phrase token)."""
        i = self.index[word]
        if i == len(self.words):
            self.words.append(word)
        return i

    def chunks(self, chunk_ids: int = CHUNK_IDS) -> Iterator[np.ndarray]:
        """The id stream in int32 arrays of whole sentences, about ``chunk_ids`` ids each."""
        return sentence_chunks(self.path, chunk_ids, cut_long=False)

    def rewrite(self, transform) -> None:
        """Replace the stream by ``transform(chunk)`` of each chunk (a new file)."""
        self._generation += 1
        new_path = self.dir / f"ids-{self._generation}.i32"
        n = 0
        with open(new_path, "wb") as out:
            for chunk in self.chunks():
                res = transform(chunk)
                res.tofile(out)
                n += res.size
        self.path.unlink()
        self.path, self.n_ids = new_path, n

    def sentences(self) -> Iterator[list[str]]:
        """The sentences as lists of strings."""
        words = np.array(self.words, dtype=object)
        for chunk in self.chunks(1 << 18):
            seps = np.flatnonzero(chunk < 0)
            tokens = words[np.maximum(chunk, 0)].tolist()
            begin = 0
            for end in seps.tolist():
                yield tokens[begin:end]
                begin = end + 1

    def write_text(self, path: str | os.PathLike[str]) -> int:
        """Write one sentence per line, tokens separated by one space; return the tokens written."""
        encoded = [w.encode("utf-8") for w in self.words]
        blob = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(b) for b in encoded], out=offsets[1:])
        lengths = np.diff(offsets)
        written = 0
        with open(path, "wb") as f:
            for chunk in self.chunks(1 << 20):
                size = int(lengths[chunk[chunk >= 0]].sum()) + chunk.size  # one space or newline each
                buf = np.empty(size, dtype=np.uint8)
                n = _render(chunk, blob, offsets, buf)
                f.write(buf[:n].tobytes())
                written += int(np.count_nonzero(chunk >= 0))
        return written

    def close(self) -> None:
        """Delete the temporary files."""
        self._cleanup()

    def __enter__(self) -> "IdCorpus":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
