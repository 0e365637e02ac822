"""Where the time of subword training goes, deterministic rounds vs Hogwild: per work item its
wall and thread CPU time, per round the merge and how long the faster thread waited.

    .venv/bin/python benchmarks/profile_subword_rounds.py            # deterministic, 1 epoch
    .venv/bin/python benchmarks/profile_subword_rounds.py hog e=2    # --hogwild, 2 epochs

Trains corpus-es (the pre-tokenized copy compare_fasttext.py writes) with compare_fasttext.py's
settings; ``ITEM=494000`` in the environment sets the words per work item. Thread CPU time is
the figure to compare under load; wall times need a quiet machine.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from palabra2vec.config import TrainConfig  # noqa: E402
from palabra2vec.training import fast_backend as fb  # noqa: E402
from palabra2vec.word2vec import Word2Vec  # noqa: E402

items, merges = [], []
o_item, o_merge = fb.FastBackend.train_item, fb.FastBackend.end_round


def item(self, *a, **k):
    t0, c0 = time.perf_counter(), time.thread_time()
    r = o_item(self, *a, **k)
    items.append((t0, time.perf_counter(), time.thread_time() - c0))
    return r


def merge(self, *a, **k):
    t0 = time.perf_counter()
    r = o_merge(self, *a, **k)
    merges.append((t0, time.perf_counter()))
    return r


fb.FastBackend.train_item, fb.FastBackend.end_round = item, merge
hog = "hog" in sys.argv
if os.environ.get("ITEM"):
    fb.FastBackend.item_words = int(os.environ["ITEM"])
ep = int(next((a[2:] for a in sys.argv if a.startswith("e=")), 1))
cfg = TrainConfig(subwords=True, vector_size=100, window=5, negative=5, sample=1e-4, min_count=5, epochs=ep,
                  alpha=0.025, min_alpha=0.0001, threads=2, seed=1, backend="fast", hogwild=hog, tokenizer="whitespace")
m = Word2Vec.train(os.environ.get("CORPUS", "/tmp/palabra2vec-bench/corpus-es.txt"), cfg, progress=False)
train = m.info["seconds_train"]
busy = sum(e - s for s, e, _ in items)
cpu = sum(c for *_, c in items)
print("hog" if hog else "det", f"train {train:.2f} items {len(items)} item_wall_sum {busy:.2f} item_cpu_sum {cpu:.2f} "
      f"merge {sum(e - s for s, e in merges):.2f} parallel_eff {busy / (2 * train):.2f} cpu/wall-in-items {cpu / busy:.2f}")
if not hog:  # per round of two items: how long the faster one's thread waited for the other
    gaps = [abs(items[r][1] - items[r + 1][1]) for r in range(0, len(items) - 1, 2)]
    print(f"round straggle sum {sum(gaps):.2f} s over {len(gaps)} rounds; max {max(gaps):.3f}")
    cpu_gaps = [abs(items[r][2] - items[r + 1][2]) for r in range(0, len(items) - 1, 2)]
    print(f"round thread-CPU imbalance sum {sum(cpu_gaps):.2f} s (the work a faster thread lacks, load-independent); "
          f"max {max(cpu_gaps):.3f}")
