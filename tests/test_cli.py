import subprocess
import sys
from pathlib import Path

import pytest

from palabra2vec.cli.main import main


def _train_tiny(corpus: Path, out: Path, *extra: str) -> int:
    return main(["train", str(corpus), "--output", str(out), "--min-count", "1", "--sample", "0",
                 "--epochs", "2", "--vector-size", "8", "--quiet", *extra])


def test_train_prints_where_the_model_went_and_neighbours(tiny_corpus, tmp_path, capsys):
    out = tmp_path / "model"
    assert _train_tiny(tiny_corpus, out) == 0
    text = capsys.readouterr().out
    assert f"model saved to {out}" in text
    assert "nearest neighbours:" in text and "caballero ->" in text
    assert (out / "model.safetensors").is_file()


def test_train_refuses_to_overwrite(tiny_corpus, tmp_path, capsys):
    out = tmp_path / "model"
    assert _train_tiny(tiny_corpus, out) == 0
    capsys.readouterr()
    assert _train_tiny(tiny_corpus, out) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and err.count("\n") == 1
    assert _train_tiny(tiny_corpus, out, "--overwrite") == 0


def test_similar_and_unknown_word(tiny_corpus, tmp_path, capsys):
    out = tmp_path / "model"
    _train_tiny(tiny_corpus, out)
    capsys.readouterr()
    assert main(["similar", str(out), "caballero", "--topn", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and all("\t" in line for line in lines)
    assert main(["similar", str(out), "caballeros"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("palabra2vec: error: word 'caballeros' is not in the vocabulary")
    assert "caballero" in err and err.count("\n") == 1


@pytest.mark.parametrize("args", [["train", "--window", "0"], ["train", "--epochs", "abc"], ["train", "--sample", "-1"],
                                  ["train", "--tokenizer", "klingon"], ["frobnicate"]])
def test_bad_arguments_exit_2_with_one_line(args, tmp_path, capsys):
    assert main(args + ["--output", str(tmp_path / "m")] if args[0] == "train" else args) == 2
    err = capsys.readouterr().err
    assert err.startswith("palabra2vec: error:") and err.count("\n") == 1
    assert "Traceback" not in err


def test_missing_corpus_file_exits_1(tmp_path, capsys):
    assert main(["train", str(tmp_path / "nope.txt"), "--output", str(tmp_path / "m"), "-q"]) == 1
    assert "no such file or directory" in capsys.readouterr().err


def test_stats_reproduces_the_notebook_figures(quijote, capsys):
    assert main(["stats", "--data-dir", str(quijote.parent), "--tokenizer", "notebook", "--min-count", "10"]) == 0
    out = capsys.readouterr().out
    assert "distinct tokens: 39,731" in out
    assert "with count >= 10: 3,241 words" in out
    assert "top 10: que 19,546, de 18,131, y 15,976, la 10,328" in out
    assert "mesa: 16 -> 16" in out


def test_python_dash_m_is_the_same_command(tiny_corpus, tmp_path):
    exe = Path(sys.executable).parent / "palabra2vec"
    a = subprocess.run([sys.executable, "-m", "palabra2vec", "similar", str(tmp_path / "none"), "x"], capture_output=True, text=True)
    assert a.returncode == 1 and a.stderr.startswith("palabra2vec: error: no model directory")
    h1 = subprocess.run([sys.executable, "-m", "palabra2vec", "--help"], capture_output=True, text=True)
    assert h1.returncode == 0 and "train" in h1.stdout
    if exe.exists():
        h2 = subprocess.run([str(exe), "--help"], capture_output=True, text=True)
        assert h2.stdout == h1.stdout


def test_similar_falls_back_to_the_lower_case_word(tiny_corpus, tmp_path, capsys):
    out = tmp_path / "model"
    _train_tiny(tiny_corpus, out)
    capsys.readouterr()
    assert main(["similar", str(out), "Caballero", "--topn", "2"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "palabra2vec: note: 'Caballero' is not in the vocabulary; using 'caballero'\n"
    assert len(captured.out.strip().splitlines()) == 2
    assert main(["analogy", str(out), "Caballero", "escudero", "Día", "--topn", "1"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("caballero : escudero :: día : ?") and captured.err.count("note:") == 2
    assert main(["similar", str(out), "Caballeros"]) == 2  # neither form known: the usual error
    assert "'Caballeros' is not in the vocabulary" in capsys.readouterr().err


def test_plot_words_takes_word2vec_files(tiny_corpus, tmp_path, capsys):
    out = tmp_path / "model"
    _train_tiny(tiny_corpus, out)
    for fmt, name in (("word2vec-binary", "v.bin"), ("word2vec-text", "v.txt")):
        assert main(["export", str(out), "--format", fmt, "-o", str(tmp_path / name)]) == 0
        png = tmp_path / f"{name}.png"
        assert main(["plot", "words", str(tmp_path / name), "Caballero", "--neighbours", "3", "-o", str(png)]) == 0
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "using 'caballero'" in capsys.readouterr().err


def test_train_probes_frequent_words_of_the_corpus(tmp_path, capsys):
    p = tmp_path / "en.txt"
    p.write_text("the knight rode a horse and the squire walked beside the horse.\n" * 30, encoding="utf-8")
    assert main(["train", str(p), "-o", str(tmp_path / "m"), "--min-count", "1", "--sample", "0", "--epochs", "1",
                 "--vector-size", "8", "-q", "--no-plot"]) == 0
    text = capsys.readouterr().out
    probes = [line.split("->")[0].strip() for line in text.splitlines() if "->" in line]
    assert probes == ["horse", "knight", "squire"]  # words of this corpus, not día/caballero/sancho


def test_stats_preset_notebook_prints_pairs_per_epoch(quijote, capsys):
    assert main(["stats", "--data-dir", str(quijote.parent), "--preset", "notebook", "--words", "que"]) == 0
    out = capsys.readouterr().out
    assert "with count >= 10: 3,241 words" in out
    assert "f over all 389,511 corpus tokens" in out
    assert "que: 19,546 -> " in out and "keep probability 0.0446, expected 873" in out  # 19,546 x 0.04464 = 872.5
    line = next(x for x in out.splitlines() if x.startswith("center-context pairs per epoch"))
    pairs = int(line.split(": ")[1].split(" ")[0].replace(",", ""))
    assert abs(pairs - 303_511) < 4 * 1_138  # the notebook's figure, within our spread over seeds
    # a flag given wins over the preset
    assert main(["stats", "--data-dir", str(quijote.parent), "--preset", "notebook", "--subsample-total", "vocab",
                 "--words", "que"]) == 0
    out = capsys.readouterr().out
    assert "f over the 319,883 in-vocabulary tokens" in out and "keep probability 0.0405" in out
