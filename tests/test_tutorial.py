"""The Spanish tutorial notebook: stored as generated, executed top to bottom, and run again here.

The run takes about two minutes on 2 cores (the book read from ../shared/data/quijote through
PALABRA2VEC_DATA); it is skipped, saying why, when the book is absent.
"""

from __future__ import annotations

import importlib.util
import sys

import pytest

from conftest import QUIJOTE, ROOT, SHARED_DATA, need

nbformat = pytest.importorskip("nbformat", reason="the notebook test needs the [test] extra (nbformat)")
nbclient = pytest.importorskip("nbclient", reason="the notebook test needs the [test] extra (nbclient)")

TUTORIAL = ROOT / "docs" / "tutorial"
NOTEBOOK = TUTORIAL / "entrenamiento_word2vec.ipynb"


def _generator():
    """docs/tutorial/make_notebook.py, imported as a module."""
    spec = importlib.util.spec_from_file_location("make_notebook", TUTORIAL / "make_notebook.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_notebook", module)
    spec.loader.exec_module(module)
    return module


def _text(cell) -> str:
    """Everything a code cell printed or returned as text."""
    out = []
    for o in cell.get("outputs", []):
        if o.output_type == "stream":
            out.append(o.text)
        elif o.output_type in ("execute_result", "display_data"):
            out.append(o.data.get("text/plain", ""))
        elif o.output_type == "error":
            out.append(f"{o.ename}: {o.evalue}")
    return "".join(out)


def test_stored_notebook_is_the_generated_one_executed_top_to_bottom():
    stored = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(stored)
    fresh = _generator().build()
    assert [(c.cell_type, c.source) for c in stored.cells] == [(c.cell_type, c.source) for c in fresh.cells], \
        "the notebook differs from docs/tutorial/make_notebook.py: regenerate it (see its docstring)"
    code = [c for c in stored.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), "not executed once, in order"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    images = [o.data["image/png"] for c in code for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 3  # the histogram, the loss, the word map
    assert all(len(b64) < 150_000 for b64 in images), "figures should stay small (modest size and dpi)"


def test_notebook_runs_without_errors(monkeypatch, tmp_path):
    book = need(QUIJOTE)
    monkeypatch.setenv("PALABRA2VEC_DATA", str(book.parent.resolve()))
    evaluation = SHARED_DATA / "eval" / "es"
    if evaluation.is_dir():
        monkeypatch.setenv("PALABRA2VEC_EVAL", str(evaluation.resolve()))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    printed = "\n".join(_text(c) for c in nb.cells if c.cell_type == "code")
    # the lesson's reference figures (MISSION.md steps 2, 3 and 8) are what the cells print
    assert "con frecuencia >= 10: 3,241 palabras" in printed
    assert "que: 19,546 -> 813" in printed
    assert "masked_bce_loss: tensor([0.9352, 1.8462])" in printed
    assert "a mano: 0.9352, 1.8462" in printed
    assert "época 5: pérdida" in printed
    assert "backend fast" in printed
    if evaluation.is_dir():
        assert "MSL.txt" in printed and "analogías GA01-GA12" in printed
    assert list(tmp_path.iterdir()) == []  # the notebook cleans up after itself
