"""WordVectors queries (checked against gensim) and the similar/analogy/export commands."""

from __future__ import annotations

import json

import numpy as np
import pytest

from palabra2vec.cli.main import main
from palabra2vec.config import TrainConfig
from palabra2vec.errors import UnknownWordError, UsageError
from palabra2vec.storage import SavedModel, save_model
from palabra2vec.vectors import WordVectors, load_vectors
from palabra2vec.text.vocab import Vocab


def random_wv(n: int = 200, dim: int = 16, seed: int = 0) -> WordVectors:
    rng = np.random.default_rng(seed)
    words = ["rey", "reina", "hombre", "mujer", "día", "noche"] + [f"w{i}" for i in range(n - 6)]
    return WordVectors(rng.standard_normal((n, dim)).astype(np.float32), words, np.arange(n, 0, -1))


def planted_wv() -> WordVectors:
    """reina - rey + hombre is exactly mujer; 'mesa' points elsewhere."""
    words = ["rey", "reina", "hombre", "mujer", "mesa", "silla"]
    v = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1], [0.1, 0, 0, 1]], np.float32)
    return WordVectors(v, words)


def gensim_kv(wv: WordVectors):
    gensim = pytest.importorskip("gensim.models")
    kv = gensim.KeyedVectors(wv.vector_size)
    kv.add_vectors(wv.index_to_key, wv.vectors)
    return kv


def assert_same_ranking(ours, theirs, tol=1e-6):
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    assert np.allclose([s for _, s in ours], [s for _, s in theirs], atol=tol, rtol=0)


@pytest.mark.parametrize("query", [
    dict(positive=["rey"]),
    dict(positive=["reina", "hombre"], negative=["rey"]),
    dict(positive=["día"], negative=["noche"], restrict_vocab=50),
    dict(positive="rey", topn=3, restrict_vocab=10),
])
def test_most_similar_matches_gensim(query):
    wv = random_wv()
    assert_same_ranking(wv.most_similar(**query), gensim_kv(wv).most_similar(**query))


def test_most_similar_cosmul_matches_gensim():
    wv = random_wv(seed=1)
    q = dict(positive=["reina", "hombre"], negative=["rey"], topn=7)
    assert_same_ranking(wv.most_similar_cosmul(**q), gensim_kv(wv).most_similar_cosmul(**q))


def test_cosmul_honours_restrict_vocab():
    wv = random_wv(seed=2)
    got = wv.most_similar_cosmul(["reina", "hombre"], ["rey"], topn=5, restrict_vocab=20)
    assert len(got) == 5 and all(wv.get_index(w) < 20 for w, _ in got)
    assert not {"rey", "reina", "hombre"} & {w for w, _ in got}


def test_doesnt_match_matches_gensim():
    wv = random_wv(seed=4)
    words = ["rey", "reina", "hombre", "mujer", "w7"]
    assert wv.doesnt_match(words) == gensim_kv(wv).doesnt_match(words)
    assert planted_wv().doesnt_match(["rey", "reina", "mesa"]) == "mesa"


def test_similarity_matches_gensim():
    wv = random_wv(seed=5)
    assert wv.similarity("rey", "reina") == pytest.approx(float(gensim_kv(wv).similarity("rey", "reina")), abs=1e-6)


def test_analogy_on_planted_vectors():
    wv = planted_wv()
    best, score = wv.analogy("rey", "reina", "hombre")[0]
    u = {w: wv[w] / np.linalg.norm(wv[w]) for w in wv.index_to_key}
    q = u["reina"] + u["hombre"] - u["rey"]  # 3CosAdd query, written out
    assert best == "mujer" and score == pytest.approx(float(q @ u["mujer"] / np.linalg.norm(q)), abs=1e-6)
    assert wv.analogy("rey", "reina", "hombre", method="mul")[0][0] == "mujer"
    answers = [w for w, _ in wv.analogy("rey", "reina", "hombre", topn=10)]
    assert len(answers) == 3 and not {"rey", "reina", "hombre"} & set(answers)


def test_vectors_of_a_batch():
    wv = random_wv()
    batch = wv[["noche", "rey", "noche"]]
    assert batch.shape == (3, wv.vector_size)
    assert np.array_equal(batch[1], wv["rey"]) and np.array_equal(batch[0], batch[2])
    units = wv.get_vectors(["rey", "día"], norm=True)
    assert np.allclose(np.linalg.norm(units, axis=1), 1.0, atol=1e-6)


