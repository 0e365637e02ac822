"""Quality figures for compare_gensim.py, computed with one evaluator (gensim's KeyedVectors)
for both models: analogy accuracy (3CosAdd, gensim ``evaluate_word_analogies``) and
Spearman correlation on word-similarity pairs (``evaluate_word_pairs``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from gensim.models import KeyedVectors


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def analogy_file(files: list[Path], workdir: Path) -> Path:
    """One questions file with a ``: name`` section header per input file (gensim needs them)."""
    out = workdir / "analogies.txt"
    parts = []
    for f in files:
        text = _read_text(f)
        if not text.lstrip().startswith(":"):
            text = f": {f.stem}\n" + text
        parts.append(text.rstrip("\n") + "\n")
    out.write_text("".join(parts), encoding="utf-8")
    return out


def pairs_file(path: Path, workdir: Path) -> Path:
    """A UTF-8 copy without BOM (MSL.txt starts with one)."""
    out = workdir / (path.stem + ".tsv")
    out.write_text(_read_text(path), encoding="utf-8")
    return out


def load_palabra2vec(model_dir: Path) -> KeyedVectors:
    """The model's vocabulary vectors as gensim KeyedVectors (no export step needed): the input
    table for word-level models, composed with the n-gram rows for subword models
    (``variants.word_vectors``, what ``palabra2vec similar`` and the exports use)."""
    from palabra2vec.vectors.loading import load_vectors

    wv = load_vectors(model_dir)
    kv = KeyedVectors(vector_size=wv.vector_size)
    kv.add_vectors(wv.index_to_key, np.ascontiguousarray(wv.vectors, dtype=np.float32))
    return kv


def load_gensim(out_dir: Path) -> KeyedVectors:
    return KeyedVectors.load_word2vec_format(str(out_dir / "vectors.bin"), binary=True)


def evaluate(kv: KeyedVectors, analogies: Path | None, pairs: dict[str, Path]) -> dict[str, float]:
    res: dict[str, float] = {}
    if analogies is not None:
        score, _sections = kv.evaluate_word_analogies(str(analogies), restrict_vocab=300000)
        res["analogy"] = 100.0 * float(score)
    for name, p in pairs.items():
        _pearson, spearman, _oov = kv.evaluate_word_pairs(str(p), delimiter="\t", restrict_vocab=300000)
        res[name] = float(spearman[0])
    return res
