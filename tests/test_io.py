"""Embedding and dictionary I/O: round trips for every format, and a clear error for each bad input."""

import gzip
import pickle

import numpy as np
import pytest

from core.errors import ConfigError, FileFormatError
from core.io import (Embeddings, dictionary_coverage, load_dictionary, load_embeddings, pairs_to_indices,
                     save_word2vec, split_dictionary)
from core.synthetic import synthetic_pair


@pytest.fixture
def space():
    rng = np.random.default_rng(0)
    words = ("the", "chat", "über", "naïve", "x-ray", "l'eau")
    return Embeddings(words, rng.normal(size=(6, 4)).astype(np.float32), "toy")


def write_lines(path, lines, encoding="utf-8"):
    path.write_bytes("".join(line + "\n" for line in lines).encode(encoding))
    return path


def assert_same(a, b, atol=1e-5):
    assert a.words == b.words
    assert a.vectors.dtype == np.float32
    np.testing.assert_allclose(a.vectors, b.vectors, atol=atol)


# --- round trips ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["space.vec", "space.vec.gz"])
def test_word2vec_round_trip(space, tmp_path, name):
    save_word2vec(space, tmp_path / name)
    assert_same(load_embeddings(tmp_path / name), space)


def test_glove_text_without_header(space, tmp_path):
    lines = [w + " " + " ".join(f"{x:.7f}" for x in v) for w, v in zip(space.words, space.vectors)]
    assert_same(load_embeddings(write_lines(tmp_path / "glove.txt", lines)), space)


def test_fasttext_trailing_spaces_and_nbsp_word(tmp_path):
    path = write_lines(tmp_path / "ft.vec", ["2 3", "a\u00a0b 1 2 3 ", "c 4 5 6 "])
    emb = load_embeddings(path)
    assert emb.words == ("a\u00a0b", "c")
    np.testing.assert_array_equal(emb.vectors[1], [4, 5, 6])


def test_gzip_glove(space, tmp_path):
    lines = [w + " " + " ".join(f"{x:.7f}" for x in v) for w, v in zip(space.words, space.vectors)]
    path = tmp_path / "glove.txt.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    assert_same(load_embeddings(path), space)


def test_npy_with_vocabulary(space, tmp_path):
    np.save(tmp_path / "m.npy", space.vectors.astype(np.float16))
    write_lines(tmp_path / "m.vocab", space.words)
    assert_same(load_embeddings(tmp_path / "m.npy"), space, atol=2e-3)


def test_npz(space, tmp_path):
    np.savez(tmp_path / "m.npz", words=np.array(space.words), vectors=space.vectors)
    assert_same(load_embeddings(tmp_path / "m.npz"), space, atol=0)


def test_max_vocab_stops_reading_early(tmp_path):
    # the garbage on line 4 is never read
    path = write_lines(tmp_path / "e.txt", ["a 1 2", "b 3 4", "c 5 6", "d oops"])
    emb = load_embeddings(path, max_vocab=2)
    assert emb.words == ("a", "b")
    with pytest.raises(FileFormatError, match="line 4"):
        load_embeddings(path)


def test_head_and_with_vectors(space):
    head = space.head(2)
    assert head.words == space.words[:2] and head.index == {"the": 0, "chat": 1}
    assert space.with_vectors(np.ones((6, 2))).dim == 2


# --- bad input --------------------------------------------------------------------------------------

