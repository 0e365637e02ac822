"""Phrases: scores, counts and joined sentences equal gensim's; persistence; corpus on disk."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import SHARED_DATA, need
from palabra2vec.errors import Palabra2vecError, UsageError
from palabra2vec.text.phrase_corpus import IdCorpus
from palabra2vec.text.phrases import (SPANISH_CONNECTOR_WORDS, Phrase, Phrases, npmi_scorer,
                                      original_scorer)

gensim_phrases = pytest.importorskip("gensim.models.phrases")

# "sancho panza" 3 times, "panza" once alone, "don quijote de la mancha" twice
TINY = [
    ["sancho", "panza", "dijo", "que", "sí"],
    ["sancho", "panza", "calló"],
    ["dijo", "sancho", "panza"],
    ["la", "panza", "de", "sancho"],
    ["don", "quijote", "de", "la", "mancha", "dijo"],
    ["don", "quijote", "de", "la", "mancha"],
]


def _gensim(sentences, **kw):
    return gensim_phrases.Phrases(sentences, **kw)


# -- scorers ------------------------------------------------------------------------------------
@pytest.mark.parametrize("ca,cb,cab,lv,mc,n", [
    (10, 20, 5, 1000, 5, 10_000), (3, 7, 3, 50, 1, 200), (2232, 2600, 2232, 186_447, 5, 383_640),
    (1, 1, 1, 2, 1, 2), (15, 40, 4, 99, 5, 1234), (0, 5, 3, 10, 1, 100), (1000, 1, 1, 10**6, 3, 10**7),
])
def test_scorers_equal_gensims(ca, cb, cab, lv, mc, n):
    ours = original_scorer(ca, cb, cab, lv, mc, n)
    theirs = gensim_phrases.original_scorer(ca, cb, cab, lv, mc, n)
    assert ours == theirs
    if ca > 0:
        assert npmi_scorer(ca, cb, cab, lv, mc, n) == gensim_phrases.npmi_scorer(ca, cb, cab, lv, mc, n)


def test_scorer_formulas_by_hand():
    # (count(ab) - min_count) / (count(a) count(b)) * len_vocab
    assert original_scorer(10, 20, 5, 1000, 1, 0) == pytest.approx(4 / 200 * 1000)
    # npmi of a pair always seen together: ln(p / p^2) / -ln(p) = 1
    assert npmi_scorer(7, 7, 7, 0, 1, 700) == pytest.approx(1.0, abs=1e-15)
    assert npmi_scorer(7, 7, 2, 0, 5, 700) == -math.inf  # under min_count


def test_tiny_counts_and_scores_by_hand():
    ph = Phrases(min_count=1, threshold=1.0, connector_words=SPANISH_CONNECTOR_WORDS).learn(TINY, passes=1)
    st_ = ph.stats[0]
    # words (connectors "la", "de" not counted): sancho panza dijo que sí calló don quijote mancha
    assert st_["distinct_words"] == 9
    assert st_["tokens_in"] == 26
    # pairs: sancho_panza, panza_dijo, dijo_que, que_sí, panza_calló, dijo_sancho,
    # panza_de_sancho, don_quijote, quijote_de_la_mancha, mancha_dijo
    assert st_["pairs"] == 10 and st_["len_vocab"] == 19
    found = {p.tokens: p for p in ph.levels[0]}
    # sancho 4, panza 4, sancho_panza 3: (3 - 1) / 16 * 19 = 2.375
    assert found[("sancho", "panza")].score == (3 - 1) / 16 * 19
    assert found[("sancho", "panza")].count == 3
    # don 2, quijote 2, pair 2: 1 / 4 * 19 = 4.75; quijote de la mancha: 1 / 4 * 19
    assert found[("don", "quijote")].score == 4.75
    assert found[("quijote", "de", "la", "mancha")].score == 4.75
    assert set(found) == {("sancho", "panza"), ("don", "quijote"), ("quijote", "de", "la", "mancha")}
    # greedy from the left: don_quijote is taken first, so quijote..mancha cannot join
    assert ph[TINY[4]] == ["don_quijote", "de", "la", "mancha", "dijo"]
    assert ph[TINY[3]] == ["la", "panza", "de", "sancho"]  # connectors never start a phrase


def test_second_pass_joins_phrases_of_phrases():
    ph = Phrases(min_count=1, threshold=1.0).learn(TINY, passes=2)
    assert ph.levels[1][0].tokens == ("don_quijote", "de", "la", "mancha")
    assert ph[TINY[4]] == ["don_quijote_de_la_mancha", "dijo"]
    assert ph[["sancho", "panza", "calló"]] == ["sancho_panza", "calló"]
    assert list(ph[[["sancho", "panza"], ["don", "quijote"]]]) == [["sancho_panza"], ["don_quijote"]]


def test_bad_settings_are_usage_errors():
    for kw in [dict(min_count=0), dict(threshold=0), dict(scoring="npmi", threshold=2), dict(scoring="pmi"),
               dict(delimiter=" "), dict(max_vocab_size=0), dict(connector_words="fr")]:
        with pytest.raises(UsageError):
            Phrases(**kw)
    with pytest.raises(Palabra2vecError, match="empty"):
        Phrases().learn([], passes=1)
    with pytest.raises(UsageError):
        Phrases()["sancho panza"]


# -- against gensim -----------------------------------------------------------------------------
words = st.sampled_from(["a", "b", "c", "d", "e", "de", "la", "y"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(words, max_size=12), min_size=1, max_size=40), st.integers(1, 3),
       st.sampled_from([0.5, 2.0, 6.0]), st.sampled_from(["default", "npmi"]), st.integers(4, 200))
def test_random_corpora_equal_gensim(sentences, min_count, threshold, scoring, max_vocab):
    if scoring == "npmi":
        threshold = threshold / 10
    conn = frozenset({"de", "la", "y"})
    kw = dict(min_count=min_count, threshold=threshold, scoring=scoring, max_vocab_size=max_vocab)
    if not any(sentences):
        return
    ours = Phrases(connector_words=conn, **kw).learn(sentences, passes=1)
    theirs = _gensim(sentences, connector_words=conn, **kw)
    assert ours.export_phrases() == theirs.export_phrases()
    assert ours.stats[0]["len_vocab"] == len(theirs.vocab)
    frozen = theirs.freeze()
    with ours.transform(sentences) as joined:
        assert list(joined.sentences()) == [frozen[s] for s in sentences]
    assert [ours[s] for s in sentences] == [frozen[s] for s in sentences]


@pytest.fixture(scope="module")
def es_slice():
    """The first 6 files of corpus-es, tokenized (about 400k tokens)."""
    from palabra2vec.text.corpus import Corpus

    files = sorted(need(SHARED_DATA / "corpus-es").glob("*.txt"))[:6]
    return list(Corpus(files))


@pytest.mark.parametrize("scoring,threshold", [("default", 10.0), ("npmi", 0.5)])
def test_same_phrases_as_gensim_on_corpus_es(es_slice, scoring, threshold):
    ours = Phrases(threshold=threshold, scoring=scoring, connector_words="es")
    with ours.learn_transform(es_slice, passes=1) as joined:
        mine = list(joined.sentences())
    theirs = _gensim(es_slice, threshold=threshold, scoring=scoring, connector_words=SPANISH_CONNECTOR_WORDS)
    exported = theirs.export_phrases()
    assert len(exported) > 500  # a real test: many phrases
    assert set(ours.export_phrases()) == set(exported)
    for phrase, score in ours.export_phrases().items():
        assert score == pytest.approx(exported[phrase], rel=1e-13)
    frozen = theirs.freeze()
    assert mine == [frozen[s] for s in es_slice]
    for p in ours.levels[0]:  # connectors inside only, never at an end
        assert p.tokens[0] not in SPANISH_CONNECTOR_WORDS and p.tokens[-1] not in SPANISH_CONNECTOR_WORDS
        assert all(t in SPANISH_CONNECTOR_WORDS for t in p.tokens[1:-1])


def test_second_pass_scores_as_gensim_phrases_on_corpus_es(es_slice):
    """Pass 2 learns on pass 1's output exactly as a gensim Phrases would (not FrozenPhrases,
    which scores 'don_quijote'+'mancha' by the counts of 'don' and 'mancha')."""
    ours = Phrases(connector_words="es")
    with ours.learn_transform(es_slice, passes=2) as joined:
        mine = list(joined.sentences())
    first = _gensim(es_slice, connector_words=SPANISH_CONNECTOR_WORDS).freeze()
    once = [first[s] for s in es_slice]
    second = _gensim(once, connector_words=SPANISH_CONNECTOR_WORDS)
    assert len(ours.levels[1]) > 100
    for p in ours.levels[1]:
        phrase, score = second.score_candidate(p.tokens[0], p.tokens[-1], list(p.tokens[1:-1]))
        assert phrase == p.text() and score == pytest.approx(p.score, rel=1e-13)
    assert mine == [second[s] for s in once]


def test_pruning_equals_gensims_max_vocab_size(es_slice):
    part = es_slice[:3000]
    ours = Phrases(min_count=2, threshold=5.0, max_vocab_size=5000).learn(part, passes=1)
    theirs = _gensim(part, min_count=2, threshold=5.0, max_vocab_size=5000, connector_words=SPANISH_CONNECTOR_WORDS)
    assert ours.stats[0]["prunes"] >= 5
    assert ours.export_phrases() == theirs.export_phrases()
    assert ours.stats[0]["len_vocab"] == len(theirs.vocab)


# -- persistence --------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".json", ".tsv"])
def test_save_load_round_trip(tmp_path, suffix):
    ph = Phrases(min_count=1, threshold=1.0, scoring="default").learn(TINY, passes=2)
    path = ph.save(tmp_path / f"frases{suffix}")
    back = Phrases.load(path)
    assert back.levels == ph.levels  # scores bit-exact
    assert back.settings() == ph.settings() and back.stats == ph.stats
    assert [back[s] for s in TINY] == [ph[s] for s in TINY]
    with back.transform(TINY) as a, ph.transform(TINY) as b:
        assert list(a.sentences()) == list(b.sentences())


def test_load_refuses_damaged_or_foreign_files(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"format": "other"}', encoding="utf-8")
    with pytest.raises(Palabra2vecError, match="not a palabra2vec phrases file"):
        Phrases.load(bad)
    bad.write_text('{"format": "palabra2vec-phrases", "version": 99}', encoding="utf-8")
    with pytest.raises(Palabra2vecError, match="version 99"):
        Phrases.load(bad)
    bad.write_text('{"format": "palabra2vec-phr', encoding="utf-8")
    with pytest.raises(Palabra2vecError, match="damaged"):
        Phrases.load(bad)
    tsv = tmp_path / "x.tsv"
    Phrases(min_count=1, threshold=1.0).learn(TINY, passes=1).save(tsv)
    tsv.write_text(tsv.read_text(encoding="utf-8") + "1\tsolo\n", encoding="utf-8")
    with pytest.raises(Palabra2vecError, match="malformed"):
        Phrases.load(tsv)
    with pytest.raises(UsageError):
        Phrases.load(tmp_path / "x.pkl")


# -- the corpus on disk -------------------------------------------------------------------------
def test_id_corpus_chunks_keep_sentences_whole(tmp_path):
    sentences = [["w%d" % (i % 7)] * (1 + i % 5) for i in range(50)] + [["largo"] * 40]
    with IdCorpus.encode(sentences, tmp_path) as ic:
        chunks = list(ic.chunks(chunk_ids=8))
        assert all(c[-1] == -1 for c in chunks)
        assert np.concatenate(chunks).size == ic.n_ids == sum(map(len, sentences)) + len(sentences)
        assert list(ic.sentences()) == sentences
    assert not any(tmp_path.iterdir())  # temporary files gone


def test_write_text_is_byte_exact(tmp_path):
    ph = Phrases(min_count=1, threshold=1.0).learn(TINY, passes=1)
    with ph.transform(TINY + [[]] + [["sancho", "panza"]]) as joined:
        n = joined.write_text(tmp_path / "out.txt")
    assert (tmp_path / "out.txt").read_bytes() == (
        "sancho_panza dijo que sí\nsancho_panza calló\ndijo sancho_panza\nla panza de sancho\n"
        "don_quijote de la mancha dijo\ndon_quijote de la mancha\n\nsancho_panza\n").encode("utf-8")
    assert n == 22


def test_top_lists_best_first():
    ph = Phrases(min_count=1, threshold=1.0).learn(TINY, passes=2)
    top = ph.top(3)
    assert [p.score for p in top] == sorted((p.score for p in ph.top(None)), reverse=True)[:3]
    assert isinstance(top[0], Phrase) and len(ph) == len(ph.top(None))


def test_learn_reads_paths_and_transform_skips_unknown_words(tiny_corpus):
    ph = Phrases(min_count=1, threshold=0.5).learn(str(tiny_corpus), passes=1)
    assert ("su", "escudero") in {p.tokens for p in ph.levels[0]}
    with ph.transform([["otra", "palabra"], ["su", "escudero", "nuevo"]]) as joined:
        assert list(joined.sentences()) == [["otra", "palabra"], ["su_escudero", "nuevo"]]
