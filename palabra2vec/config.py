"""Training configuration: one typed dataclass with documented defaults, and presets.

Names follow gensim's ``Word2Vec`` (``vector_size, window, min_count, sample, negative,
ns_exponent, epochs, alpha, min_alpha``) so that settings carry over between the two.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field, fields
from typing import Any

from .errors import UsageError

TOKENIZERS = ("spanish", "whitespace", "notebook")
SUBSAMPLE_FORMULAS = ("word2vec", "notebook")
SUBSAMPLE_TOTALS = ("vocab", "corpus")
#: Epochs when none are given: gensim's 5, or 20 on the built-in Don Quijote (384,000 words:
#: after 5 epochs every vector still points the same way and all neighbours score ~0.99).
DEFAULT_EPOCHS = 5
QUIJOTE_EPOCHS = 20
OPTIMIZERS = ("sgd", "adam")
BACKENDS = ("auto", "fast", "torch", "batched")
INITS = ("gensim", "word2vec", "xavier")
MODELS = ("sg", "cbow")


def default_threads() -> int:
    """Worker threads by default: every core the process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def _opt(default: Any, help: str, *, choices: tuple[str, ...] | None = None, cli: bool = True,
         resume_free: bool = False, default_factory: Any = None, shown: str | None = None,
         kind: type | None = None) -> Any:
    """A config field with what the command line needs to know about it, kept beside it.

    ``help`` becomes the ``train`` flag's help (``--field-name``), ``choices`` its allowed
    values, ``shown`` the default as the help shows it (else the default itself);
    ``resume_free`` fields may differ on ``--resume`` (they do not change the result's
    meaning); ``cli=False`` fields have no flag; ``kind`` is the flag's type when the default
    (None) does not say it.
    """
    meta = {"help": help, "choices": choices, "cli": cli, "resume_free": resume_free, "shown": shown, "kind": kind}
    if default_factory is not None:
        return field(default_factory=default_factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class TrainConfig:
    """Every setting of a training run; saved as ``config.json`` beside the vectors.

    Each field's metadata holds its help text: the ``train`` command's flags are made from it
    (:func:`palabra2vec.cli.main.add_config_flags`), so a new field is a new flag.
    """

    # corpus
    tokenizer: str = _opt("spanish", "spanish (Gutenberg-aware, lowercased, punctuation removed), "
                          "whitespace (pre-tokenized, one sentence a line) or notebook (the course's split)",
                          choices=TOKENIZERS)
    lowercase: bool = _opt(True, "lowercase tokens (spanish tokenizer)")
    max_sentence_length: int = _opt(1000, "split longer sentences, as word2vec.c does")
    # vocabulary
    min_count: int = _opt(5, "ignore words seen fewer times")
    # sampling
    sample: float = _opt(1e-4, "subsampling threshold t, 0 to disable")
    subsample_formula: str = _opt("word2vec", "word2vec (gensim, word2vec.c: keep = (sqrt(f/t) + 1) t/f) "
                                  "or notebook (the paper's: keep = sqrt(t/f))", choices=SUBSAMPLE_FORMULAS)
    window: int = _opt(5, "maximum window; each center draws its own size in 1..window")
    negative: int = _opt(5, "noise words per context word (K)")
    ns_exponent: float = _opt(0.75, "noise distribution is count ** ns_exponent")
    # model
    model: str = _opt("sg", "sg (skip-gram: each context word predicts the center) or cbow (the mean or sum "
                      "of the context words predicts the center; word2vec.c uses alpha 0.05 for it)",
                      choices=MODELS)
    cbow_mean: bool = _opt(True, "cbow: average the context vectors (word2vec.c, gensim); "
                           "--no-cbow-mean sums them")
    hs: bool = _opt(False, "hierarchical softmax over a Huffman tree of the vocabulary; with --negative 0 "
                    "the only loss, else trained beside negative sampling (word2vec.c, gensim)")
    vector_size: int = _opt(100, "embedding dimension")
    subwords: bool = _opt(False, "fastText's subword model: a word's vector is the mean of its own row and the "
                          "rows of its character n-grams (words outside the vocabulary get vectors too)")
    min_n: int = _opt(3, "subwords: shortest character n-gram")
    max_n: int = _opt(6, "subwords: longest character n-gram (0: word rows only)")
    buckets: int = _opt(2_000_000, "subwords: rows of the n-gram table (n-grams are hashed into them)")
    init: str = _opt("gensim", "starting tables: gensim (input U(-1/D, 1/D), output 0), "
                     "word2vec (word2vec.c: U(-0.5/D, 0.5/D)) or xavier (the notebook)", choices=INITS)
    # optimisation
    epochs: int | None = _opt(None, "passes over the corpus (None: DEFAULT_EPOCHS, QUIJOTE_EPOCHS on the built-in "
                              "corpus, see resolve)", kind=int, shown=f"{DEFAULT_EPOCHS}; {QUIJOTE_EPOCHS} on the built-in Don Quijote")
    optimizer: str = _opt("sgd", "sgd (linear decay alpha -> min_alpha) or adam (constant alpha)", choices=OPTIMIZERS)
    alpha: float = _opt(0.025, "initial learning rate", shown="0.025; 0.002 in the notebook preset")
    min_alpha: float = _opt(0.0001, "final learning rate of the SGD decay")
    batch_size: int = _opt(512, "centers per minibatch on the torch backend")
    # execution
    backend: str = _opt("auto", "auto (fast on CPU, batched on GPU, torch with adam), fast (compiled kernel, "
                        "CPU), torch (readable autograd path) or batched (shared-negative batches, for GPUs)",
                        choices=BACKENDS, resume_free=True)
    device: str = _opt("auto", "auto (a GPU when PyTorch sees one), cpu, cuda or cuda:N", resume_free=True)
    threads: int = _opt(None, "CPU threads", default_factory=default_threads, resume_free=True,
                        shown="all cores")
    hogwild: bool = _opt(False, "fast backend, several threads: update the tables lock-free as word2vec.c "
                         "and gensim do (about 1.5x faster training; runs then differ). Default: "
                         "deterministic rounds (same seed and threads, same vectors)", resume_free=True)
    seed: int = _opt(1, "random seed")
    chunk_words: int = _opt(65536, "corpus words per work item handed to a thread", cli=False)
    # the notebook's data pipeline (palabra2vec.training.notebook); defaults: word2vec.c/gensim
    subsample_total: str = _opt("vocab", "what f in subsampling counts: vocab (in-vocabulary tokens; word2vec.c, "
                                "gensim) or corpus (every token, subsampling before dropping rare words; the notebook)",
                                choices=SUBSAMPLE_TOTALS)
    draw_once: bool = _opt(False, "torch backend: draw pairs, contexts and negatives once and reuse them every "
                           "epoch, as the notebook (all examples in memory); default: drawn afresh every epoch")
    noise_skip_first: bool = _opt(False, "never draw the most frequent word (id 0) as a negative, as the "
                                  "notebook's sampler does")

    def resolve(self, builtin_corpus: bool = False) -> "TrainConfig":
        """A copy with ``epochs`` filled in when it is None: :data:`QUIJOTE_EPOCHS` on the
        built-in corpus, :data:`DEFAULT_EPOCHS` otherwise. The one place that default lives."""
        if self.epochs is not None:
            return self
        return dataclasses.replace(self, epochs=QUIJOTE_EPOCHS if builtin_corpus else DEFAULT_EPOCHS)

    def validate(self) -> "TrainConfig":
        """Raise :class:`UsageError` naming the first absurd setting; return self."""

        def need(ok: bool, msg: str) -> None:
            if not ok:
                raise UsageError(msg)

        need(self.tokenizer in TOKENIZERS, f"tokenizer must be one of {', '.join(TOKENIZERS)}")
        need(
            self.subsample_formula in SUBSAMPLE_FORMULAS,
            f"subsample formula must be one of {', '.join(SUBSAMPLE_FORMULAS)}",
        )
        need(self.optimizer in OPTIMIZERS, f"optimizer must be one of {', '.join(OPTIMIZERS)}")
        need(self.backend in BACKENDS, f"backend must be one of {', '.join(BACKENDS)}")
        need(self.init in INITS, f"init must be one of {', '.join(INITS)}")
        need(self.subsample_total in SUBSAMPLE_TOTALS, f"subsample total must be one of {', '.join(SUBSAMPLE_TOTALS)}")
        need(not (self.draw_once and self.backend == "fast"), "draw_once needs the torch backend, not fast")
        need(1 <= self.vector_size <= 10_000, "vector size must be between 1 and 10000")
        need(1 <= self.window <= 1000, "window must be between 1 and 1000")
        need(0 <= self.negative <= 1000, "negative must be between 0 and 1000")
        need(self.model in MODELS, f"model must be one of {', '.join(MODELS)}")
        need(self.negative >= 1 or self.hs, "negative must be at least 1 unless --hs (the model needs a loss)")
        need(self.min_count >= 1, "min count must be at least 1")
        need(0 <= self.sample < 1, "sample must be in [0, 1)")
        need(self.epochs is None or 1 <= self.epochs <= 10_000, "epochs must be between 1 and 10000")
        need(0 < self.alpha <= 10, "alpha (learning rate) must be in (0, 10]")
        need(0 <= self.min_alpha <= self.alpha, "min alpha must be between 0 and alpha")
        need(1 <= self.batch_size <= 1_000_000, "batch size must be between 1 and 1000000")
        need(1 <= self.threads <= 1024, "threads must be between 1 and 1024")
        need(10 <= self.max_sentence_length <= 1_000_000, "max sentence length must be >= 10")
        need(1024 <= self.chunk_words <= 100_000_000, "chunk words must be >= 1024")
        need(-5 <= self.ns_exponent <= 5, "ns exponent must be between -5 and 5")
        if self.subwords:
            need(1 <= self.min_n <= 100 and 0 <= self.max_n <= 100, "min n must be in 1..100 and max n in 0..100")
            need(self.max_n == 0 or self.min_n <= self.max_n, "min n must not exceed max n")
            need(1 <= self.buckets <= 2**31 - 1, "buckets must be between 1 and 2147483647")
        need(self.seed >= 0, "seed must be a non-negative integer")
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def cli_fields(cls) -> list[dataclasses.Field]:
        """The fields that are ``train`` flags, in declaration order."""
        return [f for f in fields(cls) if f.metadata.get("cli")]

    @classmethod
    def resume_free(cls) -> set[str]:
        """Fields a ``--resume`` may change: they do not change what the run computes."""
        return {f.name for f in fields(cls) if f.metadata.get("resume_free")}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


#: The course notebook's settings (d2l "Pretraining word2vec"), its data pipeline included:
#: f over every token, examples drawn once, no negative equal to the most frequent word, and
#: work items of 1M words so that Don Quijote is one item whose examples are reshuffled
#: together every epoch, as the notebook's DataLoader does (see training/notebook.py).
PRESETS: dict[str, dict[str, Any]] = {
    "notebook": dict(
        tokenizer="notebook",
        min_count=10,
        sample=1e-4,
        subsample_formula="notebook",
        window=5,
        negative=5,
        batch_size=512,
        vector_size=100,
        init="xavier",
        optimizer="adam",
        alpha=0.002,
        epochs=20,
        backend="torch",
        subsample_total="corpus",
        draw_once=True,
        noise_skip_first=True,
        chunk_words=1 << 20,
    ),
}


def describe_preset(name: str) -> str:
    """What a preset sets, as ``key=value`` pairs (for ``--help``)."""
    return ", ".join(f"{k}={v}" for k, v in PRESETS[name].items())


def preset(name: str, **overrides: Any) -> TrainConfig:
    """A :class:`TrainConfig` from a named preset, with ``overrides`` applied."""
    if name not in PRESETS:
        raise UsageError(f"unknown preset {name!r} (known: {', '.join(PRESETS)})")
    return TrainConfig(**{**PRESETS[name], **overrides})
