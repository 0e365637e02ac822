"""palabra2vec --subwords vs fastText (its PyPI module) vs gensim's FastText, on the same
pre-tokenized corpus, same settings, same machine.

    .venv/bin/python benchmarks/compare_fasttext.py               # Spanish corpus-es, 3 seeds
    .venv/bin/python benchmarks/compare_fasttext.py --seeds 1     # one seed
    .venv/bin/python benchmarks/compare_fasttext.py --quick       # 1 seed, a fifth of the corpus
    .venv/bin/python benchmarks/compare_fasttext.py --hs          # skip-gram + hierarchical softmax
    .venv/bin/python benchmarks/compare_fasttext.py --model cbow  # CBOW (+ --hs)

As compare_gensim.py: the corpus is tokenized once (palabra2vec's spanish tokenizer) into one
whitespace-tokenized file; each system then runs as a child process on it (palabra2vec's CLI;
fasttext_train.py for fastText and gensim). Settings: skip-gram, 100 dims, window 5,
negative 5, sample 1e-4, min_count 5, n-grams 3-6, 2,000,000 buckets, alpha 0.025, 5 epochs,
2 threads. words/s = corpus words x epochs / wall time of the whole child process (palabra2vec
with ``--no-plot``: the references draw no loss plot either); peak RSS from /usr/bin/time.
Quality: every system's vocabulary vectors (word row and n-gram rows composed, each system's
own rule) judged by the same evaluator (gensim KeyedVectors, quality.py): the GA analogy files
(questions whose four words are in the vocabulary), MSL and SemEval17-es Spearman. ``--word-level`` adds palabra2vec without subwords.
``--model cbow`` (alpha 0.05 unless ``--alpha``) and ``--hs`` (hierarchical softmax, with
``--negative 0`` unless given: fastText ``loss="hs"``, gensim ``hs=1, negative=0``) change the
variant on every side; ``--hs --negative 5`` trains both losses (palabra2vec and gensim only).
``--gensim-final-alpha``: palabra2vec's ``--min-alpha`` is the learning rate gensim's
``corpus_file`` schedule effectively ends at (compare_gensim.py explains; fastText decays to 0).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from compare_gensim import CLI, DATA, PY, ensure_bytecode, gensim_final_alpha, pretokenize, run_child  # noqa: E402


#: the variant under test (set from --model/--hs/--negative/--alpha/--gensim-final-alpha in main)
MODE = dict(model="sg", hs=False, negative=5, alpha=0.025, min_alpha=0.0001)


def run_palabra2vec(path: Path, out: Path, seed: int, threads: int, epochs: int, subwords: bool,
                    hogwild: bool = False) -> dict:
    cmd = [CLI, "train", str(path), "--tokenizer", "whitespace", "-q", "-o", str(out), "--overwrite",
           "--vector-size", "100", "--window", "5", "--negative", str(MODE["negative"]), "--sample", "1e-4",
           "--min-count", "5", "--epochs", str(epochs), "--alpha", str(MODE["alpha"]), "--min-alpha", str(MODE["min_alpha"]),
           "--threads", str(threads), "--seed", str(seed), "--backend", "fast", "--no-plot",
           "--model", MODE["model"]] + (["--hs"] if MODE["hs"] else [])
    if subwords:
        cmd += ["--subwords", "--min-n", "3", "--max-n", "6", "--buckets", "2000000"]
    if hogwild:
        cmd += ["--hogwild"]
    wall, rss, _ = run_child(cmd)
    info = json.loads((out / "config.json").read_text(encoding="utf-8"))
    info = info.get("info", info)
    return dict(wall=wall, rss=rss, train=float(info.get("seconds_train", float("nan"))))


def run_reference(system: str, path: Path, out: Path, seed: int, threads: int, epochs: int) -> dict:
    wall, rss, stdout = run_child([PY, str(HERE / "fasttext_train.py"), system, str(path), str(out), str(seed),
                                   str(threads), str(epochs), MODE["model"], str(int(MODE["hs"])),
                                   str(MODE["negative"]), str(MODE["alpha"])])
    info = json.loads(stdout.strip().splitlines()[-1])
    return dict(wall=wall, rss=rss, train=info["seconds_train"])


def main() -> None:
    import quality

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--first-seed", type=int, default=1, help="seeds first-seed .. first-seed + seeds - 1 "
                   "(to split a long comparison into runs)")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--quick", action="store_true", help="1 seed, the first fifth of the corpus files")
    p.add_argument("--word-level", action="store_true", help="also palabra2vec without subwords")
    p.add_argument("--hogwild", action="store_true", help="also palabra2vec --subwords --hogwild")
    p.add_argument("--systems", default="palabra2vec,fasttext,gensim")
    p.add_argument("--model", choices=("sg", "cbow"), default="sg", help="sg (default) or cbow, on every side")
    p.add_argument("--hs", action="store_true", help="hierarchical softmax (with --negative 0 unless given)")
    p.add_argument("--negative", type=int, default=None, help="noise words (default 5; 0 with --hs)")
    p.add_argument("--alpha", type=float, default=None, help="default 0.025 (sg), 0.05 (cbow)")
    p.add_argument("--gensim-final-alpha", action="store_true",
                   help="palabra2vec's min_alpha = the alpha gensim's corpus_file schedule ends at")
    p.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(), "palabra2vec-bench"))
    args = p.parse_args()
    MODE.update(model=args.model, hs=args.hs, negative=args.negative if args.negative is not None else
                (0 if args.hs else 5), alpha=args.alpha or (0.05 if args.model == "cbow" else 0.025))
    if args.gensim_final_alpha:
        MODE["min_alpha"] = gensim_final_alpha(MODE["alpha"], args.threads, args.epochs)
    if MODE["hs"] and MODE["negative"] and "fasttext" in args.systems.split(","):
        p.error("fastText trains one loss: use --systems palabra2vec,gensim with --hs --negative N")
    max_files = None
    if args.quick:
        args.seeds, max_files = 1, 23
    name = "corpus-es" + (f"-first{max_files}" if max_files else "")
    ensure_bytecode()
    t0 = time.perf_counter()
    path, tokens = pretokenize(DATA / "corpus-es", Path(args.cache_dir), name, max_files)
    print(f"corpus: {path} ({tokens:,} tokens; pre-tokenized in {time.perf_counter() - t0:.1f}s)", flush=True)
    systems = args.systems.split(",")
    if args.word_level:
        systems.append("palabra2vec-words")
    if args.hogwild:
        systems.append("palabra2vec-hogwild")
    with tempfile.TemporaryDirectory(prefix="p2v-ft-") as tmp_s:
        tmp = Path(tmp_s)
        ga = sorted((DATA / "eval/es/rukua95/analogy").glob("GA*.txt"))
        analogies = quality.analogy_file(ga, tmp)
        pairs = {"MSL": quality.pairs_file(DATA / "eval/es/rukua95/MSL.txt", tmp),
                 "SEMEVAL17": quality.pairs_file(DATA / "eval/es/muse/ES_SEMEVAL17.txt", tmp)}
        rows: dict[str, list[dict]] = {s: [] for s in systems}
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            for system in systems:
                out = tmp / f"{system}-{seed}"
                if system.startswith("palabra2vec"):
                    r = run_palabra2vec(path, out, seed, args.threads, args.epochs, system != "palabra2vec-words",
                                        system == "palabra2vec-hogwild")
                    kv = quality.load_palabra2vec(out)
                else:
                    r = run_reference(system, path, out, seed, args.threads, args.epochs)
                    kv = quality.load_gensim(out)
                r.update(quality.evaluate(kv, analogies, pairs))
                r["wps"] = tokens * args.epochs / r["wall"]
                rows[system].append(r)
                print(f"  seed {seed} {system:>19}: " + ", ".join(
                    f"{k} {v:,.3f}" if abs(v) < 1000 else f"{k} {v:,.0f}" for k, v in r.items()), flush=True)
    cols = [("wps", "words/s (whole process)", "{:,.0f}"), ("wall", "wall s", "{:.1f}"),
            ("train", "train s", "{:.1f}"), ("rss", "peak RSS MB", "{:.0f}"), ("analogy", "GA analogy %", "{:.2f}")]
    cols += [(k, f"Spearman {k}", "{:.4f}") for k in pairs]
    print(f"\n{MODE['model']}, hs {int(MODE['hs'])}, negative {MODE['negative']}, alpha {MODE['alpha']}, "
          f"palabra2vec's min_alpha {MODE['min_alpha']:g}; corpus-es, {tokens:,} tokens, {args.epochs} epochs, {args.threads} threads, "
          f"seeds {args.first_seed}..{args.first_seed + args.seeds - 1} (means)\n")
    print("| metric | " + " | ".join(systems) + " |")
    print("|---|" + "---:|" * len(systems))
    for key, label, fmt in cols:
        vals = [fmt.format(statistics.fmean(r[key] for r in rows[s])) for s in systems]
        print(f"| {label} | " + " | ".join(vals) + " |")


if __name__ == "__main__":
    main()
