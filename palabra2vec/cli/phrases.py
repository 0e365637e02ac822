"""``palabra2vec phrases`` and ``train --phrases``: detect multi-word expressions, join them."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from ..errors import Palabra2vecError, UsageError
from .common import _add_corpus_args, _positive_int

#: Where ``train --phrases`` keeps the phrases it learned, inside the model directory.
MODEL_PHRASES = "phrases.json"


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def add_phrases_parser(sub: Any) -> None:
    """The ``phrases`` command."""
    p = sub.add_parser(
        "phrases", help="join multi-word expressions (sancho_panza) into single tokens",
        description="Learn phrases from a corpus (gensim's Phrases rule and scores) and write the corpus "
                    "one sentence per line with the phrases joined. No CORPUS: Don Quijote.")
    _add_corpus_args(p)
    p.add_argument("-o", "--output", metavar="OUT.txt", help="write the joined corpus here (default: none; give it, or --top or --save)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.add_argument("--min-count", type=_number, default=5, help="ignore pairs seen fewer times (default %(default)s)")
    p.add_argument("--threshold", type=_number, default=None,
                   help="a pair is a phrase when its score is above this (default 10; npmi: 0.5)")
    p.add_argument("--scoring", choices=("default", "npmi"), default="default",
                   help="default (Mikolov et al. 2013, gensim's original_scorer) or npmi")
    p.add_argument("--passes", type=_positive_int, default=2, help="passes; 2 finds phrases of phrases (default %(default)s)")
    p.add_argument("--delimiter", default="_", help="joins the words of a phrase (default %(default)s)")
    p.add_argument("--connector-words", choices=("es", "en", "none"), default="es",
                   help="words allowed inside a phrase but never at its ends (default %(default)s)")
    p.add_argument("--max-vocab-size", type=_positive_int, default=40_000_000,
                   help="words + pairs kept while counting; beyond it rare ones are pruned, as gensim "
                        "does (default %(default)s)")
    p.add_argument("--max-sentence-length", type=_positive_int, default=1000, help="split longer sentences (default %(default)s)")
    p.add_argument("--top", type=_positive_int, default=None, metavar="N", help="print the N best-scoring phrases (default: none)")
    p.add_argument("--save", metavar="PHRASES.json", help="save the phrases (.json or .tsv) to apply them later (default: not saved)")
    p.add_argument("--load", metavar="PHRASES.json", help="apply saved phrases instead of learning new ones (default: learn them)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only errors")


def add_train_phrase_args(t: argparse.ArgumentParser) -> None:
    """``train --phrases`` / ``--phrases-from``."""
    t.add_argument("--phrases", action="store_true",
                   help="join phrases first (palabra2vec phrases' defaults, 2 passes), then train on them")
    t.add_argument("--phrases-from", metavar="PHRASES.json", help="join these saved phrases first, then train (default: none)")


def _corpus(args: argparse.Namespace) -> Any:
    from ..text.corpus import Corpus

    paths = args.corpus
    if not paths:
        from ..text.datasets import quijote_path

        paths = [quijote_path(args.data_dir)]
    lower = True if args.lowercase is None else args.lowercase
    return Corpus(paths, args.tokenizer or "spanish", lower, args.max_sentence_length, args.encoding)


def _print_top(ph: Any, n: int) -> None:
    top = ph.top(n)
    print(f"top {len(top)} phrases ({ph.scoring} scoring, threshold {ph.threshold:g}):")
    for p in top:
        print(f"  {p.score:>12.4f} {p.count:>8,}  {p.text(ph.delimiter)}")


def cmd_phrases(args: argparse.Namespace) -> int:
    from ..text.phrases import Phrases

    if not (args.output or args.top or args.save):
        raise UsageError("nothing to do: give -o OUT.txt, --top N or --save PHRASES.json")
    out = Path(args.output) if args.output else None
    if out is not None and out.exists() and not args.overwrite:
        raise UsageError(f"{out} already exists; choose another --output or pass --overwrite")
    t0 = time.perf_counter()
    corpus = _corpus(args)
    if args.load:
        if args.threshold is not None or args.scoring != "default":
            raise UsageError("--load applies saved phrases: --threshold and --scoring belong to learning")
        ph = Phrases.load(args.load)
        joined = ph.transform(corpus)
    else:
        threshold = args.threshold if args.threshold is not None else (0.5 if args.scoring == "npmi" else 10.0)
        ph = Phrases(args.min_count, threshold, args.scoring, args.delimiter, args.connector_words, args.max_vocab_size)
        joined = ph.learn_transform(corpus, args.passes)
    with joined:
        if not args.quiet and not args.load:
            for st in ph.stats:
                print(f"pass {st['level']}: {st['phrases']:,} phrases from {st['pairs']:,} candidate pairs; "
                      f"{st['tokens_in']:,} tokens -> {st['tokens_out']:,}"
                      + (f" (pruned {st['prunes']} times: over --max-vocab-size)" if st["prunes"] else ""))
        if out is not None:
            tmp = out.with_name(out.name + ".part")
            try:
                written = joined.write_text(tmp)
                os.replace(tmp, out)
            except OSError as e:
                raise Palabra2vecError(f"cannot write {out}: {e.strerror or e}") from e
            finally:
                if tmp.exists():
                    tmp.unlink()
            if not args.quiet:
                print(f"wrote {out}: {joined.n_sentences:,} sentences, {written:,} tokens "
                      f"in {time.perf_counter() - t0:.1f}s")
    if args.save:
        ph.save(args.save)
        if not args.quiet:
            print(f"phrases saved to {args.save} ({len(ph):,} phrases)")
    if args.top and not args.quiet:
        _print_top(ph, args.top)
    return 0


class PhrasedCorpus:
    """Sentences with phrases joined, for ``train``: joined once, re-iterable."""

    def __init__(self, joined: Any, phrases: Any) -> None:
        self.joined = joined
        self.phrases = phrases

    def __iter__(self):
        return self.joined.sentences()

    def save_into(self, model_dir: Path) -> None:
        self.phrases.save(Path(model_dir) / MODEL_PHRASES)
        self.joined.close()


def phrased_training_corpus(args: argparse.Namespace, config: Any) -> PhrasedCorpus | None:
    """``train --phrases``: the corpus with phrases joined (None without the flags)."""
    if not (args.phrases or args.phrases_from):
        return None
    if args.phrases and args.phrases_from:
        raise UsageError("give --phrases or --phrases-from, not both")
    if os.environ.get("WORLD_SIZE", "1") != "1":
        raise UsageError("--phrases is not supported under torchrun yet; run palabra2vec phrases first")
    from ..text.phrases import Phrases
    from ..word2vec import as_corpus

    corpus = as_corpus(args.corpus or None, config, args.encoding, args.data_dir)
    t0 = time.perf_counter()
    if args.phrases_from:
        ph = Phrases.load(args.phrases_from)
        joined = ph.transform(corpus)
    else:
        ph = Phrases()
        joined = ph.learn_transform(corpus, passes=2)
    if not args.quiet:
        print(f"phrases: {len(ph):,} joined ({' + '.join(str(len(f)) for f in ph.levels)} by pass) "
              f"in {time.perf_counter() - t0:.1f}s")
    return PhrasedCorpus(joined, ph)
