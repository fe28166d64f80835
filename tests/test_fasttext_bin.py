"""fastText .bin models: words and subword vectors (gensim's reader), and translating a word that is not in
the vocabulary through its character n-grams (issue 19)."""

import json

import numpy as np
import pytest

gensim_fasttext = pytest.importorskip("gensim.models.fasttext", reason="gensim reads fastText .bin models")

from core.cli import main  # noqa: E402
from core.errors import ConfigError, FileFormatError  # noqa: E402
from core.io import load_embeddings, save_word2vec  # noqa: E402
from core.normalize import apply_normalization, fit_normalization, normalize  # noqa: E402
from core.selflearning import AlignConfig, SelfLearning  # noqa: E402
from core.synthetic import synthetic_pair  # noqa: E402

STEMS = ["walk", "talk", "jump", "play", "work", "read", "call", "open", "look", "help", "turn", "start",
         "show", "move", "live", "rain", "pass", "learn", "paint", "clean", "cook", "dream", "fish", "kick"]
SUFFIXES = ["", "s", "ed", "ing", "er", "ers"]


@pytest.fixture(scope="module")
def model_bin(tmp_path_factory):
    """A tiny fastText model trained here on a seeded corpus of inflected verbs, saved as a .bin."""
    rng = np.random.default_rng(0)
    words = [s + x for s in STEMS for x in SUFFIXES]
    sentences = []
    for _ in range(1500):  # a stem's forms share their contexts, so they share meaning and n-grams
        stem = STEMS[rng.integers(len(STEMS))]
        ctx = [STEMS[(STEMS.index(stem) + d) % len(STEMS)] + "x" for d in (1, 2)]
        sentences.append([stem + SUFFIXES[rng.integers(len(SUFFIXES))]] + ctx
                         + [words[rng.integers(len(words))] for _ in range(2)])
    model = gensim_fasttext.FastText(vector_size=24, window=3, min_count=3, epochs=10, workers=1, seed=0,
                                     min_n=3, max_n=5, bucket=20000)
    model.build_vocab(corpus_iterable=sentences)
    model.train(corpus_iterable=sentences, total_examples=len(sentences), epochs=model.epochs)
    path = tmp_path_factory.mktemp("ft") / "tiny.bin"
    gensim_fasttext.save_facebook_model(model, str(path))
    return path


def test_bin_loads_words_in_frequency_order_with_subwords(model_bin):
    emb = load_embeddings(model_bin)
    assert emb.dim == 24 and len(emb) > 50 and emb.subwords is not None
    kv = gensim_fasttext.load_facebook_vectors(str(model_bin))
    assert list(emb.words) == list(kv.index_to_key)
    assert np.allclose(emb.vector(emb.words[3]), kv[emb.words[3]])
    assert "walkinged" not in emb
    oov = emb.subwords("walkinged")
    assert oov.shape == (24,) and np.isfinite(oov).all() and np.linalg.norm(oov) > 0
    head = load_embeddings(model_bin, max_vocab=20)
    assert head.words == emb.words[:20] and head.subwords is not None


def test_bin_with_the_wrong_magic_is_refused(tmp_path):
    bad = tmp_path / "w2v.bin"
    bad.write_bytes(b"3 2\nab \x00\x00\x80?\x00\x00\x00@")  # binary word2vec, not fastText
    with pytest.raises(FileFormatError, match="binary word2vec .bin is not supported"):
        load_embeddings(bad)


def test_fit_normalization_replays_normalize():
    X = np.random.default_rng(1).standard_normal((300, 8)).astype(np.float32) + 0.5
    for steps in (("unit", "center", "unit"), ("iternorm",), ("center", "unitdim")):
        assert np.allclose(apply_normalization(X, fit_normalization(X, steps)), normalize(X, steps), atol=1e-6)


def _aligned(model_bin, tmp_path=None):
    src = load_embeddings(model_bin)
    _, tgt, gold = synthetic_pair(src, noise=0.02, random_state=3)
    cfg = AlignConfig.preset("supervised", cutoff=0)
    idx = np.array([(src.index[s], tgt.index[t]) for s, t in gold[:60]])
    return src, tgt, gold, SelfLearning(src, tgt, idx, cfg)


def test_an_unknown_word_is_translated_through_its_ngrams(model_bin):
    src, tgt, gold, run = _aligned(model_bin)
    run.finalize()
    word = "walkinged"
    assert word not in src
    # what the translation must be: the target copy of the source word nearest to the word's own
    # fastText vector, normalised as the source space was (the copy is a rotated, noised twin)
    v = apply_normalization(src.subwords(word), fit_normalization(src.vectors, run.config.normalize))[0]
    nearest = [src.words[i] for i in np.argsort(-(run.src.vectors @ v))[:3]]
    got = run.translate(word, k=3)
    assert got[0][0] in nearest  # the copy keeps the words (word_forms="same"); noise may swap close ones
    assert got[0][1] > 0.5
    # a known word goes through the same path as its own row
    known = src.words[10]
    assert run.translate(known, k=1)[0][0] == known


