"""Where the time and memory of ``palabra2vec train`` go, phase by phase, in one process.

    .venv/bin/python benchmarks/profile_phases.py FILE [--threads 2] [--epochs 5]

FILE is a pre-tokenized corpus (one sentence per line; compare_gensim.py writes one to
/tmp/palabra2vec-bench/). Prints seconds and resident memory after each phase: imports,
reading+counting+encoding, trainer set-up (numba compile or cache load), training, saving.
"""

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

T0 = time.perf_counter()


def rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) in MB."""
    with open("/proc/self/statm") as f:
        cur = int(f.read().split()[1]) * resource.getpagesize() / 2**20
    return cur, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(phase: str, t: float) -> float:
    now = time.perf_counter()
    cur, peak = rss_mb()
    print(f"{phase:<34} {now - t:7.2f} s   RSS {cur:6.0f} MB   peak {peak:6.0f} MB", flush=True)
    return now


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=5)
    a = p.parse_args()
    t = T0
    import numpy  # noqa: F401
    t = report("import numpy", t)
    from palabra2vec.training import fast  # noqa: F401  (numba)
    t = report("import palabra2vec (numba; no torch on the fast path)", t)
    from palabra2vec.config import TrainConfig
    from palabra2vec.text.corpus import Corpus
    from palabra2vec.text.encoded import encode_corpus
    from palabra2vec.training.train import Trainer
    from palabra2vec.word2vec import Word2Vec
    t = report("import the rest", t)
    cfg = TrainConfig(tokenizer="whitespace", threads=a.threads, epochs=a.epochs, backend="fast").validate()
    vocab, enc = encode_corpus(Corpus([a.file], "whitespace", max_sentence_length=cfg.max_sentence_length), cfg.min_count)
    t = report(f"read+count+encode ({enc.raw_words / 1e6:.1f}M words)", t)
    trainer = Trainer(vocab, cfg, progress=False)
    t = report("trainer set-up (tables, noise)", t)
    chunk = next(enc.chunks(1024))
    trainer.backend.train_item(chunk, 0.0, 0.0, 1)  # alpha 0: no change, compiles or loads
    t = report("numba kernel compile/cache load", t)
    state = trainer.train(enc)
    t = report(f"training ({state.words_per_second / 1e6:.2f}M words/s)", t)
    model = Word2Vec(cfg, vocab, trainer.tables(), {}, state.history)
    with tempfile.TemporaryDirectory() as d:
        model.save(Path(d) / "m")
        t = report("saving", t)
    enc.close()
    report("total", T0)


if __name__ == "__main__":
    sys.exit(main())
