"""``palabra2vec similar|analogy|evaluate|export``: the commands on trained vectors."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from .common import PROG, _positive_int
from ..errors import UsageError

MODEL_HELP = "model directory (palabra2vec train), fastText .bin or word2vec text/binary file"


def add_vector_parsers(sub: Any) -> None:
    """similar, analogy, evaluate, export: commands on trained vectors."""
    s = sub.add_parser("similar", help="nearest words to one or more words",
                       description="Nearest words by cosine similarity, for each WORD in turn.")
    s.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    s.add_argument("words", nargs="+", metavar="WORD",
                   help="words to look up (an unknown word falls back to its lower-case form when that is known)")
    s.add_argument("--topn", type=_positive_int, default=10, help="how many neighbours (default %(default)s)")
    s.add_argument("--json", action="store_true", help="print JSON for scripts")

    a = sub.add_parser("analogy", help="A is to B as C is to ?",
                       description="Words closest to B - A + C (3CosAdd; --cosmul: 3CosMul), inputs excluded.")
    a.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    a.add_argument("a", metavar="A", help="A, as in 'A is to B as C is to ?' (e.g. caballero)")
    a.add_argument("b", metavar="B", help="B (e.g. escudero)")
    a.add_argument("c", metavar="C", help="C (e.g. don)")
    a.add_argument("--topn", type=_positive_int, default=5, help="how many answers (default %(default)s)")
    a.add_argument("--cosmul", action="store_true", help="use 3CosMul (Levy & Goldberg 2014)")
    a.add_argument("--json", action="store_true", help="print JSON for scripts")

    e = sub.add_parser("evaluate", help="word-similarity (Spearman) and analogy (accuracy) benchmarks",
                       description="Score vectors on word-pair files (word word score; Spearman, Pearson) and "
                                   "analogy files (a b c d, optional ': section' lines; accuracy), gensim's rules.")
    e.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    e.add_argument("--similarity", nargs="+", default=[], metavar="FILE", help="word-pair files (default: none)")
    e.add_argument("--analogies", nargs="+", default=[], metavar="FILE", help="analogy files (default: none)")
    e.add_argument("--restrict-vocab", type=_positive_int, default=30_000,
                   help="analogies: only the most frequent N words count (default %(default)s)")
    e.add_argument("--cosmul", action="store_true", help="analogies by 3CosMul instead of 3CosAdd")
    e.add_argument("--oov", action="store_true",
                   help="similarity: score pairs with words outside the vocabulary from their character n-grams "
                        "(subword models), as fastText does; coverage is then shown with and without them")
    e.add_argument("--sections", action="store_true", help="also print each section of the analogy files")
    e.add_argument("--json", action="store_true", help="print JSON for scripts")

    x = sub.add_parser("export", help="write vectors as word2vec text/binary or TensorBoard projector files",
                       description="word2vec-text / word2vec-binary: one file (gensim and word2vec.c read it); "
                                   "projector: a directory with vectors.tsv and metadata.tsv.")
    x.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    x.add_argument("--format", required=True, choices=("word2vec-text", "word2vec-binary", "projector", "fasttext-bin"),
                   help="word2vec-text, word2vec-binary (word2vec.c), projector (TensorBoard) or fasttext-bin (a "
                        "fastText .bin that fasttext.load_model and gensim's load_facebook_model read, from a model "
                        "directory, n-gram table included) (required)")
    x.add_argument("-o", "--output", required=True, metavar="PATH", help="file (word2vec, fastText) or directory (projector) (required)")
    x.add_argument("--limit", type=_positive_int, default=None, metavar="N", help="only the N most frequent words (default: all)")
    x.add_argument("--overwrite", action="store_true", help="replace existing output files (default: refuse)")


def _load_vectors(path: str) -> Any:
    from ..vectors.loading import load_vectors

    return load_vectors(path)


def resolve_word(wv: Any, word: str) -> str:
    """``word`` itself when known; else its lower-case form when that is known (said on
    stderr, as evaluation also lower-cases); else the unknown-word error, with suggestions."""
    if word in wv:
        return word
    lower = word.lower()
    if lower != word and lower in wv:
        print(f"{PROG}: note: {word!r} is not in the vocabulary; using {lower!r}", file=sys.stderr)
        return lower
    wv.get_vector(word)  # an unknown word raises UnknownWordError with suggestions (a subword model answers)
    return word


def _dump_json(obj: Any) -> None:
    import json

    print(json.dumps(obj, ensure_ascii=False, indent=2))


OOV_NOTE = "not in the vocabulary: vector from its character n-grams"


def _oov_words(wv: Any, words: list[str]) -> list[str]:
    """The query words answered from n-grams only (subword models); unknown words raise here."""
    for w in words:  # check every word first: an unknown one is an error before any output
        wv.get_vector(w)
    return [w for w in words if w not in wv]


def cmd_similar(args: argparse.Namespace) -> int:
    wv = _load_vectors(args.model)
    words = [resolve_word(wv, w) for w in args.words]
    oov = _oov_words(wv, words)  # an unknown word is an error before any output
    results = {w: wv.most_similar(w, topn=args.topn) for w in words}
    if args.json:
        _dump_json({w: [{"word": n, "similarity": s} for n, s in r] for w, r in results.items()})
        return 0
    for i, (w, r) in enumerate(results.items()):
        if len(results) > 1 or w in oov:
            print(("\n" if i else "") + f"{w}:" + (f" ({OOV_NOTE})" if w in oov else ""))
        for word, sim in r:
            print(f"{word}\t{sim:.4f}")
    return 0


def cmd_analogy(args: argparse.Namespace) -> int:
    wv = _load_vectors(args.model)
    args.a, args.b, args.c = (resolve_word(wv, w) for w in (args.a, args.b, args.c))
    oov = _oov_words(wv, [args.a, args.b, args.c])
    r = wv.analogy(args.a, args.b, args.c, topn=args.topn, method="mul" if args.cosmul else "add")
    if args.json:
        _dump_json({"a": args.a, "b": args.b, "c": args.c, "method": "3CosMul" if args.cosmul else "3CosAdd",
                    "answers": [{"word": n, "score": s} for n, s in r]})
        return 0
    print(f"{args.a} : {args.b} :: {args.c} : ?")
    for w in oov:
        print(f"{w}: {OOV_NOTE}")
    for word, score in r:
        print(f"{word}\t{score:.4f}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ..vectors.evaluate import evaluate_word_analogies, evaluate_word_pairs

    if not args.similarity and not args.analogies:
        raise UsageError("give --similarity FILE... and/or --analogies FILE...")
    wv = _load_vectors(args.model)
    pairs = [evaluate_word_pairs(wv, f, oov=args.oov) for f in args.similarity]
    method = "mul" if args.cosmul else "add"
    analog = [evaluate_word_analogies(wv, f, restrict_vocab=args.restrict_vocab, method=method) for f in args.analogies]
    if args.json:
        _dump_json({"model": args.model, "similarity": [r.to_dict() for r in pairs],
                    "analogies": [r.to_dict() for r in analog]})
        return 0
    if pairs:
        extra = f" {'in vocab':>8}" if args.oov else ""
        print(f"{'similarity file':<28} {'spearman':>9} {'pearson':>8} {'pairs':>11} {'coverage':>8}" + extra)
        for r in pairs:
            extra = f" {r.in_vocab_coverage:>8.1%}" if args.oov else ""
            print(f"{Path(r.path).name[:28]:<28} {r.spearman:>9.4f} {r.pearson:>8.4f} "
                  f"{f'{r.pairs_used}/{r.pairs_total}':>11} {r.coverage:>8.1%}" + extra)
    if analog:
        if pairs:
            print()
        name = f"analogy file (3Cos{'Mul' if args.cosmul else 'Add'}, top {args.restrict_vocab:,})"
        print(f"{name:<40} {'accuracy':>8} {'correct':>15} {'coverage':>8}")
        rows = []
        for r in analog:
            rows.append((Path(r.path).name, r.overall))
            if args.sections and len(r.sections) > 1:
                rows += [("  " + s.name, s) for s in r.sections]
        if len(analog) > 1:
            from ..vectors.evaluate import SectionResult

            total = SectionResult("all files")
            for r in analog:
                o = r.overall
                total.correct, total.incorrect, total.oov = total.correct + o.correct, total.incorrect + o.incorrect, total.oov + o.oov
            rows.append(("all files", total))
        for label, s in rows:
            acc = f"{s.accuracy:.1%}" if s.answered else "-"  # nothing answered: no accuracy
            print(f"{label[:40]:<40} {acc:>8} {f'{s.correct}/{s.answered}':>15} {s.coverage:>8.1%}")
    return 0


def _check_export_target(model: str, output: str, files: list[Path], overwrite: bool) -> None:
    """Refuse to write into the model being read, or over existing files without --overwrite."""
    src, dst = Path(model).resolve(), Path(output).resolve()
    if dst == src or (src.is_dir() and src in dst.parents):
        raise UsageError(f"-o {output} is inside the model {model} being exported; choose a path outside it")
    for f in files:
        if os.path.lexists(f):
            if not overwrite:
                raise UsageError(f"{f} already exists; choose another -o or pass --overwrite")
            if f.is_symlink() or not f.is_file():
                raise UsageError(f"{f} is not a regular file; palabra2vec replaces only regular files")


def cmd_export(args: argparse.Namespace) -> int:
    out = Path(args.output)
    files = [out / "vectors.tsv", out / "metadata.tsv"] if args.format == "projector" else [out]
    _check_export_target(args.model, args.output, files, args.overwrite)
    if args.format == "fasttext-bin":
        from ..vectors.fasttext_bin import export_fasttext_bin

        if not Path(args.model).is_dir():
            raise UsageError("--format fasttext-bin needs a model directory (palabra2vec train --subwords)")
        if args.limit is not None:
            raise UsageError("--limit does not apply to --format fasttext-bin (the n-gram table is whole)")
        out = export_fasttext_bin(args.model, args.output)
        print(f"wrote {out} (fasttext-bin)")
        return 0
    wv = _load_vectors(args.model)
    n = len(wv) if args.limit is None else min(args.limit, len(wv))
    if args.format == "projector":
        vec, meta = wv.save_projector(args.output, limit=args.limit)
        print(f"wrote {n:,} vectors to {vec} and {meta}")
    else:
        out = wv.save_word2vec_format(args.output, binary=args.format == "word2vec-binary", limit=args.limit)
        print(f"wrote {n:,} vectors x {wv.vector_size} dims to {out} ({args.format})")
    return 0
