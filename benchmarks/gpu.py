"""The PyTorch paths on a GPU: words/s and quality of the batched (shared-negative) backend and
of the readable autograd backend, on the pre-tokenized Spanish benchmark corpus.

    python benchmarks/gpu.py --corpus corpus-es.txt.gz --eval-dir EVAL [--epochs 5] [--out DIR]

``--corpus``: the corpus as ``compare_gensim.py`` pre-tokenizes it (one sentence per line,
``.gz`` accepted). ``--eval-dir``: ``MSL.txt``, ``ES_SEMEVAL17.txt`` and ``analogy/GA*.txt``
from ``../shared/data/eval/es``. The corpus is read and encoded once; each run then trains
from fresh tables (training time only, after a warm-up item; words/s = raw corpus words x
epochs / training seconds), and is evaluated with palabra2vec's evaluator (the same numbers as
gensim's, see tests/test_evaluate.py): analogy accuracy over all GA questions whose words are
known (3CosAdd, top 300,000 words), Spearman on MSL and SemEval17.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# the readable backend's variants that --readable can time (TrainConfig fields)
READABLE_VARIANTS: dict[str, dict] = {
    "words": {},
    "subwords": {"subwords": True},
    "cbow": {"model": "cbow", "alpha": 0.05},
    "hs": {"hs": True, "negative": 0},
    "subwords-cbow-hs": {"subwords": True, "model": "cbow", "hs": True, "negative": 0, "alpha": 0.05},
}


def quality(wv, eval_dir: Path) -> dict[str, float]:
    from palabra2vec.vectors.evaluate import evaluate_word_analogies, evaluate_word_pairs

    correct = answered = 0
    for f in sorted((eval_dir / "analogy").glob("GA*.txt")):
        o = evaluate_word_analogies(wv, f, restrict_vocab=300_000).overall
        correct, answered = correct + o.correct, answered + o.answered
    res = {"analogy": 100.0 * correct / max(1, answered)}
    for name, f in (("MSL", "MSL.txt"), ("SEMEVAL17", "ES_SEMEVAL17.txt")):
        res[name] = evaluate_word_pairs(wv, eval_dir / f, restrict_vocab=300_000).spearman
    return res


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", required=True)
    p.add_argument("--eval-dir", required=True)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--device", default="cuda")
    p.add_argument("--readable-words", type=int, default=400_000,
                   help="corpus words for the readable torch backend's run (it is slow)")
    p.add_argument("--runs", default="batched:16384:512:sum-eff",
                   help="batched runs as backend:pairs_per_batch:shared_negatives:row_scale[:graphs=0|1]"
                        "[:tf32=0|1][:item=WORDS][:loss=EVERY][:alpha=A], comma-separated")
    p.add_argument("--readable", default="words",
                   help="variants of the readable torch backend to time, comma-separated: "
                        + ", ".join(READABLE_VARIANTS) + " ('' for none)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default=None, help="directory for results.json")
    args = p.parse_args()

    import torch

    import palabra2vec.training.batched_backend as bb
    from palabra2vec import TrainConfig
    from palabra2vec.text.corpus import Corpus
    from palabra2vec.text.encoded import encode_corpus
    from palabra2vec.training.train import Trainer
    from palabra2vec.variants import word_vectors

    dev = torch.device(args.device)
    print(f"torch {torch.__version__}, device {torch.cuda.get_device_name(dev) if dev.type == 'cuda' else 'cpu'}",
          flush=True)
    t0 = time.perf_counter()
    vocab, enc = encode_corpus(Corpus([args.corpus], "whitespace"), 5)
    print(f"corpus: {enc.raw_words:,} words, vocabulary {len(vocab):,}; read and encoded in "
          f"{time.perf_counter() - t0:.1f}s", flush=True)
    results = []
    for spec in [s for s in args.runs.split(",") if s]:
        backend, pairs, shared, scale, *extra = spec.split(":")
        bb.BATCH_PAIRS, bb.SHARED_NEGATIVES, bb.ROW_SCALE = int(pairs), int(shared), scale
        opts = {"graphs": 1, "tf32": 1, "item": 1 << 20, "loss": 8, **{k: float(v) for k, v in (e.split("=") for e in extra)}}
        bb.CUDA_GRAPHS, bb.TF32, bb.ITEM_WORDS = bool(opts["graphs"]), bool(opts["tf32"]), int(opts["item"])
        bb.LOSS_EVERY = int(opts["loss"])
        cfg = TrainConfig(backend=backend, device=args.device, epochs=args.epochs, seed=args.seed, threads=1,
                          **({"alpha": opts["alpha"]} if "alpha" in opts else {}))
        trainer = Trainer(vocab, cfg, progress=False)
        trainer.backend.train_item(next(enc.chunks(1 << 17)), 0.0, 0.0, 1)  # warm-up (and graph capture): alpha 0 changes nothing
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        state = trainer.train(enc)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - t
        q = quality(word_vectors(cfg, vocab, trainer.tables()), Path(args.eval_dir))
        row = dict(backend=backend, pairs_per_batch=int(pairs), shared_negatives=int(shared), row_scale=scale,
                   graphs=int(opts["graphs"]), tf32=int(opts["tf32"]), item_words=int(opts["item"]), alpha=cfg.alpha,
                   epochs=args.epochs,
                   seconds=round(seconds, 2), words_per_second=round(enc.raw_words * args.epochs / seconds),
                   loss=round(state.loss, 4), **{k: round(v, 4) for k, v in q.items()})
        results.append(row)
        print(json.dumps(row), flush=True)
    # the readable path: the notebook's batches through autograd, on a slice of the corpus
    for name in [v for v in args.readable.split(",") if v]:
        variant = READABLE_VARIANTS[name]
        cfg = TrainConfig(backend="torch", device=args.device, epochs=1, seed=args.seed, threads=1, **variant)
        trainer = Trainer(vocab, cfg, progress=False)
        chunk = next(enc.chunks(args.readable_words))
        trainer.backend.train_item(chunk[:4096], 0.0, 0.0, 1)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        trainer.backend.train_item(chunk, cfg.alpha, cfg.min_alpha, 2)
        if dev.type == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - t
        n = int((chunk >= 0).sum())
        row = dict(backend="torch", variant=name, words=n, seconds=round(seconds, 2),
                   words_per_second=round(n / seconds))
        results.append(row)
        print(json.dumps(row), flush=True)
    print()
    print("| backend | pairs/batch | shared negatives | row scale | graphs | tf32 | item words | alpha "
          "| words/s | analogy % | MSL | SEMEVAL17 | loss |")
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        if r["backend"] == "torch":
            negatives = "5 per pair | 1/sqrt(n)" if r["variant"] == "words" else "- | -"
            print(f"| torch {r['variant']} (readable, 1 pass over {r['words']:,} words) | 512 centers | {negatives} "
                  f"| - | - | - | - | {r['words_per_second']:,} | - | - | - | - |")
        else:
            print(f"| {r['backend']} | {r['pairs_per_batch']:,} | {r['shared_negatives']} | {r['row_scale']} | "
                  f"{r['graphs']} | {r['tf32']} | {r['item_words']:,} | {r['alpha']} | {r['words_per_second']:,} | "
                  f"{r['analogy']:.2f} | {r['MSL']:.4f} | {r['SEMEVAL17']:.4f} | {r['loss']:.4f} |")
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        (Path(args.out) / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