@pytest.mark.parametrize("lines, match", [
    (["a 1 2 3", "b 1 2"], r"line 2: 2 values where 3 were expected"),
    (["2 3", "a 1 2 3", "b 1 2 3 4"], r"line 3: 4 values where 3 were expected"),
    (["5 2", "a 1 2", "b 3 4"], r"line 1: the header declares 5 words but the file has 2"),
    (["2 x", "a 1 2"], r"line 1: a bad header"),
    (["2 3 4", "a 1 2 3"], r"line 2: 3 values where 2 were expected.*line 1 \('2 3 4'\) was read as a vector row"),
    (["a 1 2", "b 1 nan"], r"line 2: the vector of 'b' contains NaN"),
    (["a 1 2", "b inf 1"], r"line 2: the vector of 'b' contains NaN or infinity"),
    (["a 1 2", "b 0 0"], r"line 2: the vector of 'b' is all zeros"),
    (["a 1 2", "b 1 two"], r"line 2: 'two' is not a number"),
    (["a"], r"line 1: a word with no vector"),
])
def test_malformed_text(tmp_path, lines, match):
    path = write_lines(tmp_path / "bad.vec", lines)
    with pytest.raises(FileFormatError, match=match) as err:
        load_embeddings(path)
    assert str(path) in str(err.value)


def test_non_utf8(tmp_path):
    path = tmp_path / "latin1.vec"
    path.write_bytes("a 1 2\ncaf\u00e9 3 4\n".encode("latin-1"))
    with pytest.raises(FileFormatError, match=r"line 2: bytes that are not UTF-8.*Save the file as UTF-8"):
        load_embeddings(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.vec"
    path.write_bytes(b"")
    with pytest.raises(FileFormatError, match="empty"):
        load_embeddings(path)


def test_binary_garbage(tmp_path):
    path = tmp_path / "garbage.bin"
    path.write_bytes(bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8)) + b"\x00")
    with pytest.raises(FileFormatError, match="(binary data|not UTF-8)"):
        load_embeddings(path)


