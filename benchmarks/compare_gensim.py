"""palabra2vec vs gensim on the same pre-tokenized corpus, same settings, same machine.

    .venv/bin/python benchmarks/compare_gensim.py                 # Spanish, 3 seeds
    .venv/bin/python benchmarks/compare_gensim.py --corpus-en     # English
    .venv/bin/python benchmarks/compare_gensim.py --quick         # 1 seed, a fifth of the corpus
    .venv/bin/python benchmarks/compare_gensim.py --scaling       # threads 1/2, corpus 1x/2x/4x
    .venv/bin/python benchmarks/compare_gensim.py --hs            # skip-gram + hierarchical softmax
    .venv/bin/python benchmarks/compare_gensim.py --model cbow    # CBOW + negative sampling
    .venv/bin/python benchmarks/compare_gensim.py --model cbow --hs
    .venv/bin/python benchmarks/compare_gensim.py --gensim-final-alpha   # see below

``--hs`` is pure hierarchical softmax on both sides (gensim ``hs=1, negative=0``;
palabra2vec ``--hs --negative 0``); ``--model cbow`` is gensim's ``sg=0`` with the mean of the
context (``cbow_mean=1``, both defaults) and word2vec.c's CBOW learning rate 0.05 on both
sides unless ``--alpha`` says otherwise.

Both sides get alpha -> min_alpha 0.0001, but gensim 4.4's ``corpus_file`` schedule with W workers
does not reach it: each worker's progress counts only its 1/W of an epoch
(``get_next_alpha`` in ``word2vec_corpusfile.pyx``), so alpha saw-tooths and ends at
about alpha (1 - 1/W) / epochs (0.00259 for alpha 0.025, 2 workers, 5 epochs). ``--gensim-final-alpha`` gives
palabra2vec that effective end (``--min-alpha``, its linear decay otherwise unchanged; gensim
untouched): a quality comparison at the same effective learning rate, not the same flags.

The corpus (``../shared/data/corpus-es``) is tokenized once with palabra2vec's spanish
tokenizer (Gutenberg header/footer stripped) into one whitespace-tokenized file, one sentence
per line, kept in ``--cache-dir``. Then each system runs as a child process on that file:
``palabra2vec train FILE --tokenizer whitespace`` and ``gensim_train.py`` (Word2Vec with
``corpus_file``). words/s = raw corpus words x epochs / wall time of the whole child process
(imports, reading, vocabulary, training, saving; palabra2vec with ``--no-plot``, as in
compare_fasttext.py: gensim draws no loss plot either); peak RSS from ``/usr/bin/time``. Quality
is computed for both with the same evaluator (gensim KeyedVectors, see quality.py).

Before timing, the venv's modules and palabra2vec's are byte-compiled once
(:func:`ensure_bytecode`): pip does that on install, but not where ``PYTHONDONTWRITEBYTECODE``
is set (as on the development machine), and then every child process compiled numba, scipy,
gensim and matplotlib from source again, about 3.5 s each, on both sides.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = Path(os.environ.get("PALABRA2VEC_SHARED_DATA", ROOT.parent / "shared" / "data"))
PY = sys.executable
CLI = str(Path(PY).with_name("palabra2vec"))


def ensure_bytecode() -> None:
    """Byte-compile the interpreter's site-packages and palabra2vec once (what ``pip install``
    does unless ``PYTHONDONTWRITEBYTECODE`` is set), so that no timed child process spends
    seconds compiling imported modules from source. Already compiled files are skipped."""
    import compileall
    import site
    import sysconfig

    t0 = time.perf_counter()
    dirs = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages(),
            str(ROOT / "palabra2vec"), str(HERE)}
    ok = all(compileall.compile_dir(d, quiet=2, workers=0) for d in sorted(dirs) if os.path.isdir(d))
    print(f"byte-compiled the venv and palabra2vec in {time.perf_counter() - t0:.1f}s"
          + ("" if ok else " (some files did not compile: they are compiled on import)"), flush=True)


def pretokenize(corpus_dir: Path, cache: Path, name: str, max_files: int | None = None) -> tuple[Path, int]:
    """Tokenize ``corpus_dir`` once into ``cache/name.txt``; return (path, tokens)."""
    sys.path.insert(0, str(ROOT))
    from palabra2vec.text.corpus import Corpus

    out = cache / f"{name}.txt"
    meta = cache / f"{name}.json"
    if out.exists() and meta.exists():
        return out, json.loads(meta.read_text())["tokens"]
    files = sorted(corpus_dir.glob("*.txt"))[:max_files]
    cache.mkdir(parents=True, exist_ok=True)
    n = 0
    tmp = out.with_suffix(".part")
    with open(tmp, "w", encoding="utf-8") as f:
        for sent in Corpus(files, "spanish", lowercase=True, max_sentence_length=1000):
            f.write(" ".join(sent))
            f.write("\n")
            n += len(sent)
    tmp.rename(out)
    meta.write_text(json.dumps({"tokens": n, "files": len(files)}))
    return out, n


def concatenated(path: Path, copies: int) -> Path:
    if copies == 1:
        return path
    out = path.with_name(f"{path.stem}-x{copies}.txt")
    if not out.exists():
        data = path.read_bytes()
        with open(out, "wb") as f:
            for _ in range(copies):
                f.write(data)
    return out


def run_child(cmd: list[str]) -> tuple[float, float, str]:
    """Run ``cmd``; return (wall seconds, peak RSS in MB, stdout).

    Peak RSS comes from ``/usr/bin/time -f %M``: ``os.wait4`` on a direct child would report
    this (large) parent's RSS, which the kernel carries across fork+exec into ru_maxrss.
    """
    rss_file = Path(tempfile.mkstemp(prefix="p2v-rss-")[1])
    timed = ["/usr/bin/time", "-f", "%M", "-o", str(rss_file)] + cmd if os.path.exists("/usr/bin/time") else cmd
    t0 = time.perf_counter()
    p = subprocess.run(timed, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"{cmd[:3]} failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
    text = rss_file.read_text().split()
    rss_file.unlink()
    rss_kb = float(text[-1]) if text else float("nan")
    return wall, rss_kb / 1024.0, p.stdout


#: the variant under test (set from --model/--hs/--alpha in main): model, hs, negative, alpha, and
#: palabra2vec's final learning rate (--gensim-final-alpha)
MODE = dict(model="sg", hs=False, negative=5, alpha=0.025, min_alpha=0.0001)


def gensim_final_alpha(alpha: float, workers: int, epochs: int, min_alpha: float = 0.0001) -> float:
    """The learning rate gensim's ``corpus_file`` training ends at with ``workers`` workers: alpha -
    (alpha - min_alpha) x progress, and in the last epoch each worker's progress reaches only
    (epochs - 1 + 1/workers) / epochs."""
    return alpha - (alpha - min_alpha) * (epochs - 1 + 1.0 / workers) / epochs


def mode_name() -> str:
    return f"{MODE['model']}+{'hs' if MODE['hs'] else 'ns'}"


def run_palabra2vec(path: Path, out: Path, seed: int, threads: int, epochs: int, min_count: int = 5) -> dict:
    cmd = [CLI, "train", str(path), "--tokenizer", "whitespace", "-q", "--no-plot", "-o", str(out), "--overwrite",
           "--vector-size", "100", "--window", "5", "--negative", str(MODE["negative"]), "--sample", "1e-4",
           "--subsample-formula", "word2vec", "--min-count", str(min_count), "--epochs", str(epochs),
           "--alpha", str(MODE["alpha"]), "--min-alpha", str(MODE["min_alpha"]), "--threads", str(threads), "--seed", str(seed),
           "--backend", "fast", "--model", MODE["model"]] + (["--hs"] if MODE["hs"] else [])
    wall, rss, _ = run_child(cmd)
    info = json.loads((out / "config.json").read_text(encoding="utf-8"))
    info = info.get("info", info)
    return dict(wall=wall, rss=rss, vocab=float(info.get("seconds_vocab", float("nan"))), vocab_words=info.get("vocab_words"),
                train=float(info.get("seconds_train", float("nan"))))


def run_gensim(path: Path, out: Path, seed: int, threads: int, epochs: int) -> dict:
    wall, rss, stdout = run_child([PY, str(HERE / "gensim_train.py"), str(path), str(out), str(seed), str(threads),
                                   str(epochs), MODE["model"], str(int(MODE["hs"])), str(MODE["negative"]),
                                   str(MODE["alpha"])])
    info = json.loads(stdout.strip().splitlines()[-1])
    return dict(wall=wall, rss=rss, vocab=info["seconds_vocab"], train=info["seconds_train"])


def _mean(xs: list[float]) -> float:
    return statistics.fmean(xs) if xs else float("nan")


def eval_sets(lang: str, tmp: Path) -> tuple[Path, dict[str, Path]]:
    """The benchmark's evaluation files for ``lang`` ("es" or "en"), cleaned into ``tmp`` by
    quality.py: the analogy file and the word-pair files by name."""
    import quality

    if lang == "es":
        ga = sorted((DATA / "eval/es/rukua95/analogy").glob("GA*.txt"))
        return quality.analogy_file(ga, tmp), {
            "MSL": quality.pairs_file(DATA / "eval/es/rukua95/MSL.txt", tmp),
            "SEMEVAL17": quality.pairs_file(DATA / "eval/es/muse/ES_SEMEVAL17.txt", tmp)}
    return DATA / "eval/en/muse/questions-words.txt", {
        "SIMLEX": quality.pairs_file(DATA / "eval/en/muse/EN_SIMLEX-999.txt", tmp),
        "SEMEVAL17": quality.pairs_file(DATA / "eval/en/muse/EN_SEMEVAL17.txt", tmp)}


def compare(args: argparse.Namespace, tmp: Path) -> None:
    import quality

    lang = "en" if args.corpus_en else "es"
    corpus_dir = DATA / f"corpus-{lang}"
    name = f"corpus-{lang}" + (f"-first{args.max_files}" if args.max_files else "")
    t0 = time.perf_counter()
    path, tokens = pretokenize(corpus_dir, Path(args.cache_dir), name, args.max_files)
    print(f"corpus: {path} ({tokens:,} tokens; pre-tokenized in {time.perf_counter() - t0:.1f}s)", flush=True)
    analogies, pairs = eval_sets(lang, tmp)
    rows: dict[str, list[dict]] = {"palabra2vec": [], "gensim": []}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        for system in ("palabra2vec", "gensim"):
            out = tmp / f"{system}-{seed}"
            run = run_palabra2vec if system == "palabra2vec" else run_gensim
            r = run(path, out, seed, args.threads, args.epochs)
            r.pop("vocab_words", None)
            kv = quality.load_palabra2vec(out) if system == "palabra2vec" else quality.load_gensim(out)
            r.update(quality.evaluate(kv, analogies, pairs))
            r["wps"] = tokens * args.epochs / r["wall"]
            rows[system].append(r)
            print(f"  seed {seed} {system:>11}: " + ", ".join(
                f"{k} {v:,.3f}" if abs(v) < 1000 else f"{k} {v:,.0f}" for k, v in r.items()), flush=True)
    cols = [("wps", "words/s (whole process)", "{:,.0f}"), ("wall", "wall s", "{:.1f}"),
            ("train", "train s", "{:.1f}"), ("vocab", "vocab build s", "{:.1f}"),
            ("rss", "peak RSS MB", "{:.0f}"), ("analogy", "analogy %", "{:.2f}")]
    cols += [(k, f"Spearman {k}", "{:.4f}") for k in pairs]
    print(f"\n{mode_name()} (negative {MODE['negative']}, alpha {MODE['alpha']}, palabra2vec's min_alpha {MODE['min_alpha']:g}), "
          f"{lang} corpus, {tokens:,} tokens, {args.epochs} epochs, {args.threads} threads, "
          f"seeds {args.first_seed}..{args.first_seed + args.seeds - 1} (means)\n")
    print("| metric | palabra2vec | gensim | ratio / difference |")
    print("|---|---:|---:|---:|")
    for key, label, fmt in cols:
        a, b = _mean([r[key] for r in rows["palabra2vec"]]), _mean([r[key] for r in rows["gensim"]])
        if key in ("analogy",) or key in pairs:
            rel = f"{a - b:+.4f}" if key in pairs else f"{a - b:+.2f} points"
        else:
            rel = f"{a / b:.2f}x" if b else "n/a"
        print(f"| {label} | {fmt.format(a)} | {fmt.format(b)} | {rel} |")


def scaling(args: argparse.Namespace, tmp: Path) -> None:
    name = "corpus-es" + (f"-first{args.max_files}" if args.max_files else "")
    path, tokens = pretokenize(DATA / "corpus-es", Path(args.cache_dir), name, args.max_files)
    runs = []
    for threads, copies in [(1, 1), (2, 1), (2, 2), (2, 4)]:
        p = concatenated(path, copies)
        # min_count x copies keeps the vocabulary (and so the tables) the same: a word seen 2-4
        # times in the corpus is seen 8-16 times in 4 copies and would pass min_count 5
        r = run_palabra2vec(p, tmp / f"scale-{threads}-{copies}", 1, threads, args.epochs, 5 * copies)
        r.update(threads=threads, copies=copies, words=tokens * copies, wps=tokens * copies * args.epochs / r["wall"])
        runs.append(r)
        print(f"  threads {threads} corpus {copies}x ({tokens * copies:,} words): wall {r['wall']:.1f}s, "
              f"train {r['train']:.1f}s, {r['wps']:,.0f} words/s, peak RSS {r['rss']:.0f} MB, "
              f"vocabulary {r['vocab_words']:,} (min_count {5 * copies})", flush=True)
    base = next(r for r in runs if r["threads"] == 2 and r["copies"] == 1)
    big = next(r for r in runs if r["copies"] == 4)
    print(f"\n4x vs 1x (2 threads): wall x{big['wall'] / base['wall']:.2f}, train x{big['train'] / base['train']:.2f}, "
          f"peak RSS {100 * (big['rss'] / base['rss'] - 1):+.1f}%")
    Path(args.cache_dir, "scaling.json").write_text(json.dumps(runs, indent=1))
    plot_scaling(runs, HERE / "scaling.png", args.epochs)


def plot_scaling(runs: list[dict], out: Path, epochs: int) -> None:
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    two = [r for r in runs if r["threads"] == 2]
    x = [r["words"] / 1e6 for r in two]
    a1.plot(x, [r["wall"] for r in two], "o-", label="wall time (s)")
    a1.plot(x, [r["train"] for r in two], "s--", label="training time (s)")
    a1.set_xlabel("corpus size (M words)")
    a1.set_ylabel("seconds")
    a1b = a1.twinx()
    a1b.plot(x, [r["rss"] for r in two], "^-", color="C3", label="peak RSS (MB)")
    a1b.set_ylabel("peak RSS (MB)")
    a1b.set_ylim(0, max(r["rss"] for r in two) * 1.3)
    a1.legend(loc="upper left")
    a1b.legend(loc="lower right")
    a1.set_title(f"corpus 1x/2x/4x, 2 threads, {epochs} epoch(s)")
    one = [r for r in runs if r["copies"] == 1]
    xs = np.arange(len(one))
    a2.bar(xs - 0.2, [r["wps"] / 1e6 for r in one], 0.4, label="whole process")
    a2.bar(xs + 0.2, [r["words"] * epochs / r["train"] / 1e6 for r in one], 0.4, label="training only")
    a2.set_xticks(xs, [str(r["threads"]) for r in one])
    a2.set_xlabel("threads")
    a2.set_ylabel("M words/s")
    a2.legend()
    a2.set_title("throughput, corpus 1x")
    fig.tight_layout()
    fig.savefig(out, dpi=100)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus-en", action="store_true", help="English corpus and questions-words.txt")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--first-seed", type=int, default=1, help="seeds first-seed .. first-seed + seeds - 1")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--max-files", type=int, default=None, help="only the first N corpus files (quick runs)")
    p.add_argument("--quick", action="store_true", help="1 seed, first 20 files")
    p.add_argument("--scaling", action="store_true", help="palabra2vec only: threads 1/2, corpus 1x/2x/4x")
    p.add_argument("--model", choices=("sg", "cbow"), default="sg", help="sg (default) or cbow, on both sides")
    p.add_argument("--hs", action="store_true", help="hierarchical softmax instead of negative sampling")
    p.add_argument("--alpha", type=float, default=None, help="learning rate (default 0.025; 0.05 for cbow)")
    p.add_argument("--gensim-final-alpha", action="store_true",
                   help="palabra2vec's min_alpha = the alpha gensim's corpus_file schedule ends at (module docstring)")
    p.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(), "palabra2vec-bench"))
    args = p.parse_args()
    if args.quick:
        args.seeds, args.max_files = 1, args.max_files or 20
    MODE.update(model=args.model, hs=args.hs, negative=0 if args.hs else 5,
                alpha=args.alpha or (0.05 if args.model == "cbow" else 0.025))
    if args.gensim_final_alpha:
        MODE["min_alpha"] = gensim_final_alpha(MODE["alpha"], args.threads, args.epochs)
    print(f"date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, "
          f"python {sys.version.split()[0]}, mode {mode_name()}, palabra2vec's min_alpha {MODE['min_alpha']:g}", flush=True)
    ensure_bytecode()
    with tempfile.TemporaryDirectory(prefix="p2v-bench-") as tmp:
        (scaling if args.scaling else compare)(args, Path(tmp))


if __name__ == "__main__":
    main()