def test_an_unknown_word_without_subwords_is_a_clear_error(model_bin, tmp_path):
    src, tgt, gold, run = _aligned(model_bin)
    vec = tmp_path / "tiny.vec"
    save_word2vec(src, vec)
    plain = load_embeddings(vec)
    run2 = SelfLearning(plain, tgt, run.seed_pairs, run.config)
    with pytest.raises(ConfigError, match="no subword information"):
        run2.translate("walkinged")


def test_clwe_align_translates_an_unknown_word(model_bin, tmp_path, capsys):
    src, tgt, gold, _ = _aligned(model_bin)
    tvec, dic = tmp_path / "tgt.vec", tmp_path / "train.txt"
    save_word2vec(tgt, tvec)
    dic.write_text("".join(f"{s} {t}\n" for s, t in gold[:60]), encoding="utf-8")
    code = main(["align", "--src", str(model_bin), "--tgt", str(tvec), "--init", "dictionary",
                 "--dictionary", str(dic), "--no-eval", "--out", str(tmp_path / "out"),
                 "--translate", "walkinged", "--translate", src.words[5]])
    assert code == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    by_word = {d["word"]: d for d in lines}
    assert by_word["walkinged"]["in_vocabulary"] is False and len(by_word["walkinged"]["nn"]) == 10
    assert by_word[src.words[5]]["in_vocabulary"] is True
    assert by_word[src.words[5]]["nn"][0][0] == src.words[5]
    # a text space has no n-grams: the unknown word is reported, the finished run is kept
    svec = tmp_path / "src.vec"
    save_word2vec(src, svec)
    code = main(["align", "--src", str(svec), "--tgt", str(tvec), "--init", "dictionary", "--dictionary", str(dic),
                 "--no-eval", "--out", str(tmp_path / "out2"), "--translate", "walkinged"])
    line = json.loads([x for x in capsys.readouterr().out.splitlines() if x.startswith("{")][-1])
    assert code == 0 and (tmp_path / "out2" / "run.zip").is_file()
    assert "no subword information" in line["error"] and "nn" not in line


def test_bin_vectors_are_gensims_and_max_vocab_reads_only_the_kept_word_rows(model_bin, tmp_path, monkeypatch):
    """The words' vectors are load_facebook_vectors' bit for bit (with and without --max-vocab), unknown words
    get the same n-gram vectors, and with max_vocab the other words' rows are never read: spoiling them in the
    file changes nothing, and gensim's whole-matrix reader is not called."""
    from gensim.models import _fasttext_bin as ftb

    kv = gensim_fasttext.load_facebook_vectors(str(model_bin))
    full = load_embeddings(model_bin)
    assert full.words == tuple(kv.index_to_key) and full.vectors.tobytes() == kv.vectors.astype(np.float32).tobytes()
    assert np.array_equal(full.subwords("walkinged"), kv.get_vector("walkinged"))
    head = load_embeddings(model_bin, max_vocab=20)
    assert head.vectors.tobytes() == kv.vectors[:20].astype(np.float32).tobytes()
    assert np.array_equal(head.subwords("walkinged"), kv.get_vector("walkinged"))
    # spoil the word rows after the 20th (NaN): a reader that copied them would see NaN in the full load
    raw = bytearray(model_bin.read_bytes())
    n_words, dim = len(kv.index_to_key), 24
    start = bytes(raw).find(kv.vectors_vocab[:1].astype(np.float32).tobytes())   # the input matrix's first row
    rows = np.frombuffer(bytes(raw[start:start + n_words * dim * 4]), np.float32).reshape(n_words, dim)
    assert np.array_equal(rows[:20], kv.vectors_vocab[:20])   # found the input matrix's word rows
    raw[start + 20 * dim * 4:start + n_words * dim * 4] = np.full((n_words - 20) * dim, np.nan, np.float32).tobytes()
    spoiled = tmp_path / "spoiled.bin"
    spoiled.write_bytes(bytes(raw))
    monkeypatch.setattr(ftb, "_load_matrix", lambda *a, **k: pytest.fail("read the whole matrix"))
    again = load_embeddings(spoiled, max_vocab=20)
    assert again.words == head.words and again.vectors.tobytes() == head.vectors.tobytes()
    with pytest.raises(FileFormatError, match="NaN"):
        load_embeddings(spoiled)
