"""app.uploads with bytes and a file name: what the Data page does with an uploaded file.

(AppTest cannot drive st.file_uploader; tests/test_app.py checks the error display around these calls.)
"""

import gzip

import numpy as np
import pytest

from app import uploads
from core.errors import CLWEError


def _vec(words, dim=4, seed=0, header=True):
    rng = np.random.default_rng(seed)
    lines = [f"{len(words)} {dim}"] if header else []
    lines += [w + " " + " ".join(f"{x:.4f}" for x in rng.normal(size=dim)) for w in words]
    return ("\n".join(lines) + "\n").encode()


WORDS_EN = [f"w{i}" for i in range(30)] + ["dog", "cat"]
WORDS_FR = [f"m{i}" for i in range(30)] + ["chien", "chat"]


def test_good_pair_loads_with_dictionaries():
    src, tgt, train, test = uploads.load_uploaded_pair(
        (_vec(WORDS_EN), "en.vec"), (gzip.compress(_vec(WORDS_FR, dim=6, header=False)), "fr.txt.gz"),
        (b"w1 m1\n", "train.txt"), (b"w2\tm2\n", "test.tsv"),
        max_vocab=31)
    assert len(src) == 31 and len(tgt) == 31 and src.dim == 4 and tgt.dim == 6
    assert src.name == "en.vec" and train == [("w1", "m1")] and test == [("w2", "m2")]
    with pytest.raises(CLWEError, match="test.tsv"):  # cat/chat are beyond max_vocab
        uploads.load_uploaded_pair((_vec(WORDS_EN), "en.vec"), (_vec(WORDS_FR), "fr.vec"),
                                   test_file=(b"cat\tchat\n", "test.tsv"), max_vocab=31)


def test_wrong_format_names_the_uploaded_file_and_line():
    bad = _vec(WORDS_EN).replace(b"w3 ", b"w3 x ", 1)
    with pytest.raises(CLWEError, match=r"en\.vec, line \d+") as e:
        uploads.load_uploaded_embeddings(bad, "en.vec")
    assert "clwe-upload" not in str(e.value)   # not the temporary copy


def test_not_text_at_all():
    with pytest.raises(CLWEError, match="pic.vec"):
        uploads.load_uploaded_embeddings(bytes(range(256)) * 10, "pic.vec")


def test_mismatched_files():
    # a dictionary uploaded where a space was expected
    with pytest.raises(CLWEError, match="dict.txt"):
        uploads.load_uploaded_pair((_vec(WORDS_EN), "en.vec"), (b"dog chien\ncat chat\n", "dict.txt"))
    # a bare matrix without its words
    with pytest.raises(CLWEError, match="npz"):
        uploads.load_uploaded_embeddings(b"\x93NUMPY", "vectors.npy")


def test_dictionary_with_no_usable_pair():
    with pytest.raises(CLWEError, match="none of its 2 pairs"):
        uploads.load_uploaded_pair((_vec(WORDS_EN), "en.vec"), (_vec(WORDS_FR), "fr.vec"),
                                   train_file=(b"house maison\nred rouge\n", "train.txt"))


def test_empty_and_huge_files(monkeypatch):
    with pytest.raises(CLWEError, match="empty"):
        uploads.load_uploaded_embeddings(b"", "en.vec")
    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 100)
    with pytest.raises(CLWEError, match="above the .* limit"):
        uploads.load_uploaded_embeddings(_vec(WORDS_EN), "en.vec")


def test_upload_limit_matches_the_server_config():
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 2**20 == uploads.MAX_UPLOAD_BYTES


def test_large_upload_is_read_in_the_reader_process(monkeypatch):
    """Above READER_PROCESS_BYTES the file is parsed in another process (the server's threads keep the
    interpreter); the space and the errors are the same as in-process."""
    monkeypatch.setattr(uploads, "READER_PROCESS_BYTES", 0)
    emb = uploads.load_uploaded_embeddings(_vec(WORDS_EN), "en.vec", max_vocab=31)
    assert emb.name == "en.vec" and len(emb) == 31 and emb.dim == 4 and emb.words[-1] == "dog"
    bad = _vec(WORDS_EN).replace(b"w3 ", b"w3 x ", 1)
    with pytest.raises(CLWEError, match=r"en\.vec, line 5"):
        uploads.load_uploaded_embeddings(bad, "en.vec")
    with pytest.raises(CLWEError, match=r"fr\.vec.*not UTF-8"):
        uploads.load_uploaded_embeddings(_vec(WORDS_EN).replace(b"w3", b"w\xe93", 1), "fr.vec")


def _big_vec(n=9000, dim=4):
    return _vec([f"w{i}" for i in range(n)], dim=dim)


def test_progress_is_reported_while_reading_in_process(monkeypatch):
    """The Data page's progress bar: fractions that only grow and end at 1 once the space is read."""
    import core.io as cio

    monkeypatch.setattr(cio, "PROGRESS_LINES", 100)
    seen = []
    emb = uploads.load_uploaded_embeddings(_big_vec(3000), "en.vec", progress=seen.append)
    assert len(emb) == 3000
    assert len(seen) >= 20 and seen == sorted(seen) and seen[-1] == 1.0 and 0 < seen[0] < 0.1
    # with --max-vocab the rows kept count: half the words read is half the work, not a sixth of the bytes
    seen.clear()
    uploads.load_uploaded_embeddings(_big_vec(3000), "en.vec", max_vocab=600, progress=seen.append)
    assert seen[-1] == 1.0 and 0.4 < seen[-2] < 1.0


def test_progress_crosses_the_reader_process(monkeypatch):
    monkeypatch.setattr(uploads, "READER_PROCESS_BYTES", 0)
    seen = []
    emb = uploads.load_uploaded_embeddings(_big_vec(), "en.vec", progress=seen.append)
    assert len(emb) == 9000 and emb.words[:2] == ("w0", "w1")
    assert len(seen) >= 3 and seen == sorted(seen) and seen[-1] == 1.0 and seen[0] < 1.0


def test_pair_is_read_in_two_reader_processes_with_one_progress(monkeypatch):
    """Both spaces of a large pair are read at the same time; the page gets one fraction (the mean of the
    two) and a line naming each file, and the spaces are those read one at a time."""
    monkeypatch.setattr(uploads, "READER_PROCESS_BYTES", 0)
    calls = []
    src, tgt, _, _ = uploads.load_uploaded_pair((_big_vec(), "en.vec"), (_big_vec(7000, dim=6), "fr.vec"),
                                                progress=lambda f, text: calls.append((f, text)))
    assert (len(src), src.dim, len(tgt), tgt.dim) == (9000, 4, 7000, 6)
    alone = uploads.load_uploaded_embeddings(_big_vec(7000, dim=6), "fr.vec")
    assert alone.words == tgt.words and np.array_equal(alone.vectors, tgt.vectors)
    assert calls[-1][0] == 1.0 and "en.vec: 100%" in calls[-1][1] and "fr.vec: 100%" in calls[-1][1]
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions)
