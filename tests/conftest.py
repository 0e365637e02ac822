"""Shared fixtures: tiny corpora written on the fly, and the data in ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("PALABRA2VEC_SHARED_DATA", ROOT.parent / "shared" / "data"))
QUIJOTE = SHARED_DATA / "quijote" / "pg2000.txt"


def need(path: Path) -> Path:
    """Skip the test, saying why, when a file of ../shared/data is absent."""
    if not path.exists():
        pytest.skip(f"test data {path} is absent (it lives in ../shared/data beside the checkout)")
    return path


@pytest.fixture
def quijote() -> Path:
    return need(QUIJOTE)


@pytest.fixture(autouse=True)
def _no_network_cache(tmp_path_factory, monkeypatch):
    """Tests never touch the user's cache or download by accident."""
    monkeypatch.setenv("PALABRA2VEC_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("PALABRA2VEC_DATA", raising=False)
    monkeypatch.setenv("PALABRA2VEC_QUIJOTE_URL", "http://127.0.0.1:9/unreachable")


TINY_ES = (
    "El caballero y su escudero salieron al campo.\n"
    "¿Qué día es hoy? —Martes, señor.\n\n"
    "El escudero dijo que el caballero era valiente.\n"
)


@pytest.fixture
def tiny_corpus(tmp_path) -> Path:
    """A few Spanish sentences repeated, enough words for min_count 1..5."""
    p = tmp_path / "tiny.txt"
    p.write_text(TINY_ES * 20, encoding="utf-8")
    return p
