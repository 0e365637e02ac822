"""The explorer's JSON API through Starlette's test client: answers, bounds, errors, headers."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the [serve] extra (starlette) is not installed")
if not (importlib.util.find_spec("httpx2") or importlib.util.find_spec("httpx")):
    pytest.skip("starlette's test client needs httpx2 (pip install -e '.[test]')", allow_module_level=True)

from starlette.testclient import TestClient  # noqa: E402

from palabra2vec.serve.app import create_app  # noqa: E402
from palabra2vec.serve.explorer import MAX_TOPN, MAX_WORD_CHARS  # noqa: E402
from serve_helpers import HOSTILE, PrefixSubwords, toy_vectors, write_toy_model  # noqa: E402


@pytest.fixture(scope="module")
def wv():
    return toy_vectors()


@pytest.fixture(scope="module")
def client(wv):
    with TestClient(create_app(wv, name="toy"), raise_server_exceptions=False) as c:
        yield c


def test_info(client):
    r = client.get("/api/info")
    assert r.status_code == 200
    assert r.json()["model"] == "toy" and r.json()["words"] == 21 and r.json()["dim"] == 16


def test_neighbours_are_most_similar(client, wv):
    r = client.get("/api/neighbours", params={"word": "caballero", "topn": 5})
    assert r.status_code == 200
    body = r.json()
    assert body["word"] == "caballero" and body["oov"] is False
    expected = wv.most_similar("caballero", topn=5)
    assert [n["word"] for n in body["neighbours"]] == [w for w, _ in expected]
    assert [n["similarity"] for n in body["neighbours"]] == pytest.approx([s for _, s in expected], abs=1e-6)
    assert set(HOSTILE) <= {n["word"] for n in body["neighbours"]}  # the toy model puts them there


def test_analogy_is_3cosadd(client, wv):
    r = client.get("/api/analogy", params={"a": "rey", "b": "reina", "c": "hombre", "topn": 3})
    assert r.status_code == 200
    answers = r.json()["answers"]
    assert answers[0]["word"] == "mujer"
    assert [a["word"] for a in answers] == [w for w, _ in wv.analogy("rey", "reina", "hombre", topn=3)]


def test_similarity_and_doesnt_match_agree_with_word_vectors(client, wv):
    r = client.get("/api/similarity", params={"w1": "día", "w2": "noche"})
    assert r.json()["similarity"] == pytest.approx(wv.similarity("día", "noche"), abs=1e-6)
    words = ["rey", "reina", "mujer", "hombre", "mesa"]
    r = client.get("/api/doesnt-match", params={"words": " ".join(words)})
    assert r.status_code == 200
    assert r.json()["odd"] == wv.doesnt_match(words)
    assert [s["word"] for s in r.json()["similarities"]] == words
    assert client.get("/api/doesnt-match", params={"words": "rey,reina,mesa"}).json()["words"] == ["rey", "reina", "mesa"]
    r = client.get("/api/doesnt-match", params={"words": " ".join(["rey", "reina", "x" * 100])})  # long is fine
    assert r.status_code == 404 and r.json()["word"] == "x" * 100


def test_map_is_pca_of_the_word_and_its_neighbours(client, wv):
    from palabra2vec.plots import project

    r = client.get("/api/map", params={"word": "sancho", "topn": 6})
    points = r.json()["points"]
    assert [p["word"] for p in points] == ["sancho"] + [w for w, _ in wv.most_similar("sancho", topn=6)]
    assert [p["query"] for p in points] == [True] + [False] * 6
    xy, _ = project(wv.get_vectors([p["word"] for p in points], norm=True), "pca")
    assert np.allclose([[p["x"], p["y"]] for p in points], xy, atol=1e-5)
    assert r.json()["note"].startswith("PCA: components 1 and 2 explain")


def test_suggest_is_prefix_accent_insensitive_most_frequent_first(client):
    assert client.get("/api/suggest", params={"q": "cab"}).json()["suggestions"] == ["caballero", "caballo", "caballeros"]
    assert client.get("/api/suggest", params={"q": "cancion"}).json()["suggestions"] == ["canción", "canciones"]
    assert client.get("/api/suggest", params={"q": "CANC"}).json()["suggestions"] == ["canción", "canciones"]
    assert client.get("/api/suggest", params={"q": "ano"}).json()["suggestions"] == ["año"]
    assert client.get("/api/suggest", params={"q": "ca", "limit": 2}).json()["suggestions"] == ["caballero", "canción"]
    assert client.get("/api/suggest", params={"q": "zz"}).json()["suggestions"] == []


def test_unknown_word_is_404_with_did_you_mean(client):
    r = client.get("/api/neighbours", params={"word": "cancion"})
    assert r.status_code == 404
    assert r.json()["word"] == "cancion"
    assert r.json()["suggestions"][:2] == ["canción", "canciones"]  # accents ignored first
    r = client.get("/api/neighbours", params={"word": "dulcinia"})
    assert r.status_code == 404 and r.json()["suggestions"] == ["dulcinea"]
    assert "not in the vocabulary" in r.json()["error"]
    r = client.get("/api/analogy", params={"a": "rey", "b": "xyzzy", "c": "hombre"})
    assert r.status_code == 404 and r.json()["word"] == "xyzzy"


@pytest.mark.parametrize("url, params, message", [
    ("/api/neighbours", {}, "missing parameter 'word'"),
    ("/api/neighbours", {"word": "rey", "topn": 0}, f"topn must be between 1 and {MAX_TOPN}"),
    ("/api/neighbours", {"word": "rey", "topn": MAX_TOPN + 1}, f"topn must be between 1 and {MAX_TOPN}"),
    ("/api/neighbours", {"word": "rey", "topn": "-3"}, "parameter 'topn' must be a whole number"),
    ("/api/neighbours", {"word": "rey", "topn": "1e9"}, "parameter 'topn' must be a whole number"),
    ("/api/neighbours", {"word": "rey", "topn": "9" * 50}, "parameter 'topn' must be a whole number"),
    ("/api/neighbours", {"word": "x" * (MAX_WORD_CHARS + 1)}, f"word is longer than {MAX_WORD_CHARS} characters"),
    ("/api/neighbours", {"word": "   "}, "word is empty"),
    ("/api/neighbours", {"word": ["rey", "reina"]}, "parameter 'word' given 2 times"),
    ("/api/suggest", {"q": "ca", "limit": 1000}, "limit must be between 1 and 20"),
    ("/api/doesnt-match", {"words": "rey reina"}, "give between 3 and 20 words"),
    ("/api/doesnt-match", {"words": " ".join(["rey"] * 21)}, "give between 3 and 20 words"),
    ("/api/doesnt-match", {"words": "rey " * 600}, "parameter 'words' is too long"),
])
def test_bad_requests_get_400_json(client, url, params, message):
    r = client.get(url, params=params)
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"error": message}


def test_unknown_routes_and_methods_are_json_errors(client):
    r = client.get("/api/nothing")
    assert r.status_code == 404 and r.json() == {"error": "Not Found"}
    r = client.post("/api/neighbours", data={"word": "rey"})
    assert r.status_code == 405 and r.json() == {"error": "Method Not Allowed"}
    r = client.get("/static/../app.py")
    assert r.status_code == 404


def test_undecodable_query_bytes_do_not_break_the_server(client):
    r = client.get("/api/neighbours?word=%ff%fe%00")
    assert r.status_code == 404 and "not in the vocabulary" in r.json()["error"]
    assert client.get("/api/info").status_code == 200


def test_internal_errors_are_500_json_without_traceback(wv):
    class Broken(type(wv)):
        def most_similar(self, *args, **kwargs):
            raise RuntimeError("secret detail")

    broken = Broken(wv.vectors, wv.index_to_key)
    with TestClient(create_app(broken), raise_server_exceptions=False) as c:
        r = c.get("/api/neighbours", params={"word": "rey"})
        assert r.status_code == 500 and r.json() == {"error": "internal error"}
        assert "secret" not in r.text and "Traceback" not in r.text
        assert c.get("/api/info").status_code == 200


def test_page_and_static_files_with_security_headers(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    for path in ("/static/app.js", "/static/style.css"):
        assert client.get(path).status_code == 200
    for ref in ("http://", "https://", "//cdn", "@import"):  # nothing fetched from the internet
        for path in ("/", "/static/app.js", "/static/style.css"):
            assert ref not in client.get(path).text.replace("http://www.w3.org/2000/svg", ""), (path, ref)


def test_page_never_writes_html_from_strings(client):
    js = client.get("/static/app.js").text
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in js.replace("never innerHTML", "")


def test_oov_vectors_from_a_subword_model_are_marked():
    base = toy_vectors()
    sub = PrefixSubwords(base.vectors, base.index_to_key)
    with TestClient(create_app(sub), raise_server_exceptions=False) as c:
        r = c.get("/api/neighbours", params={"word": "caballerito", "topn": 4})
        assert r.status_code == 200 and r.json()["oov"] is True
        expected = sub.most_similar(positive=[sub.get_vector("caballerito")], topn=4)
        assert [n["word"] for n in r.json()["neighbours"]] == [w for w, _ in expected]
        assert c.get("/api/neighbours", params={"word": "caballero"}).json()["oov"] is False
        r = c.get("/api/analogy", params={"a": "rey", "b": "reina", "c": "hombrecillo"})
        assert r.status_code == 200 and r.json()["oov"] == ["hombrecillo"]
        r = c.get("/api/similarity", params={"w1": "caballerito", "w2": "caballero"})
        v = sub.get_vector("caballerito")
        u = sub.get_vector("caballero")
        cos = float(v.astype(np.float64) @ u / np.linalg.norm(v.astype(np.float64)) / np.linalg.norm(u.astype(np.float64)))
        assert r.json()["similarity"] == pytest.approx(cos, abs=1e-6) and r.json()["oov"] == ["caballerito"]
        m = c.get("/api/map", params={"word": "caballerito", "topn": 4}).json()
        assert m["oov"] is True and m["points"][0]["word"] == "caballerito" and m["points"][0]["query"] is True
        assert [p["word"] for p in m["points"][1:]] == [w for w, _ in expected]
        assert c.get("/api/neighbours", params={"word": "zzzz"}).status_code == 404  # no subword to compose from


def test_create_app_reads_a_word2vec_file(tmp_path):
    path = write_toy_model(tmp_path / "toy.txt")
    with TestClient(create_app(path)) as c:
        assert c.get("/api/info").json()["model"] == "toy.txt"
        r = c.get("/api/neighbours", params={"word": HOSTILE[0], "topn": 3})
        assert r.status_code == 200 and r.json()["word"] == HOSTILE[0]


def test_restrict_vocab_answers_from_the_most_frequent_words_only(wv):
    with TestClient(create_app(wv, restrict_vocab=8)) as c:
        assert c.get("/api/info").json()["restrict_vocab"] == 8
        r = c.get("/api/neighbours", params={"word": "caballero", "topn": 5})
        expected = wv.most_similar("caballero", topn=5, restrict_vocab=8)
        assert [n["word"] for n in r.json()["neighbours"]] == [w for w, _ in expected]
        assert all(wv.get_index(n["word"]) < 8 for n in r.json()["neighbours"])
        assert not set(HOSTILE) & {n["word"] for n in r.json()["neighbours"]}  # rows 18-20 are out
        r = c.get("/api/neighbours", params={"word": HOSTILE[1], "topn": 3})  # any word may still be asked
        assert r.status_code == 200 and all(wv.get_index(n["word"]) < 8 for n in r.json()["neighbours"])
