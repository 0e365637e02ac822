"""The shape of the package: small modules, no import cycles, one backend contract, flags made
from the config, and model directories of the previous format still readable."""

from __future__ import annotations

import ast
import dataclasses
import inspect
from pathlib import Path

import numpy as np
import pytest

from palabra2vec import TrainConfig, Word2Vec
from palabra2vec.cli.main import build_parser
from palabra2vec.errors import UsageError
from palabra2vec.storage import load_model
from palabra2vec.training.backend import REGISTRY, Backend, backend_class, resolve_backend
from palabra2vec.variants import check_tables, init_tables, table_shapes
from palabra2vec.vectors import load_vectors

PACKAGE = Path(__file__).resolve().parent.parent / "palabra2vec"
V1_MODEL = Path(__file__).resolve().parent / "data" / "model-v1"


def _modules() -> dict[str, Path]:
    mods = {}
    for f in PACKAGE.rglob("*.py"):
        name = ".".join(f.relative_to(PACKAGE.parent).with_suffix("").parts)
        mods[name.removesuffix(".__init__")] = f
    return mods


def test_no_module_over_400_lines():
    long = {str(f.relative_to(PACKAGE.parent)): n for f in PACKAGE.rglob("*.py")
            if (n := len(f.read_text(encoding="utf-8").splitlines())) > 400}
    assert long == {}


def _imports(name: str, path: Path, mods: dict[str, Path]) -> set[str]:
    """Package modules ``name`` imports anywhere (top level, functions, TYPE_CHECKING)."""
    pkg = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            for alias in node.names:
                for cand in (f"{base}.{alias.name}", base):
                    if cand in mods:
                        out.add(cand)
                        break
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name in mods}
    out.discard(name)
    return out


def test_no_import_cycle_between_modules():
    mods = _modules()
    graph = {n: _imports(n, p, mods) for n, p in mods.items()}
    cycles = []

    def visit(node, stack, done):
        stack.append(node)
        for nxt in graph[node]:
            if nxt in stack:
                cyc = stack[stack.index(nxt):] + [nxt]
                if not any(mods[m].name == "__init__.py" for m in cyc):  # re-exports are not cycles
                    cycles.append(" -> ".join(cyc))
            elif nxt not in done:
                visit(nxt, stack, done)
        stack.pop()
        done.add(node)

    done: set[str] = set()
    for n in graph:
        if n not in done:
            visit(n, [], done)
    assert cycles == []


def test_the_cycle_check_can_fail(tmp_path, monkeypatch):
    """The helper above does see an import inside a function."""
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("def f():\n    from .b import g\n")
    b.write_text("from .a import f\n")
    mods = {"p.a": a, "p.b": b}
    assert _imports("p.a", a, mods) == {"p.b"} and _imports("p.b", b, mods) == {"p.a"}


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_registered_backend_implements_the_whole_protocol(name):
    factory = backend_class(name)
    assert callable(factory.unavailable)
    if isinstance(factory, type):
        _implements_protocol(name, factory)
    else:  # the torch path's factory: the plain backend and its draw-once variant
        from palabra2vec.training.notebook_backend import DrawOnceBackend
        from palabra2vec.training.torch_backend import TorchBackend

        for cls in (TorchBackend, DrawOnceBackend):
            _implements_protocol(name, cls)


def _implements_protocol(name, cls):
    wanted = [m for m in dir(Backend) if not m.startswith("_")]
    missing = [m for m in wanted if not hasattr(cls, m) and m not in ("deterministic", "threads")]
    assert missing == []
    for m in ("train_item", "end_round", "tables", "live_tables", "load_tables", "optimizer_state",
              "load_optimizer_state", "release"):
        sig = list(inspect.signature(getattr(cls, m)).parameters)
        want = list(inspect.signature(getattr(Backend, m)).parameters)
        assert sig == want, (name, m)


def test_backend_choice_comes_from_the_registry():
    assert resolve_backend(TrainConfig(), "cpu") == "fast"
    assert resolve_backend(TrainConfig(optimizer="adam"), "cpu") == "torch"
    with pytest.raises(UsageError, match="CPU only"):
        resolve_backend(TrainConfig(backend="fast"), "cuda")
    with pytest.raises(UsageError, match="unknown backend"):
        backend_class("quantum")


def test_tables_are_named_and_checked():
    cfg = TrainConfig(vector_size=7, seed=4)
    shapes = table_shapes(cfg, 11)
    assert shapes == {"input": (11, 7), "output": (11, 7)}
    tables = init_tables(cfg, 11)
    assert {k: v.shape for k, v in tables.items()} == shapes
    assert check_tables(tables, cfg, 11) is None
    assert "expected float32 (11, 7)" in check_tables({**tables, "output": np.zeros((11, 6), np.float32)}, cfg, 11)
    assert "needs" in check_tables({"input": tables["input"]}, cfg, 11)


def test_every_cli_config_field_is_a_train_flag_with_help_and_default():
    train = build_parser()._subparsers._group_actions[0].choices["train"]
    by_dest = {a.dest: a for a in train._actions}
    for f in TrainConfig.cli_fields():
        action = by_dest[f.name]
        assert action.help and "(default: " in action.help, f.name
        assert action.default is None  # only what the user types overrides the config
    hidden = {f.name for f in dataclasses.fields(TrainConfig)} - {f.name for f in TrainConfig.cli_fields()}
    assert hidden == {"chunk_words"}
    assert TrainConfig.resume_free() == {"threads", "device", "backend", "hogwild"}


def test_train_flags_reach_the_config():
    from palabra2vec.cli.common import config_overrides

    args = build_parser().parse_args(["train", "--window", "3", "--hogwild", "--no-lowercase", "--init", "xavier"])
    assert config_overrides(args) == {"window": 3, "hogwild": True, "lowercase": False, "init": "xavier"}


def test_a_version_1_model_directory_still_loads():
    m = load_model(V1_MODEL)
    assert set(m.tables) == {"input", "output"} and m.tables["input"].shape == (9, 4)
    from safetensors.numpy import load_file

    raw = load_file(V1_MODEL / "model.safetensors")
    assert np.array_equal(m.tables["input"], raw["input"]) and np.array_equal(m.tables["output"], raw["output"])
    wv = load_vectors(V1_MODEL)
    assert wv.most_similar("caballero", topn=1)[0][0] == "escudero"


def test_saved_models_are_version_2_and_round_trip_every_table(tmp_path):
    import json

    m = Word2Vec.load(V1_MODEL)
    m.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "config.json").read_text())
    assert meta["format_version"] == 3 and meta["tables"] == {"input": [9, 4], "output": [9, 4]}
    back = Word2Vec.load(tmp_path / "m")
    assert all(np.array_equal(back.tables[k], m.tables[k]) for k in m.tables)
