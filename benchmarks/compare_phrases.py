"""Phrases: palabra2vec vs gensim's Phrases + FrozenPhrases on corpus-es, and what phrases do to quality.

    .venv/bin/python benchmarks/compare_phrases.py                # speed, memory, agreement, quality
    .venv/bin/python benchmarks/compare_phrases.py --runs 2       # two timed runs of each system
    .venv/bin/python benchmarks/compare_phrases.py --skip-quality # speed, memory, agreement only
    .venv/bin/python benchmarks/compare_phrases.py --quality-only --thresholds 10 50 200

Input: ``../shared/data/corpus-es`` tokenized once by palabra2vec's spanish tokenizer into one
file, one sentence per line (cached in ``--cache-dir``, as compare_gensim.py does). Each system
then runs as a whole child process on that file, with the same settings (min_count 5,
threshold 10, default scoring, 2 passes, Spanish connector words):
``palabra2vec phrases FILE --tokenizer whitespace -o OUT`` and ``gensim_phrases.py``
(``Phrases`` to learn, ``freeze()`` to join, each pass on the previous pass's output).
Time = wall time of the child (imports, reading, both passes, writing the joined corpus);
peak RSS from ``/usr/bin/time -f %M``.

Agreement: the phrases of each pass (sets of joined strings) and the two output files line by
line. Quality: ``palabra2vec train`` (5 epochs, seed 1, 2 threads) on the plain file and on the
file joined with each ``--thresholds`` value, scored by palabra2vec's evaluator (palabra2vec/vectors/evaluate.py) on the Spanish
similarity sets and the Spanish analogy files.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import subprocess
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from compare_gensim import CLI, DATA, PY, pretokenize  # noqa: E402

SETTINGS = dict(min_count=5, threshold=10.0, scoring="default", passes=2)
PAIRS = {"MSL": "eval/es/rukua95/MSL.txt", "WS353": "eval/es/muse/ES_WS-353.txt",
         "SEMEVAL17": "eval/es/muse/ES_SEMEVAL17.txt", "RG65": "eval/es/muse/ES_RG-65.txt",
         "MC30": "eval/es/muse/ES_MC-30.txt"}


def run_child(cmd: list[str]) -> tuple[float, float, str, float]:
    """Run ``cmd``; return (wall seconds, peak RSS in MB, stdout, user + system CPU seconds),
    the last three from ``/usr/bin/time`` (CPU time is steadier than wall time on a shared machine)."""
    fd, name = tempfile.mkstemp(prefix="p2v-time-")
    os.close(fd)
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", "-o", name] + cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    fields = Path(name).read_text().split()
    os.unlink(name)
    if p.returncode != 0:
        raise SystemExit(f"{cmd[:3]} failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
    rss_kb, user, system = (float(x) for x in fields[-3:])
    return wall, rss_kb / 1024.0, p.stdout, user + system


def run_ours(path: Path, out: Path, saved: Path) -> tuple[float, float, float]:
    cmd = [CLI, "phrases", str(path), "--tokenizer", "whitespace", "-o", str(out), "--overwrite", "--save",
           str(saved), "--min-count", str(SETTINGS["min_count"]), "--threshold", str(SETTINGS["threshold"]),
           "--scoring", SETTINGS["scoring"], "--passes", str(SETTINGS["passes"]), "--connector-words", "es", "-q"]
    secs, rss, _, cpu = run_child(cmd)
    return secs, rss, cpu


def run_gensim(path: Path, out: Path, exported: Path, connectors: Path) -> tuple[float, float, float, dict]:
    cmd = [PY, str(HERE / "gensim_phrases.py"), str(path), str(out), str(exported), str(SETTINGS["passes"]),
           str(SETTINGS["min_count"]), str(SETTINGS["threshold"]), SETTINGS["scoring"], str(connectors)]
    secs, rss, stdout, cpu = run_child(cmd)
    return secs, rss, cpu, json.loads(stdout.strip().splitlines()[-1])


def agreement(ours_saved: Path, gensim_exported: Path, ours_out: Path, gensim_out: Path) -> list[str]:
    levels = json.loads(ours_saved.read_text(encoding="utf-8"))["levels"]
    theirs = json.loads(gensim_exported.read_text(encoding="utf-8"))
    lines = []
    earlier: set[str] = set()
    for k, (mine, gens) in enumerate(zip(levels, theirs), 1):
        a = {"_".join(p["tokens"]) for p in mine}
        b = set(gens)
        if earlier & b:
            # FrozenPhrases of pass 2 re-exports the pass-1 phrases that are single tokens of its
            # input ("don_quijote", scored as "don" + "quijote"); they join nothing new
            lines.append(f"pass {k}: gensim's export lists {len(earlier & b):,} phrases of earlier passes "
                         "again (single tokens of its input); left out below")
            b -= earlier
        earlier |= a
        same_scores = sum(1 for p in mine if "_".join(p["tokens"]) in gens
                          and abs(gens["_".join(p["tokens"])] - p["score"]) <= 1e-9 * abs(p["score"]))
        lines.append(f"pass {k}: palabra2vec {len(a):,} phrases, gensim {len(b):,}; both {len(a & b):,}, "
                     f"only palabra2vec {len(a - b):,}, only gensim {len(b - a):,}; same score {same_scores:,}")
        if a - b or b - a:
            lines.append(f"  e.g. only palabra2vec: {sorted(a - b)[:5]}; only gensim: {sorted(b - a)[:5]}")
    n = same = 0
    tok_a, tok_b = {}, {}
    with open(ours_out, encoding="utf-8") as fa, open(gensim_out, encoding="utf-8") as fb:
        for la, lb in zip(fa, fb):
            n += 1
            same += la == lb
            for t in la.split():
                if "_" in t:
                    tok_a[t] = tok_a.get(t, 0) + 1
            for t in lb.split():
                if "_" in t:
                    tok_b[t] = tok_b.get(t, 0) + 1
    lines.append(f"joined corpora: {same:,} of {n:,} lines identical ({same / n:.4%}); phrase tokens used: "
                 f"palabra2vec {len(tok_a):,} distinct / {sum(tok_a.values()):,} occurrences, gensim "
                 f"{len(tok_b):,} / {sum(tok_b.values()):,}; both {len(set(tok_a) & set(tok_b)):,} distinct")
    return lines


def check_second_pass(path: Path, ours_saved: Path, ours_out: Path, tmp: Path) -> list[str]:
    """Pass 2 against gensim's ``Phrases`` itself (not frozen), learned on pass 1's output:
    the same scores for palabra2vec's phrases, and the same joined corpus? (Not timed.)"""
    from gensim.models.phrases import Phrases as GensimPhrases
    from gensim.models.word2vec import LineSentence

    from palabra2vec.text.phrases import SPANISH_CONNECTOR_WORDS, Phrases

    once = tmp / "pass1.txt"
    run_child([CLI, "phrases", str(path), "--tokenizer", "whitespace", "--passes", "1", "-o", str(once), "-q",
               "--min-count", str(SETTINGS["min_count"]), "--threshold", str(SETTINGS["threshold"])])
    model = GensimPhrases(LineSentence(str(once)), min_count=SETTINGS["min_count"], threshold=SETTINGS["threshold"],
                          scoring=SETTINGS["scoring"], connector_words=SPANISH_CONNECTOR_WORDS, progress_per=10**9)
    second = Phrases.load(ours_saved).levels[1]
    same = 0
    for p in second:
        _, score = model.score_candidate(p.tokens[0], p.tokens[-1], list(p.tokens[1:-1]))
        same += score is not None and abs(score - p.score) <= 1e-9 * abs(p.score)
    n = equal = 0
    with open(ours_out, encoding="utf-8") as f:
        for sentence, line in zip(LineSentence(str(once)), f):
            n += 1
            equal += " ".join(model[sentence]) == line.rstrip("\n")
    return [f"pass 2 against gensim's Phrases (not frozen) learned on pass 1's output: {same:,} of "
            f"{len(second):,} palabra2vec phrases have the same score there; joined corpora: {equal:,} of "
            f"{n:,} lines identical"]


