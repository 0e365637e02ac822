"""``palabra2vec phrases`` and ``train --phrases`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from palabra2vec.cli.main import main

TINY = ("sancho panza dijo que sí\nsancho panza calló\ndijo sancho panza\nla panza de sancho\n"
        "don quijote de la mancha dijo\ndon quijote de la mancha\n")
JOINED = ("sancho_panza dijo que sí\nsancho_panza calló\ndijo sancho_panza\nla panza de sancho\n"
          "don_quijote_de_la_mancha dijo\ndon_quijote_de_la_mancha\n")


@pytest.fixture
def tiny(tmp_path) -> Path:
    p = tmp_path / "tiny.txt"
    p.write_text(TINY, encoding="utf-8")
    return p


def _phrases(corpus: Path, *extra: str) -> int:
    return main(["phrases", str(corpus), "--tokenizer", "whitespace", "--min-count", "1", "--threshold", "1", *extra])


def test_phrases_writes_joined_corpus_and_lists_top(tiny, tmp_path, capsys):
    out, saved = tmp_path / "out.txt", tmp_path / "frases.json"
    assert _phrases(tiny, "-o", str(out), "--top", "3", "--save", str(saved)) == 0
    assert out.read_text(encoding="utf-8") == JOINED
    text = capsys.readouterr().out
    assert "pass 1: 3 phrases from 10 candidate pairs; 26 tokens -> 21" in text
    assert "pass 2: 1 phrases from 8 candidate pairs; 21 tokens -> 15" in text
    top = text.split("top 3 phrases")[1].splitlines()[1:]
    assert [line.split()[-1] for line in top] == ["don_quijote", "quijote_de_la_mancha", "don_quijote_de_la_mancha"]
    assert [float(line.split()[0]) for line in top] == [4.75, 4.75, 4.25]
    assert json.loads(saved.read_text(encoding="utf-8"))["format"] == "palabra2vec-phrases"
    # saved phrases applied again give the same bytes
    again = tmp_path / "again.txt"
    assert main(["phrases", str(tiny), "--tokenizer", "whitespace", "--load", str(saved), "-o", str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()


@pytest.mark.parametrize("extra,code,message", [
    ([], 2, "nothing to do"),
    (["--top", "5", "--scoring", "npmi", "--threshold", "5"], 2, "between -1 and 1"),
    (["--top", "5", "--passes", "0"], 2, "passes must be at least 1"),
    (["--top", "5", "--connector-words", "fr"], 2, "invalid choice"),
    (["-o", "OUT", "--load", "missing.json"], 1, "no such file"),
    (["-o", "OUT", "--load", "x.pkl"], 2, ".json or .tsv"),
])
def test_phrases_bad_input_is_one_line(tiny, tmp_path, capsys, extra, code, message):
    extra = [str(tmp_path / "out.txt") if e == "OUT" else e for e in extra]
    assert main(["phrases", str(tiny), *extra]) == code
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_phrases_refuses_to_overwrite(tiny, tmp_path, capsys):
    out = tmp_path / "out.txt"
    out.write_text("mine\n", encoding="utf-8")
    assert _phrases(tiny, "-o", str(out)) == 2
    assert "already exists" in capsys.readouterr().err and out.read_text(encoding="utf-8") == "mine\n"
    assert _phrases(tiny, "-o", str(out), "--overwrite") == 0
    assert out.read_text(encoding="utf-8") == JOINED


def test_train_with_phrases_learns_joined_tokens(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    filler = "".join(f"p{i}a q{i}b r{i}c\n" for i in range(100))
    corpus.write_text("sancho panza\n" * 10 + filler, encoding="utf-8")
    out = tmp_path / "model"
    assert main(["train", str(corpus), "--output", str(out), "--phrases", "--tokenizer", "whitespace",
                 "--min-count", "1", "--epochs", "1", "--vector-size", "8", "--quiet", "--no-plot"]) == 0
    vocab = (out / "vocab.tsv").read_text(encoding="utf-8").splitlines()
    assert "sancho_panza\t10" in vocab and not any(line.startswith("sancho\t") for line in vocab)
    saved = json.loads((out / "phrases.json").read_text(encoding="utf-8"))
    assert [p["tokens"] for p in saved["levels"][0]] == [["sancho", "panza"]]
    # the saved phrases can be given to another run
    out2 = tmp_path / "model2"
    assert main(["train", str(corpus), "--output", str(out2), "--phrases-from", str(out / "phrases.json"),
                 "--tokenizer", "whitespace", "--min-count", "1", "--epochs", "1", "--vector-size", "8",
                 "--quiet", "--no-plot"]) == 0
    assert (out2 / "vocab.tsv").read_text(encoding="utf-8") == (out / "vocab.tsv").read_text(encoding="utf-8")


def test_train_with_missing_phrases_file_leaves_no_model_dir(tiny, tmp_path, capsys):
    out = tmp_path / "model"
    assert main(["train", str(tiny), "--output", str(out), "--phrases-from", str(tmp_path / "none.json"),
                 "--quiet"]) == 1
    assert "no such file" in capsys.readouterr().err and not out.exists()
    assert main(["train", str(tiny), "--output", str(out), "--phrases", "--phrases-from", "x.json"]) == 2
