"""Saving and loading :class:`~palabra2vec.text.phrases.Phrases`: JSON or TSV, never pickle.

JSON: ``{"format": "palabra2vec-phrases", "version": 1, "settings": {...}, "stats": [...],
"levels": [[{"tokens": [...], "score": s, "count": n, "level": 1}, ...], ...]}``.
TSV: a first line ``# palabra2vec-phrases 1 {settings and stats as JSON}``, then one line per
phrase: ``level<TAB>tokens separated by spaces<TAB>score<TAB>count``. Scores are written with
``repr`` and read back bit-exact.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..errors import Palabra2vecError, UsageError
from ..fileio import atomic_write

FORMAT = "palabra2vec-phrases"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Phrase:
    """A phrase found on pass ``level`` (1, 2, ...): its tokens on that pass, score, count."""

    tokens: tuple[str, ...]
    score: float
    count: int
    level: int = 1

    def text(self, delimiter: str = "_") -> str:
        return delimiter.join(self.tokens)


def phrase_from_dict(d: dict[str, Any]) -> Phrase:
    return Phrase(tuple(d["tokens"]), float(d["score"]), int(d["count"]), int(d["level"]))


def phrase_to_dict(p: Phrase) -> dict[str, Any]:
    return {**asdict(p), "tokens": list(p.tokens)}

_SUFFIXES = (".json", ".tsv")


def _write_atomic(path: Path, text: str) -> None:
    try:
        atomic_write(path, lambda f: f.write(text.encode("utf-8")))
    except OSError as e:
        raise Palabra2vecError(f"cannot write {path}: {e.strerror or e}") from e


def save_phrases(ph: Any, path: Path) -> Path:
    """Write a :class:`~palabra2vec.text.phrases.Phrases` as .json or .tsv."""
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise UsageError(f"phrases are saved as .json or .tsv, not {path.name!r}")
    head = {"format": FORMAT, "version": FORMAT_VERSION, "settings": ph.settings(), "stats": ph.stats}
    if suffix == ".json":
        doc = {**head, "levels": [[phrase_to_dict(p) for p in found] for found in ph.levels]}
        _write_atomic(path, json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
        return path
    lines = [f"# {FORMAT} {FORMAT_VERSION} " + json.dumps({"settings": head["settings"], "stats": ph.stats},
                                                          ensure_ascii=False)]
    for found in ph.levels:
        for p in found:
            if any(not t or any(c.isspace() for c in t) for t in p.tokens):
                raise Palabra2vecError(f"phrase {p.tokens!r} has a token with white space; save it as .json")
            lines.append(f"{p.level}\t{' '.join(p.tokens)}\t{p.score!r}\t{p.count}")
    _write_atomic(path, "\n".join(lines) + "\n")
    return path


def _from_parts(cls: type, settings: dict[str, Any], stats: list[dict[str, Any]],
                phrases: list[Phrase], path: Path) -> Any:
    try:
        ph = cls(**settings)
    except (TypeError, UsageError) as e:
        raise Palabra2vecError(f"{path} has bad settings: {e}") from e
    n_levels = max([p.level for p in phrases] + [len(stats)])
    ph.levels = [[] for _ in range(n_levels)]
    for p in phrases:
        if p.level < 1 or len(p.tokens) < 2:
            raise Palabra2vecError(f"{path} is damaged: bad phrase {p.tokens!r} at level {p.level}")
        ph.levels[p.level - 1].append(p)
    ph.stats = list(stats)
    return ph


def load_phrases(cls: type, path: Path) -> Any:
    """Read what :func:`save_phrases` wrote into a ``cls`` (:class:`~palabra2vec.text.phrases.Phrases`)."""
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise UsageError(f"phrases are read from .json or .tsv files, not {path.name!r}")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise Palabra2vecError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise Palabra2vecError(f"cannot read {path}: {e}") from e
    try:
        if suffix == ".json":
            doc = json.loads(text)
            _check(doc.get("format"), doc.get("version"), path)
            phrases = [phrase_from_dict(d) for found in doc["levels"] for d in found]
            return _from_parts(cls, doc["settings"], doc.get("stats", []), phrases, path)
        lines = text.splitlines()
        first = lines[0].split(" ", 3) if lines else []
        if len(first) < 4 or first[0] != "#":
            raise Palabra2vecError(f"{path} is not a palabra2vec phrases file (no header line)")
        _check(first[1], int(first[2]) if first[2].isdigit() else first[2], path)
        head = json.loads(first[3])
        phrases = []
        for n, line in enumerate(lines[1:], 2):
            parts = line.split("\t")
            if len(parts) != 4:
                raise Palabra2vecError(f"{path}:{n}: malformed phrase line")
            phrases.append(Phrase(tuple(parts[1].split(" ")), float(parts[2]), int(parts[3]), int(parts[0])))
        return _from_parts(cls, head["settings"], head.get("stats", []), phrases, path)
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise Palabra2vecError(f"{path} is damaged: {type(e).__name__}: {e}") from e


def _check(fmt: Any, version: Any, path: Path) -> None:
    if fmt != FORMAT:
        raise Palabra2vecError(f"{path} is not a palabra2vec phrases file")
    if version != FORMAT_VERSION:
        raise Palabra2vecError(f"{path} has phrases format version {version}; this palabra2vec reads {FORMAT_VERSION}")