def quality(corpora: list[tuple[str, Path]], tmp: Path, epochs: int) -> list[str]:
    from palabra2vec.vectors.evaluate import evaluate_word_analogies, evaluate_word_pairs
    from palabra2vec.vectors.word_vectors import load_vectors

    analogy_dir = DATA / "eval/es/rukua95/analogy"
    joined_semeval = tmp / "ES_SEMEVAL17_joined.txt"
    lines = (DATA / PAIRS["SEMEVAL17"]).read_text(encoding="utf-8").splitlines()
    joined_semeval.write_text("".join("\t".join(c.strip().replace(" ", "_") for c in line.split("\t")) + "\n"
                                      for line in lines), encoding="utf-8")
    rows = []
    for name, corpus in corpora:
        model = tmp / f"model-{name}"
        secs, rss, _, _ = run_child([CLI, "train", str(corpus), "--tokenizer", "whitespace", "-o", str(model),
                                  "--overwrite", "--epochs", str(epochs), "--seed", "1", "--threads", "2",
                                  "--quiet", "--no-plot"])
        wv = load_vectors(model)
        row = {"corpus": name, "vocab": len(wv), "train s": secs}
        for key, rel in PAIRS.items():
            r = evaluate_word_pairs(wv, DATA / rel)
            row[key] = (r.spearman, r.coverage)
        # SemEval-2017 has multiword entries ("Tierra Prometida"): written with "_" they can
        # match phrase tokens
        r = evaluate_word_pairs(wv, joined_semeval)
        row["SEMEVAL17_"] = (r.spearman, r.coverage)
        correct = answered = total = 0
        for f in sorted(analogy_dir.glob("GA*.txt")):
            r = evaluate_word_analogies(wv, f, restrict_vocab=30_000).overall
            correct, answered, total = correct + r.correct, answered + r.answered, total + r.total
        row["analogy"] = (correct / answered if answered else 0.0, answered / total if total else 0.0)
        rows.append(row)
    keys = list(PAIRS) + ["SEMEVAL17_", "analogy"]
    out = ["| corpus | vocabulary | " + " | ".join(keys) + " |", "|---|---|" + "---|" * len(keys)]
    for r in rows:
        cells = [f"{r[k][0]:.3f} ({r[k][1]:.0%})" for k in keys]
        out.append(f"| {r['corpus']} | {r['vocab']:,} | " + " | ".join(cells) + " |")
    out.append("(Spearman rho for the similarity sets, accuracy for the analogies; in brackets the share "
               "of pairs / questions whose words are all known; SEMEVAL17_: its multiword entries written "
               "with _)")
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=1, help="timed runs of each system")
    p.add_argument("--epochs", type=int, default=5, help="training epochs for the quality report")
    p.add_argument("--skip-quality", action="store_true")
    p.add_argument("--quality-only", action="store_true", help="no timing or agreement: only the quality table")
    p.add_argument("--thresholds", type=float, nargs="+", default=[10.0],
                   help="quality: one phrased corpus per threshold (default scoring, 2 passes)")
    p.add_argument("--max-files", type=int, default=None, help="only the first N corpus files (quick runs)")
    p.add_argument("--cache-dir", default=os.path.join(tempfile.gettempdir(), "palabra2vec-bench"))
    args = p.parse_args()
    name = "corpus-es" if args.max_files is None else f"corpus-es-{args.max_files}"
    path, tokens = pretokenize(DATA / "corpus-es", Path(args.cache_dir), name, args.max_files)
    print(f"corpus: {path} ({tokens:,} tokens); settings {SETTINGS}, Spanish connector words")
    with tempfile.TemporaryDirectory(prefix="p2v-phrases-") as d:
        tmp = Path(d)
        if not args.quality_only:
            speed_and_agreement(args, path, tokens, tmp)
        if args.skip_quality:
            return
        print(f"\nquality: palabra2vec train, {args.epochs} epochs, seed 1, 2 threads; phrases with "
              f"min_count {SETTINGS['min_count']}, default scoring, 2 passes", flush=True)
        corpora = [("plain", path)]
        for t in args.thresholds:
            joined = tmp / f"joined-{t:g}.txt"
            run_child([CLI, "phrases", str(path), "--tokenizer", "whitespace", "-o", str(joined), "-q",
                       "--min-count", str(SETTINGS["min_count"]), "--threshold", str(t), "--passes", "2"])
            corpora.append((f"phrases, threshold {t:g}", joined))
        for line in quality(corpora, tmp, args.epochs):
            print(line)


