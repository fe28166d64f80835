"""Bounded reading at researcher scale (issue 19): --max-vocab reads only the rows it keeps, and the word2vec
writer round-trips."""

import zipfile

import numpy as np
import pytest

from core.errors import FileFormatError
from core.io import Embeddings, load_embeddings, save_word2vec


def test_npz_with_max_vocab_decompresses_only_the_kept_rows(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    n, d = 20000, 50
    words = np.array([f"w{i}" for i in range(n)])
    vectors = rng.standard_normal((n, d)).astype(np.float32)
    path = tmp_path / "big.npz"
    np.savez_compressed(path, words=words, vectors=vectors)
    read = {"bytes": 0}
    original = zipfile.ZipExtFile.read

    def counting(self, size=-1):
        data = original(self, size)
        read["bytes"] += len(data)
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting)
    emb = load_embeddings(path, max_vocab=1000)
    assert emb.words == tuple(words[:1000]) and np.array_equal(emb.vectors, vectors[:1000])
    assert read["bytes"] < 0.1 * (vectors.nbytes + words.nbytes)  # a twentieth kept: far less than all read
    read["bytes"] = 0
    full = load_embeddings(path)
    assert len(full) == n and read["bytes"] >= vectors.nbytes


def test_text_with_max_vocab_stops_before_a_bad_tail(tmp_path):
    path = tmp_path / "big.vec"
    rows = "".join(f"w{i} {i % 7}.5 1.25 -2\n" for i in range(5000))
    path.write_text("5001 3\n" + rows + "broken not numbers at all\n", encoding="utf-8")
    emb = load_embeddings(path, max_vocab=5000)
    assert len(emb) == 5000 and emb.words[-1] == "w4999"
    with pytest.raises(FileFormatError, match="line 5002"):
        load_embeddings(path)


@pytest.mark.parametrize("scale", [1.0, 1e-3, 40.0])
def test_word2vec_writer_round_trips(tmp_path, scale):
    rng = np.random.default_rng(2)
    V = (rng.standard_normal((300, 20)) * scale).astype(np.float32)
    V[0, 0], V[1, 1] = 0.0, -0.0
    emb = Embeddings(tuple(f"wörd{i}" for i in range(300)), V, "x")
    path = tmp_path / "out.vec"
    save_word2vec(emb, path)
    back = load_embeddings(path)
    assert back.words == emb.words
    # a typical value keeps 6 significant digits
    assert np.max(np.abs(back.vectors - V)) <= 1e-5 * np.median(np.abs(V)) + 1e-12
    first = path.read_text(encoding="utf-8").splitlines()[1].split(" ")
    assert first[0] == "wörd0" and len(first) == 21 and all(t for t in first)
