"""Tiny models for the explorer tests: hand-made vectors, a toy subword model, a live server."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from palabra2vec.vectors import WordVectors

#: Words a page must show as text, never as markup.
HOSTILE = ["<script>window.__pwned=1</script>", "<b>negrita</b>", "<img/src=x/onerror=window.__pwned=2>"]

WORDS = ["caballero", "escudero", "sancho", "quijote", "dulcinea", "rey", "reina", "hombre", "mujer",
         "canción", "canciones", "cansado", "día", "noche", "mesa", "año", "caballo", "caballeros"] + HOSTILE


def toy_vectors(seed: int = 0, dim: int = 16) -> WordVectors:
    """Random vectors with a little structure: reina - rey + hombre is near mujer, and each hostile
    word sits right beside "caballero", so it is among caballero's neighbours."""
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(len(WORDS), dim)).astype(np.float32)  # (V, D)
    i = {w: k for k, w in enumerate(WORDS)}
    v[i["mujer"]] = v[i["hombre"]] + (v[i["reina"]] - v[i["rey"]]) + 0.05 * rng.normal(size=dim)
    for k, w in enumerate(HOSTILE):
        v[i[w]] = v[i["caballero"]] + 0.1 * (k + 1) * rng.normal(size=dim)
    return WordVectors(v, WORDS, counts=np.arange(len(WORDS), 0, -1))


def write_toy_model(path: Path, seed: int = 0) -> Path:
    """The toy vectors as a word2vec text file (what `palabra2vec serve FILE` reads)."""
    toy_vectors(seed).save_word2vec_format(path)
    return path


class PrefixSubwords(WordVectors):
    """A toy subword model for the OOV path: an unknown word's vector is the mean of the vectors of
    the vocabulary words sharing its first four letters (a stand-in for fastText's n-gram sum);
    ``KeyError`` when none does, as word-level vectors always raise."""

    def get_vector(self, word: str, norm: bool = False) -> np.ndarray:
        if word in self:
            return super().get_vector(word, norm)
        rows = [i for i, w in enumerate(self.index_to_key) if w[:4] == word[:4]]
        if len(word) < 4 or not rows:
            return super().get_vector(word, norm)  # raises UnknownWordError with suggestions
        v = self.vectors[rows].mean(axis=0)  # (D,)
        return v / np.linalg.norm(v) if norm else v


@contextmanager
def live_server(app):
    """``app`` served by uvicorn on a free port of 127.0.0.1 in a thread; yields the base URL."""
    import uvicorn

    from palabra2vec.cli.serve import bind

    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
