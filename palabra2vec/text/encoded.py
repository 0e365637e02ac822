"""The corpus as a stream of word ids on disk: read once, trained on for every epoch.

One pass over the text counts the words and writes provisional ids (order of first
appearance) to a temporary file; once the vocabulary is known the file is rewritten with
final ids, rare words dropped and ``-1`` between sentences. Epochs then read bounded chunks
of int32 ids, so memory does not grow with the corpus.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ..errors import Palabra2vecError
from .vocab import Vocab

log = logging.getLogger(__name__)

_FLUSH = 1 << 18  # ids buffered in Python before they go to disk


class EncodedCorpus:
    """Word ids (int32) of a corpus in a file, sentences separated by ``-1``."""

    def __init__(self, path: Path, n_ids: int, raw_words: int, n_sentences: int,
                 n_distinct: int = 0, owns_dir: Path | None = None) -> None:
        self.path = path
        self.n_distinct = n_distinct  #: distinct tokens in the text, before min_count
        self.n_ids = n_ids  #: ids in the file, separators included
        self.raw_words = raw_words  #: tokens in the text, out-of-vocabulary ones included
        self.n_sentences = n_sentences
        self._owns_dir = owns_dir
        self._lock: Any = None  #: the work directory's DirectoryLock, released by close()

    @property
    def n_words(self) -> int:
        """In-vocabulary tokens (separators excluded)."""
        return self.n_ids - self.n_sentences

    def chunks(self, chunk_words: int = 1 << 16, start: int = 0) -> Iterator[np.ndarray]:
        """Consecutive int32 arrays of about ``chunk_words`` ids each, every one ending at a
        sentence boundary (a sentence longer than a chunk is cut), from id offset ``start``."""
        return sentence_chunks(self.path, chunk_words, start)

    def sentence_lengths(self) -> np.ndarray:
        """Length of every sentence (in in-vocabulary tokens)."""
        out = []
        for chunk in self.chunks(1 << 20):
            seps = np.flatnonzero(chunk < 0)
            starts = np.concatenate([[-1], seps[:-1]])
            out.append(seps - starts - 1)
            if chunk.size and chunk[-1] >= 0:  # a cut sentence (only at the very end)
                out.append(np.array([chunk.size - 1 - (seps[-1] if seps.size else -1)]))
        return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)

    def close(self) -> None:
        """Delete the temporary files."""
        if self._owns_dir is not None:
            shutil.rmtree(self._owns_dir, ignore_errors=True)
            self._owns_dir = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> "EncodedCorpus":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()



def sentence_chunks(path: str | os.PathLike[str], size: int, start: int = 0,
                    cut_long: bool = True) -> Iterator[np.ndarray]:
    """An int32 id file (-1 after each sentence) in arrays of about ``size`` ids that end at
    sentence boundaries, from id offset ``start``. A sentence longer than a chunk is cut when
    ``cut_long`` (training), else read on until it ends (phrases need whole sentences)."""
    with open(path, "rb") as f:
        f.seek(start * 4)
        carry = np.empty(0, dtype=np.int32)
        while True:
            block = np.fromfile(f, dtype=np.int32, count=size)
            if block.size == 0:
                break
            block = np.concatenate([carry, block]) if carry.size else block
            seps = np.flatnonzero(block < 0)
            if seps.size == 0 and not cut_long:  # one sentence longer than a chunk: read on
                carry = block
                continue
            if seps.size == 0 or (cut_long and block.size < size // 2):
                yield block
                carry = block[:0]
                continue
            cut = int(seps[-1]) + 1
            yield block[:cut]
            carry = block[cut:]
        if carry.size:
            yield carry


def count_sentences(sentences: Iterable[Sequence[str]], out: BinaryIO,
                    on_progress: Callable[[int], None] | None = None) -> tuple[list[str], np.ndarray, int, int]:
    """The readable vocabulary pass: count the tokens of ``sentences`` and write provisional ids
    (order of first sighting, ``-1`` after each sentence) to ``out``. Returns (words in id
    order, their counts, tokens, sentences). One dictionary look-up per token; a
    :class:`~palabra2vec.text.corpus.Corpus` is read by the compiled
    :func:`palabra2vec.text.fast_encode.count_corpus` instead, which gives the same."""
    index: dict[str, int] = {}
    setdefault = index.setdefault
    counts = np.zeros(0, dtype=np.int64)
    buf: list[int] = []
    raw_words = n_sentences = 0

    def flush() -> None:
        nonlocal counts, buf
        arr = np.array(buf, dtype=np.int32)
        arr.tofile(out)
        if len(index) > counts.size:
            counts = np.concatenate([counts, np.zeros(len(index) - counts.size, np.int64)])
        counts += np.bincount(arr[arr >= 0], minlength=counts.size)
        buf = []

    for sentence in sentences:
        buf.extend([setdefault(w, len(index)) for w in sentence])
        buf.append(-1)
        raw_words += len(sentence)
        n_sentences += 1
        if len(buf) >= _FLUSH:
            if on_progress:
                on_progress(len(buf))
            flush()
    if on_progress:
        on_progress(len(buf))
    flush()
    return list(index), counts, raw_words, n_sentences


def encode_corpus(
    sentences: Iterable[Sequence[str]],
    min_count: int = 5,
    workdir: str | os.PathLike[str] | None = None,
    on_progress: Callable[[int], None] | None = None,
    compiled: bool = True,
) -> tuple[Vocab, EncodedCorpus]:
    """Count and encode ``sentences`` in one pass; return the vocabulary and the id stream.

    ``on_progress(n)`` is called with the number of ids written since the last call. A
    :class:`~palabra2vec.text.corpus.Corpus` is counted by compiled code unless ``compiled``
    is False (same result: :func:`count_sentences` is the readable reference).
    """
    from ..locking import DirectoryLock, remove_dead_workdirs
    from ..training.fast import AVAILABLE
    from .corpus import Corpus

    parent = Path(workdir) if workdir is not None else Path(tempfile.gettempdir())
    remove_dead_workdirs(parent)  # left by runs that were killed
    try:
        tmp = Path(tempfile.mkdtemp(prefix="palabra2vec-", dir=parent))
        lock = DirectoryLock(tmp, "palabra2vec's encoded corpus").acquire()  # alive while it is held
    except OSError as e:
        raise Palabra2vecError(f"cannot write the encoded corpus into {parent}: {e.strerror or e} "
                               "(set TMPDIR to a directory with room)") from e
    try:
        prov_path = tmp / "provisional.i32"
        with open(prov_path, "wb") as out:
            if compiled and AVAILABLE and isinstance(sentences, Corpus):
                from .fast_encode import count_corpus

                words, counts, raw_words, n_sentences = count_corpus(sentences, out, on_progress)
            else:
                words, counts, raw_words, n_sentences = count_sentences(sentences, out, on_progress)
        if raw_words == 0:
            raise Palabra2vecError("the corpus is empty: no words found")
        vocab, order = Vocab.select(words, counts, min_count)
        if order.size == 0:
            raise Palabra2vecError(
                f"no word occurs at least min_count={min_count} times "
                f"({len(words)} distinct words, the most frequent {int(counts.max())} times)"
            )
        del words
        remap = np.full(counts.size + 1, -2, dtype=np.int32)  # provisional id -> final id
        remap[order] = np.arange(order.size, dtype=np.int32)
        remap[-1] = -1  # so that remap[-1], the sentence end, is -1 again
        final_path = tmp / "ids.i32"
        n_ids = 0
        with open(prov_path, "rb") as src, open(final_path, "wb") as dst:
            while True:
                block = np.fromfile(src, dtype=np.int32, count=1 << 22)
                if block.size == 0:
                    break
                mapped = remap[block]
                mapped = mapped[mapped != -2]
                mapped.tofile(dst)
                n_ids += mapped.size
        prov_path.unlink()
        log.info("encoded %d tokens, %d sentences; vocabulary %d words", raw_words, n_sentences, len(vocab))
        enc = EncodedCorpus(final_path, n_ids, raw_words, n_sentences, counts.size, owns_dir=tmp)
        enc._lock = lock
        return vocab, enc
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        lock.release()
        raise Palabra2vecError(f"cannot write the encoded corpus into {parent}: {e.strerror or e} "
                               "(set TMPDIR to a directory with room)") from e
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        lock.release()
        raise
