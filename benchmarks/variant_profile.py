"""Thread CPU time of the CBOW / hierarchical-softmax kernel, deterministic rounds vs Hogwild.

    .venv/bin/python benchmarks/variant_profile.py CORPUS.txt '{"model": "cbow", "hs": true}' ... [--reps 2]

CORPUS.txt is pre-tokenized (compare_gensim.py writes one; a slice such as the first 20 files
keeps it short). Each JSON argument is a TrainConfig (2 threads, whitespace tokenizer unless it
says otherwise). On one thread, one epoch: *deterministic* runs the trainer's work items two by
two on slots 0 and 1 and merges after each pair (``end_round`` without a pool), *hogwild* the
same items on the shared tables; prints kernel and merge seconds of thread CPU time (best of
``--reps``, after a compile run), so the figures hold up on a loaded machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from palabra2vec import TrainConfig  # noqa: E402
from palabra2vec.text.encoded import encode_corpus  # noqa: E402
from palabra2vec.training.train import Trainer  # noqa: E402
from palabra2vec.word2vec import as_corpus  # noqa: E402


def one_epoch(vocab, encoded, config: TrainConfig) -> tuple[float, float, int]:
    """(kernel s, merge s, work items) of one epoch, thread CPU time."""
    trainer = Trainer(vocab, config, progress=False, corpus_words=encoded.raw_words)
    backend = trainer.backend
    size = trainer.chunk_words(encoded)
    total = encoded.n_words
    kernel = merge = 0.0
    items, done, pair = 0, 0, []
    for i, chunk in enumerate(encoded.chunks(size)):
        n = int((chunk >= 0).sum())
        a0 = config.alpha - (config.alpha - config.min_alpha) * done / total
        a1 = config.alpha - (config.alpha - config.min_alpha) * (done + n) / total
        done += n
        slot = (i % 2) if backend.deterministic else None
        t = time.thread_time()
        backend.train_item(chunk, a0, a1, 1000 + i, slot)
        kernel += time.thread_time() - t
        items += 1
        if backend.deterministic and slot == 1:
            t = time.thread_time()
            backend.end_round(None)
            merge += time.thread_time() - t
    if backend.deterministic:
        t = time.thread_time()
        backend.end_round(None)
        merge += time.thread_time() - t
    return kernel, merge, items


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("corpus")
    p.add_argument("specs", nargs="+")
    p.add_argument("--reps", type=int, default=2)
    p.add_argument("--round-words", type=int, default=None,
                   help="words per work item in deterministic rounds (default: the trainer's choice)")
    p.add_argument("--hogwild", choices=("both", "no", "yes"), default="both", help="which thread schemes to time")
    a = p.parse_args()
    if a.round_words:
        Trainer.chunk_words = lambda self, encoded: a.round_words
    base = TrainConfig(tokenizer="whitespace", threads=2, epochs=1, min_count=5).resolve()
    vocab, encoded = encode_corpus(as_corpus(a.corpus, base), base.min_count, None)
    print(f"{encoded.n_words:,} ids, {len(vocab):,} words")
    for spec in a.specs:
        kw = json.loads(spec)
        for hog in {"both": (False, True), "no": (False,), "yes": (True,)}[a.hogwild]:
            config = TrainConfig(**{"tokenizer": "whitespace", "threads": 2, "epochs": 1, **kw, "hogwild": hog})
            runs = [one_epoch(vocab, encoded, config) for _ in range(a.reps + 1)][1:]
            k, m, n = min(runs, key=lambda r: r[0] + r[1])
            mode = "hogwild" if hog else "deterministic"
            print(f"{spec:40s} {mode:13s} kernel {k:6.2f} s  merge {m:5.2f} s  items {n}")


if __name__ == "__main__":
    main()