def test_unknown_word_is_a_keyerror_with_suggestions():
    wv = random_wv()
    with pytest.raises(KeyError) as e:
        wv.most_similar("reyna")
    assert isinstance(e.value, UnknownWordError)
    assert "'reyna'" in str(e.value) and "reina" in e.value.suggestions
    with pytest.raises(UnknownWordError):
        wv[["rey", "nadie"]]
    with pytest.raises(UsageError):
        wv.most_similar([])


def test_query_by_vector():
    wv = random_wv()
    got = wv.most_similar([wv["rey"]], topn=1)
    assert got[0][0] == "rey" and got[0][1] == pytest.approx(1.0, abs=1e-6)


# -- load_vectors and the CLI ---------------------------------------------------------------------
@pytest.fixture
def model_dir(tmp_path):
    wv = random_wv(n=60, dim=8, seed=7)
    t = wv.vectors
    save_model(tmp_path / "m", SavedModel(TrainConfig(vector_size=8), Vocab(wv.index_to_key, wv.vocab.counts), {"input": t, "output": t.copy()}))
    return tmp_path / "m"


def test_load_vectors_reads_directory_and_word2vec_file(model_dir, tmp_path):
    wv = load_vectors(model_dir)
    wv.save_word2vec_format(tmp_path / "v.bin", binary=True)
    back = load_vectors(tmp_path / "v.bin")
    assert back.index_to_key == wv.index_to_key and np.array_equal(back.vectors, wv.vectors)


def test_cli_similar_several_words_and_json(model_dir, capsys):
    wv = load_vectors(model_dir)
    assert main(["similar", str(model_dir), "rey", "día", "--topn", "2"]) == 0
    out = capsys.readouterr().out
    expected_rey = wv.most_similar("rey", topn=2)
    assert out.splitlines()[0] == "rey:"
    assert out.splitlines()[1] == f"{expected_rey[0][0]}\t{expected_rey[0][1]:.4f}"
    assert "\ndía:\n" in out
    assert main(["similar", str(model_dir), "rey", "--topn", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["word"] for d in data["rey"]] == [w for w, _ in wv.most_similar("rey", topn=3)]


def test_cli_analogy(model_dir, capsys, tmp_path):
    wv = load_vectors(model_dir)
    assert main(["analogy", str(model_dir), "rey", "reina", "hombre", "--topn", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [a["word"] for a in data["answers"]] == [w for w, _ in wv.analogy("rey", "reina", "hombre", topn=2)]
    wv.save_word2vec_format(tmp_path / "v.txt")  # a word2vec file works as MODEL too
    assert main(["analogy", str(tmp_path / "v.txt"), "rey", "reina", "hombre", "--cosmul"]) == 0
    assert capsys.readouterr().out.startswith("rey : reina :: hombre : ?\n")


@pytest.mark.parametrize("argv", [
    ["similar", "{m}", "rey", "reyna"],
    ["analogy", "{m}", "rey", "reina", "nadie"],
])
def test_cli_unknown_word_is_one_line_exit_2(model_dir, capsys, argv):
    assert main([a.format(m=model_dir) for a in argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1 and "not in the vocabulary" in captured.err


def test_cli_missing_model_is_exit_1(tmp_path, capsys):
    assert main(["similar", str(tmp_path / "nothing"), "rey"]) == 1
    assert "no model directory or word2vec file" in capsys.readouterr().err


@pytest.mark.parametrize("fmt,binary", [("word2vec-text", False), ("word2vec-binary", True)])
def test_cli_export_word2vec_loads_in_gensim(model_dir, tmp_path, capsys, fmt, binary):
    gensim = pytest.importorskip("gensim.models")
    out = tmp_path / "out.w2v"
    assert main(["export", str(model_dir), "--format", fmt, "-o", str(out)]) == 0
    kv = gensim.KeyedVectors.load_word2vec_format(str(out), binary=binary)
    wv = load_vectors(model_dir)
    assert kv.index_to_key == wv.index_to_key and np.array_equal(kv.vectors, wv.vectors)


def test_cli_export_projector(model_dir, tmp_path, capsys):
    assert main(["export", str(model_dir), "--format", "projector", "-o", str(tmp_path / "p"), "--limit", "5"]) == 0
    assert (tmp_path / "p" / "metadata.tsv").read_text(encoding="utf-8").splitlines() == load_vectors(model_dir).index_to_key[:5]
    assert len((tmp_path / "p" / "vectors.tsv").read_text().splitlines()) == 5
    assert main(["export", str(model_dir), "--format", "xml", "-o", "x"]) == 2


@pytest.mark.parametrize("cmd", ["similar", "analogy", "evaluate", "export"])
def test_cli_help(cmd, capsys):
    with pytest.raises(SystemExit) as e:
        main([cmd, "--help"])
    assert e.value.code == 0
    assert "MODEL" in capsys.readouterr().out
