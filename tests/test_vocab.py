import numpy as np
import pytest

from palabra2vec import Corpus, Vocab
from palabra2vec.text.encoded import encode_corpus
from palabra2vec.errors import Palabra2vecError, UnknownWordError


def test_frequency_order_with_first_seen_ties():
    v = Vocab.build([["b", "a", "c"], ["a", "c", "d"]], min_count=1)
    assert v.index_to_key == ["a", "c", "b", "d"]
    assert v.counts.tolist() == [2, 2, 1, 1]
    assert Vocab.build([["b", "a", "c"], ["a", "c", "d"]], min_count=2).index_to_key == ["a", "c"]


def test_unknown_word_suggests_close_words():
    v = Vocab.build([["caballero", "escudero", "caballo"]])
    with pytest.raises(UnknownWordError) as e:
        v["caballeros"]
    assert "caballero" in e.value.suggestions
    assert isinstance(e.value, KeyError)
    assert "caballeros" in str(e.value)


def test_save_load_round_trip(tmp_path):
    v = Vocab.build([["día", "noche", "día"]])
    v.save(tmp_path / "v.tsv")
    assert (tmp_path / "v.tsv").read_text(encoding="utf-8") == "día\t2\nnoche\t1\n"
    w = Vocab.load(tmp_path / "v.tsv")
    assert w.index_to_key == v.index_to_key and w.counts.tolist() == [2, 1]


def test_malformed_vocab_file(tmp_path):
    (tmp_path / "bad.tsv").write_text("día\tdos\n", encoding="utf-8")
    with pytest.raises(Palabra2vecError, match="malformed"):
        Vocab.load(tmp_path / "bad.tsv")


def test_encoded_corpus_matches_vocab_and_sentences(tmp_path):
    sents = [["a", "b", "a"], ["c"], ["a", "b", "z"]]
    vocab, enc = encode_corpus(sents, min_count=2, workdir=tmp_path)
    with enc:
        assert vocab.index_to_key == ["a", "b"] and vocab.counts.tolist() == [3, 2]
        ids = np.concatenate(list(enc.chunks(1024)))
        assert ids.tolist() == [0, 1, 0, -1, -1, 0, 1, -1]  # "c" and "z" dropped
        assert enc.raw_words == 7 and enc.n_sentences == 3 and enc.n_distinct == 4
        assert enc.sentence_lengths().tolist() == [3, 0, 2]
    assert not list(tmp_path.iterdir())  # temporary files removed


def test_chunks_end_at_sentence_boundaries(tmp_path):
    rng = np.random.default_rng(0)
    sents = [[str(x) for x in rng.integers(0, 50, rng.integers(1, 40))] for _ in range(400)]
    vocab, enc = encode_corpus(sents, min_count=1, workdir=tmp_path)
    with enc:
        chunks = list(enc.chunks(1024))
        assert len(chunks) > 3
        assert all(c[-1] == -1 for c in chunks)
        flat = np.concatenate(chunks)
        assert flat.size == enc.n_ids
        expect = [vocab.key_to_index[w] for s in sents for w in s + [None] if w is not None]
        assert flat[flat >= 0].tolist() == expect


def test_empty_corpus_and_empty_vocabulary(tmp_path):
    with pytest.raises(Palabra2vecError, match="empty"):
        encode_corpus([], workdir=tmp_path)
    with pytest.raises(Palabra2vecError, match="min_count=5"):
        encode_corpus([["a", "b"]], min_count=5, workdir=tmp_path)
    assert not list(tmp_path.iterdir())


def test_notebook_reference_figures(quijote):
    """MISSION.md step 2 with the notebook's tokenization, on the shared copy of the book."""
    sentences = Corpus([quijote], tokenizer="notebook")
    vocab, enc = encode_corpus(sentences, min_count=10)
    with enc:
        assert enc.raw_words == 389_511
        assert enc.n_distinct == 39_731
        assert len(vocab) == 3_241
        assert vocab.most_common(10) == [
            ("que", 19546), ("de", 18131), ("y", 15976), ("la", 10328), ("a", 9627),
            ("el", 8009), ("en", 7941), ("no", 5620), ("se", 4751), ("los", 4701),
        ]
