"""Per-round thread-CPU imbalance of the deterministic subword rounds: the trainer's items of one
epoch of corpus-es run one after another on one thread (slots alternating, merged after each
pair), and the thread-CPU difference of each round's two items summed.

    .venv/bin/python benchmarks/subword_round_balance.py [TREE]   # TREE: a palabra2vec checkout (default: this one)

Used for benchmarks/RESULTS.md, round 5 ("Subword rounds cut by expected cost").
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).resolve().parent.parent))
from palabra2vec.config import TrainConfig
from palabra2vec.training.train import Trainer
from palabra2vec.text.encoded import encode_corpus
from palabra2vec.word2vec import as_corpus
cfg = TrainConfig(subwords=True, vector_size=100, window=5, negative=5, sample=1e-4, min_count=5, epochs=1,
                  alpha=0.025, min_alpha=0.0001, threads=2, seed=1, backend="fast", tokenizer="whitespace")
vocab, enc = encode_corpus(as_corpus("/tmp/palabra2vec-bench/corpus-es.txt", cfg), cfg.min_count, None)
tr = Trainer(vocab, cfg, progress=False, corpus_words=enc.raw_words)
tr.state.words_total = enc.n_words
tr.item_words = tr.chunk_words(enc)
if hasattr(tr, "item_costs"):
    from palabra2vec.training.balance import subword_costs
    tr.item_costs = subword_costs(tr.keep, tr.ngram_layout.offsets, cfg.window + 1 + cfg.negative)
b = tr.backend
cpu = []
for i, chunk in tr._items(enc):
    t = time.thread_time()
    b.train_item(chunk, 0.025, 0.02, 1000 + i, i % 2)
    cpu.append(time.thread_time() - t)
    if i % 2 == 1:
        b.end_round(None)
imb = [abs(cpu[r] - cpu[r + 1]) for r in range(0, len(cpu) - 1, 2)]
print(f"items {len(cpu)} cpu {sum(cpu):.2f} imbalance sum {sum(imb):.3f} max {max(imb):.3f}")