def test_truncated_gzip(space, tmp_path):
    save_word2vec(space, tmp_path / "s.vec.gz")
    data = (tmp_path / "s.vec.gz").read_bytes()
    (tmp_path / "cut.vec.gz").write_bytes(data[: len(data) // 2])
    with pytest.raises(FileFormatError, match="cut.vec.gz"):
        load_embeddings(tmp_path / "cut.vec.gz")


def test_duplicates_keep_first_and_warn(tmp_path):
    path = write_lines(tmp_path / "dup.vec", ["a 1 2", "b 3 4", "a 5 6"])
    with pytest.warns(UserWarning, match=r"1 duplicate word\(s\) dropped.*'a', first at line 3"):
        emb = load_embeddings(path)
    assert emb.words == ("a", "b")
    np.testing.assert_array_equal(emb.vectors[0], [1, 2])


def test_pickled_npy_is_refused(tmp_path):
    np.save(tmp_path / "evil.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    write_lines(tmp_path / "evil.vocab", ["a"])
    with pytest.raises(FileFormatError, match="not a plain numeric"):
        load_embeddings(tmp_path / "evil.npy")


def test_pickle_file_is_never_executed(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.vec"
    path.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(FileFormatError):
        load_embeddings(path)
    assert not marker.exists()


def test_npy_rows_must_match_vocabulary(space, tmp_path):
    np.save(tmp_path / "m.npy", space.vectors)
    write_lines(tmp_path / "m.vocab", space.words[:5])
    with pytest.raises(FileFormatError, match=r"shape \(6, 4\) does not fit the 5 words"):
        load_embeddings(tmp_path / "m.npy")


def test_missing_file_and_bad_max_vocab(tmp_path):
    with pytest.raises(FileFormatError, match="no such file"):
        load_embeddings(tmp_path / "nope.vec")
    with pytest.raises(FileFormatError, match="Bundled spaces are en, fr, fi"):
        load_embeddings("klingon")
    with pytest.raises(ConfigError, match="max_vocab"):
        load_embeddings("en", max_vocab=0)


# --- dictionaries -----------------------------------------------------------------------------------

def test_dictionary_formats(tmp_path):
    spaced = write_lines(tmp_path / "d.txt", ["# comment", "dog chien", "", "dog chien", "two  deux"])
    tsv = write_lines(tmp_path / "d.tsv", ["dog\tchien\t0.9", "two\tdeux"])
    assert load_dictionary(spaced) == [("dog", "chien"), ("two", "deux")]
    assert load_dictionary(tsv) == [("dog", "chien"), ("two", "deux")]


@pytest.mark.parametrize("lines, match", [
    (["dog chien", "lonely"], r"line 2: expected two words"),
    (["dog chien extra"], r"line 1: expected two words"),
    (["# only a comment"], r"no translation pairs"),
])
def test_bad_dictionary(tmp_path, lines, match):
    with pytest.raises(FileFormatError, match=match):
        load_dictionary(write_lines(tmp_path / "d.txt", lines))


def test_coverage_and_indices(space):
    tgt = Embeddings(("chien", "deux", "eau"), np.eye(3, dtype=np.float32), "fr")
    pairs = [("the", "deux"), ("the", "missing"), ("chat", "chien"), ("nope", "eau"), ("über", "zzz")]
    cov = dictionary_coverage(pairs, space, tgt)
    assert (cov.n_pairs, cov.n_in_vocab, cov.n_src_words, cov.n_src_covered) == (5, 2, 4, 2)
    assert cov.ratio == 0.5
    np.testing.assert_array_equal(pairs_to_indices(pairs + pairs, space, tgt), [[0, 1], [1, 0]])


# --- the synthetic pair -----------------------------------------------------------------------------

def test_synthetic_pair_is_a_rotated_noisy_copy():
    rng = np.random.default_rng(3)
    base = Embeddings(tuple(f"w{i}" for i in range(500)), rng.normal(size=(500, 20)), "base")
    src, tgt, gold = synthetic_pair(base, noise=0.0, rotation=True, drop=0.2, random_state=4)
    assert len(tgt) == 400 and len(gold) == 400 and all(s == t for s, t in gold)
    idx = pairs_to_indices(gold, src, tgt)
    x, z = src.vectors[idx[:, 0]], tgt.vectors[idx[:, 1]]
    # noise-free: Z is an exact rotation of X (same Gram matrix), but not X itself
    np.testing.assert_allclose(x @ x.T, z @ z.T, rtol=1e-3, atol=1e-3)
    assert not np.allclose(x, z, atol=0.1)
    again = synthetic_pair(base, noise=0.0, rotation=True, drop=0.2, random_state=4)[1]
    np.testing.assert_array_equal(again.vectors, tgt.vectors)
    with pytest.raises(ConfigError):
        synthetic_pair(base, drop=0.95)


def test_split_dictionary_keeps_source_words_on_one_side():
    pairs = [(f"s{i % 40}", f"t{i}") for i in range(100)]
    train, test = split_dictionary(pairs, test_share=0.25, random_state=1)
    assert sorted(train + test) == sorted(pairs)
    assert not {s for s, _ in train} & {s for s, _ in test}
    assert len({s for s, _ in test}) == 10
    assert split_dictionary(pairs, 0.25, random_state=1) == (train, test)
    with pytest.raises(ConfigError):
        split_dictionary(pairs[:1])


def test_synthetic_mirror_words_share_no_string():
    from core.synthetic import mirror_words

    base = load_embeddings("en", max_vocab=3000)
    src, tgt, gold = synthetic_pair(base, noise=0.0, drop=0.1, random_state=2, word_forms="mirror")
    assert tgt.name == "mirror-en" and not set(src.words) & set(tgt.words)
    assert len(set(tgt.words)) == len(tgt.words) == len(gold)
    assert ("dog", "dugo") in gold and ("two", "twuo") in gold
    assert all(t == mirror_words([s])[0] for s, t in gold if t[-1] != "ø")
    # the copy is still the same space up to the rotation: dot products of gold pairs agree (noise 0)
    S = src.vectors[[src.index[s] for s, _ in gold[:50]]]
    T = tgt.vectors[[tgt.index[t] for _, t in gold[:50]]]
    np.testing.assert_allclose(S @ S.T, T @ T.T, atol=1e-3)
    with pytest.raises(ConfigError, match="word_forms"):
        synthetic_pair(base, word_forms="other")


def test_writing_spaces_side_by_side_gives_the_same_bytes(tmp_path, monkeypatch):
    """clwe align writes its two mapped spaces in parallel (core.io.save_word2vec_all); every byte is the one
    save_word2vec writes alone."""
    import core.io as cio

    spaces = [cio.load_embeddings("en", max_vocab=3000), cio.load_embeddings("fr", max_vocab=2000),
              cio.load_embeddings("doc_de", max_vocab=1000)]
    for emb, name in zip(spaces, "abc"):
        cio.save_word2vec(emb, tmp_path / f"{name}.alone.vec")
    monkeypatch.setattr(cio, "PARALLEL_WRITE_VALUES", 0)   # the writer processes, even at this size
    cio.save_word2vec_all([(emb, tmp_path / f"{name}.both.vec") for emb, name in zip(spaces, "abc")])
    for name in "abc":
        assert (tmp_path / f"{name}.both.vec").read_bytes() == (tmp_path / f"{name}.alone.vec").read_bytes()


def test_reading_reports_progress_without_changing_the_space(tmp_path, monkeypatch):
    import gzip

    import core.io as cio

    emb = cio.load_embeddings("en", max_vocab=2000)
    cio.save_word2vec(emb, tmp_path / "en.vec")
    (tmp_path / "en.vec.gz").write_bytes(gzip.compress((tmp_path / "en.vec").read_bytes()))
    monkeypatch.setattr(cio, "PROGRESS_LINES", 100)
    for name in ("en.vec", "en.vec.gz"):
        seen = []
        got = cio.load_embeddings(tmp_path / name, progress=seen.append)
        plain = cio.load_embeddings(tmp_path / name)
        assert got.words == plain.words and got.vectors.tobytes() == plain.vectors.tobytes()
        assert len(seen) >= 19 and seen == sorted(seen) and seen[-1] == 1.0 and seen[0] < 0.1


def test_fixed_point_rows_match_a_per_value_reference():
    """The vectorised writer (groups of four decimals as 4-byte words) writes every value as the plain
    per-value rule would: sign, integer part, point, ``decimals`` decimals of round(|v| * 10**decimals)."""
    import core.io as cio

    rng = np.random.default_rng(3)
    for decimals in (1, 3, 4, 5, 7, 8, 11):
        for int_digits in (1, 2, 4):
            V = rng.normal(size=(23, 9)) * rng.choice([1e-4, 0.5, 10.0 ** (int_digits - 1)], size=(23, 1))
            V = np.clip(V, -(10.0 ** int_digits) + 1, 10.0 ** int_digits - 1).astype(np.float32)
            V[0, :2] = [0.0, -0.0]
            scale = 10 ** decimals

            def ref(v):
                q = int(np.rint(abs(float(v)) * scale))
                return ("-" if v < 0 else "") + f"{q // scale}.{q % scale:0{decimals}d}"

            want = [(" ".join(ref(v) for v in row) + "\n").encode() for row in V]
            assert cio._fixed_point_rows(V, decimals, int_digits) == want


def test_a_failing_writer_process_raises_its_error_here(tmp_path, monkeypatch):
    import core.io as cio

    monkeypatch.setattr(cio, "PARALLEL_WRITE_VALUES", 0)
    a, b = cio.load_embeddings("en", max_vocab=200), cio.load_embeddings("fr", max_vocab=200)
    with pytest.raises(FileNotFoundError):
        cio.save_word2vec_all([(a, tmp_path / "no such folder" / "a.vec"), (b, tmp_path / "b.vec")])
    cio.save_word2vec(b, tmp_path / "b.alone.vec")
    assert (tmp_path / "b.vec").read_bytes() == (tmp_path / "b.alone.vec").read_bytes()