def speed_and_agreement(args: argparse.Namespace, path: Path, tokens: int, tmp: Path) -> None:
    from palabra2vec.text.phrases import SPANISH_CONNECTOR_WORDS

    connectors = tmp / "connectors.txt"
    connectors.write_text("\n".join(sorted(SPANISH_CONNECTOR_WORDS)) + "\n", encoding="utf-8")
    ours_t, ours_m, ours_c, gen_t, gen_m, gen_c = [], [], [], [], [], []
    for run in range(args.runs):
        secs, rss, cpu = run_ours(path, tmp / "ours.txt", tmp / "ours.json")
        ours_t.append(secs)
        ours_m.append(rss)
        ours_c.append(cpu)
        print(f"run {run + 1}: palabra2vec {secs:.1f} s (CPU {cpu:.1f} s), peak RSS {rss:.0f} MB", flush=True)
        secs, rss, cpu, phases = run_gensim(path, tmp / "gensim.txt", tmp / "gensim.json", connectors)
        gen_t.append(secs)
        gen_m.append(rss)
        gen_c.append(cpu)
        passes = ", ".join(f"{s:.1f}" for s in phases["seconds_passes"])
        print(f"run {run + 1}: gensim {secs:.1f} s (CPU {cpu:.1f} s; passes {passes} s, writing "
              f"{phases['seconds_write']:.1f} s), peak RSS {rss:.0f} MB", flush=True)
    med = statistics.median
    t_o, t_g, m_o, m_g, c_o, c_g = med(ours_t), med(gen_t), med(ours_m), med(gen_m), med(ours_c), med(gen_c)
    print(f"\n| system | whole process, wall (median of {args.runs}) | CPU user+sys | peak RSS | words/s (wall) |")
    print("|---|---|---|---|---|")
    print(f"| palabra2vec phrases | {t_o:.1f} s | {c_o:.1f} s | {m_o:.0f} MB | {tokens * SETTINGS['passes'] / t_o:,.0f} |")
    print(f"| gensim Phrases + FrozenPhrases | {t_g:.1f} s | {c_g:.1f} s | {m_g:.0f} MB | "
          f"{tokens * SETTINGS['passes'] / t_g:,.0f} |")
    print(f"palabra2vec is {t_g / t_o:.1f}x faster in wall time ({c_g / c_o:.1f}x in CPU time), peak RSS "
          f"{m_o / m_g:.2f}x gensim's (words/s = corpus tokens x passes / whole-process wall time)\n")
    for line in agreement(tmp / "ours.json", tmp / "gensim.json", tmp / "ours.txt", tmp / "gensim.txt"):
        print(line)
    for line in check_second_pass(path, tmp / "ours.json", tmp / "ours.txt", tmp):
        print(line, flush=True)


if __name__ == "__main__":
    main()
